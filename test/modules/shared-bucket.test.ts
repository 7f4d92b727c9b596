import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
/** Many consumers on one bucket: merging, access points, the key policy by account, and the limits at synth. */
import { Testing } from "cdktf";
import {
  mergeByPrincipal,
  planGrant,
  planSharedBucket,
  POLICY_LIMITS,
  policySize,
  SharedBucketAccess,
  SharedLambdaAccountGrant,
  SharedBucketAccountGrants,
  type GranteeDeclaration,
  type GrantDeclaration,
  type PolicyStatement,
  type SharedBucketDeclaration,
} from "../../modules/internal";
import { sharedEnvironmentStacks } from "../../stacks/shared-bucket-stack";
import { sharedEnvironments } from "../../stacks/environments";
import { validateSharedEnvironments } from "../../stacks/config";
import {
  configurationError,
  idAt,
  policyOf,
  resourceAt,
  resourcesOf,
  synthJson,
  twoAccountStack,
  type SynthJson,
} from "../support/synth";

const BUCKET = {
  accountId: "222222222222",
  region: "us-east-1",
  bucketName: "shared-lake",
  keyAlias: "alias/shared-lake",
};
const read = (prefix: string): GrantDeclaration => ({ mode: "bucket-policy", prefixes: [{ prefix, access: "read" }] });

/** Consumer i: in one of `accounts` accounts, its own role and function. */
function consumer(i: number, grant: GrantDeclaration, accounts = 50): GranteeDeclaration {
  const accountId = String(100000000000 + (i % accounts));
  const name = `consumer-${String(i).padStart(4, "0")}`;
  return { name, lambda: { accountId, region: "us-east-1", functionName: name, roleName: name }, grant };
}

/** `n` consumers, each reading its own prefix (nothing to merge). */
const ownPrefixes = (n: number, accounts = 50) =>
  Array.from({ length: n }, (_, i) => consumer(i, read(`teams/t${i}/`), accounts));

/** Synthesizes a shared bucket with one provider per grantee account (one provider reaches one account). */
function synthShared(declaration: SharedBucketDeclaration): { json: SynthJson; access: SharedBucketAccess } {
  const stack = twoAccountStack();
  const providers = new Map<string, AwsProvider>();
  const providerOf = (accountId: string) => {
    if (!providers.has(accountId))
      providers.set(
        accountId,
        new AwsProvider(stack.stack, `lambda-${accountId}`, { alias: `lambda_${accountId}`, region: "us-east-1" }),
      );
    return providers.get(accountId)!;
  };
  const access = new SharedBucketAccess(stack.stack, "shared", {
    bucket: { ...declaration.bucket, provider: stack.bucketProvider },
    accessPoints: declaration.accessPoints,
    grantees: declaration.grantees.map((c) => ({
      ...c,
      lambda: { ...c.lambda, provider: providerOf(c.lambda.accountId) },
    })),
  });
  return { json: synthJson(stack.stack), access };
}

const grantStatements = (doc: { Statement: readonly PolicyStatement[] }) =>
  doc.Statement.filter((s) => s.Sid?.startsWith("Grant"));

