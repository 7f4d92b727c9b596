/**
 * The access proof of the shipped shared-bucket environments (many grantees on one bucket, merged into its policies
 * or through one access point each), read as the command reads them, and proof that it notices a broken grant, a
 * widened prefix or a lost delegation in the synthesized JSON.
 */
import { ModelError, proveSynthesized, recordsOf, type SynthesizedStack } from "../../modules/proof";
import type { ModelAccessPoint } from "../../modules/proof/model";
import { grantRequests, outsiderFor } from "../../modules/proof/requests";
import { simulate, type ProofRequest } from "../../modules/proof/simulate";
import { sharedEnvironments } from "../../stacks/environments";
import {
  mappingStatements,
  failuresOf,
  mismatchesOf,
  modelOf,
  provenOnce,
  recorded,
  replacing,
  sharedEnvironmentSynth,
  withoutStatement,
  withPolicy,
} from "../support/proof";

const names = Object.keys(sharedEnvironments);
const synthesized: Record<string, SynthesizedStack[]> = Object.fromEntries(
  names.map((name) => [name, sharedEnvironmentSynth(name)]),
);

/** The proof of a shipped environment, proven once for every test that reads it. */
const proofOf = provenOnce(synthesized);

/** A grantee as the proof names it: its function. */
const granteeName = (c: { readonly lambda: { readonly functionName?: string | undefined } }) => c.lambda.functionName!;

/** What the proof of broken stacks gets wrong, by grantee; the report's count must agree. */
async function failures(stacks: readonly SynthesizedStack[]): Promise<string[]> {
  return (await failuresOf(stacks, true)).matrix;
}

const accessPoint = (stacks: readonly SynthesizedStack[], name: string): ModelAccessPoint =>
  Object.values(modelOf(stacks).accessPoints).find((ap) => ap.name === name)!;

