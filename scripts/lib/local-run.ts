/**
 * The end-to-end flow against the local AWS emulator, shared by `npm run demo` and the end-to-end test suite:
 * deploy a stack with terraform (both aliased providers reach their accounts by assume_role), run the bundled handler
 * in-process as the Lambda role with the function's deployed configuration, try what the grant allows and what it
 * does not with IAM enforcement on — through the handler, which refuses what the grant does not cover, and straight
 * to AWS with the handler's own credentials, where the policies must decide the same — exercise every operation the
 * grant allows across the accounts, check that a second plan is empty, destroy, and check nothing is left.
 */
import { lambdaRoleArnOf, resolveAccessLogging, roleArnParts } from "../../modules/internal";
import { textOf } from "../../modules/core/stack-view";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetRoleCommand, IAMClient, NoSuchEntityException } from "@aws-sdk/client-iam";
import { DescribeKeyCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import { GetFunctionCommand, LambdaClient, ResourceNotFoundException } from "@aws-sdk/client-lambda";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { loadConfig } from "../../lambda/src/config";
import { COPY_PART_SIZE } from "../../lambda/src/handler";
import { createS3Client } from "../../lambda/src/s3-client";
import type { EnvironmentConfig, SharedEnvironmentConfig } from "../../stacks/config";
import { emulatorClientConfig, roleCredentials, type Credentials, type Emulator } from "./emulator";
import { initializedFreshDirectory } from "./remote-state";
import { eventLeftovers } from "./deployed-events";
import { queueEventLeftovers } from "./deployed-queue-events";
import { PROJECT_ROOT, terraform } from "./toolchain";

/** The grantee's role name (a role with a path is found by its name). */
const lambdaRoleNameOf = (lambda: Parameters<typeof lambdaRoleArnOf>[0]): string =>
  roleArnParts(lambdaRoleArnOf(lambda)).name;

export const BUNDLE_PATH = join(PROJECT_ROOT, "lambda", "dist", "index.js");
export const CODE_ARCHIVE_PATH = join(PROJECT_ROOT, "lambda", "function.zip");

/** Stack outputs, as `terraform output -json` gives them. */
export interface StackOutputs {
  readonly lambda_role_arn: string;
  readonly lambda_function_name: string;
  readonly bucket_name: string;
  readonly kms_key_arn: string;
  readonly s3_access_role_arn?: string;
}

export type Expectation = "allowed" | "denied";

/** One request of the matrix, and what the grant says should happen. */
export interface AccessCase {
  readonly event: { operation: "get" | "put" | "list" | "delete"; key?: string; prefix?: string; body?: string };
  readonly expected: Expectation;
  /** Why this is expected, in the grant's words. */
  readonly because: string;
}

/**
 * What became of a request sent through the handler: it ran (allowed), the handler refused it before calling AWS
 * because the grant does not cover it (refused), AWS denied it (denied: the cause is AccessDenied), or it failed
 * otherwise (error).
 */
export type HandlerVerdict = "allowed" | "refused" | "denied" | "error";

export interface CaseResult extends AccessCase {
  readonly actual: HandlerVerdict;
  /** The error type and message when it failed. */
  readonly detail?: string;
  /** Allowed when expected allowed; refused by the handler when expected denied. */
  readonly ok: boolean;
}

/** What AWS answered to the same request sent straight to it with the handler's credentials. */
export interface AwsCaseResult extends AccessCase {
  readonly actual: Expectation | "error";
  readonly detail?: string;
  readonly ok: boolean;
}

/** One row of the access matrix: the handler's verdict and AWS's for the same request. */
export interface MatrixRow extends AccessCase {
  readonly handler: HandlerVerdict;
  readonly aws: Expectation | "error";
  readonly details: string[];
  readonly ok: boolean;
}

/** A prefix no grant mentions. */
export const UNGRANTED_PREFIX = "not-granted/";

/** Objects the bucket owner puts before the handler runs, so that every read or delete has something to act on. */
export function seedKeys(config: EnvironmentConfig): string[] {
  return [...config.grant.prefixes.map((p) => `${p.prefix}seed.txt`), `${UNGRANTED_PREFIX}seed.txt`];
}

/**
 * The requests that show a grant: for every granted prefix and for one ungranted prefix, a put, a get, a list and a
 * delete, each expected to be allowed exactly when the grant's preset (and delete flag) allows it.
 */
export function accessCases(config: EnvironmentConfig): AccessCase[] {
  const prefixes = [
    ...config.grant.prefixes.map((p) => ({
      prefix: p.prefix,
      reads: p.access !== "write",
      writes: p.access !== "read",
      deletes: p.delete === true,
      preset: `${p.access}${p.delete ? " + delete" : ""}`,
    })),
    { prefix: UNGRANTED_PREFIX, reads: false, writes: false, deletes: false, preset: "not granted" },
  ];
  const verdict = (yes: boolean): Expectation => (yes ? "allowed" : "denied");
  const cases: AccessCase[] = [];
  for (const p of prefixes) {
    cases.push({
      event: {
        operation: "put",
        key: `${p.prefix}from-lambda.txt`,
        body: `written by the Lambda role under ${p.prefix}`,
      },
      expected: verdict(p.writes),
      because: `${p.prefix} is ${p.preset}`,
    });
  }
  for (const p of prefixes) {
    cases.push({
      event: { operation: "get", key: `${p.prefix}seed.txt` },
      expected: verdict(p.reads),
      because: `${p.prefix} is ${p.preset}`,
    });
    cases.push({
      event: { operation: "list", prefix: p.prefix },
      expected: verdict(p.reads),
      because: `${p.prefix} is ${p.preset}`,
    });
  }
  for (const p of prefixes) {
    cases.push({
      event: { operation: "delete", key: `${p.prefix}seed.txt` },
      expected: verdict(p.deletes),
      because: `${p.prefix} is ${p.preset}`,
    });
  }
  return cases;
}

/**
 * One grantee of a shared-bucket environment as a single-grant environment: its Lambda side, the shared bucket, its
 * own grant. Every helper here that takes an EnvironmentConfig then works for that grantee.
 */
export function consumerEnvironment(shared: SharedEnvironmentConfig, grantee: string): EnvironmentConfig {
  const c = shared.grantees.find((x) => x.name === grantee);
  if (!c) throw new Error(`grantee "${grantee}" is not one of ${shared.grantees.map((x) => x.name).join(", ")}`);
  return { target: shared.target, lambda: c.lambda, bucket: shared.bucket, grant: c.grant, state: shared.state };
}

/**
 * One grantee's outputs of a shared-bucket stack under the names a single-grant stack gives them (the stack names
 * them `<grantee>_<output>`, hyphens as underscores). Throws when the stack has none for the grantee.
 */
export function consumerStackOutputs(outputs: Readonly<Record<string, string>>, grantee: string): StackOutputs {
  const own = (what: string) => outputs[`${grantee.replace(/-/g, "_")}_${what}`];
  const lambdaRoleArn = own("lambda_role_arn");
  const functionName = own("lambda_function_name");
  if (!lambdaRoleArn || !functionName)
    throw new Error(`the stack has no lambda_role_arn or lambda_function_name output for grantee "${grantee}"`);
  const accessRoleArn = own("s3_access_role_arn");
  return {
    lambda_role_arn: lambdaRoleArn,
    lambda_function_name: functionName,
    bucket_name: outputs.bucket_name,
    kms_key_arn: outputs.kms_key_arn,
    ...(accessRoleArn ? { s3_access_role_arn: accessRoleArn } : {}),
  };
}

/**
 * The requests that show one grantee cannot reach what only others are granted: for every prefix another grantee
 * has and this one does not, a put, a get, a list and a delete, each expected denied.
 */
export function crossConsumerCases(shared: SharedEnvironmentConfig, grantee: string): AccessCase[] {
  const own = new Set(consumerEnvironment(shared, grantee).grant.prefixes.map((p) => p.prefix));
  const others = new Map<string, string[]>();
  for (const c of shared.grantees) {
    if (c.name === grantee) continue;
    for (const p of c.grant.prefixes)
      if (!own.has(p.prefix)) others.set(p.prefix, [...(others.get(p.prefix) ?? []), c.name]);
  }
  const cases: AccessCase[] = [];
  for (const [prefix, names] of others) {
    const because = `${prefix} is granted to ${names.join(", ")}, not to ${grantee}`;
    cases.push({
      event: { operation: "put", key: `${prefix}from-${grantee}.txt`, body: `written by ${grantee}` },
      expected: "denied",
      because,
    });
    cases.push({ event: { operation: "get", key: `${prefix}seed.txt` }, expected: "denied", because });
    cases.push({ event: { operation: "list", prefix }, expected: "denied", because });
    cases.push({ event: { operation: "delete", key: `${prefix}seed.txt` }, expected: "denied", because });
  }
  return cases;
}

/** The objects a set of cases reads or deletes, for the bucket owner to seed. */
export function caseSeedKeys(cases: readonly AccessCase[]): string[] {
  const keys = cases
    .filter((c) => c.event.operation === "get" || c.event.operation === "delete")
    .map((c) => c.event.key!);
  return [...new Set(keys)];
}

/** Role every provider and check uses to act in an account of the emulator (any role name works there). */
export function deployRoleArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:role/deploy`;
}

/** terraform init + apply; returns the stack's outputs. */
export async function deployStack(dir: string, env: NodeJS.ProcessEnv): Promise<StackOutputs> {
  await run(["init", "-input=false", "-no-color"], dir, env);
  await run(["apply", "-auto-approve", "-input=false", "-no-color"], dir, env);
  const out = await run(["output", "-json"], dir, env);
  const parsed = JSON.parse(out) as Record<string, { value: string }>;
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v.value])) as unknown as StackOutputs;
}

/**
 * True when `terraform plan` finds nothing to change (exit code 0 with -detailed-exitcode), planned as a pipeline's
 * next run would: from a fresh working directory holding only the stack's synthesized output (see
 * initializedFreshDirectory), so everything it knows of what is deployed comes from the remote state, locked as usual.
 */
export async function planIsEmpty(dir: string, env: NodeJS.ProcessEnv): Promise<{ empty: boolean; plan: string }> {
  const fresh = await initializedFreshDirectory(dir, env);
  try {
    const result = await terraform(["plan", "-detailed-exitcode", "-input=false", "-no-color"], fresh, env);
    if (result.code === 1)
      throw new Error(`terraform plan failed in a fresh working directory of ${dir}:\n${result.stderr}`);
    return { empty: result.code === 0, plan: result.stdout };
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

export async function destroyStack(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  await run(["destroy", "-auto-approve", "-input=false", "-no-color"], dir, env);
}

async function run(args: string[], dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const result = await terraform(args, dir, env);
  if (result.code !== 0) throw new Error(`terraform ${args[0]} failed in ${dir}:\n${result.stderr || result.stdout}`);
  return result.stdout;
}

/**
 * Environment for terraform against the emulator: its endpoint for every service, and its dummy credentials.
 * AWS_ENDPOINT_URL serves the AWS provider and the S3 backend alike (its S3 requests and the STS call of its
 * assume_role), so neither the provider blocks nor the backend block carry an endpoint.
 *
 * S3 Control (access points) is the exception: the provider sends it to `<account id>.<endpoint host>`, which does
 * not resolve for a loopback emulator, and no provider setting drops that prefix. So S3 Control goes to
 * `s3-control.localhost` on the emulator's port through the emulator itself as the HTTP proxy (the emulator serves
 * proxy-style requests and routes /v20180820/ paths to S3 Control). Terraform never proxies requests to 127.0.0.1,
 * so every other service still goes straight to the emulator; NO_PROXY is dropped because `localhost` in it would
 * exempt s3-control.localhost from the proxy.
 */
export function emulatorTerraformEnv(base: NodeJS.ProcessEnv, endpoint: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "us-east-1",
  };
  for (const name of ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"])
    delete env[name];
  const url = new URL(endpoint);
  if (url.protocol === "http:") {
    for (const name of ["http_proxy", "NO_PROXY", "no_proxy"]) delete env[name];
    env.AWS_ENDPOINT_URL_S3_CONTROL = `http://s3-control.localhost:${url.port || "80"}`;
    env.HTTP_PROXY = url.origin;
  }
  return env;
}

