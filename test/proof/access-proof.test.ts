/**
 * The access proof of every shipped stack, and proof that the proof notices when one side of a grant is broken.
 */
import type { PolicyDocument, PolicyStatement } from "../../modules/internal";
import { KEY_ID_STAND_IN, mergeStackJson, modelFromSynth, type AccessModel, type StackJson } from "../../scripts/lib/access-model";
import { proveStack, simulate, SimulationError, unknownActions, type ProofRequest } from "../../scripts/lib/access-proof";
import { Testing } from "cdktf";
import { environmentStacks } from "../../stacks/cross-account-stack";
import { environments } from "../../stacks/environments";
import { environmentJson } from "../support/synth";

/** The environment's Terraform JSON: its stack, or both halves of the split layout joined. */
function synthJson(name: string): StackJson {
  return mergeStackJson(Object.values(environmentJson(name)) as StackJson[]);
}

const models = Object.fromEntries(
  Object.keys(environments).map((name) => [name, modelFromSynth(name, synthJson(name), { keyAliases: [environments[name].bucket.keyAlias] })]),
);

/** A deep copy of a model with one policy document changed. */
function withPolicy(model: AccessModel, change: (m: { -readonly [K in keyof AccessModel]: AccessModel[K] }) => void): AccessModel {
  const copy = structuredClone(model) as { -readonly [K in keyof AccessModel]: AccessModel[K] };
  change(copy);
  return copy;
}
const withoutSid = (doc: PolicyDocument, sid: string): PolicyDocument => ({
  ...doc,
  Statement: doc.Statement.filter((s) => s.Sid !== sid),
});
const mapStatements = (doc: PolicyDocument, f: (s: PolicyStatement) => PolicyStatement): PolicyDocument => ({
  ...doc,
  Statement: doc.Statement.map(f),
});

