import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { policyDocument, S3AccessRole, type PolicyDocument, type S3AccessRoleProps } from "../../modules/internal";
import {
  allResources,
  policyOf,
  resourceAt,
  resourcesOf,
  synthJson,
  twoAccountStack,
  type SynthJson,
  configurationError,
} from "../support/synth";

const TRUST: PolicyDocument = policyDocument([
  {
    Sid: "TrustLambdaRole",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::111111111111:role/consumer" },
    Action: ["sts:AssumeRole"],
    Condition: { StringEquals: { "sts:ExternalId": "ext-id-1" } },
  },
]);
const POLICY: PolicyDocument = policyDocument([
  {
    Sid: "GetObject",
    Effect: "Allow",
    Action: ["s3:GetObject"],
    Resource: ["arn:aws:s3:::shared-data/incoming/*"],
  },
  {
    Sid: "UseBucketKeyThroughS3",
    Effect: "Allow",
    Action: ["kms:Decrypt"],
    Resource: "arn:aws:kms:us-east-1:222222222222:key/KEY-ID",
    Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
  },
]);

type Overrides = Partial<Omit<S3AccessRoleProps, "provider">>;

function roleProps(stack: ReturnType<typeof twoAccountStack>, overrides: Overrides = {}): S3AccessRoleProps {
  return { provider: stack.bucketProvider, roleName: "s3-access", trustPolicy: TRUST, policy: POLICY, ...overrides };
}

function synthRole(overrides: Overrides = {}): SynthJson {
  const stack = twoAccountStack();
  new S3AccessRole(stack.stack, "access", roleProps(stack, overrides));
  return synthJson(stack.stack);
}

describe("S3AccessRole with its defaults", () => {
  const json = synthRole();
  const roleId = () => Object.keys(resourcesOf(json, "aws_iam_role"))[0];

  test("creates exactly a role and its inline policy through the given provider", () => {
    expect(allResources(json).map(([type, , r]) => [type, r.provider])).toEqual([
      ["aws_iam_role", "aws.bucket_account"],
      ["aws_iam_role_policy", "aws.bucket_account"],
    ]);
    expect(roleId()).toMatch(/^access_role_[0-9A-F]{8}$/);
  });

  test("the role is named as given, trusts exactly the given principals and hands out one-hour sessions", () => {
    const { assume_role_policy: _trust, ...role } = resourceAt(json, "aws_iam_role", "access/role");
    expect(role).toEqual({
      name: "s3-access",
      description: "Cross-account S3 access role assumed by a Lambda function in another account",
      max_session_duration: 3600,
      provider: "aws.bucket_account",
    });
    expect(policyOf(resourceAt(json, "aws_iam_role", "access/role"), "assume_role_policy")).toEqual(TRUST);
  });

  test("the inline policy is exactly the given document, attached to the role", () => {
    const policy = resourceAt(json, "aws_iam_role_policy", "access/policy");
    expect(policy.name).toBe("cross-account-s3-access");
    expect(policy.role).toBe(`\${aws_iam_role.${roleId()}.name}`);
    expect(policyOf(policy)).toEqual(POLICY);
  });
});

describe("S3AccessRole with settings", () => {
  test("the longest session can be set", () => {
    expect(
      resourceAt(synthRole({ maxSessionDuration: 7200 }), "aws_iam_role", "access/role").max_session_duration,
    ).toBe(7200);
  });

  test("the role waits for the given resources; its policy waits for nothing else", () => {
    const stack = twoAccountStack();
    const consumer = new IamRole(stack.stack, "consumer", {
      provider: stack.lambdaProvider,
      name: "consumer",
      assumeRolePolicy: "{}",
    });
    new S3AccessRole(stack.stack, "access", roleProps(stack, { dependsOn: [consumer] }));
    const json = synthJson(stack.stack);
    expect(resourceAt(json, "aws_iam_role", "access/role").depends_on).toEqual(["aws_iam_role.consumer"]);
    expect(resourceAt(json, "aws_iam_role_policy", "access/policy").depends_on).toBeUndefined();
  });

  test("without dependsOn the role has no depends_on", () => {
    expect(resourceAt(synthRole(), "aws_iam_role", "access/role").depends_on).toBeUndefined();
  });

  test("the resources use whichever provider they are given", () => {
    const stack = twoAccountStack();
    new S3AccessRole(stack.stack, "access", { ...roleProps(stack), provider: stack.lambdaProvider });
    expect(allResources(synthJson(stack.stack)).map(([, , r]) => r.provider)).toEqual([
      "aws.lambda_account",
      "aws.lambda_account",
    ]);
  });
});

describe("S3AccessRole refuses a bad role name before creating anything", () => {
  const REASON = "is not a valid IAM role name (1-64 of letters, digits and + = , . @ _ -)";
  test.each(["bad role", "r".repeat(65), "", "role/with-path", "rôle"])("refuses %j", (roleName) => {
    const stack = twoAccountStack();
    const error = configurationError(() => new S3AccessRole(stack.stack, "access", roleProps(stack, { roleName })));
    expect(error.problems).toEqual([`access.roleName ${JSON.stringify(roleName)} ${REASON}`]);
    expect(synthJson(stack.stack).resource).toBeUndefined();
  });

  test.each(["a", "r".repeat(64), "svc+role=1,a.b@c_d-e"])("accepts %j", (roleName) => {
    expect(resourceAt(synthRole({ roleName }), "aws_iam_role", "access/role").name).toBe(roleName);
  });
});
