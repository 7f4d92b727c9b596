import {
  ConfigurationError,
  CrossAccountS3Access,
  mergeStatements,
  type ExistingResources,
  type PolicyStatement,
} from "../../modules/internal";
import {
  accessProps,
  allResources,
  onlyResource,
  policyOf,
  resourcesOf,
  synthJson,
  twoAccountStack,
} from "../support/synth";

const KEY_ARN = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const TEAM_READS: PolicyStatement = {
  Sid: "TeamReads",
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::222222222222:role/team" },
  Action: "s3:GetObject",
  Resource: "arn:aws:s3:::shared-data/curated/*",
};
const ADMIN: PolicyStatement = {
  Sid: "AccountAdministersKey",
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::222222222222:root" },
  Action: "kms:*",
  Resource: "*",
};
const EXISTING: ExistingResources = {
  keyArn: KEY_ARN,
  bucketPolicyStatements: [TEAM_READS],
  keyPolicyStatements: [ADMIN],
};

function attach(existing: unknown, extra: Record<string, unknown> = {}) {
  const s = twoAccountStack();
  const make = () =>
    new CrossAccountS3Access(
      s.stack,
      "access",
      accessProps(
        s,
        { mode: "bucket-policy", prefixes: [{ prefix: "raw/", access: "write" }] },
        {
          bucket: { existing: existing as ExistingResources, ...extra },
        },
      ),
    );
  return { stack: s.stack, make };
}

describe("attaching to an existing bucket and key", () => {
  const { stack, make } = attach(EXISTING);
  const access = make();
  const json = synthJson(stack);

  test("creates no bucket, no key and none of their settings: only the two policies, the alarms (and A's side)", () => {
    expect(Object.keys(json.resource).sort()).toEqual([
      "aws_cloudwatch_log_group",
      "aws_cloudwatch_log_metric_filter",
      "aws_cloudwatch_metric_alarm",
      "aws_iam_role",
      "aws_iam_role_policy",
      "aws_kms_key_policy",
      "aws_lambda_function",
      "aws_s3_bucket_metric",
      "aws_s3_bucket_policy",
    ]);
    // The request metrics of the granted prefixes are configured on the existing bucket, by name.
    const metrics = Object.values(resourcesOf(json, "aws_s3_bucket_metric"));
    expect(metrics.length).toBeGreaterThan(0);
    expect(metrics.filter((m) => m.bucket !== "shared-data")).toEqual([]);
    expect(access.bucketAccount.bucket).toBeUndefined();
    expect(access.bucketAccount.key).toBeUndefined();
    expect([access.bucketAccount.bucketName, access.bucketAccount.kmsKeyArn]).toEqual(["shared-data", KEY_ARN]);
  });

  test("the bucket policy keeps the existing statements, then adds the denials and the grant", () => {
    const policy = onlyResource(json, "aws_s3_bucket_policy");
    expect(policy.bucket).toBe("shared-data");
    expect(policyOf(policy).Statement.map((s) => s.Sid)).toEqual([
      "TeamReads",
      "DenyInsecureTransport",
      "DenyOtherEncryption",
      "DenyKmsWithoutBucketKey",
      "DenyOtherKmsKeys",
      "DenyCustomerKeys",
      "GrantAbortMultipartUploadPutObject",
    ]);
    expect(policyOf(policy).Statement[0]).toEqual(TEAM_READS);
    expect(policyOf(policy).Statement[4].Condition?.StringNotEquals).toEqual({
      "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN,
    });
  });

  test("the key policy keeps the existing statements and adds the grantee's", () => {
    const keyPolicy = onlyResource(json, "aws_kms_key_policy");
    expect(keyPolicy.key_id).toBe(KEY_ARN);
    expect(policyOf(keyPolicy).Statement.map((s) => s.Sid)).toEqual([
      "AccountAdministersKey",
      "GranteeUsesKeyThroughS3",
    ]);
    expect(policyOf(keyPolicy).Statement[0]).toEqual(ADMIN);
  });

  test("every resource of the bucket account uses its provider", () => {
    const bucketSide = allResources(json).filter(
      ([type]) => type === "aws_kms_key_policy" || type === "aws_s3_bucket_policy",
    );
    expect(bucketSide.map(([, , r]) => r.provider)).toEqual(["aws.bucket_account", "aws.bucket_account"]);
  });
});