describe("merging statements by principal", () => {
  test("two consumers with the same grant in two accounts share one statement naming both accounts and both roles", () => {
    const plan = planSharedBucket("shared", {
      bucket: BUCKET,
      grantees: [consumer(0, read("reference/")), consumer(1, read("reference/"))],
    });
    expect(plan.usesAccessPoints).toBe(false);
    const get = plan.side.bucketPolicyStatements.filter((s) =>
      ([] as string[]).concat(s.Action).includes("s3:GetObject"),
    );
    expect(get).toEqual([
      {
        Sid: "GrantGetObject",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: ["arn:aws:s3:::shared-lake/reference/*"],
        Principal: { AWS: ["arn:aws:iam::100000000000:root", "arn:aws:iam::100000000001:root"] },
        Condition: {
          StringEquals: {
            "aws:PrincipalArn": [
              "arn:aws:iam::100000000000:role/consumer-0000",
              "arn:aws:iam::100000000001:role/consumer-0001",
            ],
          },
        },
      },
    ]);
    // The key policy statement merges too: both accounts, both roles, both caller accounts.
    expect(plan.side.keyPolicyStatements).toHaveLength(1);
    expect(plan.side.keyPolicyStatements[0].Condition?.StringEquals?.["kms:CallerAccount"]).toEqual([
      "100000000000",
      "100000000001",
    ]);
  });

  test("different prefixes stay separate statements, with unique Sids", () => {
    const plan = planSharedBucket("shared", {
      bucket: BUCKET,
      grantees: [consumer(0, read("a/")), consumer(1, read("b/"))],
    });
    const sids = plan.side.bucketPolicyStatements.map((s) => s.Sid);
    expect(sids).toEqual([
      "GrantGetObject",
      "GrantListGrantedPrefixes",
      "GrantGetObject2",
      "GrantListGrantedPrefixes2",
    ]);
    expect(new Set(sids).size).toBe(sids.length);
  });

  test("one consumer's policies are exactly its single grant's", () => {
    const c = consumer(0, { mode: "bucket-policy", prefixes: [{ prefix: "in/", access: "readWrite", delete: true }] });
    const plan = planSharedBucket("shared", { bucket: BUCKET, grantees: [c] });
    const single = planGrant({
      grant: c.grant,
      lambdaAccountId: c.lambda.accountId,
      lambdaRoleArn: `arn:aws:iam::${c.lambda.accountId}:role/${c.lambda.roleName}`,
      bucketAccountId: BUCKET.accountId,
      bucketRegion: BUCKET.region,
      bucketName: BUCKET.bucketName,
      keyAlias: BUCKET.keyAlias,
    });
    expect(plan.side.bucketPolicyStatements).toEqual(single.bucketPolicyStatements);
    expect(plan.side.keyPolicyStatements).toEqual(single.keyPolicyStatements);
    expect(plan.grantees[0].plan.lambdaRolePolicy).toEqual(single.lambdaRolePolicy);
  });

  test("role-arn principals merge into a list of role ARNs; statements of different styles never merge", () => {
    const byArn = (i: number) => consumer(i, { ...read("reference/"), principalStyle: "role-arn" });
    const plan = planSharedBucket("shared", {
      bucket: BUCKET,
      grantees: [byArn(0), byArn(1), consumer(2, read("reference/"))],
    });
    const get = plan.side.bucketPolicyStatements.filter((s) =>
      ([] as string[]).concat(s.Action).includes("s3:GetObject"),
    );
    expect(get.map((s) => s.Principal)).toEqual([
      { AWS: ["arn:aws:iam::100000000000:role/consumer-0000", "arn:aws:iam::100000000001:role/consumer-0001"] },
      { AWS: "arn:aws:iam::100000000002:root" },
    ]);
  });

  test("a statement naming a public or service principal is kept as it is", () => {
    const statements: PolicyStatement[] = [
      {
        Sid: "A",
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: "arn:aws:s3:::b/logs/*",
      },
      {
        Sid: "A",
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: "arn:aws:s3:::b/logs/*",
      },
    ];
    expect(mergeByPrincipal(statements)).toEqual([statements[0], { ...statements[1], Sid: "A2" }]);
  });

  test("merged, a consumer costs the bucket policy its account and role ARN, not whole statements", () => {
    const size = (grantees: GranteeDeclaration[]) =>
      policySize({
        Version: "2012-10-17",
        Statement: planSharedBucket("s", { bucket: BUCKET, accessPoints: "never", grantees }).side
          .bucketPolicyStatements,
      });
    const samePrefix = (n: number) => Array.from({ length: n }, (_, i) => consumer(i, read("reference/")));
    const merged = (size(samePrefix(30)) - size(samePrefix(1))) / 29;
    const separate = (size(ownPrefixes(30)) - size(ownPrefixes(1))) / 29;
    // Each consumer adds its account root and role ARN to the two statements (GetObject, ListBucket).
    expect(merged).toBeLessThan(
      2 * ('"arn:aws:iam::100000000000:root",'.length + '"arn:aws:iam::100000000000:role/consumer-0000",'.length) + 1,
    );
    expect(merged).toBeLessThan(separate / 3);
  });
});