describe.each(Object.keys(environments))("access proof of %s", (name) => {
  test("every request the grant implies is allowed, every other one denied, and every action name exists", async () => {
    const proof = await proveStack(environments[name], models[name]);
    const mismatches = proof.results.filter((r) => !r.ok).map((r) => `${r.who} ${r.action} ${r.resource}: ${r.final}`);
    expect(mismatches).toEqual([]);
    expect(proof.unknownActions).toEqual([]);
    expect(proof.results.filter((r) => r.expected === "Allowed").length).toBeGreaterThanOrEqual(4);
    expect(proof.results.filter((r) => r.expected === "Denied").length).toBeGreaterThanOrEqual(25);
  });

  test("the model holds the deployed policies with concrete ARNs and one stand-in for the key", () => {
    const model = models[name];
    const text = JSON.stringify(model);
    expect(text).not.toMatch(/\$\{/);
    // A key the stack creates gets the stand-in; an existing one is named by its ARN.
    expect(model.key.arn).toBe(
      environments[name].bucket.existing?.keyArn ??
        `arn:aws:kms:${environments[name].bucket.region}:${environments[name].bucket.accountId}:key/${KEY_ID_STAND_IN}`,
    );
    expect(model.key.aliases).toEqual([environments[name].bucket.keyAlias]);
    expect(Object.keys(model.roles).sort()).toEqual(
      [
        `arn:aws:iam::${environments[name].lambda.accountId}:role/${environments[name].lambda.roleName}`,
        ...(environments[name].grant.accessRoleName
          ? [`arn:aws:iam::${environments[name].bucket.accountId}:role/${environments[name].grant.accessRoleName}`]
          : []),
      ].sort(),
    );
  });
});

test("at least 50 negative cases across the shipped stacks, all denied", async () => {
  let negatives = 0;
  for (const name of Object.keys(environments)) {
    const proof = await proveStack(environments[name], models[name]);
    negatives += proof.results.filter((r) => r.expected === "Denied" && r.final !== "Allowed").length;
  }
  expect(negatives).toBeGreaterThanOrEqual(50);
});

/** The failing requests of a broken model, as `who action resource-suffix`. */
async function failures(name: string, model: AccessModel): Promise<string[]> {
  const proof = await proveStack(environments[name], model);
  return proof.results
    .filter((r) => !r.ok)
    .map((r) => `${r.action}${r.operation ? ` (${r.operation})` : ""} ${r.resource.replace(/^.*:::[^/]+/, "").replace(/^arn:aws:kms:.*$/, "key").replace(/^arn:aws:iam::\d+:role\//, "role/")} -> ${r.final}`);
}

/** The allowed upload rows of a writable key: no encryption header (four operations), the bucket's key (three). */
const allowedUploads = (path: string): string[] =>
  [...["PutObject", "CreateMultipartUpload", "UploadPart", "CopyObject"], ...["PutObject", "CreateMultipartUpload", "CopyObject"]].map(
    (op) => `s3:PutObject (${op}) ${path} -> ImplicitlyDenied`,
  );

describe("breaking one side of a grant makes the proof fail", () => {
  test("local: the key policy loses the grantee's statement", async () => {
    const broken = withPolicy(models.local, (m) => {
      m.key = { ...m.key, policy: withoutSid(m.key.policy, "GranteeUsesKeyThroughS3") };
    });
    expect(await failures("local", broken)).toEqual(["kms:Decrypt key -> ImplicitlyDenied", "kms:GenerateDataKey key -> ImplicitlyDenied"]);
  });

  test("local: the bucket policy names another prefix", async () => {
    const broken = withPolicy(models.local, (m) => {
      const text = JSON.stringify(m.bucket.policy).split("/reference/*").join("/references/*");
      m.bucket = { ...m.bucket, policy: JSON.parse(text) as PolicyDocument };
    });
    expect(await failures("local", broken)).toEqual(["s3:GetObject /reference/proof.txt -> ImplicitlyDenied"]);
  });

  test("local: the identity policy loses s3:PutObject", async () => {
    const roleArn = "arn:aws:iam::111111111111:role/local-data-consumer";
    const broken = withPolicy(models.local, (m) => {
      const role = m.roles[roleArn];
      const policy = mapStatements(role.policies["cross-account-s3-access"], (s) => ({
        ...s,
        Action: ([] as string[]).concat(s.Action).filter((a) => a !== "s3:PutObject"),
      }));
      m.roles = { ...m.roles, [roleArn]: { ...role, policies: { ...role.policies, "cross-account-s3-access": policy } } };
    });
    // The plain upload, and every operation that stores data with the bucket's default or the bucket's key.
    expect(await failures("local", broken)).toEqual(["s3:PutObject /incoming/proof.txt -> ImplicitlyDenied", ...allowedUploads("/incoming/proof.txt")]);
  });

  test("local: the bucket policy no longer refuses SSE-C uploads", async () => {
    const broken = withPolicy(models.local, (m) => {
      m.bucket = { ...m.bucket, policy: withoutSid(m.bucket.policy, "DenyCustomerKeys") };
    });
    expect(await failures("local", broken)).toEqual(
      ["PutObject", "CreateMultipartUpload", "UploadPart", "CopyObject"].map((op) => `s3:PutObject (${op}) /incoming/proof.txt -> Allowed`),
    );
  });

  test("local: the bucket policy no longer refuses aws:kms without a key ID (S3 would use aws/s3)", async () => {
    const broken = withPolicy(models.local, (m) => {
      m.bucket = { ...m.bucket, policy: withoutSid(m.bucket.policy, "DenyKmsWithoutBucketKey") };
    });
    expect(await failures("local", broken)).toEqual(
      ["PutObject", "CreateMultipartUpload", "CopyObject"].map((op) => `s3:PutObject (${op}) /incoming/proof.txt -> Allowed`),
    );
  });

  test("local: the bucket policy loses its TLS-only statement", async () => {
    const broken = withPolicy(models.local, (m) => {
      m.bucket = { ...m.bucket, policy: withoutSid(m.bucket.policy, "DenyInsecureTransport") };
    });
    expect(await failures("local", broken)).toEqual(["s3:GetObject /incoming/proof.txt -> Allowed"]);
  });

  test("local-assume-role: the trust no longer matches the Lambda role by aws:PrincipalArn", async () => {
    const roleArn = "arn:aws:iam::222222222222:role/local-uploader-s3-access";
    const broken = withPolicy(models["local-assume-role"], (m) => {
      const trustPolicy = mapStatements(m.roles[roleArn].trustPolicy, (s) => {
        const { "aws:PrincipalArn": _dropped, ...equals } = s.Condition?.StringEquals ?? {};
        return { ...s, Condition: { ...s.Condition, StringEquals: equals } };
      });
      m.roles = { ...m.roles, [roleArn]: { ...m.roles[roleArn], trustPolicy } };
    });
    expect(await failures("local-assume-role", broken)).toEqual(["sts:AssumeRole role/local-uploader-s3-access -> Allowed"]);
  });

  test("local-assume-role: the access role's trust is removed", async () => {
    const roleArn = "arn:aws:iam::222222222222:role/local-uploader-s3-access";
    const broken = withPolicy(models["local-assume-role"], (m) => {
      m.roles = { ...m.roles, [roleArn]: { ...m.roles[roleArn], trustPolicy: withoutSid(m.roles[roleArn].trustPolicy, "TrustLambdaRole") } };
    });
    await expect(failures("local-assume-role", broken)).rejects.toThrow(SimulationError);
  });

  test("local-assume-role: the trust no longer requires the ExternalId", async () => {
    const roleArn = "arn:aws:iam::222222222222:role/local-uploader-s3-access";
    const broken = withPolicy(models["local-assume-role"], (m) => {
      const trustPolicy = mapStatements(m.roles[roleArn].trustPolicy, (s) => {
        const { "sts:ExternalId": _dropped, ...equals } = s.Condition?.StringEquals ?? {};
        return { ...s, Condition: { ...s.Condition, StringEquals: equals } };
      });
      m.roles = { ...m.roles, [roleArn]: { ...m.roles[roleArn], trustPolicy } };
    });
    expect(await failures("local-assume-role", broken)).toEqual([
      "sts:AssumeRole role/local-uploader-s3-access -> Allowed",
      "sts:AssumeRole role/local-uploader-s3-access -> Allowed",
    ]);
  });

  test("local-assume-role: the access role's identity policy names another prefix", async () => {
    const roleArn = "arn:aws:iam::222222222222:role/local-uploader-s3-access";
    const broken = withPolicy(models["local-assume-role"], (m) => {
      const role = m.roles[roleArn];
      const text = JSON.stringify(role.policies["cross-account-s3-access"]).split("/uploads/*").join("/upload/*");
      m.roles = { ...m.roles, [roleArn]: { ...role, policies: { "cross-account-s3-access": JSON.parse(text) as PolicyDocument } } };
    });
    expect(await failures("local-assume-role", broken)).toEqual([
      "s3:PutObject /uploads/proof.txt -> ImplicitlyDenied",
      "s3:AbortMultipartUpload /uploads/proof.txt -> ImplicitlyDenied",
      ...allowedUploads("/uploads/proof.txt"),
    ]);
  });
});

describe("the simulator wrapper fails loudly", () => {
  const base: ProofRequest = {
    principal: "arn:aws:sts::111111111111:assumed-role/reader/session",
    who: "reader",
    identityPolicies: [
      { name: "read", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] } },
    ],
    action: "s3:GetObject",
    resource: "arn:aws:s3:::shared-data/a/file.txt",
    resourceAccount: "222222222222",
    resourcePolicyKind: "bucket policy",
    resourcePolicy: {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:role/reader" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::shared-data/a/*" }],
    },
    context: { "aws:SecureTransport": "true" },
    expected: "Allowed",
    intent: "a reader reads",
  };

  test("a well-formed request is judged", async () => {
    expect((await simulate(base)).final).toBe("Allowed");
  });

  test("a context key the simulator would ignore", async () => {
    await expect(simulate({ ...base, context: { ...base.context, "kms:EncryptionContext:aws:s3:arn": "x" } })).rejects.toThrow(
      "context keys ignored for this action: kms:EncryptionContext:aws:s3:arn",
    );
  });

  test("a resource whose ARN names another account than the one given", async () => {
    await expect(
      simulate({ ...base, action: "kms:Decrypt", resource: `arn:aws:kms:us-east-1:444444444444:key/${KEY_ID_STAND_IN}`, resourcePolicyKind: "key policy" }),
    ).rejects.toThrow("the resource is in account 444444444444, not 222222222222");
  });

  test("a missing resource policy", async () => {
    await expect(simulate({ ...base, resourcePolicy: { Version: "2012-10-17", Statement: [] } })).rejects.toThrow("the bucket policy is empty");
  });

  test("a policy the simulator refuses", async () => {
    const invalid = { Version: "2012-10-17", Statement: [{ Effect: "Permit", Action: "s3:GetObject", Resource: "*" }] };
    await expect(simulate({ ...base, identityPolicies: [{ name: "invalid", policy: invalid as unknown as PolicyDocument }] })).rejects.toThrow(
      SimulationError,
    );
  });
});

