/**
 * The command `cross-account-s3 verify` on synthesized apps: this repo's shipped environments, apps written as a
 * platform team would (their own aliases, an existing role with a path, halves in two apps, other partitions,
 * managed policies), and copies of their output broken on purpose. Runs in-process through the command's main();
 * the installed bin is run by test/package.
 */
import { execFileSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { main } from "../../modules/proof/cli";
import type { ReportJson } from "../../modules/proof/report";
import { environments, sharedEnvironments } from "../../stacks/environments";
import { synthesize } from "../../scripts/lib/toolchain";
import {
  copyOut,
  editStack,
  INGEST_GRANT,
  INGEST_ROLE_ARN,
  oneApp,
  replaceInPolicies,
  resourcesOfType,
  splitApps,
  synthOut,
} from "../support/apps";

/** Runs the command; its exit status and what it printed. */
async function verify(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    args,
    (t) => out.push(t),
    (t) => err.push(t),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const work = mkdtempSync(join(tmpdir(), "cas-verify-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("this repo's shipped environments", () => {
  let shipped: string;
  beforeAll(() => {
    mkdirSync(join(work, "shipped"));
    shipped = join(work, "shipped", "cdktf.out");
    synthesize(shipped);
  }, 120_000);

  test("every grant of every environment is proven, and the JSON report says which", async () => {
    const report = join(work, "reports", "shipped.json");
    const { code, out } = await verify("verify", shipped, "--json", report);
    expect(out).toMatch(/every verdict matches the declared grants/);
    expect(code).toBe(0);
    const json = JSON.parse(readFileSync(report, "utf8")) as ReportJson;
    expect(json.ok).toBe(true);
    expect(json.mismatches).toBe(0);
    // Every environment's grants are there: one per environment, one per grantee of a shared bucket.
    const expected =
      Object.keys(environments).length +
      Object.values(sharedEnvironments).reduce((n, e) => n + Object.keys(e.grantees).length, 0);
    expect(json.grants).toHaveLength(expected);
    for (const grant of json.grants) {
      expect(grant.problems).toEqual([]);
      expect(grant.requests.filter((r) => r.expected === "Allowed").length).toBeGreaterThanOrEqual(3);
      expect(grant.requests.filter((r) => r.expected === "Denied").length).toBeGreaterThan(20);
    }
    expect(json.requests).toBe(json.grants.reduce((n, g) => n + g.requests.length, 0));
  });

  test("--stack proves only the stacks named; an unknown stack exits 2 listing the known ones", async () => {
    const prod = await verify("verify", shipped, "--stack", "prod", "--quiet");
    expect(prod.code).toBe(0);
    expect(prod.out.split("\n").filter((l) => l.startsWith("proven"))).toEqual([
      expect.stringContaining("role/prod-ingest -> s3://prod-shared-ingest-"),
    ]);
    const unknown = await verify("verify", shipped, "--stack", "nope");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/no stack nope in .* \(stacks: analytics, dev, local, /);
  });

  test("the default output is one line a grant and the mismatches; --verbose adds every request, and the two together are refused", async () => {
    const summary = await verify("verify", shipped, "--stack", "prod");
    expect(summary.code).toBe(0);
    expect(summary.out.split("\n").filter((l) => l.trim()).length).toBeLessThanOrEqual(3);
    const verbose = await verify("verify", shipped, "--stack", "prod", "--verbose");
    expect(verbose.out.split("\n").length).toBeGreaterThan(100);
    const both = await verify("verify", shipped, "--verbose", "--quiet");
    expect(both.code).toBe(2);
    expect(both.err).toContain("--verbose and --quiet ask for opposite outputs");
  });

  test("the split layout's two stacks pair up; either one alone misses a half (exit 1)", async () => {
    const both = await verify(
      "verify",
      shipped,
      "--stack",
      "local-split-lambda",
      "--stack",
      "local-split-bucket",
      "--quiet",
    );
    expect(both.code).toBe(0);
    const alone = await verify("verify", shipped, "--stack", "local-split-lambda", "--quiet");
    expect(alone.code).toBe(1);
    expect(alone.out).toMatch(/PROBLEM the bucket account's half is not in the outputs given/);
    // The stack --stack left out is named, with what to do.
    expect(alone.out).toContain("(--stack left out local-split-bucket, which records it: name it too)");
  });

  test("a key policy that loses the grantee's statement: exit 1, the key uses are named, denied by the key policy", async () => {
    const broken = copyOut(shipped);
    editStack(broken, "local", (json) => {
      const key = resourcesOfType(json, "aws_kms_key")[0];
      const doc = JSON.parse(String(key.policy)) as { Statement: Array<{ Sid?: string }> };
      doc.Statement = doc.Statement.filter((s) => s.Sid !== "GranteeUsesKeyThroughS3");
      key.policy = JSON.stringify(doc);
    });
    const { code, out } = await verify("verify", broken, "--stack", "local", "--quiet");
    expect(code).toBe(1);
    expect(out).toMatch(
      /MISMATCH local-data-consumer kms:Decrypt arn:aws:kms:[^ ]+: ImplicitlyDenied, expected Allowed .*denied by key policy: no statement allows it/,
    );
    expect(out).toMatch(/MISMATCH local-data-consumer kms:GenerateDataKey /);
  });

  test("a prefix widened on both sides: exit 1, the ungranted prefix is named as readable", async () => {
    const broken = copyOut(shipped);
    editStack(broken, "local", (json) => {
      expect(replaceInPolicies(json, ["aws_s3_bucket_policy", "aws_iam_role_policy"], "/reference/*", "/*")).toBe(2);
    });
    const { code, out } = await verify("verify", broken, "--stack", "local", "--quiet");
    expect(code).toBe(1);
    expect(out).toMatch(
      /MISMATCH local-data-consumer s3:GetObject arn:aws:s3:::local-shared-data-222222222222\/not-granted\/proof\.txt: Allowed, expected Denied \(not-granted\/ is not granted\)/,
    );
  });

  test("a trust that no longer requires the ExternalId: exit 1, AssumeRole without it is allowed", async () => {
    const broken = copyOut(shipped);
    editStack(broken, "local-assume-role", (json) => {
      for (const role of resourcesOfType(json, "aws_iam_role")) {
        const doc = JSON.parse(String(role.assume_role_policy)) as {
          Statement: Array<{ Condition?: Record<string, Record<string, unknown>> }>;
        };
        for (const s of doc.Statement) delete s.Condition?.StringEquals?.["sts:ExternalId"];
        role.assume_role_policy = JSON.stringify(doc);
      }
    });
    const { code, out } = await verify("verify", broken, "--stack", "local-assume-role", "--quiet");
    expect(code).toBe(1);
    expect(out).toMatch(
      /MISMATCH local-uploader sts:AssumeRole arn:aws:iam::222222222222:role\/[^ ]+: Allowed, expected Denied \(the trust requires the ExternalId\)/,
    );
  });

  test("records of an unknown version are refused (exit 2): synth and proof must be of one package version", async () => {
    const broken = copyOut(shipped);
    editStack(broken, "dev", (json) => {
      (json["//"]!["cross-account-s3-lambda"] as { version: number }).version = 99;
    });
    const { code, err } = await verify("verify", broken, "--stack", "dev");
    expect(code).toBe(2);
    expect(err).toMatch(/grant records of version 99; this proof reads version 1/);
  });
});

describe("two apps, one half each, as two teams deploy them", () => {
  const { lambdaApp, bucketApp } = splitApps();
  const lambdaOut = synthOut(lambdaApp);
  const bucketOut = synthOut(bucketApp);

  test("both outputs together prove the grant, the existing role named with its path", async () => {
    const report = join(work, "reports", "split.json");
    const { code, out } = await verify("verify", lambdaOut, bucketOut, "--json", report);
    expect(out).toMatch(/every verdict matches/);
    expect(code).toBe(0);
    const json = JSON.parse(readFileSync(report, "utf8")) as ReportJson;
    expect(json.grants).toHaveLength(1);
    expect(json.grants[0].grantee).toBe(INGEST_ROLE_ARN);
    expect(json.grants[0].halves).toEqual({
      lambda: "workloads: workloads/ingest",
      bucket: "datalake: datalake/ingest",
    });
    // The grantee's requests are made as the role with its path.
    expect(json.grants[0].requests.find((r) => r.expected === "Allowed")?.context["aws:PrincipalArn"]).toBe(
      INGEST_ROLE_ARN,
    );
  });

  test("the report says which of the existing role's policies it saw, and that others were not", async () => {
    const { out } = await verify("verify", lambdaOut, bucketOut);
    expect(out).toContain(
      `NOT SEEN role ${INGEST_ROLE_ARN} is not created by these stacks: its policies in them were seen (cross-account-s3-access); any it has elsewhere were not`,
    );
  });

  test("either output alone is missing a half: exit 1, naming which", async () => {
    const lambdaOnly = await verify("verify", lambdaOut, "--quiet");
    expect(lambdaOnly.code).toBe(1);
    expect(lambdaOnly.out).toMatch(
      /PROBLEM the bucket account's half is not in the outputs given: pass the output of the app that synthesizes it too/,
    );
    const bucketOnly = await verify("verify", bucketOut, "--quiet");
    expect(bucketOnly.code).toBe(1);
    expect(bucketOnly.out).toMatch(/PROBLEM the Lambda account's half is not in the outputs given/);
  });

  test("the role path lost in the bucket account's policies: exit 1, the grantee is denied by them", async () => {
    const broken = copyOut(bucketOut);
    editStack(broken, "datalake", (json) => {
      expect(
        replaceInPolicies(
          json,
          ["aws_s3_bucket_policy", "aws_kms_key"],
          "role/teams/ingest/ingest-worker",
          "role/ingest-worker",
        ),
      ).toBe(2);
    });
    const { code, out } = await verify("verify", lambdaOut, broken, "--quiet");
    expect(code).toBe(1);
    expect(out).toMatch(
      /MISMATCH ingest-worker s3:GetObject arn:aws:s3:::datalake-ingest\/landing\/ingest\/proof\.txt: ImplicitlyDenied, expected Allowed .*denied by bucket policy: no statement allows it/,
    );
    expect(out).toMatch(/MISMATCH ingest-worker kms:Decrypt .*denied by key policy: no statement allows it/);
  });
});

describe("two halves declared differently: the drift is named before any request is simulated", () => {
  const ASSUME: typeof INGEST_GRANT = {
    mode: "assume-role",
    accessRoleName: "ingest-s3-access",
    externalId: "ingest-7f3a",
    prefixes: INGEST_GRANT.prefixes,
  };
  test.each([
    [
      "an ExternalId changed on one half only",
      { lambdaGrant: ASSUME, bucketGrant: { ...ASSUME, externalId: "ingest-0000" } },
      'grant.externalId: the Lambda account\'s half declares "ingest-7f3a", the bucket account\'s half "ingest-0000"',
    ],
    [
      "a prefix widened on one half",
      {
        bucketGrant: {
          ...INGEST_GRANT,
          prefixes: [{ prefix: "landing/", access: "readWrite" as const }, INGEST_GRANT.prefixes[1]],
        },
      },
      'grant.prefixes: the Lambda account\'s half declares ["landing/ingest/ readWrite","reference/ read"], the bucket account\'s half ["landing/ readWrite","reference/ read"]',
    ],
    [
      "a preset changed on one half",
      {
        bucketGrant: {
          ...INGEST_GRANT,
          prefixes: [{ prefix: "landing/ingest/", access: "read" as const }, INGEST_GRANT.prefixes[1]],
        },
      },
      'grant.prefixes: the Lambda account\'s half declares ["landing/ingest/ readWrite"',
    ],
    [
      "the mode changed on one half",
      { bucketGrant: ASSUME },
      'grant.mode: the Lambda account\'s half declares "bucket-policy", the bucket account\'s half "assume-role"',
    ],
    [
      "another bucket name on one half (two apps that disagree): drift, not two missing halves",
      { bucketBucket: { bucketName: "datalake-ingest-other" } },
      'bucket.bucketName: the Lambda account\'s half declares "datalake-ingest", the bucket account\'s half "datalake-ingest-other"',
    ],
    [
      "the role's path lost on the bucket account's half",
      {
        bucket: {},
        lambdaGrant: INGEST_GRANT,
        bucketLambda: { existingRoleArn: INGEST_ROLE_ARN.replace("teams/ingest/", "") },
      },
      `lambda role: the Lambda account's half declares "${INGEST_ROLE_ARN}", the bucket account's half "${INGEST_ROLE_ARN.replace("teams/ingest/", "")}"`,
    ],
  ])("%s", async (_name, declared, drift) => {
    const { bucketLambda, bucketBucket, ...split } = declared as typeof declared & {
      bucketLambda?: { existingRoleArn: string };
      bucketBucket?: { bucketName: string };
    };
    const { lambdaApp, bucketApp } = bucketLambda
      ? splitAppsWithBucketLambda(split, bucketLambda)
      : bucketBucket
        ? {
            lambdaApp: splitApps(split).lambdaApp,
            bucketApp: splitApps({ ...(split as Parameters<typeof splitApps>[0]), bucket: bucketBucket }).bucketApp,
          }
        : splitApps(split);
    const { code, out } = await verify("verify", synthOut(lambdaApp), synthOut(bucketApp), "--quiet");
    expect(code).toBe(1);
    expect(out).toContain(`PROBLEM ${drift}`);
    expect(out).toMatch(/^FAILED .*\(0 requests\)$/m);
  });
});

/** The split apps where the bucket account's app names the grantee's role differently from the Lambda account's. */
function splitAppsWithBucketLambda(
  declared: Parameters<typeof splitApps>[0],
  bucketLambda: { existingRoleArn: string },
) {
  const asLambda = splitApps(declared);
  const asBucket = splitApps({ ...declared, lambda: { ...declared?.lambda, ...bucketLambda } });
  return { lambdaApp: asLambda.lambdaApp, bucketApp: asBucket.bucketApp };
}

describe("managed policies attached to the grantee's role", () => {
  const GRANT = { mode: "bucket-policy" as const, prefixes: [{ prefix: "reports/", access: "read" as const }] };
  const A = { accountId: "111111111111", region: "us-east-1" };
  const B = { accountId: "222222222222", region: "us-east-1" };

  function attach(policyArn: string | ((app: ReturnType<typeof oneApp>) => string)) {
    const built = oneApp(A, B, GRANT);
    const role = built.access.lambdaAccount.grantee.role!;
    new IamRolePolicyAttachment(built.stack, "attached", {
      provider: role.provider,
      role: role.name,
      policyArn: typeof policyArn === "string" ? policyArn : policyArn(built),
    });
    return synthOut(built.app);
  }

  test("an AWS-managed policy the proof knows (AWSLambdaBasicExecutionRole) is taken into the proof", async () => {
    const out = attach("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole");
    const report = join(work, "reports", "basic.json");
    const { code } = await verify("verify", out, "--json", report);
    expect(code).toBe(0);
    const json = JSON.parse(readFileSync(report, "utf8")) as ReportJson;
    expect(json.grants[0].identityPolicies).toEqual({
      "arn:aws:iam::111111111111:role/report-builder": [
        "cross-account-s3-access",
        "managed arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
      ],
    });
    expect(json.grants[0].unseen).toEqual([]);
  });

  test("an AWS-managed policy it does not know is refused, naming it (exit 2); given with --managed-policy, proven", async () => {
    const out = attach("arn:aws:iam::aws:policy/ReadOnlyAccess");
    const refused = await verify("verify", out);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(
      /aws_iam_role_policy_attachment\.attached attaches arn:aws:iam::aws:policy\/ReadOnlyAccess to role report-builder, a managed policy the stacks do not define: give its document \(--managed-policy arn:aws:iam::aws:policy\/ReadOnlyAccess=FILE/,
    );
    const file = join(work, "read-only.json");
    // As `aws iam get-policy-version` prints it.
    writeFileSync(
      file,
      JSON.stringify({
        PolicyVersion: {
          Document: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: ["s3:Get*", "s3:List*"], Resource: "*" }],
          },
        },
      }),
    );
    const given = await verify(
      "verify",
      out,
      "--verbose",
      "--managed-policy",
      `arn:aws:iam::aws:policy/ReadOnlyAccess=${file}`,
    );
    // Across accounts the bucket and key policies still limit the role to what the grant declares.
    expect(given.code).toBe(0);
    expect(given.out).toContain(
      "policies judged for arn:aws:iam::111111111111:role/report-builder: cross-account-s3-access, managed arn:aws:iam::aws:policy/ReadOnlyAccess",
    );
  });

  test("a customer-managed policy the stack defines is judged with the others: its Deny breaks the grant (exit 1)", async () => {
    const out = attach((built) => {
      const policy = new IamPolicy(built.stack, "guardrail", {
        provider: built.access.lambdaAccount.grantee.role!.provider,
        name: "no-reports",
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Sid: "NoReports", Effect: "Deny", Action: "s3:GetObject", Resource: "*" }],
        }),
      });
      return policy.arn;
    });
    const { code, out: text } = await verify("verify", out, "--quiet");
    expect(code).toBe(1);
    expect(text).toMatch(
      /MISMATCH report-builder s3:GetObject arn:aws:s3:::shared-reports\/reports\/proof\.txt: ExplicitlyDenied, expected Allowed .*denied by identity policy of report-builder: explicit Deny NoReports/,
    );
  });
});