describe("access points", () => {
  test("auto keeps the bucket policy while the merged grants fit", () => {
    const { json, access } = synthShared({ bucket: BUCKET, grantees: ownPrefixes(10) });
    expect(access.plan.usesAccessPoints).toBe(false);
    expect(resourcesOf(json, "aws_s3_access_point")).toEqual({});
    const bucketPolicy = policyOf(resourceAt(json, "aws_s3_bucket_policy", "shared/bucket-side/bucket/policy"));
    expect(grantStatements(bucketPolicy)).toHaveLength(20);
  });

  test("auto moves every grant into per-grantee access points once the bucket policy would not fit", () => {
    const n = 80;
    // Thirty consumers with a prefix each still fit the bucket policy; forty do not.
    expect(
      planSharedBucket("s", { bucket: BUCKET, accessPoints: "never", grantees: ownPrefixes(30) }).usesAccessPoints,
    ).toBe(false);
    expect(planSharedBucket("s", { bucket: BUCKET, grantees: ownPrefixes(40) }).usesAccessPoints).toBe(true);
    const { json, access } = synthShared({ bucket: BUCKET, grantees: ownPrefixes(n) });
    expect(access.plan.usesAccessPoints).toBe(true);

    const bucketPolicy = policyOf(resourceAt(json, "aws_s3_bucket_policy", "shared/bucket-side/bucket/policy"));
    expect(bucketPolicy.Statement.map((s) => s.Sid)).toEqual([
      "DenyInsecureTransport",
      "DenyOtherEncryption",
      "DenyKmsWithoutBucketKey",
      "DenyOtherKmsKeys",
      "DenyCustomerKeys",
      "DelegateToOwnAccessPoints",
    ]);
    expect(bucketPolicy.Statement[5]).toEqual({
      Sid: "DelegateToOwnAccessPoints",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: ["s3:GetObject", "s3:ListBucket"],
      Resource: ["arn:aws:s3:::shared-lake", "arn:aws:s3:::shared-lake/*"],
      Condition: { StringEquals: { "s3:DataAccessPointAccount": "222222222222" } },
    });

    const points = Object.values(resourcesOf(json, "aws_s3_access_point"));
    expect(points).toHaveLength(n);
    const ap = resourceAt(json, "aws_s3_access_point", "shared/bucket-side/access-point-consumer-0007");
    const apArn = "arn:aws:s3:us-east-1:222222222222:accesspoint/consumer-0007";
    expect(ap).toMatchObject({
      name: "consumer-0007",
      account_id: "222222222222",
      provider: "aws.bucket_account",
      public_access_block_configuration: {
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      },
    });
    // The access point's policy refuses the same uploads as the bucket policy, on its own objects, then grants.
    const apStatements = policyOf(ap).Statement;
    expect(apStatements.slice(0, 4).map((s) => [s.Sid, s.Effect, s.Principal, s.Action, s.Resource])).toEqual(
      ["DenyOtherEncryption", "DenyKmsWithoutBucketKey", "DenyOtherKmsKeys", "DenyCustomerKeys"].map((sid) => [
        sid,
        "Deny",
        "*",
        "s3:PutObject",
        `${apArn}/object/*`,
      ]),
    );
    expect(apStatements[2].Condition?.StringNotEquals).toEqual({
      "s3:x-amz-server-side-encryption-aws-kms-key-id": `\${aws_kms_key.${idAt(json, "aws_kms_key", "shared/bucket-side/key")}.arn}`,
    });
    expect(apStatements.slice(4)).toEqual([
      {
        Sid: "GrantGetObject",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [`${apArn}/object/teams/t7/*`],
        Principal: { AWS: "arn:aws:iam::100000000007:root" },
        Condition: { StringEquals: { "aws:PrincipalArn": "arn:aws:iam::100000000007:role/consumer-0007" } },
      },
      {
        Sid: "GrantListGrantedPrefixes",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: apArn,
        Principal: { AWS: "arn:aws:iam::100000000007:root" },
        Condition: {
          StringLike: { "s3:prefix": ["teams/t7/*"] },
          StringEquals: { "aws:PrincipalArn": "arn:aws:iam::100000000007:role/consumer-0007" },
        },
      },
    ]);

    // The consumer's identity policy and its function name the access point, not the bucket.
    const identity = policyOf(
      resourceAt(json, "aws_iam_role_policy", "shared/consumer-consumer-0007/lambda-grant-policy"),
    );
    expect(identity.Statement.flatMap((s) => ([] as string[]).concat(s.Resource ?? []))).toEqual([
      `${apArn}/object/teams/t7/*`,
      apArn,
      "arn:aws:kms:us-east-1:222222222222:key/*",
    ]);
    const fn = resourceAt(json, "aws_lambda_function", "shared/consumer-consumer-0007/lambda/function") as {
      environment: { variables: Record<string, string> };
    };
    expect(fn.environment.variables.ACCESS_POINT_ARN).toBe(apArn);
  });

  test("always puts even one consumer behind its access point; an assume-role consumer's access role is named in it", () => {
    const c = consumer(0, {
      mode: "assume-role",
      accessRoleName: "c0-s3-access",
      externalId: "c0-ext-0001",
      prefixes: [{ prefix: "in/", access: "write" }],
    });
    const plan = planSharedBucket("s", { bucket: BUCKET, accessPoints: "always", grantees: [c] });
    expect(plan.usesAccessPoints).toBe(true);
    const ap = plan.side.accessPoints[0];
    expect(ap.name).toBe("consumer-0000");
    expect(ap.statements[0].Condition?.StringEquals?.["aws:PrincipalArn"]).toBe(
      "arn:aws:iam::222222222222:role/c0-s3-access",
    );
    expect(plan.side.accessRoles.map((r) => r.roleName)).toEqual(["c0-s3-access"]);
    expect(plan.grantees[0].plan.accessRolePolicy?.Statement[0].Resource).toEqual([
      "arn:aws:s3:us-east-1:222222222222:accesspoint/consumer-0000/object/in/*",
    ]);
  });

  test("never over the bucket policy's limit is an error that says by how much and what to set", () => {
    const error = configurationError(() =>
      planSharedBucket("shared", { bucket: BUCKET, accessPoints: "never", grantees: ownPrefixes(200) }),
    );
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(
      /^shared: the bucket policy of shared-lake \(200 grantees\) would be [\d,]+ characters, [\d,]+ over AWS's limit of 20,480: set accessPoints to "auto" or "always"/,
    );
  });
});

