/**
 * The access proof of the shipped shared-bucket environments (many consumers on one bucket, merged into its policies
 * or through one access point each), and proof that it notices a broken grant, a widened prefix or a lost delegation.
 */
import { Testing } from "cdktf";
import type { PolicyDocument, PolicyStatement } from "../../modules/internal";
import { mergeStackJson, modelFromSynth, type AccessModel, type ModelAccessPoint, type StackJson } from "../../scripts/lib/access-model";
import { outsiderFor, proveSharedStack, sharedProofRequests, simulate, type ProofRequest } from "../../scripts/lib/access-proof";
import { sharedEnvironments } from "../../stacks/environments";
import { sharedEnvironmentStacks } from "../../stacks/shared-bucket-stack";

/** The environment's Terraform JSON: its stack, or every stack of the split layout joined. */
function sharedJson(name: string): StackJson {
  const stacks = sharedEnvironmentStacks(Testing.app(), name, sharedEnvironments[name], {});
  return mergeStackJson(stacks.map((stack) => JSON.parse(Testing.synth(stack)) as StackJson));
}

const names = Object.keys(sharedEnvironments);
const models: Record<string, AccessModel> = Object.fromEntries(
  names.map((name) => [name, modelFromSynth(name, sharedJson(name), { keyAliases: [sharedEnvironments[name].bucket.keyAlias] })]),
);

type Mutable = { -readonly [K in keyof AccessModel]: AccessModel[K] };
function changed(model: AccessModel, change: (m: Mutable) => void): AccessModel {
  const copy = structuredClone(model) as Mutable;
  change(copy);
  return copy;
}
const mapStatements = (doc: PolicyDocument, f: (s: PolicyStatement) => PolicyStatement | undefined): PolicyDocument => ({
  ...doc,
  Statement: doc.Statement.map(f).filter((s): s is PolicyStatement => s !== undefined),
});
const text = (doc: PolicyDocument, from: string, to: string): PolicyDocument => JSON.parse(JSON.stringify(doc).split(from).join(to)) as PolicyDocument;
const accessPoint = (model: AccessModel, name: string): ModelAccessPoint => Object.values(model.accessPoints ?? {}).find((ap) => ap.name === name)!;
function withAccessPointPolicy(model: AccessModel, name: string, f: (doc: PolicyDocument) => PolicyDocument): AccessModel {
  return changed(model, (m) => {
    const ap = accessPoint(m, name);
    m.accessPoints = { ...m.accessPoints, [ap.arn]: { ...ap, policy: f(ap.policy) } };
  });
}
function withRolePolicy(model: AccessModel, roleArn: string, policyName: string, f: (doc: PolicyDocument) => PolicyDocument): AccessModel {
  return changed(model, (m) => {
    const role = m.roles[roleArn];
    m.roles = { ...m.roles, [roleArn]: { ...role, policies: { ...role.policies, [policyName]: f(role.policies[policyName]) } } };
  });
}

/** The requests a broken model gets wrong, as `consumer: who action resource -> verdict`. */
async function failures(name: string, model: AccessModel): Promise<string[]> {
  const proof = await proveSharedStack(sharedEnvironments[name], model);
  return proof.results
    .filter((r) => !r.ok)
    .map((r) => `${r.grantee}: ${r.who} ${r.action} ${r.resource.replace(/^arn:aws:s3:::[^/]+/, "")}${r.accessPoint ? ` via ${r.accessPoint.name}` : ""} -> ${r.final}`);
}

