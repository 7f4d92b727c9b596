/**
 * The app's grants proven from its tests, with the package's test helpers: no security rule error on either stack
 * (whatever Testing.synth does with them), and every request of both grants judged by the IAM policy simulator as
 * the declarations say — the two halves of each grant in two stacks, each on an existing role with a path.
 */
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { expectGrantsProven, matchers, securityRuleErrors } from "cross-account-s3-lambda/testing";
import { EXPORTS_ROLE_ARN, INGEST_ROLE_ARN } from "../ingest-grant";
import { platformApp } from "./synth";

expect.extend(matchers);

test("both stacks pass the security rules", () => {
  const { workloads, datalake } = platformApp();
  expect(workloads).toPassSecurityRules();
  expect(datalake).toPassSecurityRules();
});

test("both grants are proven across the two stacks, each for its role with its path", async () => {
  const { workloads, datalake } = platformApp();
  await expect([workloads, datalake]).toProveGrants();
  const report = await expectGrantsProven([workloads, datalake]);
  expect(report.grants.map((g) => g.grantee).sort()).toEqual([EXPORTS_ROLE_ARN, INGEST_ROLE_ARN].sort());
  // The roles are the team's: the proof says which of their policies it judged, and that it saw no others.
  expect(report.grants.flatMap((g) => g.unseen)).toHaveLength(2);
});

test("a policy added to the ingest role that denies the key fails the proof, naming the requests", async () => {
  const { workloads, datalake } = platformApp();
  new IamRolePolicy(workloads, "no-kms", {
    provider: workloads.provider,
    role: "ingest-worker",
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "NoKms", Effect: "Deny", Action: "kms:*", Resource: "*" }],
    }),
  });
  expect(securityRuleErrors(workloads)).toEqual([]);
  await expect(expectGrantsProven([workloads, datalake])).rejects.toThrow(
    /ingest-worker kms:Decrypt on .*expected Allowed.*explicit Deny NoKms/,
  );
});
