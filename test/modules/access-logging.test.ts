import type { TerraformStack } from "cdktf";
import {
  AccessLogBucket,
  accessLogBucketName,
  BucketAccountGrant,
  bucketNameSchema,
  CrossAccountS3Access,
  SharedBucketAccess,
  type BucketSettings,
  type GrantDeclaration,
} from "../../modules/internal";
import { validateApp, type EnvironmentConfig } from "../../stacks/config";
import { environments } from "../../stacks/environments";
import {
  accessProps,
  configurationError,
  environmentJson,
  idAt,
  policyOf,
  resourceAt,
  resourcesOf,
  synthJson,
  twoAccountStack,
  type SynthJson,
} from "../support/synth";

const GRANT: GrantDeclaration = { mode: "bucket-policy", prefixes: [{ prefix: "data/", access: "readWrite" }] };

function grantJson(bucket: Partial<BucketSettings> = {}): {
  json: SynthJson;
  access: CrossAccountS3Access;
  stack: TerraformStack;
} {
  const pair = twoAccountStack();
  const access = new CrossAccountS3Access(pair.stack, "access", accessProps(pair, GRANT, { bucket }));
  return { json: synthJson(pair.stack), access, stack: pair.stack };
}

const recordsOf = (stack: TerraformStack) =>
  (
    stack.toTerraform() as {
      "//": Record<
        string,
        { grants: Array<{ half: string; accessLogging?: { enabled: boolean }; resources: Record<string, string> }> }
      >;
    }
  )["//"]["cross-account-s3-lambda"].grants;

describe("by default a bucket the library creates logs every request into a log bucket of its own", () => {
  const { json, access, stack } = grantJson();
  const ref = (type: string, path: string) => `${type}.${idAt(json, type, path)}`;

  test("the log bucket is named after the bucket, private, and not force-destroyed unless the bucket is", () => {
    expect(resourceAt(json, "aws_s3_bucket", "access/access-logs/bucket")).toEqual({
      bucket: "shared-data-access-logs",
      force_destroy: false,
      provider: "aws.bucket_account",
    });
    expect(
      resourceAt(json, "aws_s3_bucket_public_access_block", "access/access-logs/public-access-block"),
    ).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(resourceAt(json, "aws_s3_bucket_ownership_controls", "access/access-logs/ownership").rule).toEqual({
      object_ownership: "BucketOwnerEnforced",
    });
    expect(access.bucketAccount.accessLogBucket?.bucketName).toBe("shared-data-access-logs");
  });

  test("it is encrypted with SSE-S3, the only default encryption S3 delivers server access logs to", () => {
    expect(
      resourceAt(json, "aws_s3_bucket_server_side_encryption_configuration", "access/access-logs/encryption").rule,
    ).toEqual([{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }]);
  });

  test("its policy refuses requests without TLS and lets only S3's log delivery write, under the bucket's prefix, for that bucket and account", () => {
    const policy = resourceAt(json, "aws_s3_bucket_policy", "access/access-logs/policy");
    expect(policyOf(policy).Statement).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: ["arn:aws:s3:::shared-data-access-logs", "arn:aws:s3:::shared-data-access-logs/*"],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "S3ServerAccessLogDelivery",
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: "arn:aws:s3:::shared-data-access-logs/shared-data/*",
        Condition: {
          ArnEquals: { "aws:SourceArn": "arn:aws:s3:::shared-data" },
          StringEquals: { "aws:SourceAccount": "222222222222" },
        },
      },
    ]);
    expect(policy.depends_on).toEqual([
      ref("aws_s3_bucket_public_access_block", "access/access-logs/public-access-block"),
      ref("aws_s3_bucket_ownership_controls", "access/access-logs/ownership"),
    ]);
  });

  test("its lifecycle expires logs after 365 days and aborts incomplete multipart uploads; it is not versioned", () => {
    expect(resourceAt(json, "aws_s3_bucket_lifecycle_configuration", "access/access-logs/lifecycle").rule).toEqual([
      { id: "expire-access-logs", status: "Enabled", filter: [{}], expiration: [{ days: 365 }] },
      {
        id: "abort-incomplete-multipart-uploads",
        status: "Enabled",
        filter: [{}],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
      },
    ]);
    expect(Object.keys(resourcesOf(json, "aws_s3_bucket_versioning"))).toEqual([
      idAt(json, "aws_s3_bucket_versioning", "access/bucket/versioning"),
    ]);
  });

  test("the bucket's logging goes to it under `<bucketName>/`, once its policy and encryption are in place", () => {
    expect(resourceAt(json, "aws_s3_bucket_logging", "access/bucket/access-logging")).toEqual({
      bucket: `\${${ref("aws_s3_bucket", "access/bucket")}.id}`,
      target_bucket: "shared-data-access-logs",
      target_prefix: "shared-data/",
      provider: "aws.bucket_account",
      depends_on: [
        ref("aws_s3_bucket_policy", "access/access-logs/policy"),
        ref("aws_s3_bucket_server_side_encryption_configuration", "access/access-logs/encryption"),
      ],
    });
  });

  test("the bucket account's record says the logs are on, and where the log bucket and the logging configuration are", () => {
    const bucketHalf = recordsOf(stack).find((r) => r.half === "bucket")!;
    expect(bucketHalf.accessLogging).toEqual({ enabled: true });
    expect(bucketHalf.resources.accessLogBucket).toBe(ref("aws_s3_bucket", "access/access-logs/bucket"));
    expect(bucketHalf.resources.accessLogging).toBe(ref("aws_s3_bucket_logging", "access/bucket/access-logging"));
    expect(recordsOf(stack).find((r) => r.half === "lambda")!.accessLogging).toBeUndefined();
  });

  test("the log bucket follows the bucket's forceDestroy", () => {
    const { json } = grantJson({ forceDestroy: true });
    expect(resourceAt(json, "aws_s3_bucket", "access/access-logs/bucket").force_destroy).toBe(true);
  });
});