/**
 * The bucket owner puts the seed objects (IAM enforcement off, as an administrator of account B would): `keys`, by
 * default those of the grant's own prefixes and of the ungranted one.
 */
export async function seedObjects(
  emulator: Emulator,
  config: EnvironmentConfig,
  bucket: string,
  keys: readonly string[] = seedKeys(config),
): Promise<void> {
  const owner = await roleCredentials(emulator.endpoint, deployRoleArn(config.bucket.accountId), "seed");
  const s3 = new S3Client(emulatorClientConfig(emulator.endpoint, owner));
  for (const key of keys) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `seeded by the bucket owner at ${key}` }));
  }
}

export interface DeployedFunction {
  readonly environment: Record<string, string>;
  readonly codeSha256: string;
  readonly state?: string;
}

/** The function as deployed in the Lambda account: its environment variables and code hash. */
export async function deployedFunction(
  emulator: Emulator,
  config: EnvironmentConfig,
  name: string,
): Promise<DeployedFunction> {
  const admin = await roleCredentials(emulator.endpoint, deployRoleArn(config.lambda.accountId), "inspect");
  const lambda = new LambdaClient(emulatorClientConfig(emulator.endpoint, admin));
  const fn = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
  return {
    environment: fn.Configuration?.Environment?.Variables ?? {},
    codeSha256: fn.Configuration?.CodeSha256 ?? "",
    state: fn.Configuration?.State,
  };
}