test("an action name IAM does not know is reported with where it appears", async () => {
  expect(
    await unknownActions([
      { action: "s3:GetObjects", where: "bucket policy GrantGetObject" },
      { action: "kms:*", where: "key policy" },
      { action: "s3:GetObject", where: "identity" },
      { action: "s4:GetObject", where: "identity" },
    ]),
  ).toEqual(["s3:GetObjects (bucket policy GrantGetObject): no such action", "s4:GetObject (identity): no such service"]);
});

test("a stack whose policy has an action typo fails its proof", async () => {
  const broken = withPolicy(models.local, (m) => {
    m.bucket = { ...m.bucket, policy: JSON.parse(JSON.stringify(m.bucket.policy).replace('"s3:GetObject"', '"s3:GetObjects"')) as PolicyDocument };
  });
  const proof = await proveStack(environments.local, broken);
  expect(proof.unknownActions).toEqual(["s3:GetObjects (bucket policy GrantGetObject): no such action"]);
  expect(proof.mismatches).toBeGreaterThan(0);
});

describe("the access model refuses what it cannot model", () => {
  test("an unresolvable reference", () => {
    const json = synthJson("local") as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const policy = Object.values(json.resource.aws_s3_bucket_policy)[0];
    policy.policy = String(policy.policy).replace("arn:aws:s3:::local-shared-data-222222222222/incoming/*", "${aws_s3_bucket.other.arn}/incoming/*");
    expect(() => modelFromSynth("local", json)).toThrow("access model of local: cannot resolve the reference ${aws_s3_bucket.other.arn}");
  });

  test("a key without a policy", () => {
    const json = synthJson("local") as { resource: Record<string, Record<string, Record<string, unknown>>> };
    delete Object.values(json.resource.aws_kms_key)[0].policy;
    expect(() => modelFromSynth("local", json)).toThrow("access model of local: the KMS key has no policy");
  });

  test("a role without a trust policy", () => {
    const json = synthJson("local-assume-role") as { resource: Record<string, Record<string, Record<string, unknown>>> };
    for (const role of Object.values(json.resource.aws_iam_role)) delete role.assume_role_policy;
    expect(() => modelFromSynth("local-assume-role", json)).toThrow(/has no assume_role_policy/);
  });
});