describe("the log bucket's name", () => {
  test("is `<bucketName>-access-logs` while that fits in 63 characters", () => {
    expect(accessLogBucketName("shared-data")).toBe("shared-data-access-logs");
    expect(accessLogBucketName("a".repeat(51))).toBe(`${"a".repeat(51)}-access-logs`);
  });

  test.each([
    ["a".repeat(52)],
    ["a".repeat(63)],
    [`${"a".repeat(41)}.b${"c".repeat(20)}`],
    [`${"a".repeat(41)}-${"c".repeat(20)}`],
  ])(
    "past 63 characters it is cut, with 8 hex digits of the name's hash, and still a valid bucket name (%s)",
    (name) => {
      const derived = accessLogBucketName(name);
      expect(derived.length).toBeLessThanOrEqual(63);
      expect(derived).toMatch(/^[a-z0-9.-]+-[0-9a-f]{8}-access-logs$/);
      expect(derived).not.toMatch(/[.-]-[0-9a-f]{8}-access-logs$/);
      expect(bucketNameSchema.safeParse(derived).success).toBe(true);
      expect(accessLogBucketName(name)).toBe(derived);
    },
  );

  test("two long names that differ only past the cut get different log buckets", () => {
    const [a, b] = [`${"x".repeat(50)}-one`, `${"x".repeat(50)}-two`];
    expect(accessLogBucketName(a)).not.toBe(accessLogBucketName(b));
  });

  test("a team may name it", () => {
    const { json } = grantJson({ accessLogging: { bucketName: "team-access-logs" } });
    expect(resourceAt(json, "aws_s3_bucket", "access/access-logs/bucket").bucket).toBe("team-access-logs");
    expect(resourceAt(json, "aws_s3_bucket_logging", "access/bucket/access-logging").target_bucket).toBe(
      "team-access-logs",
    );
  });
});