describe.each(names)("access proof of the shared bucket %s", (name) => {
  const env = sharedEnvironments[name];

  test("every grantee's requests are allowed, every other one denied, and every action name exists", async () => {
    const report = await proofOf(name);
    expect(mismatchesOf(report, { byGrantee: true })).toEqual([]);
    expect(report.mismatches).toBe(0);
    expect(report.grants.map((g) => g.grantee).sort()).toEqual(
      env.grantees.map((c) => `arn:aws:iam::${c.lambda.accountId}:role/${c.lambda.roleName}`).sort(),
    );
    for (const grant of report.grants) {
      expect(grant.problems).toEqual([]);
      expect(grant.unknownActions).toEqual([]);
      expect(grant.results.filter((r) => r.expected === "Allowed").length).toBeGreaterThanOrEqual(3);
      expect(grant.results.filter((r) => r.expected === "Denied").length).toBeGreaterThanOrEqual(25);
    }
  });

  test("the model holds every grantee's roles and, with access points, one per grantee", () => {
    const model = modelOf(synthesized[name]);
    expect(JSON.stringify(model)).not.toMatch(/\$\{/);
    expect(Object.keys(model.roles).sort()).toEqual(
      env.grantees
        .flatMap((c) => [
          `arn:aws:iam::${c.lambda.accountId}:role/${c.lambda.roleName}`,
          ...(c.grant.accessRoleName ? [`arn:aws:iam::${env.bucket.accountId}:role/${c.grant.accessRoleName}`] : []),
        ])
        .sort(),
    );
    const expectedPoints =
      env.accessPoints === "always"
        ? env.grantees.map((c) => `arn:aws:s3:${env.bucket.region}:${env.bucket.accountId}:accesspoint/${c.name}`)
        : [];
    expect(Object.keys(model.accessPoints).sort()).toEqual(expectedPoints.sort());
  });

  test("every grantee is checked against every other grantee's prefixes and access roles", async () => {
    const results = (await proofOf(name)).grants.flatMap((g) => g.results);
    for (const grantee of env.grantees) {
      const mine = results.filter((r) => r.grantee === granteeName(grantee));
      for (const other of env.grantees.filter((o) => o !== grantee)) {
        const theirs = other.grant.prefixes.filter(
          (p) => !grantee.grant.prefixes.some((own) => own.prefix === p.prefix),
        );
        for (const p of theirs) {
          expect(
            mine.some((r) => r.intent === `${p.prefix} is ${granteeName(other)}'s` && r.expected === "Denied"),
          ).toBe(true);
        }
        if (other.grant.accessRoleName) {
          expect(
            mine.some(
              (r) =>
                r.action === "sts:AssumeRole" &&
                r.resource.endsWith(`:role/${other.grant.accessRoleName}`) &&
                r.expected === "Denied",
            ),
          ).toBe(true);
        }
      }
    }
  });
});

test("the outsider of a shared bucket is an account none of its grantees is in", async () => {
  // local-shared has a grantee in 333333333333, the single grants' outsider.
  expect(outsiderFor(["111111111111", "222222222222", "333333333333"])).toBe("444444444444");
  const results = (await proofOf("local-shared")).grants.flatMap((g) => g.results);
  expect(results.filter((r) => r.who === "intruder@444444444444 (admin)").length).toBeGreaterThan(0);
  expect(results.some((r) => r.who === "intruder@333333333333 (admin)")).toBe(false);
});

describe("a request through an access point needs the access point policy and the bucket policy", () => {
  const stacks = synthesized["local-shared-ap"];

  test("both sides are reported, and a request straight to the bucket is denied by the bucket policy", async () => {
    const results = (await proofOf("local-shared-ap")).grants.flatMap((g) => g.results);
    const mine = results.filter((r) => r.grantee === "local-ap-reporting" && r.action === "s3:GetObject");
    const read = mine.find((r) => r.accessPoint?.name === "ap-reporting" && r.expected === "Allowed")!;
    expect([read.identity, read.accessPointVerdict, read.resourceVerdict, read.final]).toEqual([
      "Allowed",
      "Allowed",
      "Allowed",
      "Allowed",
    ]);
    expect(read.accessPoint?.resource).toBe(
      "arn:aws:s3:us-east-1:222222222222:accesspoint/ap-reporting/object/reference/proof.txt",
    );
    expect(read.context["s3:DataAccessPointAccount"]).toBe("222222222222");
    const direct = mine.find((r) => !r.accessPoint && r.intent === "the grant is only through the access point")!;
    expect(direct.final).toBe("ImplicitlyDenied");
    expect(direct.reasons).toContain("bucket policy: no statement allows it");
  });

  test("the simulator takes access point ARNs and the access point keys in Strict mode", async () => {
    const model = modelOf(stacks);
    const apArn = "arn:aws:s3:us-east-1:222222222222:accesspoint/ap-reporting";
    const through = {
      arn: apArn,
      name: "ap-reporting",
      resource: `${apArn}/object/reference/a.txt`,
      policy: accessPoint(stacks, "ap-reporting").policy,
    };
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
    expect((await simulate({ ...base, accessPoint: through })).resourceVerdict).toBe("Allowed");
    const other = await simulate({
      ...base,
      context: { ...base.context, "s3:DataAccessPointAccount": "444444444444" },
      accessPoint: through,
    });
    expect(other.resourceVerdict).toBe("ImplicitlyDenied");
  });
});

describe("breaking a shared bucket's grants in the synthesized JSON makes the proof fail", () => {
  const shared = synthesized["local-shared"];
  const points = synthesized["local-shared-ap"];
  const platform = synthesized.platform;

  test("local-shared: the merged bucket policy loses one grantee's role", async () => {
    const broken = withPolicy(
      shared,
      recorded(shared, "bucketPolicy"),
      "policy",
      replacing(',"arn:aws:iam::333333333333:role/local-billing"', ""),
    );
    expect(await failures(broken)).toEqual([
      "local-billing: local-billing s3:GetObject /reference/proof.txt -> ImplicitlyDenied, denied by bucket policy: no statement allows it",
      "local-billing: local-billing s3:ListBucket prefix=reference/ -> ImplicitlyDenied, denied by bucket policy: no statement allows it",
    ]);
  });

  test("local-shared: the merged key policy loses one grantee's account", async () => {
    const broken = withPolicy(
      shared,
      recorded(shared, "keyPolicy"),
      "policy",
      replacing(',"arn:aws:iam::333333333333:root"', ""),
    );
    expect(await failures(broken)).toEqual([
      "local-billing: local-billing kms:Decrypt key -> ImplicitlyDenied, denied by key policy: no statement allows it",
    ]);
  });

  test("local-shared: a read prefix widened to the whole bucket lets readers into ingest's prefix", async () => {
    const widen = replacing("/reference/*", "/*");
    let broken = withPolicy(shared, recorded(shared, "bucketPolicy"), "policy", widen);
    broken = withPolicy(broken, recorded(broken, "grantPolicy", "local-reporting"), "policy", widen);
    expect(await failures(broken)).toEqual([
      "local-reporting: local-reporting s3:GetObject /not-granted/proof.txt -> Allowed, but not-granted/ is not granted",
      "local-reporting: local-reporting s3:GetObject /incoming/proof.txt -> Allowed, but incoming/ is local-ingest's",
    ]);
  });

  test("local-shared-ap: an access point policy loses its grantee's read statement", async () => {
    const broken = withPolicy(
      points,
      recorded(points, "accessPoint", "local-ap-reporting"),
      "policy",
      withoutStatement("GrantGetObject"),
    );
    expect(await failures(broken)).toEqual([
      "local-ap-reporting: local-ap-reporting s3:GetObject /reference/proof.txt via ap-reporting -> ImplicitlyDenied, denied by policy of access point ap-reporting: no statement allows it",
    ]);
  });

  test("local-shared-ap: an access point policy widened to every object", async () => {
    const ap = "arn:aws:s3:us-east-1:222222222222:accesspoint/ap-reporting";
    const widen = replacing(`${ap}/object/reference/*`, `${ap}/object/*`);
    let broken = withPolicy(points, recorded(points, "accessPoint", "local-ap-reporting"), "policy", widen);
    broken = withPolicy(broken, recorded(broken, "grantPolicy", "local-ap-reporting"), "policy", widen);
    expect(await failures(broken)).toEqual([
      "local-ap-reporting: local-ap-reporting s3:GetObject /not-granted/proof.txt via ap-reporting -> Allowed, but not-granted/ is not granted",
      "local-ap-reporting: local-ap-reporting s3:GetObject /incoming/proof.txt via ap-reporting -> Allowed, but incoming/ is local-ap-ingest's",
    ]);
  });

  test("local-shared-ap: the bucket policy loses the delegation to the access points", async () => {
    const broken = withPolicy(
      points,
      recorded(points, "bucketPolicy"),
      "policy",
      withoutStatement("DelegateToOwnAccessPoints"),
    );
    const failed = await failures(broken);
    // Every request that must be allowed through an access point: the reader's get and list; the uploader's get,
    // list, put, abort and its seven allowed uploads (no encryption header on four operations, the bucket's key on three).
    expect(failed).toHaveLength(13);
    for (const f of failed) {
      expect(f).toMatch(
        / via (ap-[a-z]+) -> ImplicitlyDenied, denied by bucket policy: no statement allows it \(as ImplicitlyDenied\) for requests through \1$/,
      );
    }
  });

  test("local-shared-ap: SSE-C uploads are refused by the access point policy and the bucket policy, each on its own", async () => {
    const withoutCustomerKeys = withoutStatement("DenyCustomerKeys");
    const apOnly = withPolicy(
      points,
      recorded(points, "accessPoint", "local-ap-ingest"),
      "policy",
      withoutCustomerKeys,
    );
    expect(await failures(apOnly)).toEqual([]);
    const both = withPolicy(apOnly, recorded(apOnly, "bucketPolicy"), "policy", withoutCustomerKeys);
    expect(await failures(both)).toEqual(
      ["PutObject", "CreateMultipartUpload", "UploadPart", "CopyObject"].map(
        (op) =>
          `local-ap-ingest: local-ap-ingest-s3-access s3:PutObject (${op}) /incoming/proof.txt via ap-ingest -> Allowed, but ${op} with SSE-C (a customer-provided key): the object would be encrypted with a key the bucket account never sees`,
      ),
    );
  });

  test("local-shared-ap: the delegation no longer requires the bucket account's access points", async () => {
    const broken = withPolicy(
      points,
      recorded(points, "bucketPolicy"),
      "policy",
      mappingStatements((s) =>
        s.Sid === "DelegateToOwnAccessPoints"
          ? { Sid: s.Sid, Effect: s.Effect, Principal: s.Principal, Action: s.Action, Resource: s.Resource }
          : s,
      ),
    );
    expect(await failures(broken)).toEqual([
      // An access point of another account (the outsider's) is delegated to as well.
      "local-ap-reporting: intruder@444444444444 (admin) s3:GetObject /reference/proof.txt -> Allowed, but only the bucket account's access points are delegated to",
      // The access role, in the bucket's account, reaches the bucket without its access point.
      "local-ap-ingest: local-ap-ingest-s3-access s3:GetObject /incoming/proof.txt -> Allowed, but the grant is only through the access point",
      "local-ap-ingest: local-ap-ingest-s3-access s3:ListBucket prefix=incoming/ -> Allowed, but the grant is only through the access point",
      "local-ap-ingest: intruder@444444444444 (admin) s3:GetObject /incoming/proof.txt -> Allowed, but only the bucket account's access points are delegated to",
    ]);
  });

  test("platform: a grantee's identity policy loses its access point ARN", async () => {
    const broken = withPolicy(
      platform,
      recorded(platform, "grantPolicy", "finance-reports"),
      "policy",
      replacing(
        "arn:aws:s3:eu-west-1:999988887777:accesspoint/finance-reports",
        "arn:aws:s3:eu-west-1:999988887777:accesspoint/finance-report",
      ),
    );
    const deniedByIdentity = "denied by identity policy of finance-reports: no statement allows it";
    expect(await failures(broken)).toEqual([
      `finance-reports: finance-reports s3:GetObject /orders/proof.txt via finance-reports -> ImplicitlyDenied, ${deniedByIdentity}`,
      `finance-reports: finance-reports s3:ListBucket prefix=orders/ via finance-reports -> ImplicitlyDenied, ${deniedByIdentity}`,
    ]);
  });

  test("platform: one grantee's access point policy also names another grantee's role", async () => {
    const broken = withPolicy(
      platform,
      recorded(platform, "accessPoint", "orders-etl"),
      "policy",
      mappingStatements((s) =>
        s.Effect !== "Allow"
          ? s
          : {
              ...s,
              Principal: { AWS: ["arn:aws:iam::777788889999:root", "arn:aws:iam::666677778888:root"] },
              Condition: {
                ...s.Condition,
                StringEquals: {
                  ...s.Condition?.StringEquals,
                  "aws:PrincipalArn": [
                    "arn:aws:iam::777788889999:role/orders-etl",
                    "arn:aws:iam::666677778888:role/finance-reports",
                  ],
                },
              },
            },
      ),
    );
    // The other grantee's identity policy does not name the access point: the proof shows the identity side holds.
    expect(await failures(broken)).toEqual([]);
    const widened = withPolicy(
      broken,
      recorded(broken, "grantPolicy", "finance-reports"),
      "policy",
      replacing("accesspoint/finance-reports/object/orders/*", "accesspoint/*/object/orders/*"),
    );
    expect(await failures(widened)).toEqual([
      "finance-reports: finance-reports s3:GetObject /orders/proof.txt via orders-etl -> Allowed, but the access point of orders-etl is for orders-etl only",
    ]);
  });
});

describe("the shared proof refuses what it cannot judge", () => {
  test("a grant recorded through an access point the stack does not hold", async () => {
    const stacks = synthesized["local-shared-ap"];
    const { address } = recorded(stacks, "accessPoint", "local-ap-ingest");
    const broken = structuredClone(stacks);
    const [type = "", id = ""] = address.split(".");
    delete (broken[0].json.resource as Record<string, Record<string, unknown>>)[type][id];
    const proof = proveSynthesized(broken);
    await expect(proof).rejects.toThrow(ModelError);
    await expect(proof).rejects.toThrow(
      "stack local-shared-ap: the grant's access point ap-ingest is not in the stacks (no access point arn:aws:s3:us-east-1:222222222222:accesspoint/ap-ingest on bucket local-shared-points-222222222222)",
    );
  });

  test("a grant proven on another bucket's model, which holds none of its roles", () => {
    const [record] = recordsOf(synthesized["local-shared"][0]);
    expect(() => grantRequests(record, modelOf(synthesized["local-shared-ap"]))).toThrow(
      new ModelError(
        "local-shared-points-222222222222: the grant names the role arn:aws:iam::111111111111:role/local-reporting, which the stacks neither create nor attach a policy to",
      ),
    );
  });

  test("split stacks whose logical IDs repeat are each read on their own, without losing a grantee", async () => {
    // platform's three grantee stacks are built from the same constructs.
    expect(Object.keys(modelOf(synthesized.platform).roles)).toHaveLength(4);
    expect((await proofOf("platform")).grants.map((g) => g.halves.lambda?.split(":")[0]).sort()).toEqual([
      "platform-finance-reports",
      "platform-orders-etl",
      "platform-partner-drop",
    ]);
  });
});

describe("a key policy that names the grantees' accounts (a shared bucket past its size) is held to what that promises", () => {
  const shared = synthesized["local-shared"];
  /** The shipped shared bucket, its key policy naming accounts (no aws:PrincipalArn), recorded as such or not. */
  function byAccount(asAccounts: boolean): SynthesizedStack[] {
    let stacks = withPolicy(
      shared,
      recorded(shared, "keyPolicy"),
      "policy",
      mappingStatements((s) => {
        if (s.Sid !== "GranteeUsesKeyThroughS3") return s;
        const { "aws:PrincipalArn": _roles, ...equals } = s.Condition?.StringEquals ?? {};
        return { ...s, Condition: { ...s.Condition, StringEquals: equals } };
      }),
    );
    if (!asAccounts) return stacks;
    stacks = structuredClone(stacks);
    for (const stack of stacks) {
      const records = (stack.json["//"] as Record<string, { grants: Array<Record<string, unknown>> }> | undefined)?.[
        "cross-account-s3-lambda"
      ];
      for (const record of records?.grants ?? []) if (record.half === "bucket") record.keyPolicyPrincipals = "accounts";
    }
    return stacks;
  }

  test("recorded as naming accounts: another role of a grantee's account may use the key through S3, never straight, and reads nothing", async () => {
    expect(await failuresOf(byAccount(true), true)).toEqual({ matrix: [], catalogue: [] });
  });

  test("recorded as naming roles, the same key policy lets other roles of the accounts use the key: a mismatch", async () => {
    const { matrix } = await failuresOf(byAccount(false), true);
    expect(matrix).toContain(
      "local-billing: other-team-role@333333333333 (admin) kms:Decrypt key -> Allowed, but only the grantee may use the key",
    );
  });
});