describe("the key policy at scale", () => {
  test("1,000 consumers in 50 accounts fit every limit: the key names the accounts once the roles do not fit", () => {
    const plan = planSharedBucket("shared", { bucket: BUCKET, grantees: ownPrefixes(1000, 50) });
    expect(plan.usesAccessPoints).toBe(true);
    expect(plan.keyPrincipals).toBe("accounts");
    expect(plan.side.keyPolicyStatements).toHaveLength(1);
    const key = plan.side.keyPolicyStatements[0];
    expect((key.Principal as { AWS: string[] }).AWS).toHaveLength(50);
    expect(key.Condition?.StringEquals?.["aws:PrincipalArn"]).toBeUndefined();
    expect(key.Condition?.StringEquals?.["kms:ViaService"]).toBe("s3.us-east-1.amazonaws.com");
    for (const m of plan.measures) expect(m.size).toBeLessThanOrEqual(m.limit);
    expect(plan.measures.find((m) => m.what.includes("bucket policy"))!.size).toBeLessThan(2000);
  });

  test("synth says when the key names accounts, in a warning on the bucket account's construct, and records it", () => {
    const stack = twoAccountStack();
    const bucket = new SharedBucketAccountGrants(stack.stack, "bucket-side", {
      bucket: { ...BUCKET, provider: stack.bucketProvider },
      grantees: ownPrefixes(800, 40),
    });
    expect(bucket.plan.keyPrincipals).toBe("accounts");
    const warnings = bucket.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^bucket-side: the key policy of alias\/shared-lake would not fit naming each of the 800 grantees' roles, so it names their accounts/,
      ),
    ]);
    const json = stack.stack.toTerraform() as {
      "//"?: Record<string, { grants: Array<{ half: string; keyPolicyPrincipals?: string }> }>;
    };
    const records = json["//"]?.["cross-account-s3-lambda"]?.grants ?? [];
    expect(records.length).toBe(800);
    expect(new Set(records.map((r) => r.keyPolicyPrincipals))).toEqual(new Set(["accounts"]));
  });

  test("while the roles fit, the key names each role", () => {
    const plan = planSharedBucket("shared", { bucket: BUCKET, grantees: ownPrefixes(100, 10) });
    expect(plan.keyPrincipals).toBe("roles");
    expect((plan.side.keyPolicyStatements[0].Condition?.StringEquals?.["aws:PrincipalArn"] as string[]).length).toBe(
      100,
    );
  });

  test("1,000 consumers in 1,000 accounts do not fit the key policy even by account: an error says by how much", () => {
    const error = configurationError(() =>
      planSharedBucket("shared", { bucket: BUCKET, grantees: ownPrefixes(1000, 1000) }),
    );
    expect(error.problems).toEqual([
      expect.stringMatching(
        /^shared: the key policy of alias\/shared-lake \(1000 grantees, named by account\) would be [\d,]+ characters, [\d,]+ over AWS's limit of 32,768: spread the grantees over fewer accounts/,
      ),
    ]);
    expect(POLICY_LIMITS.keyPolicy).toBe(32_768);
  });
});

