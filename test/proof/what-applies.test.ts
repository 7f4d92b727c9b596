/**
 * The proof judges what Terraform applies, not a record or a chosen few requests: each case below changes the
 * synthesized JSON of a shipped environment the way a team (or an attacker) could in the same stack, and each was
 * "proven" before the proof read the whole stack and asked every action of the catalogues.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Testing, TerraformStack } from "cdktf";
import { driftBetween, proveSynthesized, recordsOf, type SynthesizedStack } from "../../modules/proof";
import { BucketAccountGrant, type PolicyStatement } from "../../modules/internal";
import {
  environmentSynth,
  failuresOf,
  modelOf,
  recorded,
  sharedEnvironmentSynth,
  withPolicy,
  withResource,
  withAdded,
  type StackResource,
} from "../support/proof";

const local = environmentSynth("local");
const BUCKET = "local-shared-data-222222222222";
const GRANTEE = "arn:aws:iam::111111111111:role/local-data-consumer";

/** Adds `statement` to the policy of a recorded resource (bucket policy, grant policy, ...). */
const withStatement = (stacks: readonly SynthesizedStack[], at: StackResource, statement: PolicyStatement) =>
  withPolicy(stacks, at, "policy", (doc) => ({ ...doc, Statement: [...doc.Statement, statement] }));

/** Grants the grantee `actions` on `resource` on both sides: its identity policy and the bucket policy. */
function bothSidesGrant(actions: string[], resource: string, sid: string): SynthesizedStack[] {
  const identity = withStatement(local, recorded(local, "grantPolicy"), {
    Sid: sid,
    Effect: "Allow",
    Action: actions,
    Resource: resource,
  });
  return withStatement(identity, recorded(identity, "bucketPolicy"), {
    Sid: sid,
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::111111111111:root" },
    Action: actions,
    Resource: resource,
    Condition: { StringEquals: { "aws:PrincipalArn": GRANTEE } },
  });
}

describe("every action of the catalogues the policies could allow is asked, on every key they name", () => {
  test("the shipped grant passes the catalogue too", async () => {
    expect(await failuresOf(local)).toEqual({ matrix: [], catalogue: [] });
  });

  test("an undeclared prefix (archive/) granted on both sides", async () => {
    const { matrix, catalogue } = await failuresOf(
      bothSidesGrant(["s3:GetObject"], `arn:aws:s3:::${BUCKET}/archive/*`, "Archive"),
    );
    expect(matrix).toEqual([]);
    expect(catalogue).toEqual([
      "local-data-consumer s3:GetObject /archive/x -> Allowed, but s3:GetObject is not what the grant declares for local-data-consumer",
    ]);
  });

  test.each([
    ["s3:DeleteObjectVersion", `arn:aws:s3:::${BUCKET}/incoming/*`, "/incoming/catalogue.txt"],
    ["s3:PutObjectTagging", `arn:aws:s3:::${BUCKET}/incoming/*`, "/incoming/catalogue.txt"],
    ["s3:GetObjectVersion", `arn:aws:s3:::${BUCKET}/reference/*`, "/reference/catalogue.txt"],
  ])("%s on a granted prefix", async (action, resource, where) => {
    const { catalogue } = await failuresOf(bothSidesGrant([action], resource, "Extra"));
    expect(catalogue).toContain(
      `local-data-consumer ${action} ${where} -> Allowed, but ${action} is not what the grant declares for local-data-consumer`,
    );
  });

  test("s3:ListBucketVersions on the bucket", async () => {
    const { catalogue } = await failuresOf(
      bothSidesGrant(["s3:ListBucketVersions"], `arn:aws:s3:::${BUCKET}`, "Versions"),
    );
    expect(catalogue).toContain(
      "local-data-consumer s3:ListBucketVersions the bucket -> Allowed, but s3:ListBucketVersions is not what the grant declares for local-data-consumer",
    );
  });

  test("a bucket policy statement with NotAction, and an identity policy whose Statement is one object, are read", async () => {
    const notAction = withStatement(local, recorded(local, "bucketPolicy"), {
      Sid: "AllButDelete",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::111111111111:root" },
      NotAction: "s3:Delete*",
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    } as unknown as PolicyStatement);
    const oneObject = withPolicy(notAction, recorded(notAction, "grantPolicy"), "policy", (doc) => ({
      ...doc,
      Statement: { Sid: "All", Effect: "Allow", Action: "s3:*", Resource: "*" } as unknown as PolicyStatement[],
    }));
    const { catalogue } = await failuresOf(oneObject);
    expect(catalogue).toContain(
      "local-data-consumer s3:PutObjectAcl /reference/catalogue.txt -> Allowed, but s3:PutObjectAcl is not what the grant declares for local-data-consumer",
    );
    expect(catalogue).toContain(
      "other-team-role@111111111111 (admin) s3:GetObject /not-granted/catalogue.txt -> Allowed, but s3:GetObject is not what the grant declares for other-team-role@111111111111 (admin)",
    );
  });
});

