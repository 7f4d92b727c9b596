/**
 * npm run demo: the whole job on one machine. Starts the local AWS emulator (or uses AWS_ENDPOINT_URL), creates the
 * state bucket the stacks' S3 backend names (in an account of its own), deploys the `local` and `local-assume-role`
 * stacks into its two accounts with terraform, keeping their state there, runs the real handler as the Lambda
 * role across accounts, shows what is allowed and denied — by the handler, and by AWS for the same requests sent
 * straight to it with the handler's credentials —, tries every operation the grant allows, checks that a second plan
 * from a fresh working directory (only the backend to go by) is empty, destroys, checks that nothing is left, and
 * stops the emulator. Exits non-zero on any mismatch.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environments } from "../stacks/environments";
import { emulatorProblem, roleCredentials, startEmulator, type Emulator } from "./lib/emulator";
import {
  accessCases,
  builtCodeSha256,
  deployedFunction,
  deployStack,
  destroyStack,
  emulatorTerraformEnv,
  leftovers,
  planIsEmpty,
  runAccessMatrix,
  runOperationChecks,
  type MatrixRow,
  type OperationCheck,
  type StackOutputs,
} from "./lib/local-run";
import { createStateBuckets } from "./lib/remote-state";
import { findOnPath, providerMirror, synthesize, terraformEnv } from "./lib/toolchain";

const STACKS = ["local", "local-assume-role"] as const;
// The deployed runtime is nodejs22.x; the AWS SDK would warn that this machine's Node is older.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;

async function step<T>(label: string, work: () => Promise<T> | T): Promise<T> {
  const t0 = Date.now();
  process.stdout.write(`[${elapsed()}] ${label} ...`);
  try {
    const result = await work();
    process.stdout.write(` ok (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    return result;
  } catch (error) {
    process.stdout.write(` FAILED (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    throw error;
  }
}

/** The access matrix: what the grant says, what the handler did, what AWS answered to the same request. */
function table(stack: string, rows: readonly MatrixRow[]): string {
  const cells = rows.map((r) => [
    r.event.operation,
    r.event.key ?? `${r.event.prefix} (prefix)`,
    r.expected,
    r.handler,
    r.aws,
    r.ok ? "ok" : "MISMATCH",
  ]);
  const head = ["operation", "key", "grant", "handler", "AWS", ""];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const line = (c: string[]) => `  ${c.map((x, i) => x.padEnd(widths[i])).join("  ")}`.trimEnd();
  return [`\n  ${stack}`, line(head), line(widths.map((w) => "-".repeat(w))), ...cells.map(line), ""].join("\n");
}

function checkList(checks: readonly OperationCheck[]): string {
  return checks.map((c) => `  ${c.ok ? "ok      " : "FAILED  "}${c.name}${c.detail ? `: ${c.detail}` : ""}`).join("\n");
}

async function main(): Promise<number> {
  const missing = [
    findOnPath("terraform") ? undefined : "terraform is not on PATH: install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install)",
    emulatorProblem(),
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) {
    for (const m of missing) console.error(`demo: ${m}`);
    return 2;
  }

  const workDir = mkdtempSync(join(tmpdir(), "cas-demo-"));
  let emulator: Emulator | undefined;
  const stop = async () => {
    await emulator?.stop();
    rmSync(workDir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void stop().then(() => process.exit(130)));
  let failures = 0;
  try {
    emulator = await step("start the local AWS emulator", () => startEmulator());
    console.log(`           endpoint ${emulator.endpoint}${emulator.owned ? "" : " (AWS_ENDPOINT_URL, not stopped by the demo)"}`);
    const stackDirs = await step("synthesize the local stacks", () => synthesize(join(workDir, "cdktf.out"), [...STACKS]));
    const env = emulatorTerraformEnv(terraformEnv(join(workDir, "terraform")), emulator.endpoint);
    const stateBuckets = await step("create the state bucket, in an account of its own, before the first init", () =>
      createStateBuckets(emulator!, Object.values(stackDirs)),
    );
    console.log(`           state in ${stateBuckets.join(", ")}: one key a stack, locked by its S3 lock file`);
    const mirror = providerMirror();
    console.log(`           terraform providers from ${mirror ? `the mirror ${mirror}` : "the registry"}`);
    const expectedSha = builtCodeSha256();

    for (const name of STACKS) {
      const config = environments[name];
      const dir = stackDirs[name];
      console.log(`\n== ${name}: ${config.grant.mode} mode, Lambda in ${config.lambda.accountId}, bucket in ${config.bucket.accountId}`);
      await emulator.setEnforcement(false);
      const outputs: StackOutputs = await step(`${name}: terraform init against the S3 backend, apply (both accounts, via assume_role)`, () => deployStack(dir, env));
      const fn = await step(`${name}: the deployed function runs the bundle built here`, async () => {
        const deployed = await deployedFunction(emulator!, config, outputs.lambda_function_name);
        if (deployed.codeSha256 !== expectedSha) {
          throw new Error(`CodeSha256 ${deployed.codeSha256} is not the built archive's ${expectedSha}`);
        }
        return deployed;
      });
      const lambdaRole = await roleCredentials(emulator.endpoint, outputs.lambda_role_arn, outputs.lambda_function_name);
      const rows = await step(`${name}: each request through the handler and straight to AWS as ${outputs.lambda_role_arn} (IAM enforced)`, () =>
        runAccessMatrix(emulator!, config, outputs.bucket_name, fn.environment, lambdaRole, accessCases(config)),
      );
      console.log(table(name, rows));
      for (const r of rows.filter((x) => !x.ok)) {
        failures++;
        const wanted = r.expected === "allowed" ? "allowed by both" : "refused by the handler and denied by AWS";
        console.log(`  MISMATCH ${r.event.operation} ${r.event.key ?? r.event.prefix}: expected ${wanted} (${r.because}), got handler ${r.handler}, AWS ${r.aws}; ${r.details.join("; ")}`);
      }
      const checks = await step(`${name}: every operation the grant allows, across the accounts`, () =>
        runOperationChecks(emulator!, config, outputs.bucket_name, fn.environment, lambdaRole),
      );
      console.log(`${checkList(checks)}\n`);
      failures += checks.filter((c) => !c.ok).length;
      await step(`${name}: a second plan, from a fresh working directory with only the backend, shows no changes`, async () => {
        const { empty, plan } = await planIsEmpty(dir, env);
        if (!empty) throw new Error(`the second plan has changes:\n${plan}`);
      });
      await step(`${name}: terraform destroy`, () => destroyStack(dir, env));
      await step(`${name}: nothing of the stack is left in either account`, async () => {
        const left = await leftovers(emulator!, config, outputs);
        if (left.length > 0) throw new Error(`left behind: ${left.join(", ")}`);
      });
    }
  } catch (error) {
    console.error(`\ndemo: ${(error as Error).message}`);
    failures++;
  } finally {
    await stop();
  }
  console.log(`\n${failures === 0 ? "All checks passed" : `${failures} check(s) failed`} in ${((Date.now() - started) / 1000).toFixed(1)} s total.`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