describe("the three partitions", () => {
  test.each([
    [
      "aws-cn",
      { accountId: "111111111111", region: "cn-north-1" },
      { accountId: "222222222222", region: "cn-northwest-1" },
      "amazonaws.com.cn",
    ],
    [
      "aws-us-gov",
      { accountId: "111111111111", region: "us-gov-west-1" },
      { accountId: "222222222222", region: "us-gov-east-1" },
      "amazonaws.com",
    ],
  ])("%s: proven with the partition's ARNs and S3 endpoint", async (partition, a, b, dnsSuffix) => {
    const built = oneApp(
      a,
      b,
      {
        mode: "assume-role",
        accessRoleName: "reports-access",
        externalId: "reports-1",
        prefixes: [{ prefix: "reports/", access: "readWrite" }],
      },
      partition,
    );
    const report = join(work, "reports", `${partition}.json`);
    const { code } = await verify("verify", synthOut(built.app), "--json", report);
    expect(code).toBe(0);
    const json = JSON.parse(readFileSync(report, "utf8")) as ReportJson;
    const requests = json.grants[0].requests;
    expect(requests.every((r) => r.resource.startsWith(`arn:${partition}:`))).toBe(true);
    expect(requests.every((r) => r.principal.startsWith(`arn:${partition}:sts::`))).toBe(true);
    expect(
      requests.find((r) => r.action === "kms:Decrypt" && r.expected === "Allowed")?.context["kms:ViaService"],
    ).toBe(`s3.${b.region}.${dnsSuffix}`);
  });
});