describe("every resource that sets a policy on the grant's bucket or key is found, however it names them", () => {
  const readsForAnotherAccount = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Partner",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::999999999999:root" },
        Action: "s3:GetObject",
        Resource: `arn:aws:s3:::${BUCKET}/*`,
      },
    ],
  });

  test("a second bucket policy, naming the bucket by its literal name, is a problem naming both", async () => {
    const stacks = withAdded(local, "local", "aws_s3_bucket_policy", "partner", {
      provider: "aws.bucket_account",
      bucket: BUCKET,
      policy: readsForAnotherAccount,
    });
    const { matrix } = await failuresOf(stacks);
    expect(matrix).toContainEqual(
      expect.stringMatching(
        /^problem: local: aws_s3_bucket_policy\.access_bucket_policy_\w+ and local: aws_s3_bucket_policy\.partner all set the policy of bucket local-shared-data-222222222222/,
      ),
    );
  });

  test("a key policy resource on the grant's key is a problem naming both", async () => {
    const key = recorded(local, "keyPolicy").address.split(".")[1];
    const stacks = withAdded(local, "local", "aws_kms_key_policy", "partner", {
      provider: "aws.bucket_account",
      key_id: `\${aws_kms_key.${key}.key_id}`,
      policy: readsForAnotherAccount.replace("s3:GetObject", "kms:Decrypt").replace(`arn:aws:s3:::${BUCKET}/*`, "*"),
    });
    const { matrix } = await failuresOf(stacks);
    expect(matrix).toContainEqual(
      expect.stringMatching(
        /^problem: local: aws_kms_key\.\S+ and local: aws_kms_key_policy\.partner all set the key policy of alias\/local-shared-data/,
      ),
    );
  });

  test("a KMS grant on the grant's key is judged as the key use it gives", async () => {
    const key = recorded(local, "keyPolicy").address.split(".")[1];
    const stacks = withAdded(local, "local", "aws_kms_grant", "partner", {
      provider: "aws.bucket_account",
      key_id: `\${aws_kms_key.${key}.key_id}`,
      grantee_principal: "arn:aws:iam::999999999999:root",
      operations: ["Decrypt"],
    });
    const { catalogue } = await failuresOf(stacks);
    expect(catalogue).toContain(
      "admin@999999999999 (named by a policy) kms:Decrypt key -> Allowed, but kms:Decrypt is not what the grant declares for admin@999999999999 (named by a policy)",
    );
    // A grant has no kms:ViaService: the key is usable straight through KMS too.
    expect(catalogue).toContain(
      "admin@999999999999 (named by a policy) kms:Decrypt key -> Allowed, but kms:Decrypt straight to KMS is not what the grant declares for admin@999999999999 (named by a policy)",
    );
  });

  test("another access point on a bucket that delegates to its account's access points", async () => {
    const shared = sharedEnvironmentSynth("local-shared-ap");
    const stackName = shared[0].name;
    const bucket = "local-shared-points-222222222222";
    const stacks = withAdded(shared, stackName, "aws_s3_access_point", "side-door", {
      provider: "aws.bucket_account",
      bucket,
      account_id: "222222222222",
      name: "side-door",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::999999999999:root" },
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:us-east-1:222222222222:accesspoint/side-door/object/*",
          },
        ],
      }),
    });
    const { catalogue } = await failuresOf(stacks, true);
    expect(catalogue).toContainEqual(
      expect.stringMatching(
        /admin@999999999999 \(named by a policy\) s3:GetObject \/reference\/catalogue\.txt via side-door -> Allowed, but no grant goes through this access point$/,
      ),
    );
  });
});

test("the record is the declaration only: pointing it at a decoy policy changes nothing the proof judges", async () => {
  const at = recorded(local, "bucketPolicy");
  let stacks = withAdded(local, "local", "aws_s3_bucket_policy", "decoy", {
    provider: "aws.bucket_account",
    bucket: "some-other-bucket",
    policy: (local[0].json.resource!.aws_s3_bucket_policy[at.address.split(".")[1]] as { policy: string }).policy,
  });
  stacks = withStatement(stacks, at, {
    Sid: "Partner",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::999999999999:root" },
    Action: "s3:GetObject",
    Resource: `arn:aws:s3:::${BUCKET}/*`,
  });
  stacks = structuredClone(stacks);
  const records = (stacks[0].json["//"] as Record<string, { grants: Array<{ resources: Record<string, string> }> }>)[
    "cross-account-s3-lambda"
  ];
  for (const record of records.grants)
    if (record.resources.bucketPolicy) record.resources.bucketPolicy = "aws_s3_bucket_policy.decoy";
  const { catalogue } = await failuresOf(stacks);
  expect(catalogue).toContain(
    "admin@999999999999 (named by a policy) s3:GetObject /incoming/catalogue.txt -> Allowed, but s3:GetObject is not what the grant declares for admin@999999999999 (named by a policy)",
  );
});

describe("where each half deploys is compared with its declaration", () => {
  const provider = (
    stacks: readonly SynthesizedStack[],
    alias: string,
    change: (p: Record<string, unknown>) => void,
  ) => {
    const copy = structuredClone(stacks) as SynthesizedStack[];
    const block = (copy[0].json.provider!.aws as Array<Record<string, unknown>>).find((p) => p.alias === alias)!;
    change(block);
    return copy;
  };

  test("a provider that assumes a role in another account than lambda.accountId says", async () => {
    const stacks = provider(local, "lambda_account", (p) => {
      (p.assume_role as Array<Record<string, string>>)[0].role_arn = "arn:aws:iam::111111111112:role/deploy";
      delete p.allowed_account_ids;
    });
    const { matrix } = await failuresOf(stacks);
    expect(matrix).toContain(
      "problem: local: lambda.accountId and lambda.region of the grant's Lambda account's half declares account 111111111111, but its provider aws.lambda_account reaches account 111111111112 (assume_role arn:aws:iam::111111111112:role/deploy)",
    );
  });

  test("a bucket provider in another region than bucket.region says", async () => {
    const stacks = provider(local, "bucket_account", (p) => {
      p.region = "eu-west-1";
    });
    const { matrix } = await failuresOf(stacks);
    expect(matrix).toContain(
      "problem: local: bucket.accountId and bucket.region of the grant's bucket account's half declares region us-east-1, but its provider aws.bucket_account deploys into eu-west-1",
    );
  });

  test("a provider whose assume_role and allowed_account_ids disagree", async () => {
    const stacks = provider(local, "bucket_account", (p) => {
      p.allowed_account_ids = ["333333333333"];
    });
    const { matrix } = await failuresOf(stacks);
    expect(matrix).toContainEqual(
      expect.stringContaining(
        "provider aws.bucket_account assumes arn:aws:iam::222222222222:role/deploy in account 222222222222, which its allowed_account_ids (333333333333) do not allow",
      ),
    );
  });
});

describe("text is read as Terraform applies it", () => {
  test("an expression Terraform evaluates in a policy cannot be proven, and says where it is", async () => {
    const stacks = withResource(local, recorded(local, "bucketPolicy"), (r) => {
      r.policy = String(r.policy).replace('"Sid":"DenyInsecureTransport"', '"Sid":"${3 * 111111111111}"');
    });
    await expect(proveSynthesized(stacks)).rejects.toThrow(
      /holds \$\{3 \* 111111111111\}, which Terraform evaluates and the proof cannot resolve/,
    );
  });

  test("an escaped IAM policy variable is the literal text IAM receives, for IAM to evaluate", async () => {
    const stacks = bothSidesGrant(["s3:GetObject"], `arn:aws:s3:::${BUCKET}/home/$\${aws:userid}/*`, "Home");
    expect(JSON.stringify(modelOf(stacks).bucket.policy)).toContain(`arn:aws:s3:::${BUCKET}/home/\${aws:userid}/*`);
    // A role session's aws:userid is its role ID and session name: the key the catalogue derives is not that.
    expect(await failuresOf(stacks)).toEqual({ matrix: [], catalogue: [] });
  });
});

describe("what a new team trips on: the halves of a grant compared as declared", () => {
  const split = environmentSynth("local-split");
  const records = split.flatMap((s) => recordsOf(s));
  const lambdaHalf = records.find((r) => r.half === "lambda")!;
  const bucketHalf = records.find((r) => r.half === "bucket")!;

  test("two halves naming different functions drift on lambda.functionName", () => {
    expect(
      driftBetween(lambdaHalf, { ...bucketHalf, lambda: { ...bucketHalf.lambda, functionName: "another-function" } }),
    ).toEqual([
      `lambda.functionName: the Lambda account's half declares "${lambdaHalf.lambda.functionName!}", the bucket account's half "another-function"`,
    ]);
  });

  test("a bucket account's half that names no function is not drift", () => {
    const { functionName: _name, ...withoutFunction } = bucketHalf.lambda;
    expect(driftBetween(lambdaHalf, { ...bucketHalf, lambda: withoutFunction })).toEqual([]);
  });

  test("the bucket account's half takes the grantee's role alone: no function name asked for", () => {
    const stack = new TerraformStack(Testing.app(), "datalake");
    const provider = new AwsProvider(stack, "datalake", { alias: "datalake", region: "us-east-1" });
    const grant = new BucketAccountGrant(stack, "ingest", {
      lambda: { accountId: "111111111111", region: "us-east-1", roleName: "ingest-worker" },
      bucket: {
        provider,
        accountId: "222222222222",
        region: "us-east-1",
        bucketName: "datalake-ingest",
        keyAlias: "alias/datalake",
      },
      grant: { mode: "bucket-policy", prefixes: [{ prefix: "landing/", access: "write" }] },
    });
    expect(grant.bucketName).toBe("datalake-ingest");
  });
});