describe("the settings of the typed switch", () => {
  test("retention, versioning and prefix are the team's to choose; a versioned log bucket expires noncurrent logs after the same days", () => {
    const { json } = grantJson({ accessLogging: { retentionDays: 30, versioning: true, prefix: "s3/shared-data/" } });
    expect(
      resourceAt(json, "aws_s3_bucket_versioning", "access/access-logs/versioning").versioning_configuration,
    ).toEqual({ status: "Enabled" });
    const lifecycle = resourceAt(json, "aws_s3_bucket_lifecycle_configuration", "access/access-logs/lifecycle");
    expect(lifecycle.rule).toEqual([
      {
        id: "expire-access-logs",
        status: "Enabled",
        filter: [{}],
        expiration: [{ days: 30 }],
        noncurrent_version_expiration: [{ noncurrent_days: 30 }],
      },
      {
        id: "abort-incomplete-multipart-uploads",
        status: "Enabled",
        filter: [{}],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
      },
    ]);
    expect(lifecycle.depends_on).toEqual([
      `aws_s3_bucket_versioning.${idAt(json, "aws_s3_bucket_versioning", "access/access-logs/versioning")}`,
    ]);
    expect(resourceAt(json, "aws_s3_bucket_logging", "access/bucket/access-logging").target_prefix).toBe(
      "s3/shared-data/",
    );
    expect(policyOf(resourceAt(json, "aws_s3_bucket_policy", "access/access-logs/policy")).Statement[1].Resource).toBe(
      "arn:aws:s3:::shared-data-access-logs/s3/shared-data/*",
    );
  });

  test("existingTargetBucket delivers to a log bucket managed elsewhere, by name, and creates none", () => {
    const { json, access } = grantJson({ accessLogging: { existingTargetBucket: "org-access-logs-222222222222" } });
    expect(Object.keys(resourcesOf(json, "aws_s3_bucket"))).toEqual([idAt(json, "aws_s3_bucket", "access/bucket")]);
    expect(resourceAt(json, "aws_s3_bucket_logging", "access/bucket/access-logging")).toEqual({
      bucket: `\${aws_s3_bucket.${idAt(json, "aws_s3_bucket", "access/bucket")}.id}`,
      target_bucket: "org-access-logs-222222222222",
      target_prefix: "shared-data/",
      provider: "aws.bucket_account",
    });
    expect(access.bucketAccount.accessLogBucket).toBeUndefined();
  });

  test("enabled: false writes no logging and no log bucket, and the record says the logs are off", () => {
    const { json, stack } = grantJson({ accessLogging: { enabled: false } });
    expect(resourcesOf(json, "aws_s3_bucket_logging")).toEqual({});
    expect(Object.keys(resourcesOf(json, "aws_s3_bucket"))).toHaveLength(1);
    expect(recordsOf(stack).find((r) => r.half === "bucket")!.accessLogging).toEqual({ enabled: false });
  });

  test.each<[string, Partial<BucketSettings>, string[]]>([
    [
      "a retention of 0 days",
      { accessLogging: { retentionDays: 0 } },
      ["access.bucket.accessLogging.retentionDays 0 must be a whole number of days from 1 to 36500"],
    ],
    [
      "a retention that is not a number",
      { accessLogging: { retentionDays: "365" as never } },
      ['access.bucket.accessLogging.retentionDays "365" must be a whole number of days from 1 to 36500'],
    ],
    [
      "the bucket itself as log bucket",
      { accessLogging: { bucketName: "shared-data" } },
      [
        'access.bucket.accessLogging.bucketName "shared-data" is the bucket itself: S3 would log each delivery of its own logs; name another bucket',
      ],
    ],
    [
      "the bucket itself as existing target",
      { accessLogging: { existingTargetBucket: "shared-data" } },
      [
        'access.bucket.accessLogging.existingTargetBucket "shared-data" is the bucket itself: S3 would log each delivery of its own logs; name another bucket',
      ],
    ],
    [
      "an invalid log bucket name",
      { accessLogging: { bucketName: "Logs" } },
      [
        'access.bucket.accessLogging.bucketName "Logs" is not a valid S3 bucket name: use only lowercase letters, digits, dots and hyphens',
      ],
    ],
    [
      "a prefix that is not a folder",
      { accessLogging: { prefix: "logs" } },
      ['access.bucket.accessLogging.prefix "logs" is not a valid prefix: it must end with "/" (did you mean "logs/"?)'],
    ],
    [
      "settings of a created log bucket with an existing one",
      { accessLogging: { existingTargetBucket: "org-logs", retentionDays: 30 } },
      [
        "access.bucket.accessLogging.retentionDays 30 applies only to a log bucket this library creates, and existingTargetBucket names one managed elsewhere",
      ],
    ],
    [
      "settings with the logs off",
      { accessLogging: { enabled: false, bucketName: "team-logs" } },
      [
        'access.bucket.accessLogging.bucketName "team-logs" applies only while access logging is on, and enabled is false',
      ],
    ],
    [
      "an unknown field",
      { accessLogging: { retention: 30 } as never },
      ['access.bucket.accessLogging has unknown field(s) "retention"'],
    ],
    [
      "a lifecycle of 0 days",
      { lifecycle: { abortIncompleteMultipartUploadDays: 0 } },
      ["access.bucket.lifecycle.abortIncompleteMultipartUploadDays 0 must be a whole number of days from 1 to 365"],
    ],
  ])("refuses %s, naming the field and the value, and creates nothing", (_name, bucket, problems) => {
    const pair = twoAccountStack();
    const error = configurationError(
      () => new CrossAccountS3Access(pair.stack, "access", accessProps(pair, GRANT, { bucket })),
    );
    expect(error.problems).toEqual(problems);
    expect(synthJson(pair.stack).resource).toBeUndefined();
  });
});