/** base64 SHA-256 of the archive the project built, as Lambda reports CodeSha256. */
export function builtCodeSha256(): string {
  return createHash("sha256").update(readFileSync(CODE_ARCHIVE_PATH)).digest("base64");
}

/** The bundled handler's entry point, and what its results look like from outside. */
type Handler = (event: unknown, context?: { awsRequestId?: string }) => Promise<Record<string, unknown>>;
/** Invokes the loaded handler with a fresh request id. */
export type Invoke = (event: Record<string, unknown>) => Promise<Record<string, unknown>>;

/**
 * Runs `work` in this process's environment as the Lambda service gives it to the function: the function's
 * environment variables, the Lambda role's credentials in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN,
 * the emulator as every service's endpoint. The process environment is restored afterwards.
 */
async function asTheFunction<T>(
  endpoint: string,
  functionEnv: Record<string, string>,
  credentials: Credentials,
  work: () => Promise<T>,
): Promise<T> {
  const saved = { ...process.env };
  for (const name of ["AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"]) delete process.env[name];
  Object.assign(process.env, functionEnv, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: functionEnv.BUCKET_REGION ?? "us-east-1",
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken ?? "",
    AWS_LAMBDA_FUNCTION_NAME: functionEnv.AWS_LAMBDA_FUNCTION_NAME ?? "local-function",
    // The Lambda runtime is nodejs22.x; this machine's Node may be older, which the SDK would warn about.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  });
  try {
    return await work();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

/**
 * Runs one invocation with what the process writes to stdout and stderr meanwhile (the handler's log lines, which it
 * writes there as Lambda would ship them) kept out of the output and added to `lines`, one entry a line.
 */
async function capturingLines<R>(lines: string[], call: () => Promise<R>): Promise<R> {
  const { stdout, stderr } = process;
  // Kept to be put back on the same streams, never called apart from them.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const [out, err] = [stdout.write, stderr.write];
  const keep = (chunk: unknown) => {
    lines.push(
      ...String(chunk)
        .split("\n")
        .filter((line) => line !== ""),
    );
    return true;
  };
  stdout.write = keep;
  stderr.write = keep;
  try {
    return await call();
  } finally {
    stdout.write = out;
    stderr.write = err;
  }
}

/**
 * Loads the bundled handler in this process as the Lambda service would (see asTheFunction), as a fresh module (the
 * bundle is copied to a new path so its once-per-container state starts anew), and passes `work` a function that
 * invokes it, and the log lines the invocations wrote so far (kept out of the output).
 */
export async function withHandler<T>(
  endpoint: string,
  functionEnv: Record<string, string>,
  credentials: Credentials,
  work: (invoke: Invoke, logLines: readonly string[]) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "cas-container-"));
  const copy = join(dir, "index.js");
  copyFileSync(BUNDLE_PATH, copy);
  const log = console.log;
  const error = console.error;
  try {
    return await asTheFunction(endpoint, functionEnv, credentials, async () => {
      // The handler logs one JSON line per invocation; keep the demo's output readable.
      console.log = () => undefined;
      console.error = () => undefined;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { handler } = require(copy) as { handler: Handler };
      let n = 0;
      const lines: string[] = [];
      return work((event) => capturingLines(lines, () => handler(event, { awsRequestId: `local-${++n}` })), lines);
    });
  } finally {
    console.log = log;
    console.error = error;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The handler's verdict on a failure: refused by the grant, denied by AWS (AccessDenied), or another error. */
function handlerVerdict(err: unknown): { verdict: HandlerVerdict; detail: string } {
  const e = err as Error & { cause?: { name?: string } };
  // Denied means AWS said AccessDenied, not that some other 403 (a bad signature, a missing key) occurred.
  const verdict =
    e.name === "NotGrantedError"
      ? "refused"
      : e.name === "AccessDeniedError" && e.cause?.name === "AccessDenied"
        ? "denied"
        : "error";
  return { verdict, detail: `${e.name}: ${e.message}` };
}

/**
 * Runs the bundled handler on each case (see withHandler). A case expected allowed must run; one expected denied
 * must be refused by the handler itself, before AWS is called.
 */
export async function runHandlerCases(
  endpoint: string,
  functionEnv: Record<string, string>,
  credentials: Credentials,
  cases: readonly AccessCase[],
): Promise<CaseResult[]> {
  return withHandler(endpoint, functionEnv, credentials, async (invoke) => {
    const results: CaseResult[] = [];
    for (const c of cases) {
      try {
        await invoke(c.event);
        results.push({ ...c, actual: "allowed", ok: c.expected === "allowed" });
      } catch (err) {
        const { verdict, detail } = handlerVerdict(err);
        results.push({ ...c, actual: verdict, detail, ok: verdict === "refused" && c.expected === "denied" });
      }
    }
    return results;
  });
}

/**
 * Sends each case straight to S3, bypassing the handler's own check, with exactly the credentials the handler uses:
 * the client is built by the handler's createS3Client from the function's configuration — the Lambda role's
 * credentials, or in assume-role mode the S3 access role's session from fromTemporaryCredentials with the role
 * session name and ExternalId the handler sends. AWS must allow and deny as the grant says.
 */
export async function runAwsCases(
  endpoint: string,
  functionEnv: Record<string, string>,
  credentials: Credentials,
  cases: readonly AccessCase[],
): Promise<AwsCaseResult[]> {
  return asTheFunction(endpoint, functionEnv, credentials, async () => {
    const config = loadConfig(process.env);
    const s3 = createS3Client(config);
    const Bucket = config.bucketName;
    const results: AwsCaseResult[] = [];
    for (const c of cases) {
      const { operation, key, prefix, body } = c.event;
      try {
        switch (operation) {
          case "put":
            await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: body ?? "" }));
            break;
          case "get": {
            const out = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
            await out.Body?.transformToByteArray();
            break;
          }
          case "list":
            await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
            break;
          case "delete":
            await s3.send(new DeleteObjectCommand({ Bucket, Key: key }));
            break;
        }
        results.push({ ...c, actual: "allowed", ok: c.expected === "allowed" });
      } catch (err) {
        const e = err as Error;
        const denied = e.name === "AccessDenied";
        results.push({
          ...c,
          actual: denied ? "denied" : "error",
          detail: `${e.name}: ${e.message}`,
          ok: denied && c.expected === "denied",
        });
      }
    }
    s3.destroy();
    return results;
  });
}