describe("bad input", () => {
  test.each<[string, (c: GranteeDeclaration[]) => unknown, string]>([
    [
      "a duplicate name",
      (c) => [c[0], { ...c[1], name: c[0].name }],
      'shared.grantees[1].name "consumer-0000" is also the name of grantees[0]',
    ],
    [
      "a shared role",
      (c) => [
        c[0],
        { ...c[1], lambda: { ...c[1].lambda, accountId: c[0].lambda.accountId, roleName: c[0].lambda.roleName } },
      ],
      'shared.grantees[1].lambda.roleName "consumer-0000" is also the role of grantees[0] in account 100000000000',
    ],
    [
      "a consumer in the bucket's account",
      (c) => [{ ...c[0], lambda: { ...c[0].lambda, accountId: "222222222222" } }],
      'shared.grantees[0].lambda.accountId "222222222222" is the bucket\'s account 222222222222',
    ],
    [
      "a name that cannot name an access point",
      (c) => [{ ...c[0], name: "Orders_ETL" }],
      'shared.grantees[0].name "Orders_ETL" is not a grantee name',
    ],
    ["no consumers", () => [], "shared.grantees [] is empty: a shared bucket needs at least one grantee"],
    [
      "a shared access role",
      (c) =>
        [0, 1].map((i) => ({
          ...c[i],
          grant: { mode: "assume-role", accessRoleName: "same", prefixes: [{ prefix: "x/", access: "read" }] },
        })),
      'shared.grantees[1].grant.accessRoleName "same" is also the access role of grantees[0]',
    ],
  ])("%s is refused at synth, naming the field and the value", (_what, tweak, message) => {
    const grantees = tweak(ownPrefixes(2)) as GranteeDeclaration[];
    const error = configurationError(() => planSharedBucket("shared", { bucket: BUCKET, grantees }));
    expect(error.problems.join("\n")).toContain(message);
  });

  test("an unknown access point choice names the field and the value", () => {
    const error = configurationError(() =>
      planSharedBucket("shared", { bucket: BUCKET, accessPoints: "sometimes" as "auto", grantees: ownPrefixes(1) }),
    );
    expect(error.problems).toEqual([
      'shared.accessPoints "sometimes" is not an access point choice (auto, always, never)',
    ]);
  });

  test("a shared environment whose consumers in one account disagree on the deploy role is refused", () => {
    const config = sharedEnvironments["local-shared"];
    const grantees = config.grantees.map((c, i) =>
      i === 2 ? { ...c, lambda: { ...c.lambda, deployRoleArn: "arn:aws:iam::111111111111:role/other" } } : c,
    );
    const error = configurationError(() => validateSharedEnvironments({ "local-shared": { ...config, grantees } }));
    expect(error.problems).toEqual([
      'sharedEnvironments.local-shared.grantees[2].lambda.deployRoleArn "arn:aws:iam::111111111111:role/other" differs from arn:aws:iam::111111111111:role/deploy, the deploy role of another grantee in account 111111111111 and us-east-1',
    ]);
  });
});