describe("an existing bucket is its owner's to log and to expire", () => {
  const EXISTING = {
    keyArn: "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    bucketPolicyStatements: [],
    keyPolicyStatements: [
      {
        Sid: "Admin",
        Effect: "Allow" as const,
        Principal: { AWS: "arn:aws:iam::222222222222:root" },
        Action: "kms:*",
        Resource: "*",
      },
    ],
  };

  test("nothing is written on it but its policies, and the record says its logs are off", () => {
    const { json, stack } = grantJson({ existing: EXISTING });
    for (const type of ["aws_s3_bucket", "aws_s3_bucket_logging", "aws_s3_bucket_lifecycle_configuration"])
      expect(resourcesOf(json, type)).toEqual({});
    expect(recordsOf(stack).find((r) => r.half === "bucket")!.accessLogging).toEqual({ enabled: false });
    // Saying so is accepted.
    expect(() => grantJson({ existing: EXISTING, accessLogging: { enabled: false } })).not.toThrow();
    expect(() =>
      grantJson({ existing: EXISTING, accessLogging: { enabled: false, bucketName: undefined } }),
    ).not.toThrow();
  });

  test.each<[string, Partial<BucketSettings>, string]>([
    [
      "logging turned on",
      { accessLogging: { enabled: true } },
      'access.bucket.accessLogging {"enabled":true} applies only to a bucket this stack creates',
    ],
    [
      "a log bucket named",
      { accessLogging: { existingTargetBucket: "org-logs" } },
      'access.bucket.accessLogging {"existingTargetBucket":"org-logs"} applies only to a bucket this stack creates',
    ],
    [
      "a lifecycle",
      { lifecycle: { noncurrentVersionExpirationDays: 30 } },
      'access.bucket.lifecycle {"noncurrentVersionExpirationDays":30} applies only to a bucket this stack creates',
    ],
  ])("refuses %s on it", (_name, bucket, problem) => {
    const pair = twoAccountStack();
    const error = configurationError(
      () =>
        new CrossAccountS3Access(
          pair.stack,
          "access",
          accessProps(pair, GRANT, { bucket: { existing: EXISTING, ...bucket } }),
        ),
    );
    expect(error.problems).toEqual([expect.stringContaining(problem)]);
  });
});

