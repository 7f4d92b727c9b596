import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { SecureBucket, type PolicyStatement, type SecureBucketProps } from "../../modules/internal";
import {
  allResources,
  policyOf,
  resourceAt,
  resourcesOf,
  synthJson,
  twoAccountStack,
  type SynthJson,
  idAt,
  configurationError,
} from "../support/synth";

const KEY_ARN = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab";

type Overrides = Partial<Omit<SecureBucketProps, "provider">>;

function bucketProps(stack: ReturnType<typeof twoAccountStack>, overrides: Overrides = {}): SecureBucketProps {
  return {
    provider: stack.bucketProvider,
    bucketName: "shared-data",
    region: "us-east-1",
    kmsKeyArn: KEY_ARN,
    ...overrides,
  };
}

function synthBucket(overrides: Overrides = {}): { json: SynthJson; bucket: SecureBucket } {
  const stack = twoAccountStack();
  const bucket = new SecureBucket(stack.stack, "store", bucketProps(stack, overrides));
  return { json: synthJson(stack.stack), bucket };
}

const denyInsecure = (partition: string, name: string): PolicyStatement => ({
  Sid: "DenyInsecureTransport",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: [`arn:${partition}:s3:::${name}`, `arn:${partition}:s3:::${name}/*`],
  Condition: { Bool: { "aws:SecureTransport": "false" } },
});

/**
 * The statements every bucket policy starts with: no request without TLS, and no upload that asks for SSE-S3, DSSE,
 * SSE-C, aws:kms without a key ID or another key.
 */
const baseline = (partition: string, name: string): PolicyStatement[] => [
  denyInsecure(partition, name),
  {
    Sid: "DenyOtherEncryption",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:PutObject",
    Resource: `arn:${partition}:s3:::${name}/*`,
    Condition: {
      Null: { "s3:x-amz-server-side-encryption": "false" },
      StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
    },
  },
  {
    Sid: "DenyKmsWithoutBucketKey",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:PutObject",
    Resource: `arn:${partition}:s3:::${name}/*`,
    Condition: {
      Null: { "s3:x-amz-server-side-encryption": "false", "s3:x-amz-server-side-encryption-aws-kms-key-id": "true" },
    },
  },
  {
    Sid: "DenyOtherKmsKeys",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:PutObject",
    Resource: `arn:${partition}:s3:::${name}/*`,
    Condition: {
      Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
      StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN },
    },
  },
  {
    Sid: "DenyCustomerKeys",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:PutObject",
    Resource: `arn:${partition}:s3:::${name}/*`,
    Condition: { Null: { "s3:x-amz-server-side-encryption-customer-algorithm": "false" } },
  },
];