describe("shipped shared-bucket environments", () => {
  const stacksOf = (name: string) =>
    Object.fromEntries(
      sharedEnvironmentStacks(Testing.app(), name, sharedEnvironments[name], {}).map((s) => [s.node.id, synthJson(s)]),
    );

  test("local-shared: one stack, a provider per consumer account, the two readers merged in the bucket and key policies", () => {
    const { "local-shared": json } = stacksOf("local-shared");
    expect((json.provider?.aws ?? []).map((p) => p.alias).sort()).toEqual([
      "bucket_account",
      "lambda_111111111111_us_east_1",
      "lambda_333333333333_us_east_1",
    ]);
    const bucketPolicy = policyOf(resourceAt(json, "aws_s3_bucket_policy", "shared/bucket-side/bucket/policy"));
    const reading = bucketPolicy.Statement.find((s) => s.Sid === "GrantGetObject")!;
    expect(reading.Condition?.StringEquals?.["aws:PrincipalArn"]).toEqual([
      "arn:aws:iam::111111111111:role/local-reporting",
      "arn:aws:iam::333333333333:role/local-billing",
    ]);
    const fn = (name: string) => resourceAt(json, "aws_lambda_function", `shared/consumer-${name}/lambda/function`);
    expect(fn("billing").provider).toBe("aws.lambda_333333333333_us_east_1");
    expect(fn("ingest").provider).toBe("aws.lambda_111111111111_us_east_1");
    expect(Object.keys(json.output ?? {}).sort()).toEqual([
      "billing_lambda_function_name",
      "billing_lambda_role_arn",
      "bucket_name",
      "ingest_lambda_function_name",
      "ingest_lambda_role_arn",
      "ingest_s3_access_role_arn",
      "kms_key_arn",
      "reporting_lambda_function_name",
      "reporting_lambda_role_arn",
    ]);
  });

  test("platform: the split layout gives the bucket's stack and one stack per consumer, each with only its own provider", () => {
    const stacks = stacksOf("platform");
    expect(Object.keys(stacks).sort()).toEqual([
      "platform-bucket",
      "platform-finance-reports",
      "platform-orders-etl",
      "platform-partner-drop",
    ]);
    for (const [name, json] of Object.entries(stacks)) {
      const aliases = (json.provider?.aws ?? []).map((p) => p.alias);
      expect(aliases).toEqual([
        name === "platform-bucket"
          ? "bucket_account"
          : name === "platform-orders-etl"
            ? "lambda_777788889999_eu_west_1"
            : "lambda_666677778888_eu_west_1",
      ]);
    }
    expect(Object.keys(resourcesOf(stacks["platform-bucket"], "aws_s3_access_point"))).toHaveLength(3);
    expect(resourcesOf(stacks["platform-bucket"], "aws_lambda_function")).toEqual({});
    // The consumer's half names its access point as the bucket's half creates it.
    const etl = stacks["platform-orders-etl"];
    const fn = resourceAt(etl, "aws_lambda_function", "shared/lambda/function") as {
      environment: { variables: Record<string, string> };
    };
    expect(fn.environment.variables.ACCESS_POINT_ARN).toBe("arn:aws:s3:eu-west-1:999988887777:accesspoint/orders-etl");
    const ap = resourceAt(stacks["platform-bucket"], "aws_s3_access_point", "shared/access-point-orders-etl");
    expect(policyOf(ap).Statement.find((s) => s.Effect === "Allow")!.Condition?.StringEquals).toEqual({
      "aws:PrincipalArn": "arn:aws:iam::777788889999:role/orders-etl",
      "aws:PrincipalOrgID": "o-exampleorg1",
    });
  });
});