test("the bucket account's half alone builds the same log bucket and logging", () => {
  const pair = twoAccountStack();
  const half = new BucketAccountGrant(pair.stack, "bucket-half", {
    lambda: { accountId: "111111111111", region: "us-east-1", roleName: "consumer-role", functionName: "consumer" },
    bucket: {
      provider: pair.bucketProvider,
      accountId: "222222222222",
      region: "us-east-1",
      bucketName: "shared-data",
      keyAlias: "alias/shared-data",
    },
    grant: GRANT,
  });
  const json = synthJson(pair.stack);
  expect(half.accessLogBucket?.bucketName).toBe("shared-data-access-logs");
  expect(resourceAt(json, "aws_s3_bucket_logging", "bucket-half/bucket/access-logging").target_bucket).toBe(
    "shared-data-access-logs",
  );
});

test("a shared bucket gets one log bucket, and every grantee's record of the bucket account says the logs are on", () => {
  const pair = twoAccountStack();
  const lambda = (name: string) => ({
    provider: pair.lambdaProvider,
    accountId: "111111111111",
    region: "us-east-1",
    roleName: name,
    functionName: name,
  });
  new SharedBucketAccess(pair.stack, "shared", {
    bucket: {
      provider: pair.bucketProvider,
      accountId: "222222222222",
      region: "us-east-1",
      bucketName: "lake",
      keyAlias: "alias/lake",
      accessLogging: { retentionDays: 90 },
    },
    grantees: [
      { name: "one", lambda: lambda("one"), grant: GRANT },
      {
        name: "two",
        lambda: lambda("two"),
        grant: { mode: "bucket-policy", prefixes: [{ prefix: "two/", access: "read" }] },
      },
    ],
  });
  const json = synthJson(pair.stack);
  expect(
    Object.values(resourcesOf(json, "aws_s3_bucket"))
      .map((b) => b.bucket)
      .sort(),
  ).toEqual(["lake", "lake-access-logs"]);
  expect(
    resourceAt(json, "aws_s3_bucket_lifecycle_configuration", "shared/bucket-side/access-logs/lifecycle").rule,
  ).toContainEqual(expect.objectContaining({ expiration: [{ days: 90 }] }));
  expect(
    recordsOf(pair.stack)
      .filter((r) => r.half === "bucket")
      .map((r) => r.accessLogging),
  ).toEqual([{ enabled: true }, { enabled: true }]);
});

describe("AccessLogBucket on its own", () => {
  test("several source buckets each get their own delivery statement, for their own prefix", () => {
    const pair = twoAccountStack();
    new AccessLogBucket(pair.stack, "logs", {
      provider: pair.bucketProvider,
      bucketName: "account-logs",
      region: "eu-west-1",
      accountId: "222222222222",
      sources: [
        { bucketName: "one", prefix: "one/" },
        { bucketName: "two", prefix: "two/" },
      ],
    });
    const statements = policyOf(resourceAt(synthJson(pair.stack), "aws_s3_bucket_policy", "logs/policy")).Statement;
    expect(statements.map((s) => [s.Sid, s.Resource, s.Condition?.ArnEquals])).toEqual([
      ["DenyInsecureTransport", ["arn:aws:s3:::account-logs", "arn:aws:s3:::account-logs/*"], undefined],
      ["S3ServerAccessLogDelivery", "arn:aws:s3:::account-logs/one/*", { "aws:SourceArn": "arn:aws:s3:::one" }],
      ["S3ServerAccessLogDelivery2", "arn:aws:s3:::account-logs/two/*", { "aws:SourceArn": "arn:aws:s3:::two" }],
    ]);
  });

  test("refuses bad settings before creating anything", () => {
    const pair = twoAccountStack();
    const error = configurationError(
      () =>
        new AccessLogBucket(pair.stack, "logs", {
          provider: pair.bucketProvider,
          bucketName: "Logs",
          region: "eu-west-1",
          accountId: "2222",
          sources: [],
          retentionDays: -1,
        }),
    );
    expect(error.problems).toEqual([
      'logs.bucketName "Logs" is not a valid S3 bucket name: use only lowercase letters, digits, dots and hyphens',
      'logs.accountId "2222" is not an AWS account ID (12 digits)',
      "logs.retentionDays -1 must be a whole number of days from 1 to 36500",
      "logs.sources [] is empty: a log bucket needs the bucket whose logs it receives",
    ]);
    expect(synthJson(pair.stack).resource).toBeUndefined();
  });
});

