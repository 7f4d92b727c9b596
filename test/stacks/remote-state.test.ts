/**
 * Where every shipped stack keeps its Terraform state, read from the app's real synthesized output (cdktf adds its
 * default local backend only there, never in Testing.synth): an S3 backend, its own key per stack (split halves and
 * each grantee's stack included), the S3 lock file, encryption, the state role by assume_role, and nothing of an
 * emulator's endpoint, for local stacks too.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { synthesize } from "../../scripts/lib/toolchain";
import { sharedStackNamesOf, stackNamesOf } from "../../stacks/config";
import { environmentStacks } from "../../stacks/cross-account-stack";
import { environments, sharedEnvironments } from "../../stacks/environments";
import { sharedEnvironmentStacks } from "../../stacks/shared-bucket-stack";
import { stateKeyOf, type StateSettings } from "../../stacks/state";

interface Synthesized {
  readonly terraform: { readonly backend?: Record<string, Record<string, unknown>> };
}

/** Every shipped stack: its name, the environment's target and state setting. */
const STACKS: Array<{ stack: string; target: string; state: StateSettings }> = [
  ...Object.entries(environments).flatMap(([name, env]) =>
    stackNamesOf(name, env).map((stack) => ({ stack, target: env.target, state: env.state })),
  ),
  ...Object.entries(sharedEnvironments).flatMap(([name, env]) =>
    sharedStackNamesOf(name, env).map((stack) => ({ stack, target: env.target, state: env.state })),
  ),
];

const outdir = mkdtempSync(join(tmpdir(), "cas-state-synth-"));
let dirs: Record<string, string>;
const backendOf = (stack: string) =>
  (JSON.parse(readFileSync(join(dirs[stack], "cdk.tf.json"), "utf8")) as Synthesized).terraform.backend ?? {};

beforeAll(() => {
  dirs = synthesize(join(outdir, "out"));
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

test("the app synthesizes every shipped stack, split halves and grantees' stacks included", () => {
  expect(Object.keys(dirs).sort()).toEqual(STACKS.map((s) => s.stack).sort());
  expect(STACKS.length).toBeGreaterThanOrEqual(14);
});

describe.each(STACKS)("$stack", ({ stack, target, state }) => {
  test("keeps its state in the environment's S3 backend, not in cdktf's default local backend", () => {
    expect(Object.keys(backendOf(stack))).toEqual(["s3"]);
  });

  test("under its own key, encrypted, locked by the S3 lock file, reached by assume_role into the state role", () => {
    expect(backendOf(stack).s3).toEqual({
      bucket: state.bucket,
      key: stateKeyOf(state, stack),
      region: state.region,
      encrypt: true,
      ...(state.kmsKeyArn ? { kms_key_id: state.kmsKeyArn } : {}),
      use_lockfile: true,
      assume_role: { role_arn: state.roleArn, session_name: `cdktf-${stack}-state` },
      // The emulator serves S3 path-style only; its endpoint comes from AWS_ENDPOINT_URL, as the provider's does.
      ...(target === "local-emulator" ? { use_path_style: true } : {}),
    });
  });
});

test("no two stacks share a state key, so none shares a lock", () => {
  const keys = Object.keys(dirs).map(
    (stack) => `${String(backendOf(stack).s3.bucket)}/${String(backendOf(stack).s3.key)}`,
  );
  expect(new Set(keys).size).toBe(keys.length);
  // The halves of each split layout, in particular, have keys of their own.
  expect(keys).toEqual(
    expect.arrayContaining([
      "local-tfstate-888888888888/cross-account-s3/local-split-lambda.tfstate",
      "local-tfstate-888888888888/cross-account-s3/local-split-bucket.tfstate",
    ]),
  );
});

test("nothing of an emulator is in any backend: no endpoint, no credentials, no DynamoDB lock table", () => {
  for (const stack of Object.keys(dirs)) {
    const fields = Object.keys(backendOf(stack).s3);
    expect({
      stack,
      fields: fields.filter((f) => /endpoint|access_key|secret_key|token|dynamodb|profile|skip_/.test(f)),
    }).toEqual({ stack, fields: [] });
  }
});

test("the local stacks keep their state in an account no provider of theirs deploys to", () => {
  const local = [...Object.values(environments), ...Object.values(sharedEnvironments)].filter(
    (env) => env.target === "local-emulator",
  );
  const deployed = new Set(
    local.flatMap((env) =>
      [
        "lambda" in env ? [env.lambda.accountId] : env.grantees.map((g) => g.lambda.accountId),
        env.bucket.accountId,
      ].flat(),
    ),
  );
  const stateAccounts = new Set(local.map((env) => env.state.accountId));
  expect([...stateAccounts]).toEqual(["888888888888"]);
  expect([...stateAccounts].filter((a) => deployed.has(a))).toEqual([]);
});

test("the stacks built in tests (Testing.synth) carry the same backend", () => {
  const [lambdaHalf] = environmentStacks(Testing.app(), "local-split", environments["local-split"], {});
  const json = JSON.parse(Testing.synth(lambdaHalf)) as Synthesized;
  expect(json.terraform.backend).toEqual(backendOf("local-split-lambda"));
  const [bucketHalf] = sharedEnvironmentStacks(Testing.app(), "platform", sharedEnvironments.platform, {});
  expect((JSON.parse(Testing.synth(bucketHalf)) as Synthesized).terraform.backend).toEqual(
    backendOf("platform-bucket"),
  );
});