/** Runs `work` with the emulator's IAM enforcement on, and turns it off again. */
export async function enforced<T>(emulator: Emulator, work: () => Promise<T>): Promise<T> {
  await emulator.setEnforcement(true);
  try {
    return await work();
  } finally {
    await emulator.setEnforcement(false);
  }
}

/**
 * The access matrix, both ways, with IAM enforcement on: each case through the handler (granted ones run, others
 * are refused by the handler), then the same cases straight to AWS with the handler's credentials (granted ones
 * allowed, others denied by the policies). The bucket owner seeds the objects before each run, so both start alike:
 * `seeds`, by default those of the grant's own prefixes and of the ungranted one.
 */
export async function runAccessMatrix(
  emulator: Emulator,
  config: EnvironmentConfig,
  bucket: string,
  functionEnv: Record<string, string>,
  credentials: Credentials,
  cases: readonly AccessCase[],
  seeds: readonly string[] = seedKeys(config),
): Promise<MatrixRow[]> {
  await seedObjects(emulator, config, bucket, seeds);
  const viaHandler = await enforced(emulator, () =>
    runHandlerCases(emulator.endpoint, functionEnv, credentials, cases),
  );
  await seedObjects(emulator, config, bucket, seeds);
  const direct = await enforced(emulator, () => runAwsCases(emulator.endpoint, functionEnv, credentials, cases));
  return cases.map((c, i) => {
    const h = viaHandler[i];
    const a = direct[i];
    return {
      ...c,
      handler: h.actual,
      aws: a.actual,
      details: [
        ...(h.ok || !h.detail ? [] : [`handler: ${h.detail}`]),
        ...(a.ok || !a.detail ? [] : [`AWS: ${a.detail}`]),
      ],
      ok: h.ok && a.ok,
    };
  });
}