describe("environments", () => {
  const local = environments.local;
  const withBucket = (bucket: Partial<EnvironmentConfig["bucket"]>): EnvironmentConfig => ({
    ...local,
    bucket: { ...local.bucket, ...bucket },
  });

  test("the shipped prod environment keeps its logs two years and noncurrent versions one", () => {
    const json = environmentJson("prod").prod;
    expect(
      resourceAt(json, "aws_s3_bucket_lifecycle_configuration", "access/access-logs/lifecycle").rule,
    ).toContainEqual(expect.objectContaining({ expiration: [{ days: 731 }] }));
    expect(resourceAt(json, "aws_s3_bucket_lifecycle_configuration", "access/bucket/lifecycle").rule).toContainEqual(
      expect.objectContaining({ noncurrent_version_expiration: [{ noncurrent_days: 365 }] }),
    );
    expect(resourceAt(json, "aws_s3_bucket_logging", "access/bucket/access-logging").target_bucket).toBe(
      "prod-shared-ingest-999988887777-access-logs",
    );
  });

  test("a bad access logging setting names the environment's field and value", () => {
    const error = configurationError(() =>
      validateApp({ local: withBucket({ accessLogging: { retentionDays: 1.5 } }) }, {}),
    );
    expect(error.problems).toEqual([
      "environments.local.bucket.accessLogging.retentionDays 1.5 must be a whole number of days from 1 to 36500",
    ]);
  });

  test("two environments whose log buckets would have one name are refused, naming both", () => {
    const error = configurationError(() =>
      validateApp(
        {
          local: withBucket({ accessLogging: { bucketName: "team-access-logs" } }),
          other: {
            ...withBucket({
              bucketName: "other-data-222222222222",
              keyAlias: "alias/other-data",
              accessLogging: { bucketName: "team-access-logs" },
            }),
            lambda: { ...local.lambda, functionName: "other", roleName: "other" },
          },
        },
        {},
      ),
    );
    expect(error.problems).toEqual([
      'environments.other.bucket.accessLogging.bucketName "team-access-logs" is the same S3 bucket as environments.local.bucket.accessLogging.bucketName "team-access-logs" in partition aws: both environments would create or write it; give each its own name',
    ]);
  });

  test("a log bucket named like another environment's bucket is refused, even by default", () => {
    const error = configurationError(() =>
      validateApp(
        {
          local: local,
          other: {
            ...withBucket({ bucketName: "local-shared-data-222222222222-access-logs", keyAlias: "alias/other-data" }),
            lambda: { ...local.lambda, functionName: "other", roleName: "other" },
          },
        },
        {},
      ),
    );
    expect(error.problems).toEqual([
      'environments.other.bucket.bucketName "local-shared-data-222222222222-access-logs" is the same S3 bucket as environments.local.bucket.accessLogging.bucketName (the default, from bucketName) "local-shared-data-222222222222-access-logs" in partition aws: both environments would create or write it; give each its own name',
    ]);
  });
});