describe("what the command refuses to run on (exit 2)", () => {
  test.each([
    [
      ["verify", "/no/such/cdktf.out"],
      /\/no\/such\/cdktf.out does not exist \(give a cdktf output folder, a stack's folder or a cdk.tf.json\)/,
    ],
    [["check"], /unknown command check/],
    [[], /no command given/],
    [["verify", "--managed-policy", "ReadOnlyAccess"], /--managed-policy ReadOnlyAccess: expected ARN=FILE/],
    [["verify", "--color"], /Unknown option '--color'/],
  ])("%j", async (args, message) => {
    const { code, err } = await verify(...args);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  test("an output that records no grant", async () => {
    const { app } = oneApp(
      { accountId: "111111111111", region: "us-east-1" },
      { accountId: "222222222222", region: "us-east-1" },
      INGEST_GRANT,
    );
    const out = synthOut(app);
    editStack(out, "grant", (json) => {
      delete json["//"];
    });
    const { code, err } = await verify("verify", out);
    expect(code).toBe(2);
    expect(err).toMatch(/the stacks \(grant\) record no grant/);
  });

  test("--help prints the usage and exits 0", async () => {
    const { code, out } = await verify("--help");
    expect(code).toBe(0);
    expect(out).toMatch(/^usage: cross-account-s3 verify \[OUTPUT \.\.\.\]/);
  });
});

test("a half recorded twice (two stacks declaring the same grant's bucket side) is a problem naming both", async () => {
  const first = splitApps();
  const second = splitApps();
  const { code, out } = await verify(
    "verify",
    synthOut(first.lambdaApp),
    synthOut(first.bucketApp),
    synthOut(second.bucketApp),
    "--quiet",
  );
  expect(code).toBe(1);
  expect(out).toMatch(
    /PROBLEM the bucket account's half is recorded 2 times \(datalake: datalake\/ingest; datalake: datalake\/ingest\): one grant, one half each/,
  );
});

describe("malformed input, written as an attacker would: one line naming the file and the problem, exit 2, nothing read outside the folder", () => {
  const SECRET = "SECRET-b7f3c1";
  const root = mkdtempSync(join(tmpdir(), "cas-malformed-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  // Beside every folder under test: files the command must never read, holding the secret.
  const outsideJson = join(root, "outside.json");
  const outsideText = join(root, "outside.txt");
  writeFileSync(outsideJson, JSON.stringify({ "//": { [SECRET]: SECRET }, resource: {} }));
  writeFileSync(outsideText, `${SECRET} is not JSON`);

  /** A real grant's output, to break one part of it. */
  const real = synthOut(
    oneApp(
      { accountId: "111111111111", region: "us-east-1" },
      { accountId: "222222222222", region: "us-east-1" },
      INGEST_GRANT,
    ).app,
  );
  type Record = { [key: string]: unknown };
  const breakRecord = (edit: (record: Record) => void) => (dir: string) => {
    cpSync(real, dir, { recursive: true });
    editStack(dir, "grant", (json) =>
      edit(((json["//"] as Record)["cross-account-s3-lambda"] as { grants: Record[] }).grants[0]),
    );
  };
  const manifest = (content: string) => (dir: string) => writeFileSync(join(dir, "manifest.json"), content);
  const stackFile = (content: string) => (dir: string) => writeFileSync(join(dir, "cdk.tf.json"), content);
  const stackAt = (path: string, content: string) => (dir: string) => {
    mkdirSync(join(dir, "stacks", "a"), { recursive: true });
    writeFileSync(join(dir, path), content);
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ stacks: { a: { synthesizedStackPath: path } } }));
  };

  const CASES: Array<[string, (dir: string) => void, RegExp]> = [
    [
      "a manifest that is null",
      manifest("null"),
      /manifest\.json is not a cdktf manifest: it holds null, not an object$/,
    ],
    [
      "a manifest that is a list",
      manifest("[]"),
      /manifest\.json is not a cdktf manifest: it holds a list, not an object$/,
    ],
    [
      "stacks that are a string",
      manifest('{"stacks":"dev"}'),
      /manifest\.json is not a cdktf manifest: "stacks" is a string, not an object$/,
    ],
    [
      "a stack that is null",
      manifest('{"stacks":{"dev":null}}'),
      /manifest\.json: stacks\["dev"\] is null, not an object$/,
    ],
    [
      "a stack path that is a number",
      manifest('{"stacks":{"dev":{"synthesizedStackPath":5}}}'),
      /manifest\.json: stacks\["dev"\]\.synthesizedStackPath is a number, not a path$/,
    ],
    [
      "a stack path with ..",
      manifest('{"stacks":{"dev":{"synthesizedStackPath":"../outside.json"}}}'),
      /synthesizedStackPath "\.\.\/outside\.json" has a "\.\." segment: a cdktf manifest names its stacks' files inside its folder$/,
    ],
    [
      "an absolute stack path",
      manifest(JSON.stringify({ stacks: { dev: { synthesizedStackPath: outsideJson } } })),
      /synthesizedStackPath ".*outside\.json" is an absolute path/,
    ],
    [
      "a stack name that climbs out",
      manifest('{"stacks":{"..":{}}}'),
      /manifest\.json: stacks\["\.\."\]: the stack name "\.\." is not a folder name$/,
    ],
    [
      "a stack path that does not exist",
      manifest('{"stacks":{"dev":{"synthesizedStackPath":"stacks/dev/cdk.tf.json"}}}'),
      /synthesizedStackPath "stacks\/dev\/cdk\.tf\.json": there is no such file \(.*stacks\/dev\/cdk\.tf\.json\)$/,
    ],
    [
      "a stack file that is a symbolic link out of the folder",
      (dir) => {
        mkdirSync(join(dir, "stacks", "dev"), { recursive: true });
        symlinkSync(outsideJson, join(dir, "stacks", "dev", "cdk.tf.json"));
        writeFileSync(
          join(dir, "manifest.json"),
          '{"stacks":{"dev":{"synthesizedStackPath":"stacks/dev/cdk.tf.json"}}}',
        );
      },
      /synthesizedStackPath "stacks\/dev\/cdk\.tf\.json" leads outside the output folder .* \(a symbolic link\): nothing outside it is read$/,
    ],
    [
      "a manifest that is a symbolic link out of the folder",
      (dir) => symlinkSync(outsideText, join(dir, "manifest.json")),
      /manifest\.json leads outside the output folder .* \(a symbolic link\)/,
    ],
    [
      "a stack's cdk.tf.json that is a symbolic link out of its folder",
      (dir) => symlinkSync(outsideText, join(dir, "cdk.tf.json")),
      /cdk\.tf\.json leads outside the output folder .* \(a symbolic link\)/,
    ],
    [
      "a stack's JSON that is null",
      stackAt("stacks/a/cdk.tf.json", "null"),
      /stacks\/a\/cdk\.tf\.json is not a cdktf stack's Terraform JSON: it holds null, not an object$/,
    ],
    [
      "a stack's JSON that is a list",
      stackFile("[]"),
      /cdk\.tf\.json is not a cdktf stack's Terraform JSON: it holds a list, not an object$/,
    ],
    [
      "a stack's JSON that is a number",
      stackFile("5"),
      /cdk\.tf\.json is not a cdktf stack's Terraform JSON: it holds a number, not an object$/,
    ],
    ["resources that are a string", stackFile('{"resource":"x"}'), /"resource" is a string, not an object$/],
    [
      "resources of a type that are a list",
      stackFile('{"resource":{"aws_iam_role":[]}}'),
      /"resource\.aws_iam_role" is a list, not an object$/,
    ],
    [
      "a resource that is a number",
      stackFile('{"resource":{"aws_iam_role":{"r":5}}}'),
      /"resource\.aws_iam_role\.r" is a number, not an object$/,
    ],
    [
      "providers that are not a list",
      stackFile('{"provider":{"aws":{"alias":"a"}}}'),
      /"provider\.aws" is an object, not a list of objects$/,
    ],
    ["a // that is a string", stackFile('{"//":"x"}'), /"\/\/" is a string, not an object$/],
    [
      "records that are null",
      stackFile('{"//":{"cross-account-s3-lambda":null}}'),
      /cdk\.tf\.json: "\/\/"\.cross-account-s3-lambda is null, not the grant records$/,
    ],
    [
      "records whose grants are a string",
      stackFile('{"//":{"cross-account-s3-lambda":{"version":1,"grants":"x"}}}'),
      /"\/\/"\.cross-account-s3-lambda\.grants is a string, not a list \(a record this package does not write\)$/,
    ],
    [
      "a record that is null",
      stackFile('{"//":{"cross-account-s3-lambda":{"version":1,"grants":[null]}}}'),
      /"\/\/"\.cross-account-s3-lambda\.grants\[0\] is null, not an object/,
    ],
    [
      "a record that is empty",
      stackFile('{"//":{"cross-account-s3-lambda":{"version":1,"grants":[{}]}}}'),
      /"\/\/"\.cross-account-s3-lambda\.grants\[0\]\.key is missing \(a string\)/,
    ],
    [
      "a record whose role ARN is a number",
      breakRecord((r) => ((r.lambda as Record).roleArn = 5)),
      /stacks\/grant\/cdk\.tf\.json: "\/\/"\.cross-account-s3-lambda\.grants\[0\]\.lambda\.roleArn is a number, not a string/,
    ],
    [
      "a record whose prefixes are an object",
      breakRecord((r) => ((r.grant as Record).prefixes = { a: 1 })),
      /grants\[0\]\.grant\.prefixes is an object, not a list/,
    ],
    [
      "a record of an unknown half",
      breakRecord((r) => (r.half = "both")),
      /grants\[0\]\.half is not one of lambda, bucket/,
    ],
    [
      "a record whose resources are a list",
      breakRecord((r) => (r.resources = [])),
      /grants\[0\]\.resources is a list, not an object/,
    ],
    [
      "a folder named cdk.tf.json",
      (dir) => mkdirSync(join(dir, "cdk.tf.json")),
      /cdk\.tf\.json is a folder, not a JSON file$/,
    ],
    [
      "a cdk.tf.json that is a broken symbolic link",
      (dir) => symlinkSync(join(dir, "gone.json"), join(dir, "cdk.tf.json")),
      /cdk\.tf\.json: there is no such file \(.*cdk\.tf\.json, a symbolic link to nothing\)$/,
    ],
    [
      "a cdk.tf.json that is a named pipe",
      (dir) => execFileSync("mkfifo", [join(dir, "cdk.tf.json")]),
      /cdk\.tf\.json is not a regular file, not a JSON file$/,
    ],
    ["a cdk.tf.json that is not JSON", stackFile(`{"resource": ${SECRET}}`), /cdk\.tf\.json is not valid JSON$/],
    [
      "an output synthesized as HCL (cdktf synth --hcl)",
      stackAt("stacks/a/cdk.tf", 'resource "aws_iam_role" "r" {}'),
      /the stack was synthesized as HCL \(cdktf synth --hcl\), and the proof reads the grant records of the JSON output: synthesize without --hcl$/,
    ],
    [
      "a stack folder holding only HCL",
      (dir) => writeFileSync(join(dir, "cdk.tf"), 'resource "aws_iam_role" "r" {}'),
      /holds a cdk\.tf: the stack was synthesized as HCL \(cdktf synth --hcl\)/,
    ],
    [
      "a cdk.tf.json whose JSON breaks where the parser says",
      stackFile(`{"a": 1 "${SECRET}": 2}`),
      /cdk\.tf\.json is not valid JSON \(line 1, column 9\)$/,
    ],
  ];

  test(`${CASES.length} distinct malformed inputs`, () => {
    expect(new Set(CASES.map(([name]) => name)).size).toBe(CASES.length);
  });

  test.each(CASES)("%s", async (name, make, message) => {
    const dir = join(root, name.replace(/\W+/g, "-"));
    mkdirSync(dir);
    make(dir);
    const inside = realpathSync(dir);
    // The module object itself (what load.ts calls through), not an import's read-only view of it.
    const read = jest.spyOn(require("node:fs") as typeof import("node:fs"), "readFileSync");
    try {
      const { code, out, err } = await verify("verify", dir);
      expect(code).toBe(2);
      expect(out).toBe("");
      expect(err.split("\n")).toEqual([expect.stringMatching(new RegExp(`^cross-account-s3: ${escapeRegExp(dir)}.*`))]);
      expect(err).toMatch(message);
      expect(err).not.toContain(SECRET);
      const files = read.mock.calls.map(([file]) => String(file));
      expect(files.filter((file) => !realpathSync(file).startsWith(`${inside}/`))).toEqual([]);
    } finally {
      read.mockRestore();
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
