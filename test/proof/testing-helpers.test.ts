/**
 * The test helpers an app's own Jest tests use (cross-account-s3-lambda/testing): failing on security rule errors that
 * Testing.synth only annotates, and proving a stack's grants with the mismatched requests in the failure.
 */
import { Aspects, Testing } from "cdktf";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SecurityRules, suppressRules } from "../../modules/internal";
import {
  expectGrantsProven,
  expectNoSecurityRuleErrors,
  matchers,
  proveGrants,
  securityRuleErrors,
} from "../../modules/testing";
import { INGEST_ROLE_ARN, oneApp, splitApps } from "../support/apps";

expect.extend(matchers);

const A = { accountId: "111111111111", region: "us-east-1" };
const B = { accountId: "222222222222", region: "us-east-1" };
const GRANT = { mode: "bucket-policy" as const, prefixes: [{ prefix: "reports/", access: "read" as const }] };

/** A grant whose bucket policy no longer refuses plain HTTP: an override, as a team might add by mistake. */
function withoutTls() {
  const built = oneApp(A, B, GRANT);
  const policy = built.access.bucketAccount.bucket!.policy;
  const doc = JSON.parse(Testing.synth(built.stack)) as {
    resource: { aws_s3_bucket_policy: Record<string, { policy: string }> };
  };
  const text = Object.values(doc.resource.aws_s3_bucket_policy)[0].policy;
  const parsed = JSON.parse(text) as { Statement: Array<{ Sid?: string }> };
  parsed.Statement = parsed.Statement.filter((s) => s.Sid !== "DenyInsecureTransport");
  policy.addOverride("policy", JSON.stringify(parsed));
  return built;
}

describe("security rule errors", () => {
  test("Testing.synth passes over a broken stack; the helper and the matcher fail it, naming the rule", () => {
    const { stack } = withoutTls();
    Aspects.of(stack).add(new SecurityRules());
    expect(() => Testing.synth(stack)).not.toThrow();
    const errors = securityRuleErrors(stack);
    expect(errors.map((e) => e.ruleId)).toContain("CAS-S3-5");
    expect(() => expectNoSecurityRuleErrors(stack)).toThrow(
      /stack grant breaks \d+ security rule\(s\):\n {2}grant\/reports\/bucket\/.*\[CAS-S3-5\]/,
    );
    expect(() => expect(stack).toPassSecurityRules()).toThrow(/\[CAS-S3-5\]/);
  });

  test("a stack with no SecurityRules aspect is checked with all the rules, so forgetting it fails too", () => {
    const { stack } = withoutTls();
    expect(Aspects.of(stack).all.some((a) => a instanceof SecurityRules)).toBe(false);
    expect(securityRuleErrors(stack).map((e) => e.ruleId)).toContain("CAS-S3-5");
  });

  test("each error is reported once, whether or not synth has already run the aspects", () => {
    const { stack } = withoutTls();
    Aspects.of(stack).add(new SecurityRules());
    const before = securityRuleErrors(stack);
    Testing.synth(stack);
    Testing.synth(stack);
    expect(securityRuleErrors(stack)).toEqual(before);
  });

  test("a suppression with its reason is honored: no error", () => {
    const built = withoutTls();
    Aspects.of(built.stack).add(new SecurityRules());
    expect(securityRuleErrors(built.stack).map((e) => e.ruleId)).toContain("CAS-S3-5");
    suppressRules(
      built.access.bucketAccount.bucket!,
      "CAS-S3-5",
      "served only through CloudFront over TLS; tested separately",
    );
    expect(securityRuleErrors(built.stack).map((e) => e.ruleId)).not.toContain("CAS-S3-5");
  });

  test("a sound stack passes", () => {
    const { stack } = oneApp(A, B, GRANT);
    Aspects.of(stack).add(new SecurityRules());
    expect(securityRuleErrors(stack)).toEqual([]);
    expect(stack).toPassSecurityRules();
    expect(() => expectNoSecurityRuleErrors(stack)).not.toThrow();
  });
});

describe("proving a stack's grants from a test", () => {
  test("a sound grant is proven: the matcher passes and the report counts its requests", async () => {
    const { stack } = oneApp(A, B, GRANT);
    await expect(stack).toProveGrants();
    const report = await expectGrantsProven(stack);
    expect(report.mismatches).toBe(0);
    expect(report.requests).toBeGreaterThan(30);
  });

  test("the halves of a grant in two apps are proven together, the existing role with its path", async () => {
    const { lambdaStack, bucketStack } = splitApps();
    await expect([lambdaStack, bucketStack]).toProveGrants();
    const report = await proveGrants([lambdaStack, bucketStack]);
    expect(report.grants.map((g) => g.grantee)).toEqual([INGEST_ROLE_ARN]);
  });

  test("an identity policy the team adds that breaks the grant: the failure lists the mismatched requests and why", async () => {
    const built = oneApp(A, B, GRANT);
    const role = built.access.lambdaAccount.grantee.role!;
    new IamRolePolicy(built.stack, "guardrail", {
      provider: role.provider,
      role: role.name,
      name: "no-kms",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "NoKms", Effect: "Deny", Action: "kms:*", Resource: "*" }],
      }),
    });
    const failure = expectGrantsProven(built.stack);
    await expect(failure).rejects.toThrow(/mismatch\(es\) or problem\(s\) in \d+ requests over 1 grant\(s\):/);
    await expect(failure).rejects.toThrow(
      /report-builder kms:Decrypt on arn:aws:kms:us-east-1:222222222222:key\/[^ ]+: ExplicitlyDenied, expected Allowed because objects are read or uploaded \(multipart\) through S3 \(denied by identity policy of report-builder: explicit Deny NoKms\)/,
    );
    await expect(expect(built.stack).toProveGrants()).rejects.toThrow(/explicit Deny NoKms/);
  });

  test("a half alone fails, naming the missing half", async () => {
    const { lambdaStack } = splitApps();
    await expect(expectGrantsProven(lambdaStack)).rejects.toThrow(
      /problem: the bucket account's half is not in the outputs given/,
    );
  });
});