describe.each(names)("access proof of the shared bucket %s", (name) => {
  test("every consumer's requests are allowed, every other one denied, and every action name exists", async () => {
    const proof = await proveSharedStack(sharedEnvironments[name], models[name]);
    expect(proof.results.filter((r) => !r.ok).map((r) => `${r.grantee}: ${r.who} ${r.action} ${r.resource}: ${r.final}`)).toEqual([]);
    expect(proof.unknownActions).toEqual([]);
    for (const consumer of sharedEnvironments[name].grantees) {
      const mine = proof.results.filter((r) => r.grantee === consumer.name);
      expect(mine.filter((r) => r.expected === "Allowed").length).toBeGreaterThanOrEqual(3);
      expect(mine.filter((r) => r.expected === "Denied").length).toBeGreaterThanOrEqual(25);
    }
  });

  test("the model holds every consumer's roles and, with access points, one per consumer", () => {
    const env = sharedEnvironments[name];
    const model = models[name];
    expect(JSON.stringify(model)).not.toMatch(/\$\{/);
    expect([...(model.lambdaAccountIds ?? [])].sort()).toEqual([...new Set(env.grantees.map((c) => c.lambda.accountId))].sort());
    expect(Object.keys(model.roles).sort()).toEqual(
      env.grantees
        .flatMap((c) => [
          `arn:aws:iam::${c.lambda.accountId}:role/${c.lambda.roleName}`,
          ...(c.grant.accessRoleName ? [`arn:aws:iam::${env.bucket.accountId}:role/${c.grant.accessRoleName}`] : []),
        ])
        .sort(),
    );
    const expectedPoints =
      env.accessPoints === "always" ? env.grantees.map((c) => `arn:aws:s3:${env.bucket.region}:${env.bucket.accountId}:accesspoint/${c.name}`) : [];
    expect(Object.keys(model.accessPoints ?? {}).sort()).toEqual(expectedPoints.sort());
  });

  test("every consumer is checked against every other consumer's prefixes and access roles", () => {
    const env = sharedEnvironments[name];
    const requests = sharedProofRequests(env, models[name]);
    for (const consumer of env.grantees) {
      for (const other of env.grantees.filter((o) => o !== consumer)) {
        const theirs = other.grant.prefixes.filter((p) => !consumer.grant.prefixes.some((own) => own.prefix === p.prefix));
        for (const p of theirs) {
          expect(requests.some((r) => r.grantee === consumer.name && r.intent === `${p.prefix} is ${other.name}'s` && r.expected === "Denied")).toBe(true);
        }
        if (other.grant.accessRoleName) {
          expect(requests.some((r) => r.grantee === consumer.name && r.action === "sts:AssumeRole" && r.resource.endsWith(`:role/${other.grant.accessRoleName}`))).toBe(true);
        }
      }
    }
  });
});

test("the outsider of a shared bucket is an account none of its consumers is in", () => {
  // local-shared has a consumer in 333333333333, the single grants' outsider.
  expect(outsiderFor(["111111111111", "222222222222", "333333333333"])).toBe("444444444444");
  const requests = sharedProofRequests(sharedEnvironments["local-shared"], models["local-shared"]);
  expect(requests.filter((r) => r.who === "intruder@444444444444 (admin)").length).toBeGreaterThan(0);
  expect(requests.some((r) => r.who === "intruder@333333333333 (admin)")).toBe(false);
});

describe("a request through an access point needs the access point policy and the bucket policy", () => {
  const model = models["local-shared-ap"];
  const env = sharedEnvironments["local-shared-ap"];

  test("both sides are reported, and a request straight to the bucket is denied by the bucket policy", async () => {
    const proof = await proveSharedStack(env, model);
    const read = proof.results.find((r) => r.grantee === "ap-reporting" && r.action === "s3:GetObject" && r.accessPoint?.name === "ap-reporting" && r.expected === "Allowed")!;
    expect([read.identity, read.accessPointVerdict, read.resourceVerdict, read.final]).toEqual(["Allowed", "Allowed", "Allowed", "Allowed"]);
    expect(read.accessPoint?.resource).toBe("arn:aws:s3:us-east-1:222222222222:accesspoint/ap-reporting/object/reference/proof.txt");
    expect(read.context["s3:DataAccessPointAccount"]).toBe("222222222222");
    const direct = proof.results.find((r) => r.grantee === "ap-reporting" && r.action === "s3:GetObject" && !r.accessPoint && r.intent === "the grant is only through the access point")!;
    expect(direct.final).toBe("ImplicitlyDenied");
    expect(direct.reasons).toContain("bucket policy: no statement allows it");
  });

  test("the simulator takes access point ARNs and the access point keys in Strict mode", async () => {
    const apArn = "arn:aws:s3:us-east-1:222222222222:accesspoint/ap-reporting";
    const base: ProofRequest = {
      principal: "arn:aws:sts::111111111111:assumed-role/local-ap-reporting/session",
      who: "local-ap-reporting",
      identityPolicies: [],
      action: "s3:GetObject",
      resource: "arn:aws:s3:::local-shared-points-222222222222/reference/a.txt",
      resourceAccount: "222222222222",
      resourcePolicyKind: "bucket policy",
      resourcePolicy: model.bucket.policy,
      context: {
        "aws:PrincipalArn": "arn:aws:iam::111111111111:role/local-ap-reporting",
        "aws:SecureTransport": "true",
        "s3:DataAccessPointAccount": "222222222222",
        "s3:DataAccessPointArn": apArn,
      },
      expected: "Allowed",
      intent: "delegation",
    };
    // The bucket side alone: the delegation statement allows for the bucket account's access points only.
    expect((await simulate({ ...base, accessPoint: { arn: apArn, name: "ap-reporting", resource: `${apArn}/object/reference/a.txt`, policy: accessPoint(model, "ap-reporting").policy } })).resourceVerdict).toBe("Allowed");
    const other = await simulate({
      ...base,
      context: { ...base.context, "s3:DataAccessPointAccount": "444444444444" },
      accessPoint: { arn: apArn, name: "ap-reporting", resource: `${apArn}/object/reference/a.txt`, policy: accessPoint(model, "ap-reporting").policy },
    });
    expect(other.resourceVerdict).toBe("ImplicitlyDenied");
  });
});

describe("breaking a shared bucket's grants makes the proof fail", () => {
  test("local-shared: the merged bucket policy loses one consumer's role", async () => {
    const broken = changed(models["local-shared"], (m) => {
      m.bucket = { ...m.bucket, policy: text(m.bucket.policy, ',"arn:aws:iam::333333333333:role/local-billing"', "") };
    });
    expect(await failures("local-shared", broken)).toEqual([
      "billing: local-billing s3:GetObject /reference/proof.txt -> ImplicitlyDenied",
      "billing: local-billing s3:ListBucket  -> ImplicitlyDenied",
    ]);
  });

  test("local-shared: the merged key policy loses one consumer's account", async () => {
    const broken = changed(models["local-shared"], (m) => {
      m.key = { ...m.key, policy: text(m.key.policy, ',"arn:aws:iam::333333333333:root"', "") };
    });
    expect(await failures("local-shared", broken)).toEqual(["billing: local-billing kms:Decrypt arn:aws:kms:us-east-1:222222222222:key/0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d -> ImplicitlyDenied"]);
  });

  test("local-shared: a read prefix widened to the whole bucket lets readers into ingest's prefix", async () => {
    const widen = (doc: PolicyDocument) => text(doc, "/reference/*", "/*");
    let broken = changed(models["local-shared"], (m) => {
      m.bucket = { ...m.bucket, policy: widen(m.bucket.policy) };
    });
    broken = withRolePolicy(broken, "arn:aws:iam::111111111111:role/local-reporting", "cross-account-s3-access", widen);
    expect(await failures("local-shared", broken)).toEqual([
      "reporting: local-reporting s3:GetObject /not-granted/proof.txt -> Allowed",
      "reporting: local-reporting s3:GetObject /incoming/proof.txt -> Allowed",
    ]);
  });

  test("local-shared-ap: an access point policy loses its consumer's read statement", async () => {
    const broken = withAccessPointPolicy(models["local-shared-ap"], "ap-reporting", (doc) => mapStatements(doc, (s) => (s.Sid === "GrantGetObject" ? undefined : s)));
    expect(await failures("local-shared-ap", broken)).toEqual(["ap-reporting: local-ap-reporting s3:GetObject /reference/proof.txt via ap-reporting -> ImplicitlyDenied"]);
  });

  test("local-shared-ap: an access point policy widened to every object", async () => {
    const ap = "arn:aws:s3:us-east-1:222222222222:accesspoint/ap-reporting";
    const widen = (doc: PolicyDocument) => text(doc, `${ap}/object/reference/*`, `${ap}/object/*`);
    let broken = withAccessPointPolicy(models["local-shared-ap"], "ap-reporting", widen);
    broken = withRolePolicy(broken, "arn:aws:iam::111111111111:role/local-ap-reporting", "cross-account-s3-access", widen);
    expect(await failures("local-shared-ap", broken)).toEqual([
      "ap-reporting: local-ap-reporting s3:GetObject /not-granted/proof.txt via ap-reporting -> Allowed",
      "ap-reporting: local-ap-reporting s3:GetObject /incoming/proof.txt via ap-reporting -> Allowed",
    ]);
  });

  test("local-shared-ap: the bucket policy loses the delegation to the access points", async () => {
    const broken = changed(models["local-shared-ap"], (m) => {
      m.bucket = { ...m.bucket, policy: mapStatements(m.bucket.policy, (s) => (s.Sid === "DelegateToOwnAccessPoints" ? undefined : s)) };
    });
    const failed = await failures("local-shared-ap", broken);
    // Every request that must be allowed through an access point: the reader's get and list; the uploader's get,
    // list, put, abort and its seven allowed uploads (no encryption header on four operations, the bucket's key on three).
    expect(failed).toHaveLength(13);
    expect(failed.every((f) => f.includes(" via ") && f.endsWith("-> ImplicitlyDenied"))).toBe(true);
  });

  test("local-shared-ap: SSE-C uploads are refused by the access point policy and the bucket policy, each on its own", async () => {
    const withoutCustomerKeys = (doc: PolicyDocument) => mapStatements(doc, (s) => (s.Sid === "DenyCustomerKeys" ? undefined : s));
    const apArn = accessPoint(models["local-shared-ap"], "ap-ingest").arn;
    const apOnly = changed(models["local-shared-ap"], (m) => {
      m.accessPoints = { ...m.accessPoints, [apArn]: { ...m.accessPoints![apArn], policy: withoutCustomerKeys(m.accessPoints![apArn].policy) } };
    });
    expect(await failures("local-shared-ap", apOnly)).toEqual([]);
    const both = changed(apOnly, (m) => {
      m.bucket = { ...m.bucket, policy: withoutCustomerKeys(m.bucket.policy) };
    });
    expect(await failures("local-shared-ap", both)).toEqual(
      ["PutObject", "CreateMultipartUpload", "UploadPart", "CopyObject"].map(() => "ap-ingest: local-ap-ingest-s3-access s3:PutObject /incoming/proof.txt via ap-ingest -> Allowed"),
    );
  });

  test("local-shared-ap: the delegation no longer requires the bucket account's access points", async () => {
    const broken = changed(models["local-shared-ap"], (m) => {
      m.bucket = {
        ...m.bucket,
        policy: mapStatements(m.bucket.policy, (s) => (s.Sid === "DelegateToOwnAccessPoints" ? { Sid: s.Sid, Effect: s.Effect, Principal: s.Principal, Action: s.Action, Resource: s.Resource } : s)),
      };
    });
    expect(await failures("local-shared-ap", broken)).toEqual([
      // An access point of another account (the outsider's) is delegated to as well.
      "ap-reporting: intruder@444444444444 (admin) s3:GetObject /reference/proof.txt -> Allowed",
      // The access role, in the bucket's account, reaches the bucket without its access point.
      "ap-ingest: local-ap-ingest-s3-access s3:GetObject /incoming/proof.txt -> Allowed",
      "ap-ingest: local-ap-ingest-s3-access s3:ListBucket  -> Allowed",
      "ap-ingest: intruder@444444444444 (admin) s3:GetObject /incoming/proof.txt -> Allowed",
    ]);
  });

  test("platform: a consumer's identity policy loses its access point ARN", async () => {
    const roleArn = "arn:aws:iam::666677778888:role/finance-reports";
    const broken = withRolePolicy(models.platform, roleArn, "cross-account-s3-access", (doc) =>
      text(doc, "arn:aws:s3:eu-west-1:999988887777:accesspoint/finance-reports", "arn:aws:s3:eu-west-1:999988887777:accesspoint/finance-report"),
    );
    expect(await failures("platform", broken)).toEqual([
      "finance-reports: finance-reports s3:GetObject /orders/proof.txt via finance-reports -> ImplicitlyDenied",
      "finance-reports: finance-reports s3:ListBucket  via finance-reports -> ImplicitlyDenied",
    ]);
  });

  test("platform: one consumer's access point policy also names another consumer's role", async () => {
    const broken = withAccessPointPolicy(models.platform, "orders-etl", (doc) =>
      mapStatements(doc, (s) => ({
        ...s,
        Principal: { AWS: ["arn:aws:iam::777788889999:root", "arn:aws:iam::666677778888:root"] },
        Condition: { ...s.Condition, StringEquals: { ...s.Condition?.StringEquals, "aws:PrincipalArn": ["arn:aws:iam::777788889999:role/orders-etl", "arn:aws:iam::666677778888:role/finance-reports"] } },
      })),
    );
    // The other consumer's identity policy does not name the access point: the proof shows the identity side holds.
    expect(await failures("platform", broken)).toEqual([]);
    const widened = withRolePolicy(broken, "arn:aws:iam::666677778888:role/finance-reports", "cross-account-s3-access", (doc) =>
      text(doc, "accesspoint/finance-reports/object/orders/*", "accesspoint/*/object/orders/*"),
    );
    expect(await failures("platform", widened)).toEqual(["finance-reports: finance-reports s3:GetObject /orders/proof.txt via orders-etl -> Allowed"]);
  });
});

describe("the shared proof refuses what it cannot judge", () => {
  test("a model without a consumer's access point when accessPoints is always", () => {
    const broken = changed(models["local-shared-ap"], (m) => {
      const { [accessPoint(m, "ap-ingest").arn]: _dropped, ...rest } = m.accessPoints!;
      m.accessPoints = rest;
    });
    expect(() => sharedProofRequests(sharedEnvironments["local-shared-ap"], broken)).toThrow('accessPoints is "always", but grantee ap-ingest has no access point');
  });

  test("a single-grant matrix on a shared model without a consumer view", async () => {
    const { proofRequests } = await import("../../scripts/lib/access-proof");
    const env = sharedEnvironments["local-shared"];
    const c = env.grantees[0];
    expect(() => proofRequests({ target: env.target, lambda: c.lambda, bucket: env.bucket, grant: c.grant }, models["local-shared"])).toThrow(
      "a shared-bucket model; prove each grantee on its granteeView",
    );
  });

  test("split stacks whose logical IDs repeat are joined without losing a consumer", () => {
    // platform's three consumer stacks are built from the same constructs.
    expect(Object.keys(models.platform.roles)).toHaveLength(4);
  });
});