/** One operation tried across the accounts, and whether it did what it should. */
export interface OperationCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

/** Size of the object `copy` is tried with: more than one part, so the copy is a multipart upload. */
export const COPY_CHECK_BYTES = 12 * 1024 * 1024;

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("base64");

/** What every operation check works with: the handler to invoke, and the bucket owner to read results back. */
interface CheckContext {
  readonly emulator: Emulator;
  readonly config: EnvironmentConfig;
  readonly bucket: string;
  /** The Lambda role's credentials, which the handler runs with. */
  readonly credentials: Credentials;
  readonly invoke: Invoke;
  /** The bucket owner's client: puts the copy's source and reads back what the function wrote. */
  readonly owner: S3Client;
  readonly assumeRole: boolean;
}

/** One named check: `run` gives undefined when the operation did what it should, else what went wrong. */
interface CheckStep {
  readonly name: string;
  readonly run: () => Promise<string | undefined>;
}

/** Runs a check; an error it throws fails it with the error's type and message. */
async function runCheck(step: CheckStep): Promise<OperationCheck> {
  try {
    const problem = await step.run();
    return { name: step.name, ok: problem === undefined, ...(problem !== undefined && { detail: problem }) };
  } catch (err) {
    return { name: step.name, ok: false, detail: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

/** undefined when `actual` and `expected` are the same JSON, else what differs. */
function differs(what: string, actual: unknown, expected: unknown): string | undefined {
  return JSON.stringify(actual) === JSON.stringify(expected)
    ? undefined
    : `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

/** The object's bytes as the bucket owner reads them. */
async function ownerRead(c: CheckContext, key: string): Promise<Buffer> {
  const out = await c.owner.send(new GetObjectCommand({ Bucket: c.bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** put with its SHA-256, then get it back (or, where the function may not read, the bucket owner reads it). */
function putCheck(c: CheckContext, writable: string, readWrite: string | undefined): CheckStep {
  const key = `${writable}ops/put.txt`;
  const body = `written across accounts by the ${c.config.grant.mode} handler: é€`;
  return {
    name: `put ${key} with its SHA-256${readWrite ? ", get it back" : ", the bucket owner reads it"}`,
    run: async () => {
      const put = await enforced(c.emulator, () => c.invoke({ operation: "put", key, body }));
      const wrong = differs("put checksum", put.checksumSHA256, sha256(body));
      if (wrong) return wrong;
      if (readWrite) {
        const got = await enforced(c.emulator, () => c.invoke({ operation: "get", key }));
        return differs("get", [got.body, got.bytes], [body, Buffer.byteLength(body)]);
      }
      return differs("stored object", (await ownerRead(c, key)).toString("utf8"), body);
    },
  };
}

/**
 * Who signed a presigned URL: in assume-role mode the access role's session (a session token, not the Lambda role's
 * key), in bucket-policy mode the Lambda role.
 */
function presignedSignerProblem(c: CheckContext, url: URL): string | undefined {
  const credential = url.searchParams.get("X-Amz-Credential") ?? "";
  if (!c.assumeRole) return differs("URL credential", credential.split("/")[0], c.credentials.accessKeyId);
  return credential.startsWith(`${c.credentials.accessKeyId}/`) || !url.searchParams.get("X-Amz-Security-Token")
    ? `signed with ${credential.split("/")[0]}, not an access role session`
    : undefined;
}

/**
 * How long a URL asked for 7 days lives: in assume-role mode no longer than the access role's session (the emulator's
 * sessions last an hour), in bucket-policy mode PRESIGN_MAX_EXPIRES_SECONDS' default maximum.
 */
function presignedLifetimeProblem(c: CheckContext, seconds: number): string | undefined {
  if (!c.assumeRole) return differs("expiresIn", seconds, 3600);
  return seconds <= 3600 && seconds > 3000
    ? undefined
    : `expiresIn ${seconds} is not the access role session's remaining life (at most 3600 s)`;
}

/** presign-put for 7 days, its signer and capped life checked, then an upload with plain fetch. */
function presignPutCheck(c: CheckContext, writable: string): CheckStep {
  const urlKey = `${writable}ops/via-url.bin`;
  return {
    name: `presign-put ${urlKey} for 7 days, capped at ${c.assumeRole ? "the session's life" : "PRESIGN_MAX_EXPIRES_SECONDS"}; upload with fetch`,
    run: async () => {
      const signed = await enforced(c.emulator, () =>
        c.invoke({ operation: "presign-put", key: urlKey, expiresIn: 604800 }),
      );
      const url = new URL(String(signed.url));
      const signer = presignedSignerProblem(c, url);
      if (signer) return signer;
      const lifetime = presignedLifetimeProblem(c, Number(signed.expiresIn));
      if (lifetime) return lifetime;
      const data = randomBytes(4096);
      const response = await fetch(url, { method: "PUT", body: data });
      if (!response.ok) return `PUT to the URL answered HTTP ${response.status}`;
      return differs("uploaded object", sha256(await ownerRead(c, urlKey)), sha256(data));
    },
  };
}

/** list two keys a page: the first page is truncated, the continuation token gives the rest. */
function listCheck(c: CheckContext, readWrite: string): CheckStep {
  const prefix = `${readWrite}ops/`;
  return {
    name: `list ${prefix} two keys a page, with a continuation token`,
    run: async () => {
      await enforced(c.emulator, () => c.invoke({ operation: "put", key: `${prefix}third.txt`, body: "3" }));
      const first = await enforced(c.emulator, () => c.invoke({ operation: "list", prefix, maxKeys: 2 }));
      const token = first.nextContinuationToken;
      if (first.truncated !== true || typeof token !== "string")
        return `first page not truncated: ${JSON.stringify(first)}`;
      const second = await enforced(c.emulator, () =>
        c.invoke({ operation: "list", prefix, maxKeys: 2, continuationToken: token }),
      );
      const keys = [...(first.objects as Array<{ key: string }>), ...(second.objects as Array<{ key: string }>)].map(
        (o) => o.key,
      );
      return differs(
        "listed keys",
        [keys, second.truncated],
        [[`${prefix}put.txt`, `${prefix}third.txt`, `${prefix}via-url.bin`], false],
      );
    },
  };
}

/** presign-get of the object put earlier, downloaded with plain fetch. */
function presignGetCheck(c: CheckContext, readWrite: string): CheckStep {
  const key = `${readWrite}ops/put.txt`;
  return {
    name: `presign-get ${key}, download with fetch`,
    run: async () => {
      const signed = await enforced(c.emulator, () => c.invoke({ operation: "presign-get", key }));
      const response = await fetch(String(signed.url));
      if (!response.ok) return `GET of the URL answered HTTP ${response.status}`;
      return differs(
        "downloaded object",
        sha256(Buffer.from(await response.arrayBuffer())),
        sha256(await ownerRead(c, key)),
      );
    },
  };
}

/** copy of a 12 MiB object: a multipart upload that leaves no upload behind and gives the same bytes. */
function copyCheck(c: CheckContext, readable: string, readWrite: string): CheckStep {
  const sourceKey = `${readable}ops-source.bin`;
  const key = `${readWrite}ops/copied.bin`;
  return {
    name: `copy ${sourceKey} (12 MiB) to ${key} through a multipart upload`,
    run: async () => {
      const data = randomBytes(COPY_CHECK_BYTES);
      await c.owner.send(new PutObjectCommand({ Bucket: c.bucket, Key: sourceKey, Body: data }));
      const copied = await enforced(c.emulator, () => c.invoke({ operation: "copy", sourceKey, key }));
      const wrong = differs("copied bytes", copied.bytes, COPY_CHECK_BYTES);
      if (wrong) return wrong;
      const left = await c.owner.send(new ListMultipartUploadsCommand({ Bucket: c.bucket }));
      if ((left.Uploads ?? []).length > 0) return `multipart uploads left: ${JSON.stringify(left.Uploads)}`;
      // An ETag of "<md5>-<parts>" is what S3 gives an object assembled from parts.
      const parts = Math.ceil(COPY_CHECK_BYTES / COPY_PART_SIZE);
      const etag = textOf(copied.etag ?? "");
      if (!etag.replace(/"/g, "").endsWith(`-${parts}`))
        return `the copy's ETag ${etag} is not that of a ${parts}-part upload`;
      return differs("copied object", sha256(await ownerRead(c, key)), sha256(data));
    },
  };
}

/**
 * The checks a grant allows, in the order they run (later ones use what earlier ones wrote): put and presign-put
 * where the function may write; list and presign-get where it may also read; copy from a readable prefix (a read-only
 * one when there is one, to show it crossing prefixes) to a read-write one.
 */
function operationChecks(c: CheckContext): CheckStep[] {
  const prefixes = c.config.grant.prefixes;
  const readWrite = prefixes.find((p) => p.access === "readWrite")?.prefix;
  const readable = (prefixes.find((p) => p.access === "read") ?? prefixes.find((p) => p.access !== "write"))?.prefix;
  const writable = readWrite ?? prefixes.find((p) => p.access !== "read")?.prefix;
  return [
    ...(writable ? [putCheck(c, writable, readWrite), presignPutCheck(c, writable)] : []),
    ...(readWrite ? [listCheck(c, readWrite), presignGetCheck(c, readWrite)] : []),
    ...(readable && readWrite ? [copyCheck(c, readable, readWrite)] : []),
  ];
}

/**
 * Every operation the grant allows, through the handler across the accounts with IAM enforcement on, each checked
 * for its effect: put then get returns the same bytes and checksum; list pages with a continuation token; copy of a
 * 12 MiB object (a multipart upload) gives the same bytes and leaves no upload behind; presign-get and presign-put
 * URLs fetched with plain fetch read and write the object (the emulator cannot check a URL's signature with IAM
 * enforcement on, so URLs are fetched with it off, and the URL's credential is checked instead). Where the grant
 * does not let the function read (write-only prefixes), the bucket owner reads the result back.
 */
export async function runOperationChecks(
  emulator: Emulator,
  config: EnvironmentConfig,
  bucket: string,
  functionEnv: Record<string, string>,
  credentials: Credentials,
): Promise<OperationCheck[]> {
  const owner = new S3Client(
    emulatorClientConfig(
      emulator.endpoint,
      await roleCredentials(emulator.endpoint, deployRoleArn(config.bucket.accountId), "verify"),
    ),
  );
  const assumeRole = config.grant.mode === "assume-role";
  const checks: OperationCheck[] = [];

  // In assume-role mode the URL's life is limited by the access role's session, not by PRESIGN_MAX_EXPIRES_SECONDS
  // (raised here to the SigV4 limit so that the session is what caps it); in bucket-policy mode by that setting.
  const env = assumeRole ? { ...functionEnv, PRESIGN_MAX_EXPIRES_SECONDS: "604800" } : functionEnv;
  await withHandler(emulator.endpoint, env, credentials, async (invoke) => {
    const c: CheckContext = { emulator, config, bucket, credentials, invoke, owner, assumeRole };
    for (const step of operationChecks(c)) checks.push(await runCheck(step));
  });
  owner.destroy();
  return checks;
}

/**
 * What of the stack is still in the emulator after destroy: roles, function, log group, alarms, bucket, its access log
 * bucket, alias, and a key that is not pending deletion (KMS keys are never deleted at once). Empty when everything is gone.
 */
export async function leftovers(
  emulator: Emulator,
  config: EnvironmentConfig,
  outputs: StackOutputs,
): Promise<string[]> {
  const found: string[] = [];
  const inA = emulatorClientConfig(
    emulator.endpoint,
    await roleCredentials(emulator.endpoint, deployRoleArn(config.lambda.accountId), "check"),
  );
  const inB = emulatorClientConfig(
    emulator.endpoint,
    await roleCredentials(emulator.endpoint, deployRoleArn(config.bucket.accountId), "check"),
  );

  const roleExists = async (clientConfig: typeof inA, name: string) => {
    try {
      await new IAMClient(clientConfig).send(new GetRoleCommand({ RoleName: name }));
      return true;
    } catch (e) {
      if (e instanceof NoSuchEntityException) return false;
      throw e;
    }
  };
  if (await roleExists(inA, lambdaRoleNameOf(config.lambda)))
    found.push(`IAM role ${lambdaRoleNameOf(config.lambda)} in ${config.lambda.accountId}`);
  if (config.grant.accessRoleName && (await roleExists(inB, config.grant.accessRoleName))) {
    found.push(`IAM role ${config.grant.accessRoleName} in ${config.bucket.accountId}`);
  }
  try {
    await new LambdaClient(inA).send(new GetFunctionCommand({ FunctionName: config.lambda.functionName }));
    found.push(`Lambda function ${config.lambda.functionName}`);
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e;
  }
  const groups = await new CloudWatchLogsClient(inA).send(
    new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/lambda/${config.lambda.functionName}` }),
  );
  for (const g of groups.logGroups ?? []) found.push(`log group ${g.logGroupName}`);
  // The grant's alarms are named after the function (Lambda account) and the bucket (bucket account).
  const alarmNames = [
    ...(config.lambda.functionName ? [[inA, config.lambda.functionName] as const] : []),
    [inB, outputs.bucket_name] as const,
  ];
  for (const [clientConfig, prefix] of alarmNames) {
    const { MetricAlarms } = await new CloudWatchClient(clientConfig).send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: prefix }),
    );
    for (const a of MetricAlarms ?? []) found.push(`alarm ${a.AlarmName}`);
  }
  // The bucket, and the log bucket of its server access logs when the stack creates one.
  const logging = resolveAccessLogging(config.bucket);
  for (const bucket of [
    outputs.bucket_name,
    ...(logging.enabled && logging.created ? [logging.created.bucketName] : []),
  ]) {
    try {
      await new S3Client(inB).send(new HeadBucketCommand({ Bucket: bucket }));
      found.push(`bucket ${bucket}`);
    } catch (e) {
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw e;
    }
  }
  const kms = new KMSClient(inB);
  const aliases = await kms.send(new ListAliasesCommand({}));
  for (const a of aliases.Aliases ?? [])
    if (a.AliasName === config.bucket.keyAlias) found.push(`KMS alias ${a.AliasName}`);
  const key = await kms.send(new DescribeKeyCommand({ KeyId: outputs.kms_key_arn }));
  if (key.KeyMetadata?.KeyState !== "PendingDeletion")
    found.push(`KMS key ${outputs.kms_key_arn} (${key.KeyMetadata?.KeyState})`);
  return [...found, ...(await eventLeftovers(config, { inA, inB })), ...(await queueEventLeftovers(config, inA))];
}
