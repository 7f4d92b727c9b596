import {
  ConfigurationError,
  grantSchema,
  parseOrThrow,
  planGrant,
  type GrantContext,
  type GrantDeclaration,
} from "../../modules/internal";

const KEY = "arn:aws:kms:eu-west-1:222222222222:key/*";
const KEY_ALIAS = "alias/shared-data";
const BUCKET = "arn:aws:s3:::shared-data";
const LAMBDA_ROLE = "arn:aws:iam::111111111111:role/consumer";

function context(grant: GrantDeclaration): GrantContext {
  return {
    grant,
    lambdaAccountId: "111111111111",
    lambdaRoleArn: "arn:aws:iam::111111111111:role/consumer",
    bucketAccountId: "222222222222",
    bucketRegion: "eu-west-1",
    bucketName: "shared-data",
    keyAlias: KEY_ALIAS,
  };
}

const kmsConditions = (callerAccount: string) => ({
  StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:CallerAccount": callerAccount },
});

/** The grantee's own KMS statement names the key by its alias, on any key of the bucket account. */
const identityKmsConditions = (callerAccount: string) => ({
  ...kmsConditions(callerAccount),
  "ForAnyValue:StringEquals": { "kms:ResourceAliases": KEY_ALIAS },
});

describe("planGrant, bucket-policy mode", () => {
  test("read: GetObject on the prefix, ListBucket limited by s3:prefix, Decrypt through S3 only", () => {
    const plan = planGrant(context({ mode: "bucket-policy", prefixes: [{ prefix: "data/", access: "read" }] }));
    expect(plan.lambdaRolePolicy.Statement).toEqual([
      { Sid: "GetObject", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${BUCKET}/data/*`] },
      {
        Sid: "ListGrantedPrefixes",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: BUCKET,
        Condition: { StringLike: { "s3:prefix": ["data/*"] } },
      },
      {
        Sid: "UseBucketKeyThroughS3",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: KEY,
        Condition: identityKmsConditions("111111111111"),
      },
    ]);
    expect(plan.principalArn).toBe(LAMBDA_ROLE);
    expect(plan.accessRoleArn).toBeUndefined();
    expect(plan.accessRoleTrustPolicy).toBeUndefined();
  });

  test("write is upload-only: PutObject and AbortMultipartUpload, no GetObject, no ListBucket", () => {
    const plan = planGrant(context({ mode: "bucket-policy", prefixes: [{ prefix: "up/", access: "write" }] }));
    const actions = plan.lambdaRolePolicy.Statement.flatMap((s) => s.Action);
    expect(actions).toEqual(["s3:AbortMultipartUpload", "s3:PutObject", "kms:Decrypt", "kms:GenerateDataKey"]);
  });

  test("readWrite with delete on one prefix and read on another merge statements by shared resources", () => {
    const plan = planGrant(
      context({
        mode: "bucket-policy",
        prefixes: [
          { prefix: "incoming/", access: "readWrite", delete: true },
          { prefix: "reference/", access: "read" },
        ],
      }),
    );
    expect(plan.lambdaRolePolicy.Statement.slice(0, 3)).toEqual([
      {
        Sid: "AbortMultipartUploadDeleteObjectPutObject",
        Effect: "Allow",
        Action: ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"],
        Resource: [`${BUCKET}/incoming/*`],
      },
      {
        Sid: "GetObject",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [`${BUCKET}/incoming/*`, `${BUCKET}/reference/*`],
      },
      {
        Sid: "ListGrantedPrefixes",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: BUCKET,
        Condition: { StringLike: { "s3:prefix": ["incoming/*", "reference/*"] } },
      },
    ]);
  });

  test("the bucket policy carries the same S3 statements, naming A's account and matching the role by aws:PrincipalArn", () => {
    const plan = planGrant(
      context({
        mode: "bucket-policy",
        prefixes: [
          { prefix: "a/", access: "readWrite" },
          { prefix: "b/", access: "read" },
        ],
      }),
    );
    expect(plan.principalStyle).toBe("account-and-arn");
    const identityS3 = plan.lambdaRolePolicy.Statement.filter((s) => s.Sid !== "UseBucketKeyThroughS3");
    expect(plan.bucketPolicyStatements).toEqual(
      identityS3.map((s) => ({
        ...s,
        Sid: `Grant${s.Sid}`,
        Principal: { AWS: "arn:aws:iam::111111111111:root" },
        Condition: { ...s.Condition, StringEquals: { "aws:PrincipalArn": LAMBDA_ROLE } },
      })),
    );
  });

  test("with the role-arn principal style the policies name the role ARN itself, with no principal condition", () => {
    const plan = planGrant(
      context({ mode: "bucket-policy", principalStyle: "role-arn", prefixes: [{ prefix: "a/", access: "read" }] }),
    );
    const identityS3 = plan.lambdaRolePolicy.Statement.filter((s) => s.Sid !== "UseBucketKeyThroughS3");
    expect(plan.bucketPolicyStatements).toEqual(
      identityS3.map((s) => ({ ...s, Sid: `Grant${s.Sid}`, Principal: { AWS: LAMBDA_ROLE } })),
    );
    expect(plan.keyPolicyStatements[0]).toMatchObject({
      Principal: { AWS: LAMBDA_ROLE },
      Condition: kmsConditions("111111111111"),
    });
  });

  test("the key policy lets the Lambda role use the key only through S3 in the bucket's region, from its account", () => {
    const plan = planGrant(context({ mode: "bucket-policy", prefixes: [{ prefix: "a/", access: "readWrite" }] }));
    expect(plan.keyPolicyStatements).toEqual([
      {
        Sid: "GranteeUsesKeyThroughS3",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111111111111:root" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: "*",
        Condition: {
          StringEquals: { ...kmsConditions("111111111111").StringEquals, "aws:PrincipalArn": LAMBDA_ROLE },
        },
      },
    ]);
  });

  test("an organization ID is required on the bucket account's side, a VPC endpoint on every S3 statement", () => {
    const plan = planGrant(
      context({
        mode: "bucket-policy",
        principalOrgId: "o-a1b2c3d4e5",
        sourceVpce: ["vpce-0123abcd"],
        prefixes: [{ prefix: "a/", access: "read" }],
      }),
    );
    expect(plan.lambdaRolePolicy.Statement.map((s) => s.Condition)).toEqual([
      { StringEquals: { "aws:SourceVpce": ["vpce-0123abcd"] } },
      { StringLike: { "s3:prefix": ["a/*"] }, StringEquals: { "aws:SourceVpce": ["vpce-0123abcd"] } },
      identityKmsConditions("111111111111"),
    ]);
    expect(plan.bucketPolicyStatements.map((s) => s.Condition)).toEqual([
      {
        StringEquals: {
          "aws:SourceVpce": ["vpce-0123abcd"],
          "aws:PrincipalArn": LAMBDA_ROLE,
          "aws:PrincipalOrgID": "o-a1b2c3d4e5",
        },
      },
      {
        StringLike: { "s3:prefix": ["a/*"] },
        StringEquals: {
          "aws:SourceVpce": ["vpce-0123abcd"],
          "aws:PrincipalArn": LAMBDA_ROLE,
          "aws:PrincipalOrgID": "o-a1b2c3d4e5",
        },
      },
    ]);
    expect(plan.keyPolicyStatements[0].Condition).toEqual({
      StringEquals: {
        ...kmsConditions("111111111111").StringEquals,
        "aws:PrincipalArn": LAMBDA_ROLE,
        "aws:PrincipalOrgID": "o-a1b2c3d4e5",
      },
    });
  });

  test("no wildcard action is ever granted", () => {
    for (const access of ["read", "write", "readWrite"] as const) {
      const plan = planGrant(context({ mode: "bucket-policy", prefixes: [{ prefix: "x/", access, delete: true }] }));
      const actions = [
        ...plan.lambdaRolePolicy.Statement,
        ...plan.bucketPolicyStatements,
        ...plan.keyPolicyStatements,
      ].flatMap((s) => s.Action);
      expect(actions.filter((a) => a.includes("*"))).toEqual([]);
    }
  });
});

describe("planGrant, assume-role mode", () => {
  const grant: GrantDeclaration = {
    mode: "assume-role",
    accessRoleName: "s3-access",
    externalId: "ext-123",
    prefixes: [{ prefix: "uploads/", access: "write" }],
  };
  const plan = planGrant(context(grant));
  const ACCESS_ROLE = "arn:aws:iam::222222222222:role/s3-access";

  test("the Lambda role may only assume the S3 access role", () => {
    expect(plan.lambdaRolePolicy.Statement).toEqual([
      { Sid: "AssumeS3AccessRole", Effect: "Allow", Action: ["sts:AssumeRole"], Resource: ACCESS_ROLE },
    ]);
  });

  test("the access role trusts exactly the Lambda role (by account and aws:PrincipalArn), with the ExternalId", () => {
    expect(plan.accessRoleTrustPolicy?.Statement).toEqual([
      {
        Sid: "TrustLambdaRole",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111111111111:root" },
        Action: ["sts:AssumeRole"],
        Condition: { StringEquals: { "aws:PrincipalArn": LAMBDA_ROLE, "sts:ExternalId": "ext-123" } },
      },
    ]);
  });

  test("with the role-arn style and without an ExternalId the trust names the role and has no condition", () => {
    const { externalId: _unused, ...withoutId } = grant;
    const trust = planGrant(context({ ...withoutId, principalStyle: "role-arn" })).accessRoleTrustPolicy;
    expect(trust?.Statement[0].Principal).toEqual({ AWS: LAMBDA_ROLE });
    expect(trust?.Statement[0].Condition).toBeUndefined();
  });

  test("an organization ID is required by the trust too", () => {
    const trust = planGrant(context({ ...grant, principalOrgId: "o-a1b2c3d4e5" })).accessRoleTrustPolicy;
    expect(trust?.Statement[0].Condition).toEqual({
      StringEquals: {
        "aws:PrincipalArn": LAMBDA_ROLE,
        "sts:ExternalId": "ext-123",
        "aws:PrincipalOrgID": "o-a1b2c3d4e5",
      },
    });
  });

  test("the access role holds the S3 and KMS statements, the key policy names it, the bucket policy adds nothing", () => {
    expect(plan.accessRolePolicy?.Statement).toEqual([
      {
        Sid: "AbortMultipartUploadPutObject",
        Effect: "Allow",
        Action: ["s3:AbortMultipartUpload", "s3:PutObject"],
        Resource: [`${BUCKET}/uploads/*`],
      },
      {
        Sid: "UseBucketKeyThroughS3",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: KEY,
        Condition: identityKmsConditions("222222222222"),
      },
    ]);
    expect(plan.keyPolicyStatements[0].Principal).toEqual({ AWS: "arn:aws:iam::222222222222:root" });
    expect(plan.keyPolicyStatements[0].Condition).toEqual({
      StringEquals: { ...kmsConditions("222222222222").StringEquals, "aws:PrincipalArn": ACCESS_ROLE },
    });
    expect(plan.bucketPolicyStatements).toEqual([]);
    expect(plan.principalArn).toBe(ACCESS_ROLE);
  });

  test("GovCloud and China regions use their partition and DNS suffix", () => {
    const cn = planGrant({ ...context(grant), bucketRegion: "cn-north-1" });
    expect(cn.accessRoleArn).toBe("arn:aws-cn:iam::222222222222:role/s3-access");
    expect(cn.keyPolicyStatements[0].Condition?.StringEquals["kms:ViaService"]).toBe("s3.cn-north-1.amazonaws.com.cn");
  });
});

describe("grantSchema", () => {
  const parse = (grant: unknown) => () => parseOrThrow(grantSchema, grant, "grant");
  const ok = { mode: "bucket-policy", prefixes: [{ prefix: "a/", access: "read" }] };

  test.each([
    [{ ...ok, prefixes: [] }, "grant.prefixes [] is empty: a grant needs at least one prefix"],
    [
      { ...ok, prefixes: [{ prefix: "a/", access: "admin" }] },
      'grant.prefixes[0].access "admin" is not an access preset (read, write, readWrite)',
    ],
    [{ ...ok, mode: "direct" }, 'grant.mode "direct" is not an access mode (bucket-policy, assume-role)'],
    [
      { ...ok, prefixes: [{ prefix: "/a/", access: "read" }] },
      'grant.prefixes[0].prefix "/a/" is not a valid prefix: it must not start with "/"',
    ],
    [
      { ...ok, prefixes: [{ prefix: "a/*", access: "read" }] },
      'grant.prefixes[0].prefix "a/*" is not a valid prefix: it must not contain the wildcards',
    ],
    [
      { ...ok, prefixes: [{ prefix: "logs", access: "read" }] },
      'grant.prefixes[0].prefix "logs" is not a valid prefix: it must end with "/" (did you mean "logs/"?)',
    ],
    [
      { ...ok, prefixes: [{ prefix: "", access: "read" }] },
      'grant.prefixes[0].prefix "" is not a valid prefix: it is empty',
    ],
    [
      {
        ...ok,
        prefixes: [
          { prefix: "a/", access: "read" },
          { prefix: "a/", access: "write" },
        ],
      },
      'grant.prefixes[1].prefix "a/" is granted twice',
    ],
    [{ mode: "assume-role", prefixes: ok.prefixes }, "grant.accessRoleName is required in assume-role mode"],
    [
      { ...ok, mode: "assume-role", accessRoleName: "r", externalId: "x" },
      'grant.externalId "x" is not a valid ExternalId',
    ],
    [
      { ...ok, mode: "assume-role", accessRoleName: "bad role" },
      'grant.accessRoleName "bad role" is not a valid IAM role name',
    ],
    [{ ...ok, externalId: "abc123" }, 'grant.externalId "abc123" is only used in assume-role mode'],
    [
      { ...ok, prefixes: [{ prefix: "a/", access: "read", delete: "yes" }] },
      'grant.prefixes[0].delete "yes" must be true or false',
    ],
    [{ ...ok, read: true }, 'grant has unknown field(s) "read"'],
    [
      { ...ok, principalStyle: "arn" },
      'grant.principalStyle "arn" is not a principal style (account-and-arn, role-arn)',
    ],
    [{ ...ok, principalOrgId: "o-123" }, 'grant.principalOrgId "o-123" is not an AWS Organization ID'],
    [{ ...ok, sourceVpce: ["vpc-0123abcd"] }, 'grant.sourceVpce[0] "vpc-0123abcd" is not a VPC endpoint ID'],
    [{ ...ok, sourceVpce: [] }, "grant.sourceVpce [] is empty: name at least one VPC endpoint"],
  ])("rejects %j", (grant, message) => {
    expect(parse(grant)).toThrow(ConfigurationError);
    expect(parse(grant)).toThrow(message);
  });

  test("accepts a valid grant unchanged", () => {
    expect(parseOrThrow(grantSchema, ok, "grant")).toEqual(ok);
  });
});