describe("roles with a path are proven by the ARN with the path", () => {
  const withPaths = {
    ...environments["local-assume-role"],
    lambda: { ...environments["local-assume-role"].lambda, rolePath: "/service-role/" },
    grant: { ...environments["local-assume-role"].grant, accessRolePath: "/data-access/" },
  };
  const stacks = environmentStacks(Testing.app(), "paths", withPaths, {});
  const json = mergeStackJson(stacks.map((stack) => JSON.parse(Testing.synth(stack)) as StackJson));
  const model = modelFromSynth("paths", json, { keyAliases: [withPaths.bucket.keyAlias] });

  test("every request is judged as the declaration says, both roles named with their paths", async () => {
    expect(Object.keys(model.roles).sort()).toEqual([
      "arn:aws:iam::111111111111:role/service-role/local-uploader",
      "arn:aws:iam::222222222222:role/data-access/local-uploader-s3-access",
    ]);
    const proof = await proveStack(withPaths, model);
    expect(proof.results.filter((r) => !r.ok).map((r) => `${r.who} ${r.action} ${r.resource}`)).toEqual([]);
  });

  test("a trust naming the Lambda role without its path lets nobody in", async () => {
    const accessRole = "arn:aws:iam::222222222222:role/data-access/local-uploader-s3-access";
    const broken = withPolicy(model, (m) => {
      const trustPolicy = JSON.parse(JSON.stringify(m.roles[accessRole].trustPolicy).split("role/service-role/local-uploader").join("role/local-uploader")) as PolicyDocument;
      m.roles = { ...m.roles, [accessRole]: { ...m.roles[accessRole], trustPolicy } };
    });
    const proof = await proveStack(withPaths, broken);
    expect(proof.results.filter((r) => !r.ok).map((r) => `${r.action} ${r.expected} -> ${r.final}`)).toEqual(["sts:AssumeRole Allowed -> ImplicitlyDenied"]);
  });
});
