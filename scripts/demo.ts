/**
 * npm run demo: the whole job on one machine. Starts the local AWS emulator (or uses AWS_ENDPOINT_URL), creates the
 * state bucket the stacks' S3 backend names (in an account of its own), deploys the `local` and `local-assume-role`
 * stacks into its two accounts with terraform, keeping their state there, runs the real handler as the Lambda
 * role across accounts, shows what is allowed and denied — by the handler, and by AWS for the same requests sent
 * straight to it with the handler's credentials —, tries every operation the grant allows, follows a new object in the
 * bucket through EventBridge in both accounts to the function (a grant with events), checks that a second plan
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
import { followEvent } from "./lib/event-deliveries";
import { eventsPlanOfConfig } from "./lib/deployed-events";
import type { EnvironmentConfig } from "../stacks/config";
import { findOnPath, providerMirror, synthesizeInBackground, terraformEnv } from "./lib/toolchain";

const STACKS = ["local", "local-assume-role"] as const;
// The deployed runtime is nodejs22.x; the AWS SDK would warn that this machine's Node is older.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;

/** Where an environment's progress goes: straight to stdout, or into a buffer printed once the environment ends. */
interface Log {
  write(text: string): void;
}
const stdout: Log = { write: (text) => void process.stdout.write(text) };