describe("SharedLambdaAccountGrant: the grantee's Lambda settings must be the declared ones", () => {
  const declared = consumer(0, read("reference/"));
  const declaration: SharedBucketDeclaration = {
    bucket: BUCKET,
    grantees: [declared, consumer(1, read("reports/"))],
    configPath: "sharedEnvironments.lake",
  };

  function granteeHalf(lambda: Record<string, unknown>) {
    const pair = twoAccountStack();
    const make = () =>
      new SharedLambdaAccountGrant(pair.stack, "grantee", {
        shared: declaration,
        granteeName: declared.name,
        lambda: { ...declared.lambda, ...lambda, provider: pair.lambdaProvider },
      });
    return { pair, make };
  }

  test.each<[string, Record<string, unknown>, string]>([
    [
      "another function name",
      { functionName: "etl-v2" },
      'sharedEnvironments.lake.lambda.functionName "etl-v2" is not the declared sharedEnvironments.lake.grantees[0].lambda.functionName "consumer-0000"',
    ],
    [
      "more memory",
      { memorySize: 1024 },
      "sharedEnvironments.lake.lambda.memorySize 1024 is not the declared sharedEnvironments.lake.grantees[0].lambda.memorySize (unset: 256)",
    ],
    [
      "another account",
      { accountId: "999999999999" },
      'sharedEnvironments.lake.lambda.accountId "999999999999" is not the declared sharedEnvironments.lake.grantees[0].lambda.accountId "100000000000"',
    ],
    [
      "another region",
      { region: "eu-west-1" },
      'sharedEnvironments.lake.lambda.region "eu-west-1" is not the declared sharedEnvironments.lake.grantees[0].lambda.region "us-east-1"',
    ],
    [
      "another role",
      { roleName: "other-role" },
      'sharedEnvironments.lake.lambda.roleName "other-role" is not the declared sharedEnvironments.lake.grantees[0].lambda.roleName "consumer-0000"',
    ],
    [
      "variables the declaration does not have",
      { environment: { LOG_LEVEL: "debug" } },
      'sharedEnvironments.lake.lambda.environment {"LOG_LEVEL":"debug"} is not the declared sharedEnvironments.lake.grantees[0].lambda.environment (unset: {})',
    ],
    [
      "a VPC the declaration does not have",
      { vpc: { subnetIds: ["subnet-0a1b2c3d"], securityGroupIds: ["sg-0a1b2c3d"] } },
      "sharedEnvironments.lake.lambda.vpc",
    ],
    [
      "no function where the declaration has one",
      { createFunction: false },
      "sharedEnvironments.lake.lambda.createFunction false is not the declared sharedEnvironments.lake.grantees[0].lambda.createFunction (unset: true)",
    ],
  ])("%s is refused naming both values, before anything is created", (_name, lambda, problem) => {
    const { pair, make } = granteeHalf(lambda);
    const error = configurationError(make);
    expect(error.problems).toEqual([expect.stringContaining(problem)]);
    expect(synthJson(pair.stack).resource).toBeUndefined();
  });

  test("every disagreement at once", () => {
    const { make } = granteeHalf({ functionName: "etl-v2", memorySize: 1024, timeoutSeconds: 60 });
    expect(configurationError(make).problems.map((p) => p.split(" ")[0])).toEqual([
      "sharedEnvironments.lake.lambda.functionName",
      "sharedEnvironments.lake.lambda.memorySize",
      "sharedEnvironments.lake.lambda.timeoutSeconds",
    ]);
  });

  test("the declared settings, stated again or left to their defaults, are accepted", () => {
    expect(() =>
      granteeHalf({
        memorySize: 256,
        rolePath: "/",
        environment: {},
        createFunction: true,
        logRetentionDays: 30,
        timeoutSeconds: 30,
      }).make(),
    ).not.toThrow();
    const { pair, make } = granteeHalf({});
    make();
    expect(resourceAt(synthJson(pair.stack), "aws_lambda_function", "grantee/lambda/function").function_name).toBe(
      "consumer-0000",
    );
  });

  test("a local-emulator shared environment split by owner: each grantee's function keeps path-style addressing", () => {
    const stacks = sharedEnvironmentStacks(
      Testing.app(),
      "local-shared",
      { ...sharedEnvironments["local-shared"], layout: "split" },
      {},
    );
    const functions = stacks.flatMap((s) => Object.values(resourcesOf(synthJson(s), "aws_lambda_function")));
    expect(functions).toHaveLength(3);
    for (const fn of functions)
      expect((fn.environment as { variables: Record<string, string> }).variables.S3_FORCE_PATH_STYLE).toBe("true");
  });
});
