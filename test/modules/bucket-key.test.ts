import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { TerraformOutput } from "cdktf";
import { BucketKey, type BucketKeyProps, type PolicyStatement } from "../../modules/internal";
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

type Overrides = Partial<Omit<BucketKeyProps, "provider">>;

function keyProps(stack: ReturnType<typeof twoAccountStack>, overrides: Overrides = {}): BucketKeyProps {
  return {
    provider: stack.bucketProvider,
    accountId: "222222222222",
    region: "us-east-1",
    alias: "alias/shared-data",
    ...overrides,
  };
}

function synthKey(overrides: Overrides = {}): { json: SynthJson; key: BucketKey } {
  const stack = twoAccountStack();
  const key = new BucketKey(stack.stack, "key", keyProps(stack, overrides));
  new TerraformOutput(stack.stack, "key-arn", { value: key.keyArn });
  return { json: synthJson(stack.stack), key };
}

const administers = (partition: string, accountId: string): PolicyStatement => ({
  Sid: "AccountAdministersKey",
  Effect: "Allow",
  Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
  Action: "kms:*",
  Resource: "*",
});

describe("BucketKey with its defaults", () => {
  const { json } = synthKey();
  // The construct path key/key drops the repeated name: the key's logical id is key_<hash>.
  const keyId = () => idAt(json, "aws_kms_key", "key");

  test("creates exactly a key and its alias through the given provider", () => {
    expect(allResources(json).map(([type, , r]) => [type, r.provider])).toEqual([
      ["aws_kms_alias", "aws.bucket_account"],
      ["aws_kms_key", "aws.bucket_account"],
    ]);
  });

  test("the key rotates, waits 30 days before deletion and depends on nothing", () => {
    const { policy: _policy, ...key } = resourceAt(json, "aws_kms_key", "key");
    expect(key).toEqual({
      description: "Encrypts objects of an S3 bucket",
      enable_key_rotation: true,
      deletion_window_in_days: 30,
      provider: "aws.bucket_account",
    });
  });

  test("the key policy only lets the account administer the key", () => {
    expect(policyOf(resourceAt(json, "aws_kms_key", "key"))).toEqual({
      Version: "2012-10-17",
      Statement: [administers("aws", "222222222222")],
    });
  });

  test("the alias names the key", () => {
    expect(resourceAt(json, "aws_kms_alias", "key/alias")).toEqual({
      name: "alias/shared-data",
      target_key_id: `\${aws_kms_key.${keyId()}.key_id}`,
      provider: "aws.bucket_account",
    });
  });

  test("keyArn is the key's ARN attribute", () => {
    expect(json.output?.["key-arn"].value).toBe(`\${aws_kms_key.${keyId()}.arn}`);
  });
});

describe("BucketKey with settings", () => {
  const GRANTEE: PolicyStatement = {
    Sid: "GranteeUsesKeyThroughS3",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::111111111111:role/consumer" },
    Action: ["kms:Decrypt"],
    Resource: "*",
    Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
  };
  const AUDITOR: PolicyStatement = {
    Sid: "AuditorDescribes",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::222222222222:role/auditor" },
    Action: "kms:DescribeKey",
    Resource: "*",
  };

  test("the given statements follow the account's own, in the given order", () => {
    const { json } = synthKey({ policyStatements: [GRANTEE, AUDITOR] });
    expect(policyOf(resourceAt(json, "aws_kms_key", "key")).Statement).toEqual([
      administers("aws", "222222222222"),
      GRANTEE,
      AUDITOR,
    ]);
  });

  test("the deletion window and the description can be set", () => {
    const { json } = synthKey({ deletionWindowInDays: 7, description: "Key of the reports bucket" });
    const key = resourceAt(json, "aws_kms_key", "key");
    expect([key.deletion_window_in_days, key.description]).toEqual([7, "Key of the reports bucket"]);
  });

  test("the key waits for the given resources", () => {
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
    new BucketKey(stack.stack, "key", keyProps(stack, { dependsOn: [roleA, roleB] }));
    const json = synthJson(stack.stack);
    expect(Object.keys(resourcesOf(json, "aws_iam_role"))).toEqual(["role-a", "role-b"]);
    expect(resourceAt(json, "aws_kms_key", "key").depends_on).toEqual(["aws_iam_role.role-a", "aws_iam_role.role-b"]);
    expect(resourceAt(json, "aws_kms_alias", "key/alias").depends_on).toBeUndefined();
  });

  test("the resources use whichever provider they are given", () => {
    const stack = twoAccountStack();
    new BucketKey(stack.stack, "key", { ...keyProps(stack), provider: stack.lambdaProvider });
    expect(allResources(synthJson(stack.stack)).map(([, , r]) => r.provider)).toEqual([
      "aws.lambda_account",
      "aws.lambda_account",
    ]);
  });

  test.each([
    ["cn-north-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
  ])("in %s the administering root uses partition %s", (region, partition) => {
    const { json } = synthKey({ region, accountId: "333333333333" });
    expect(policyOf(resourceAt(json, "aws_kms_key", "key")).Statement).toEqual([
      administers(partition, "333333333333"),
    ]);
  });
});

describe("BucketKey refuses bad input before creating anything", () => {
  const cases: Array<[string, Overrides, string | RegExp]> = [
    [
      "an alias in the reserved alias/aws/ namespace",
      { alias: "alias/aws/s3" },
      'key.alias "alias/aws/s3" is not a valid KMS alias (alias/<letters, digits, / _ ->, not under alias/aws/)',
    ],
    [
      "an alias without the alias/ prefix",
      { alias: "mykey" },
      'key.alias "mykey" is not a valid KMS alias (alias/<letters, digits, / _ ->, not under alias/aws/)',
    ],
    [
      "an alias with an empty name",
      { alias: "alias/" },
      'key.alias "alias/" is not a valid KMS alias (alias/<letters, digits, / _ ->, not under alias/aws/)',
    ],
    [
      "a bad account ID",
      { accountId: "2222-2222-2222" },
      'key.accountId "2222-2222-2222" is not an AWS account ID (12 digits)',
    ],
    [
      "a bad region",
      { region: "US-EAST-1" },
      'key.region "US-EAST-1" is not an AWS region name the AWS provider 5.100.0 knows (e.g. us-east-1; did you mean "us-east-1"?)',
    ],
    ["a deletion window of 5 days", { deletionWindowInDays: 5 }, /^key\.deletionWindowInDays 5 \S/],
    ["a deletion window of 31 days", { deletionWindowInDays: 31 }, "key.deletionWindowInDays 31 must be 7-30 days"],
  ];

  test.each(cases)("%s", (_name, overrides, problem) => {
    const stack = twoAccountStack();
    const error = configurationError(() => new BucketKey(stack.stack, "key", keyProps(stack, overrides)));
    expect(error.problems).toEqual([typeof problem === "string" ? problem : expect.stringMatching(problem)]);
    expect(synthJson(stack.stack).resource).toBeUndefined();
  });

  test.each(["alias/data-bucket", "alias/team/data_bucket-1", "alias/awsome"])("accepts the alias %j", (alias) => {
    const { json } = synthKey({ alias });
    expect(resourceAt(json, "aws_kms_alias", "key/alias").name).toBe(alias);
  });
});
