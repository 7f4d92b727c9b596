import { TerraformStack, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import {
  BucketAccountGrant,
  ConfigurationError,
  CrossAccountS3Access,
  type GrantDeclaration,
  type PolicyDocument,
} from "../../modules/internal";
import {
  accessProps,
  allResources,
  onlyResource,
  policyOf,
  resourceAt,
  resourcesOf,
  statement,
  synthJson,
  twoAccountStack,
  type SynthJson,
} from "../support/synth";

const LAMBDA_TYPES = ["aws_cloudwatch_log_group", "aws_lambda_function"];
const BUCKET_TYPES = [
  "aws_s3_bucket",
  "aws_s3_bucket_policy",
  "aws_s3_bucket_public_access_block",
  "aws_s3_bucket_ownership_controls",
  "aws_s3_bucket_versioning",
  "aws_s3_bucket_server_side_encryption_configuration",
  "aws_kms_key",
  "aws_kms_alias",
];

function synthGrant(grant: GrantDeclaration): { json: SynthJson; access: CrossAccountS3Access } {
  const stack = twoAccountStack();
  const access = new CrossAccountS3Access(stack.stack, "access", accessProps(stack, grant));
  return { json: synthJson(stack.stack), access };
}

const BUCKET_POLICY_GRANT: GrantDeclaration = {
  mode: "bucket-policy",
  prefixes: [
    { prefix: "incoming/", access: "readWrite" },
    { prefix: "reference/", access: "read" },
  ],
};
const ASSUME_ROLE_GRANT: GrantDeclaration = {
  mode: "assume-role",
  accessRoleName: "s3-access",
  externalId: "ext-id-1",
  prefixes: [{ prefix: "uploads/", access: "write" }],
};

describe("bucket-policy mode", () => {
  const { json, access } = synthGrant(BUCKET_POLICY_GRANT);

  test("account A's resources use A's provider alias and B's use B's", () => {
    for (const [type, id, resource] of allResources(json)) {
      const side = id.startsWith("access_lambda") ? "lambda_account" : "bucket_account";
      expect({ type, id, provider: resource.provider }).toEqual({ type, id, provider: `aws.${side}` });
    }
    for (const type of LAMBDA_TYPES) {
      for (const r of Object.values(resourcesOf(json, type))) expect(r.provider).toBe("aws.lambda_account");
    }
    for (const type of BUCKET_TYPES) {
      expect(Object.keys(resourcesOf(json, type)).length).toBeGreaterThanOrEqual(1);
      for (const r of Object.values(resourcesOf(json, type))) expect(r.provider).toBe("aws.bucket_account");
    }
  });

  test("creates exactly the resources of the pattern, and no S3 access role", () => {
    const counts = Object.fromEntries(Object.entries(json.resource).map(([t, byId]) => [t, Object.keys(byId).length]));
    expect(counts).toEqual({
      aws_cloudwatch_log_group: 1,
      // The alarms, on by default: the function's access-denied filter and two alarms, and per granted prefix
      // (incoming/, reference/) request metrics and a 4xxErrors alarm.
      aws_cloudwatch_log_metric_filter: 1,
      aws_cloudwatch_metric_alarm: 4,
      aws_s3_bucket_metric: 2,
      aws_iam_role: 1,
      aws_iam_role_policy: 2,
      aws_lambda_function: 1,
      aws_kms_alias: 1,
      aws_kms_key: 1,
      // The bucket and, on by default, the log bucket of its server access logs (private, SSE-S3, not versioned),
      // each with a lifecycle; the bucket's logging configuration.
      aws_s3_bucket: 2,
      aws_s3_bucket_lifecycle_configuration: 2,
      aws_s3_bucket_logging: 1,
      aws_s3_bucket_ownership_controls: 2,
      aws_s3_bucket_policy: 2,
      aws_s3_bucket_public_access_block: 2,
      aws_s3_bucket_server_side_encryption_configuration: 2,
      aws_s3_bucket_versioning: 1,
    });
    expect(access.bucketAccount.accessRole).toBeUndefined();
  });

  test("the Lambda role's grant policy is exactly the plan's identity half, naming the key by its alias", () => {
    const doc = policyOf(resourceAt(json, "aws_iam_role_policy", "access/lambda-grant-policy"));
    const kms = statement(doc, "UseBucketKeyThroughS3");
    expect(kms.Resource).toBe("arn:aws:kms:us-east-1:222222222222:key/*");
    expect(kms.Condition?.["ForAnyValue:StringEquals"]).toEqual({ "kms:ResourceAliases": "alias/shared-data" });
    // Nothing in account A's half refers to a resource of account B: each half stands alone.
    expect(JSON.stringify(doc)).not.toContain("${");
    expect(doc.Statement.map((s) => [s.Sid, s.Action])).toEqual([
      ["AbortMultipartUploadPutObject", ["s3:AbortMultipartUpload", "s3:PutObject"]],
      ["GetObject", ["s3:GetObject"]],
      ["ListGrantedPrefixes", ["s3:ListBucket"]],
      ["UseBucketKeyThroughS3", ["kms:Decrypt", "kms:GenerateDataKey"]],
    ]);
    expect(statement(doc, "GetObject").Resource).toEqual([
      "arn:aws:s3:::shared-data/incoming/*",
      "arn:aws:s3:::shared-data/reference/*",
    ]);
    expect(statement(doc, "ListGrantedPrefixes").Condition).toEqual({
      StringLike: { "s3:prefix": ["incoming/*", "reference/*"] },
    });
  });

  test("the bucket policy denies non-TLS and other encryption first, then grants the Lambda role what its identity policy asks for", () => {
    const bucketPolicy = policyOf(resourceAt(json, "aws_s3_bucket_policy", "access/bucket/policy"));
    expect(bucketPolicy.Statement[0]).toEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: ["arn:aws:s3:::shared-data", "arn:aws:s3:::shared-data/*"],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(bucketPolicy.Statement.slice(1, 5).map((s) => [s.Sid, s.Effect, s.Action, s.Condition])).toEqual([
      [
        "DenyOtherEncryption",
        "Deny",
        "s3:PutObject",
        {
          Null: { "s3:x-amz-server-side-encryption": "false" },
          StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
        },
      ],
      [
        "DenyKmsWithoutBucketKey",
        "Deny",
        "s3:PutObject",
        {
          Null: {
            "s3:x-amz-server-side-encryption": "false",
            "s3:x-amz-server-side-encryption-aws-kms-key-id": "true",
          },
        },
      ],
      [
        "DenyOtherKmsKeys",
        "Deny",
        "s3:PutObject",
        {
          Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
          StringNotEquals: {
            "s3:x-amz-server-side-encryption-aws-kms-key-id": expect.stringMatching(
              /^\$\{aws_kms_key\.access_key_[0-9A-F]{8}\.arn\}$/,
            ),
          },
        },
      ],
      [
        "DenyCustomerKeys",
        "Deny",
        "s3:PutObject",
        { Null: { "s3:x-amz-server-side-encryption-customer-algorithm": "false" } },
      ],
    ]);
    const identity = policyOf(resourceAt(json, "aws_iam_role_policy", "access/lambda-grant-policy"));
    const granted = bucketPolicy.Statement.slice(5);
    expect(granted.map((s) => s.Principal)).toEqual(granted.map(() => ({ AWS: "arn:aws:iam::111111111111:root" })));
    expect(granted.map((s) => [s.Action, s.Resource, s.Condition])).toEqual(
      identity.Statement.filter((s) => s.Sid !== "UseBucketKeyThroughS3").map((s) => [
        s.Action,
        s.Resource,
        { ...s.Condition, StringEquals: { "aws:PrincipalArn": "arn:aws:iam::111111111111:role/consumer-role" } },
      ]),
    );
  });

  test("the key policy keeps B in control and lets the Lambda role use the key only through S3", () => {
    const key = resourceAt(json, "aws_kms_key", "access/key");
    expect(key.enable_key_rotation).toBe(true);
    const doc = policyOf(key);
    expect(statement(doc, "AccountAdministersKey")).toEqual({
      Sid: "AccountAdministersKey",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::222222222222:root" },
      Action: "kms:*",
      Resource: "*",
    });
    const grantee = statement(doc, "GranteeUsesKeyThroughS3");
    expect(grantee.Principal).toEqual({ AWS: "arn:aws:iam::111111111111:root" });
    expect(grantee.Condition?.StringEquals).toEqual({
      "kms:ViaService": "s3.us-east-1.amazonaws.com",
      "kms:CallerAccount": "111111111111",
      "aws:PrincipalArn": "arn:aws:iam::111111111111:role/consumer-role",
    });
    expect(resourceAt(json, "aws_kms_alias", "access/key/alias").name).toBe("alias/shared-data");
  });

  test("B's policies name A's account, not the role, so they need not wait for the role", () => {
    expect(resourceAt(json, "aws_kms_key", "access/key").depends_on).toBeUndefined();
    expect(
      resourceAt(json, "aws_s3_bucket_policy", "access/bucket/policy").depends_on?.filter((d) =>
        d.startsWith("aws_iam_role"),
      ),
    ).toEqual([]);
  });

  test("with the role-arn principal style, B's policies name the role and wait for it", () => {
    const { json: roleArnJson } = synthGrant({ ...BUCKET_POLICY_GRANT, principalStyle: "role-arn" });
    const role = Object.keys(resourcesOf(roleArnJson, "aws_iam_role"))[0];
    expect(resourceAt(roleArnJson, "aws_kms_key", "access/key").depends_on).toEqual([`aws_iam_role.${role}`]);
    expect(resourceAt(roleArnJson, "aws_s3_bucket_policy", "access/bucket/policy").depends_on).toContain(
      `aws_iam_role.${role}`,
    );
    const key = statement(policyOf(resourceAt(roleArnJson, "aws_kms_key", "access/key")), "GranteeUsesKeyThroughS3");
    expect(key.Principal).toEqual({ AWS: "arn:aws:iam::111111111111:role/consumer-role" });
  });

  test("the function gets the bucket, its region and the mode, never an access role", () => {
    const fn = resourceAt(json, "aws_lambda_function", "access/lambda/function");
    expect(fn.environment).toEqual({
      variables: {
        ACCESS_MODE: "bucket-policy",
        BUCKET_NAME: "shared-data",
        BUCKET_REGION: "us-east-1",
        GRANTED_PREFIXES: JSON.stringify([
          { prefix: "incoming/", access: "readWrite", delete: false },
          { prefix: "reference/", access: "read", delete: false },
        ]),
      },
    });
  });
});

describe("assume-role mode", () => {
  const { json, access } = synthGrant(ASSUME_ROLE_GRANT);
  const LAMBDA_ROLE = "arn:aws:iam::111111111111:role/consumer-role";
  const ACCESS_ROLE = "arn:aws:iam::222222222222:role/s3-access";

  test("the S3 access role lives in B and trusts A's Lambda role, matched by aws:PrincipalArn, with the ExternalId", () => {
    const role = resourceAt(json, "aws_iam_role", "access/access-role");
    expect(role.provider).toBe("aws.bucket_account");
    expect(role.name).toBe("s3-access");
    expect(policyOf(role, "assume_role_policy").Statement).toEqual([
      {
        Sid: "TrustLambdaRole",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111111111111:root" },
        Action: ["sts:AssumeRole"],
        Condition: { StringEquals: { "aws:PrincipalArn": LAMBDA_ROLE, "sts:ExternalId": "ext-id-1" } },
      },
    ]);
    expect(role.depends_on).toBeUndefined();
    expect(access.bucketAccount.accessRole).toBeDefined();
  });

  test("A's role may only call sts:AssumeRole on the access role", () => {
    const doc = policyOf(resourceAt(json, "aws_iam_role_policy", "access/lambda-grant-policy"));
    expect(doc.Statement).toEqual([
      { Sid: "AssumeS3AccessRole", Effect: "Allow", Action: ["sts:AssumeRole"], Resource: ACCESS_ROLE },
    ]);
  });

  test("the access role holds the upload-only permissions; the key policy names it; the bucket policy only denies", () => {
    const doc = policyOf(resourceAt(json, "aws_iam_role_policy", "access/access-role/policy"));
    expect(doc.Statement.map((s) => s.Action)).toEqual([
      ["s3:AbortMultipartUpload", "s3:PutObject"],
      ["kms:Decrypt", "kms:GenerateDataKey"],
    ]);
    const key = statement(policyOf(resourceAt(json, "aws_kms_key", "access/key")), "GranteeUsesKeyThroughS3");
    expect([key.Principal, key.Condition?.StringEquals["aws:PrincipalArn"]]).toEqual([
      { AWS: "arn:aws:iam::222222222222:root" },
      ACCESS_ROLE,
    ]);
    expect(
      policyOf(resourceAt(json, "aws_s3_bucket_policy", "access/bucket/policy")).Statement.map((s) => s.Sid),
    ).toEqual([
      "DenyInsecureTransport",
      "DenyOtherEncryption",
      "DenyKmsWithoutBucketKey",
      "DenyOtherKmsKeys",
      "DenyCustomerKeys",
    ]);
  });

  test("the function is told the access role and the ExternalId", () => {
    const fn = resourceAt(json, "aws_lambda_function", "access/lambda/function");
    expect(fn.environment).toEqual({
      variables: {
        ACCESS_MODE: "assume-role",
        BUCKET_NAME: "shared-data",
        BUCKET_REGION: "us-east-1",
        EXTERNAL_ID: "ext-id-1",
        GRANTED_PREFIXES: '[{"prefix":"uploads/","access":"write","delete":false}]',
        S3_ACCESS_ROLE_ARN: ACCESS_ROLE,
      },
    });
  });
});

describe("bad input is refused before anything is created", () => {
  const cases: Array<[string, Parameters<typeof accessProps>[2], GrantDeclaration, string]> = [
    [
      "account ID",
      { lambda: { accountId: "12345" } },
      BUCKET_POLICY_GRANT,
      'access.lambda.accountId "12345" is not an AWS account ID (12 digits)',
    ],
    [
      "bucket name",
      { bucket: { bucketName: "My_Bucket" } },
      BUCKET_POLICY_GRANT,
      'access.bucket.bucketName "My_Bucket" is not a valid S3 bucket name',
    ],
    [
      "same account",
      { bucket: { accountId: "111111111111" } },
      BUCKET_POLICY_GRANT,
      'access.bucket.accountId "111111111111" is 111111111111, the same account as lambda.accountId',
    ],
    ["empty grant", {}, { mode: "bucket-policy", prefixes: [] }, "access.grant.prefixes [] is empty"],
    [
      "key alias",
      { bucket: { keyAlias: "alias/aws/s3" } },
      BUCKET_POLICY_GRANT,
      'access.bucket.keyAlias "alias/aws/s3" is not a valid KMS alias',
    ],
    [
      "region",
      { lambda: { region: "mars-1" } },
      BUCKET_POLICY_GRANT,
      'access.lambda.region "mars-1" is not an AWS region name',
    ],
    [
      "log retention",
      { lambda: { logRetentionDays: 10 } },
      BUCKET_POLICY_GRANT,
      "access.lambda.logRetentionDays 10 is not a CloudWatch Logs retention",
    ],
    [
      "missing code archive",
      { lambda: { code: { archive: "/nonexistent.zip", runtime: "python3.12", handler: "app.handler" } } },
      BUCKET_POLICY_GRANT,
      'access.lambda.code.archive "/nonexistent.zip" is not a zip file',
    ],
  ];

  test.each(cases)("%s", (_name, overrides, grant, message) => {
    const stack = twoAccountStack();
    expect(() => new CrossAccountS3Access(stack.stack, "access", accessProps(stack, grant, overrides))).toThrow(
      ConfigurationError,
    );
    const again = twoAccountStack();
    expect(() => new CrossAccountS3Access(again.stack, "access", accessProps(again, grant, overrides))).toThrow(
      message,
    );
    expect(synthJson(again.stack).resource).toBeUndefined();
  });

  test("several problems are reported together", () => {
    const stack = twoAccountStack();
    const make = () =>
      new CrossAccountS3Access(
        stack.stack,
        "access",
        accessProps(
          stack,
          { mode: "assume-role", prefixes: [{ prefix: "a", access: "read" }] },
          { lambda: { functionName: "bad name" } },
        ),
      );
    expect(make).toThrow(
      /lambda\.functionName "bad name"[\s\S]*grant\.prefixes\[0\]\.prefix "a"[\s\S]*grant\.accessRoleName is required/,
    );
  });
});

test("the construct creates nothing on a default provider", () => {
  const app = Testing.app();
  const stack = new TerraformStack(app, "only-aliased");
  const lambdaProvider = new AwsProvider(stack, "a", { alias: "lambda_account", region: "us-east-1" });
  const bucketProvider = new AwsProvider(stack, "b", { alias: "bucket_account", region: "us-east-1" });
  new CrossAccountS3Access(stack, "access", accessProps({ stack, lambdaProvider, bucketProvider }, ASSUME_ROLE_GRANT));
  const json = synthJson(stack);
  const unaliased = allResources(json).filter(([, , r]) => !r.provider);
  expect(unaliased).toEqual([]);
});

describe("an existing role with a path, in the bucket account's half alone", () => {
  const ROLE = "arn:aws:iam::111111111111:role/service-role/ingest-worker";
  const lambda = { accountId: "111111111111", region: "us-east-1", existingRoleArn: ROLE, createFunction: false };
  const grant: GrantDeclaration = { mode: "bucket-policy", prefixes: [{ prefix: "raw/", access: "write" }] };

  test.each([
    [
      "account-and-arn",
      (doc: PolicyDocument) =>
        doc.Statement.filter((s) => s.Effect === "Allow").map((s) => s.Condition?.StringEquals?.["aws:PrincipalArn"]),
    ],
    [
      "role-arn",
      (doc: PolicyDocument) =>
        doc.Statement.filter((s) => s.Effect === "Allow").map((s) => (s.Principal as { AWS: string }).AWS),
    ],
  ] as const)(
    "with principal style %s, the bucket and key policies name exactly the ARN with its path",
    (style, named) => {
      const pair = twoAccountStack();
      new BucketAccountGrant(pair.stack, "bucket-half", {
        lambda,
        bucket: {
          provider: pair.bucketProvider,
          accountId: "222222222222",
          region: "us-east-1",
          bucketName: "shared-data",
          keyAlias: "alias/shared-data",
        },
        grant: { ...grant, principalStyle: style },
      });
      const json = synthJson(pair.stack);
      const bucketPolicy = policyOf(resourceAt(json, "aws_s3_bucket_policy", "bucket-half/bucket/policy"));
      const keyPolicy = policyOf(onlyResource(json, "aws_kms_key"));
      expect([...named(bucketPolicy), ...named(keyPolicy).slice(1)]).toEqual([ROLE, ROLE]);
      // Never the path-less ARN, which would be another principal.
      expect(JSON.stringify(json)).not.toContain(":role/ingest-worker");
    },
  );
});