describe("SecureBucket with its defaults", () => {
  const { json, bucket } = synthBucket();
  const bucketRef = () => `\${aws_s3_bucket.${idAt(json, "aws_s3_bucket", "store/bucket")}.id}`;

  test("creates exactly the bucket and its six settings, all through the given provider (no access logs unless given a log bucket)", () => {
    expect(allResources(json).map(([type, , r]) => [type, r.provider])).toEqual([
      ["aws_s3_bucket", "aws.bucket_account"],
      ["aws_s3_bucket_lifecycle_configuration", "aws.bucket_account"],
      ["aws_s3_bucket_ownership_controls", "aws.bucket_account"],
      ["aws_s3_bucket_policy", "aws.bucket_account"],
      ["aws_s3_bucket_public_access_block", "aws.bucket_account"],
      ["aws_s3_bucket_server_side_encryption_configuration", "aws.bucket_account"],
      ["aws_s3_bucket_versioning", "aws.bucket_account"],
    ]);
  });

  test("the bucket is named as given and is not force-destroyed", () => {
    expect(resourceAt(json, "aws_s3_bucket", "store/bucket")).toEqual({
      bucket: "shared-data",
      force_destroy: false,
      provider: "aws.bucket_account",
    });
    expect(bucket.bucketName).toBe("shared-data");
    expect(bucket.bucketArn).toBe("arn:aws:s3:::shared-data");
  });

  test("all four public access blocks are on", () => {
    expect(resourceAt(json, "aws_s3_bucket_public_access_block", "store/public-access-block")).toEqual({
      bucket: bucketRef(),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
      provider: "aws.bucket_account",
    });
  });

  test("ACLs are disabled: the bucket owner owns every object", () => {
    expect(resourceAt(json, "aws_s3_bucket_ownership_controls", "store/ownership")).toEqual({
      bucket: bucketRef(),
      rule: { object_ownership: "BucketOwnerEnforced" },
      provider: "aws.bucket_account",
    });
  });

  test("versioning is enabled", () => {
    expect(resourceAt(json, "aws_s3_bucket_versioning", "store/versioning")).toEqual({
      bucket: bucketRef(),
      versioning_configuration: { status: "Enabled" },
      provider: "aws.bucket_account",
    });
  });

  test("objects are encrypted by default with the given KMS key and a bucket key", () => {
    expect(resourceAt(json, "aws_s3_bucket_server_side_encryption_configuration", "store/encryption")).toEqual({
      bucket: bucketRef(),
      rule: [
        {
          apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: KEY_ARN },
          bucket_key_enabled: true,
        },
      ],
      provider: "aws.bucket_account",
    });
  });

  test("the bucket policy only denies requests without TLS and uploads with another encryption or key", () => {
    const policy = resourceAt(json, "aws_s3_bucket_policy", "store/policy");
    expect(policy.bucket).toBe(bucketRef());
    expect(policyOf(policy)).toEqual({ Version: "2012-10-17", Statement: baseline("aws", "shared-data") });
  });

  test("the bucket policy waits for the public access block and the ownership controls", () => {
    expect(resourceAt(json, "aws_s3_bucket_policy", "store/policy").depends_on).toEqual([
      `aws_s3_bucket_public_access_block.${idAt(json, "aws_s3_bucket_public_access_block", "store/public-access-block")}`,
      `aws_s3_bucket_ownership_controls.${idAt(json, "aws_s3_bucket_ownership_controls", "store/ownership")}`,
    ]);
  });
});