async function step<T>(log: Log, label: string, work: () => Promise<T> | T): Promise<T> {
  const t0 = Date.now();
  const at = `[${elapsed()}] ${label} ...`;
  try {
    const result = await work();
    log.write(`${at} ok (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    return result;
  } catch (error) {
    log.write(`${at} FAILED (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
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

/**
 * The handler runs in this process as the function would (its environment, credentials and stdout are the
 * process's for the while), so one environment at a time: each call waits for the one before it.
 */
let handlerTurn: Promise<unknown> = Promise.resolve();
function asTheOnlyHandler<T>(work: () => Promise<T>): Promise<T> {
  const result = handlerTurn.then(work);
  handlerTurn = result.catch(() => undefined);
  return result;
}

/**
 * A grant's events, shown: the bucket account puts an object under the first event prefix and one outside them; the
 * first must reach the function once, through the grant's rule in the Lambda account (the emulator's launcher records
 * what a rule delivers to a function), and the handler, as the function's role, read it; the second reach nothing.
 * Returns the number of failed checks.
 */
async function eventStep(
  name: string,
  config: EnvironmentConfig,
  emulator: Emulator,
  outputs: StackOutputs,
  deliveries: string,
  log: Log,
): Promise<number> {
  const plan = eventsPlanOfConfig(config)!;
  const followed = await step(
    log,
    `${name}: new objects in the bucket account, followed through EventBridge in both accounts to the function`,
    () => followEvent(emulator, config, outputs, deliveries),
  );
  const read = followed.answers?.read as { bytes?: number; etag?: string } | undefined;
  const checks = [
    {
      ok: followed.delivered.length === 1 && followed.delivered[0]?.rule === plan.lambdaAccount.rule.arn,
      text: `s3://${outputs.bucket_name}/${followed.inside}: ${plan.bucketAccount.rule.name} (bucket account) -> bus ${plan.lambdaAccount.bus.name} -> ${plan.lambdaAccount.rule.name} -> ${config.lambda.functionName!} (${followed.delivered.length} delivery)`,
    },
    {
      ok: read !== undefined,
      text: `the handler, as ${outputs.lambda_role_arn}, read it through the grant: ${read ? `${read.bytes} bytes, ETag ${read.etag}` : "nothing"}`,
    },
    {
      ok: followed.deliveredOutside.length === 0 && followed.answers?.refused === "EventNotGrantedError",
      text: `s3://${outputs.bucket_name}/${followed.outside}: ${followed.deliveredOutside.length} delivery; the handler refuses that key (${String(followed.answers?.refused)})`,
    },
    ...(followed.removal
      ? [
          {
            ok:
              followed.removal.delivered.length === 1 &&
              (followed.removal.answer as { operation?: string } | undefined)?.operation === "object-removed",
            text: `deleted by the bucket account: ${followed.removal.delivered.length} delivery; the handler was told ${JSON.stringify(followed.removal.answer)}`,
          },
        ]
      : []),
  ];
  log.write(`${checks.map((c) => `  ${c.ok ? "ok      " : "FAILED  "}${c.text}`).join("\n")}\n\n`);
  return checks.filter((c) => !c.ok).length;
}

/**
 * One environment from deploy to destroy, in `emulator` (whose IAM enforcement it switches, so no other environment
 * may share it at the same time); its state bucket exists. Returns the number of failed checks.
 */
async function runEnvironment(
  name: (typeof STACKS)[number],
  dir: string,
  emulator: Emulator,
  env: NodeJS.ProcessEnv,
  log: Log,
  deliveries: string | undefined,
): Promise<number> {
  const config = environments[name];
  let failures = 0;
  log.write(
    `\n== ${name}: ${config.grant.mode} mode, Lambda in ${config.lambda.accountId}, bucket in ${config.bucket.accountId} (emulator ${emulator.endpoint})\n`,
  );
  await emulator.setEnforcement(false);
  const outputs: StackOutputs = await step(
    log,
    `${name}: terraform init against the S3 backend, apply (both accounts, via assume_role)`,
    () => deployStack(dir, env),
  );
  const expectedSha = builtCodeSha256();
  const fn = await step(log, `${name}: the deployed function runs the bundle built here`, async () => {
    const deployed = await deployedFunction(emulator, config, outputs.lambda_function_name);
    if (deployed.codeSha256 !== expectedSha) {
      throw new Error(`CodeSha256 ${deployed.codeSha256} is not the built archive's ${expectedSha}`);
    }
    return deployed;
  });
  const lambdaRole = await roleCredentials(emulator.endpoint, outputs.lambda_role_arn, outputs.lambda_function_name);
  await asTheOnlyHandler(async () => {
    const rows = await step(
      log,
      `${name}: each request through the handler and straight to AWS as ${outputs.lambda_role_arn} (IAM enforced)`,
      () => runAccessMatrix(emulator, config, outputs.bucket_name, fn.environment, lambdaRole, accessCases(config)),
    );
    log.write(`${table(name, rows)}\n`);
    for (const r of rows.filter((x) => !x.ok)) {
      failures++;
      const wanted = r.expected === "allowed" ? "allowed by both" : "refused by the handler and denied by AWS";
      log.write(
        `  MISMATCH ${r.event.operation} ${r.event.key ?? r.event.prefix}: expected ${wanted} (${r.because}), got handler ${r.handler}, AWS ${r.aws}; ${r.details.join("; ")}\n`,
      );
    }
    const checks = await step(log, `${name}: every operation the grant allows, across the accounts`, () =>
      runOperationChecks(emulator, config, outputs.bucket_name, fn.environment, lambdaRole),
    );
    log.write(`${checkList(checks)}\n\n`);
    failures += checks.filter((c) => !c.ok).length;
    if (config.grant.events && deliveries)
      failures += await eventStep(name, config, emulator, outputs, deliveries, log);
    else if (config.grant.events)
      log.write(
        `  ${name}: its events are not followed: the emulator at AWS_ENDPOINT_URL was not started by the demo\n\n`,
      );
  });
  await step(
    log,
    `${name}: a second plan, from a fresh working directory with only the backend, shows no changes`,
    async () => {
      const { empty, plan } = await planIsEmpty(dir, env);
      if (!empty) throw new Error(`the second plan has changes:\n${plan}`);
    },
  );
  await step(log, `${name}: terraform destroy`, () => destroyStack(dir, env));
  await step(log, `${name}: nothing of the stack is left in either account`, async () => {
    const left = await leftovers(emulator, config, outputs);
    if (left.length > 0) throw new Error(`left behind: ${left.join(", ")}`);
  });
  return failures;
}

/** A log that keeps what is written until flushed. */
function bufferedLog(): Log & { flush(): void } {
  let text = "";
  return { write: (t) => void (text += t), flush: () => void process.stdout.write(text) };
}

/** What the demo needs and this machine lacks, each with how to get it. */
function missingTools(): string[] {
  return [
    findOnPath("terraform")
      ? undefined
      : "terraform is not on PATH: install Terraform >= 1.10, whose S3 backend has the lock file (https://developer.hashicorp.com/terraform/install)",
    emulatorProblem(),
  ].filter((m): m is string => m !== undefined);
}

/**
 * Runs every environment (see runEnvironment): side by side, each log printed whole once its environment is done, or
 * one after the other when they share one emulator. Returns the number of failed checks.
 */
async function runEnvironments(
  shared: boolean,
  start: (name: (typeof STACKS)[number], i: number, log: Log) => Promise<number>,
): Promise<number> {
  const runs = STACKS.map((name, i) => ({ name, i, log: shared ? { ...stdout, flush() {} } : bufferedLog() }));
  const one = (r: (typeof runs)[number]) =>
    start(r.name, r.i, r.log).catch((error: Error) => {
      r.log.write(`\n${r.name}: ${error.message}\n`);
      return 1;
    });
  let failures = 0;
  if (shared) {
    for (const r of runs) failures += await one(r);
    return failures;
  }
  const done = runs.map(one);
  for (const [i, r] of runs.entries()) {
    failures += await done[i];
    r.log.flush();
  }
  return failures;
}

async function main(): Promise<number> {
  const missing = missingTools();
  if (missing.length > 0) {
    for (const m of missing) console.error(`demo: ${m}`);
    return 2;
  }

  const workDir = mkdtempSync(join(tmpdir(), "cas-demo-"));
  const emulators: (Emulator | undefined)[] = [];
  const stop = async () => {
    await Promise.all(emulators.filter((e) => e !== undefined).map((e) => e.stop()));
    rmSync(workDir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void stop().then(() => process.exit(130)));
  let failures = 0;
  try {
    // Each environment gets an emulator of its own and runs beside the others: the access matrix switches IAM
    // enforcement, which is one switch per emulator. An emulator named by AWS_ENDPOINT_URL is shared, so then they
    // run one after the other. The app synthesizes while the emulators start.
    const shared = process.env.AWS_ENDPOINT_URL !== undefined;
    // What the emulator's rules deliver to functions, per emulator; an emulator the demo did not start records nothing.
    const deliveriesOf = (i: number) => join(workDir, `deliveries-${STACKS[i]}.jsonl`);
    const [running, stackDirs] = await Promise.all([
      step(stdout, `start the local AWS emulator${shared ? "" : `, one for each of ${STACKS.join(" and ")}`}`, () =>
        // Each kept as soon as it is up, so that one failing to start does not leave the other running.
        Promise.all(
          (shared ? [STACKS[0]] : STACKS).map((_, i) =>
            startEmulator({ ...process.env, EMULATOR_LAMBDA_DELIVERIES: deliveriesOf(i) }).then(
              (e) => (emulators[i] = e),
            ),
          ),
        ),
      ),
      step(stdout, "synthesize the local stacks", () =>
        synthesizeInBackground(join(workDir, "cdktf.out"), [...STACKS]),
      ),
    ]);
    const emulatorOf = (i: number) => running[shared ? 0 : i];
    for (const e of running)
      console.log(`           endpoint ${e.endpoint}${e.owned ? "" : " (AWS_ENDPOINT_URL, not stopped by the demo)"}`);
    // A terraform folder (CLI config, plugin cache) per environment: two inits at once must not share one cache.
    const envOf = (i: number) =>
      emulatorTerraformEnv(terraformEnv(join(workDir, "terraform", STACKS[i])), emulatorOf(i).endpoint);
    const stateBuckets = await step(
      stdout,
      "create the state bucket, in an account of its own, before the first init",
      async () => [
        ...new Set(
          (await Promise.all(STACKS.map((name, i) => createStateBuckets(emulatorOf(i), [stackDirs[name]])))).flat(),
        ),
      ],
    );
    console.log(`           state in ${stateBuckets.join(", ")}: one key a stack, locked by its S3 lock file`);
    const mirror = providerMirror();
    console.log(`           terraform providers from ${mirror ? `the mirror ${mirror}` : "the registry"}`);

    failures += await runEnvironments(shared, (name, i, log) =>
      runEnvironment(name, stackDirs[name], emulatorOf(i), envOf(i), log, shared ? undefined : deliveriesOf(i)),
    );
  } catch (error) {
    console.error(`\ndemo: ${(error as Error).message}`);
    failures++;
  } finally {
    await stop();
  }
  console.log(
    `\n${failures === 0 ? "All checks passed" : `${failures} check(s) failed`} in ${((Date.now() - started) / 1000).toFixed(1)} s total.`,
  );
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