describe("merging statements", () => {
  const written: PolicyStatement[] = [
    { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" },
  ];

  test("a statement the grant writes, already there unchanged, is not written twice (re-applying is harmless)", () => {
    expect(mergeStatements("f", [TEAM_READS, written[0]], written)).toEqual([TEAM_READS, written[0]]);
  });

  test("an existing statement with one of the grant's Sids but other content is an error naming it", () => {
    expect(() =>
      mergeStatements("bucket.existing.bucketPolicyStatements", [{ ...written[0], Action: "s3:GetObject" }], written),
    ).toThrow(
      'bucket.existing.bucketPolicyStatements[0].Sid "DenyInsecureTransport" is also a statement this grant writes, with other content',
    );
  });

  test("statements without a Sid are kept as they are", () => {
    const { Sid: _none, ...anonymous } = TEAM_READS;
    expect(mergeStatements("f", [anonymous], written)).toEqual([anonymous, written[0]]);
  });
});

describe("bad existing-resource settings are refused before anything is created", () => {
  test.each<[string, unknown, Record<string, unknown>, string]>([
    [
      "no key policy statements",
      { ...EXISTING, keyPolicyStatements: [] },
      {},
      "access.bucket.existing.keyPolicyStatements [] is empty: give the key policy's current statements",
    ],
    [
      "no bucket policy statements given",
      { keyArn: KEY_ARN, keyPolicyStatements: [ADMIN] },
      {},
      "access.bucket.existing.bucketPolicyStatements is required",
    ],
    [
      "a key ARN that is not one",
      { ...EXISTING, keyArn: "alias/shared-data" },
      {},
      'access.bucket.existing.keyArn "alias/shared-data" is not a KMS key ARN',
    ],
    [
      "a key in another account",
      { ...EXISTING, keyArn: KEY_ARN.replace("222222222222", "333333333333") },
      {},
      `access.bucket.existing.keyArn "${KEY_ARN.replace("222222222222", "333333333333")}" is not a key of the bucket's account and region`,
    ],
    [
      "forceDestroy on a bucket this stack does not own",
      EXISTING,
      { forceDestroy: true },
      "access.bucket.forceDestroy true applies only to a bucket this stack creates",
    ],
    [
      "a statement that is not Allow or Deny",
      { ...EXISTING, bucketPolicyStatements: [{ ...TEAM_READS, Effect: "Permit" }] },
      {},
      'access.bucket.existing.bucketPolicyStatements[0].Effect "Permit" is not Allow or Deny',
    ],
  ])("%s", (_name, existing, extra, message) => {
    const { stack, make } = attach(existing, extra);
    expect(make).toThrow(ConfigurationError);
    const again = attach(existing, extra);
    expect(again.make).toThrow(message);
    expect(synthJson(stack).resource).toBeUndefined();
  });
});

test("a key policy copied from AWS as it is today is accepted: Sids with spaces, as KMS's default policy has them", () => {
  const awsDefault = [
    {
      Sid: "Enable IAM User Permissions",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::222222222222:root" },
      Action: "kms:*",
      Resource: "*",
    },
    {
      Sid: "Allow access for Key Administrators",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::222222222222:role/admins" },
      Action: ["kms:Describe*", "kms:Put*"],
      Resource: "*",
    },
  ];
  const bucketStatement = {
    Sid: "Allow get requests from the reporting team",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::222222222222:root" },
    Action: "s3:GetObject",
    Resource: "arn:aws:s3:::shared-data/reports/*",
  };
  const { stack, make } = attach({
    ...EXISTING,
    keyPolicyStatements: awsDefault,
    bucketPolicyStatements: [bucketStatement],
  });
  make();
  const json = synthJson(stack);
  expect(policyOf(Object.values(json.resource.aws_kms_key_policy)[0]).Statement.map((s) => s.Sid)).toEqual([
    "Enable IAM User Permissions",
    "Allow access for Key Administrators",
    "GranteeUsesKeyThroughS3",
  ]);
  expect(policyOf(Object.values(json.resource.aws_s3_bucket_policy)[0]).Statement[0].Sid).toBe(
    "Allow get requests from the reporting team",
  );
});