describe("SecureBucket with settings", () => {
  const READ: PolicyStatement = {
    Sid: "GrantGetObject",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::111111111111:role/consumer" },
    Action: ["s3:GetObject"],
    Resource: ["arn:aws:s3:::shared-data/incoming/*"],
  };
  const LIST: PolicyStatement = {
    Sid: "GrantListGrantedPrefixes",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::111111111111:role/consumer" },
    Action: ["s3:ListBucket"],
    Resource: "arn:aws:s3:::shared-data",
    Condition: { StringLike: { "s3:prefix": ["incoming/*"] } },
  };

  test("the given statements follow the deny statements, in the given order", () => {
    const { json } = synthBucket({ policyStatements: [LIST, READ] });
    expect(policyOf(resourceAt(json, "aws_s3_bucket_policy", "store/policy")).Statement).toEqual([
      ...baseline("aws", "shared-data"),
      LIST,
      READ,
    ]);
  });

  test("the bucket policy also waits for the given resources, after its own", () => {
    const stack = twoAccountStack();
    const roleA = new IamRole(stack.stack, "role-a", {
      provider: stack.bucketProvider,
      name: "a",
      assumeRolePolicy: "{}",
    });
    const roleB = new IamRole(stack.stack, "role-b", {
      provider: stack.bucketProvider,
      name: "b",
      assumeRolePolicy: "{}",
    });
    new SecureBucket(stack.stack, "store", bucketProps(stack, { policyDependsOn: [roleA, roleB] }));
    const json = synthJson(stack.stack);
    // Resources created directly in the stack keep their construct id as logical id.
    expect(Object.keys(resourcesOf(json, "aws_iam_role"))).toEqual(["role-a", "role-b"]);
    expect(resourceAt(json, "aws_s3_bucket_policy", "store/policy").depends_on).toEqual([
      `aws_s3_bucket_public_access_block.${idAt(json, "aws_s3_bucket_public_access_block", "store/public-access-block")}`,
      `aws_s3_bucket_ownership_controls.${idAt(json, "aws_s3_bucket_ownership_controls", "store/ownership")}`,
      "aws_iam_role.role-a",
      "aws_iam_role.role-b",
    ]);
  });

  test("versioning: false suspends versioning", () => {
    const { json } = synthBucket({ versioning: false });
    expect(resourceAt(json, "aws_s3_bucket_versioning", "store/versioning").versioning_configuration).toEqual({
      status: "Suspended",
    });
  });

  test("versioning: true keeps it enabled", () => {
    const { json } = synthBucket({ versioning: true });
    expect(resourceAt(json, "aws_s3_bucket_versioning", "store/versioning").versioning_configuration).toEqual({
      status: "Enabled",
    });
  });

  test("forceDestroy is passed through", () => {
    const { json } = synthBucket({ forceDestroy: true });
    expect(resourceAt(json, "aws_s3_bucket", "store/bucket").force_destroy).toBe(true);
  });

  test("the resources use whichever provider they are given", () => {
    const stack = twoAccountStack();
    new SecureBucket(stack.stack, "store", { ...bucketProps(stack), provider: stack.lambdaProvider });
    const providers = allResources(synthJson(stack.stack)).map(([, , r]) => r.provider);
    expect(providers).toEqual(Array.from({ length: 7 }, () => "aws.lambda_account"));
  });

  test.each([
    ["cn-north-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
  ])("in %s the bucket ARN and the deny statements use partition %s", (region, partition) => {
    const { json, bucket } = synthBucket({ region });
    expect(bucket.bucketArn).toBe(`arn:${partition}:s3:::shared-data`);
    expect(policyOf(resourceAt(json, "aws_s3_bucket_policy", "store/policy")).Statement).toEqual(
      baseline(partition, "shared-data"),
    );
  });
});

describe("SecureBucket's lifecycle", () => {
  const lifecycleOf = (json: SynthJson) => resourceAt(json, "aws_s3_bucket_lifecycle_configuration", "store/lifecycle");

  test("by default it aborts incomplete multipart uploads after 7 days and expires noncurrent versions after 90, on every object, once versioning is on", () => {
    const { json } = synthBucket();
    expect(lifecycleOf(json)).toEqual({
      bucket: `\${aws_s3_bucket.${idAt(json, "aws_s3_bucket", "store/bucket")}.id}`,
      provider: "aws.bucket_account",
      depends_on: [`aws_s3_bucket_versioning.${idAt(json, "aws_s3_bucket_versioning", "store/versioning")}`],
      rule: [
        {
          id: "abort-incomplete-multipart-uploads",
          status: "Enabled",
          filter: [{}],
          abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
        },
        {
          id: "expire-noncurrent-versions",
          status: "Enabled",
          filter: [{}],
          noncurrent_version_expiration: [{ noncurrent_days: 90 }],
        },
      ],
    });
  });

  test("both times are the team's to choose", () => {
    const { json } = synthBucket({
      lifecycle: { abortIncompleteMultipartUploadDays: 1, noncurrentVersionExpirationDays: 3650 },
    });
    const rules = lifecycleOf(json).rule as Array<Record<string, unknown>>;
    expect(rules.map((r) => [r.abort_incomplete_multipart_upload, r.noncurrent_version_expiration])).toEqual([
      [[{ days_after_initiation: 1 }], undefined],
      [undefined, [{ noncurrent_days: 3650 }]],
    ]);
  });

  test.each([
    [
      { abortIncompleteMultipartUploadDays: 0 },
      "store.lifecycle.abortIncompleteMultipartUploadDays 0 must be a whole number of days from 1 to 365",
    ],
    [
      { abortIncompleteMultipartUploadDays: 2.5 },
      "store.lifecycle.abortIncompleteMultipartUploadDays 2.5 must be a whole number of days from 1 to 365",
    ],
    [
      { noncurrentVersionExpirationDays: Number.NaN },
      "store.lifecycle.noncurrentVersionExpirationDays NaN must be a whole number of days from 1 to 36500",
    ],
    [
      { noncurrentVersionExpirationDays: "90" },
      'store.lifecycle.noncurrentVersionExpirationDays "90" must be a whole number of days from 1 to 36500',
    ],
  ])("refuses %j, naming the field and the value, and creates nothing", (lifecycle, problem) => {
    const stack = twoAccountStack();
    const error = configurationError(
      () => new SecureBucket(stack.stack, "store", bucketProps(stack, { lifecycle: lifecycle as never })),
    );
    expect(error.problems).toEqual([problem]);
    expect(synthJson(stack.stack).resource).toBeUndefined();
  });
});

describe("SecureBucket's server access logs", () => {
  test("given a log bucket, S3 delivers the bucket's logs there under the prefix, once what it waits for exists", () => {
    const stack = twoAccountStack();
    const ready = new SecureBucket(stack.stack, "other", bucketProps(stack, { bucketName: "other-bucket" }));
    new SecureBucket(
      stack.stack,
      "store",
      bucketProps(stack, {
        accessLogs: { targetBucket: "shared-data-logs", targetPrefix: "shared-data/", dependsOn: [ready.policy] },
      }),
    );
    const json = synthJson(stack.stack);
    expect(resourceAt(json, "aws_s3_bucket_logging", "store/access-logging")).toEqual({
      bucket: `\${aws_s3_bucket.${idAt(json, "aws_s3_bucket", "store/bucket")}.id}`,
      target_bucket: "shared-data-logs",
      target_prefix: "shared-data/",
      provider: "aws.bucket_account",
      depends_on: [`aws_s3_bucket_policy.${idAt(json, "aws_s3_bucket_policy", "other/policy")}`],
    });
  });

  test.each([
    [
      { targetBucket: "shared-data", targetPrefix: "logs/" },
      'store.accessLogs.targetBucket "shared-data" is the bucket itself: S3 would log each delivery of its own logs; name another bucket',
    ],
    [
      { targetBucket: "Logs", targetPrefix: "logs/" },
      'store.accessLogs.targetBucket "Logs" is not a valid S3 bucket name: use only lowercase letters, digits, dots and hyphens',
    ],
    [
      { targetBucket: "logs-bucket", targetPrefix: "logs" },
      'store.accessLogs.targetPrefix "logs" is not a valid prefix: it must end with "/" (did you mean "logs/"?)',
    ],
  ])("refuses the log target %j and creates nothing", (accessLogs, problem) => {
    const stack = twoAccountStack();
    const error = configurationError(() => new SecureBucket(stack.stack, "store", bucketProps(stack, { accessLogs })));
    expect(error.problems).toEqual([problem]);
    expect(synthJson(stack.stack).resource).toBeUndefined();
  });
});

describe("bucket names", () => {
  const LONG = "a".repeat(64);
  test.each([
    ["ab", "it must be 3 to 63 characters long"],
    [LONG, "it must be 3 to 63 characters long"],
    ["My_Bucket", "use only lowercase letters, digits, dots and hyphens"],
    ["-abc", "it must begin and end with a letter or digit"],
    ["abc-", "it must begin and end with a letter or digit"],
    ["a..b", "it must not contain two adjacent dots"],
    ["192.168.1.1", "it must not be formatted as an IP address"],
    ["xn--abc", "it must not start with the reserved prefix xn-- (reserved: xn--, sthree-, amzn-s3-demo-)"],
    [
      "sthree-configurator-x",
      "it must not start with the reserved prefix sthree- (reserved: xn--, sthree-, amzn-s3-demo-)",
    ],
    [
      "abc-s3alias",
      "it must not end with the reserved suffix -s3alias (reserved: -s3alias, --ol-s3, --x-s3, --table-s3, .mrap)",
    ],
    [
      "abc--table-s3",
      "it must not end with the reserved suffix --table-s3 (reserved: -s3alias, --ol-s3, --x-s3, --table-s3, .mrap)",
    ],
  ])("refuses %j", (name, reason) => {
    const stack = twoAccountStack();
    const error = configurationError(
      () => new SecureBucket(stack.stack, "store", bucketProps(stack, { bucketName: name })),
    );
    expect(error.problems).toEqual([
      `store.bucketName ${JSON.stringify(name)} is not a valid S3 bucket name: ${reason}`,
    ]);
    expect(synthJson(stack.stack).resource).toBeUndefined();
  });

  test.each(["my.bucket-1", "abc", "a".repeat(63), "10.0.0.1a"])("accepts %j", (name) => {
    const { json, bucket } = synthBucket({ bucketName: name });
    expect(resourceAt(json, "aws_s3_bucket", "store/bucket").bucket).toBe(name);
    expect(bucket.bucketArn).toBe(`arn:aws:s3:::${name}`);
  });

  test("a bad region is refused too, together with a bad name", () => {
    const stack = twoAccountStack();
    const error = configurationError(
      () => new SecureBucket(stack.stack, "store", bucketProps(stack, { bucketName: "ab", region: "useast1" })),
    );
    expect(error.problems).toEqual([
      'store.bucketName "ab" is not a valid S3 bucket name: it must be 3 to 63 characters long',
      'store.region "useast1" is not an AWS region name the AWS provider 5.100.0 knows (e.g. us-east-1)',
    ]);
    expect(synthJson(stack.stack).resource).toBeUndefined();
  });
});
