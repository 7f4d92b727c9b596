/**
 * The end-to-end flow against the local AWS emulator, shared by `npm run demo` and the end-to-end test suite:
 * deploy a stack with terraform (both aliased providers reach their accounts by assume_role), run the bundled handler
 * in-process as the Lambda role with the function's deployed configuration, try what the grant allows and what it
 * does not with IAM enforcement on, check that a second plan is empty, destroy, and check nothing is left.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetRoleCommand, IAMClient, NoSuchEntityException } from "@aws-sdk/client-iam";
import { DescribeKeyCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import { GetFunctionCommand, LambdaClient, ResourceNotFoundException } from "@aws-sdk/client-lambda";
import { HeadBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { EnvironmentConfig } from "../../stacks/config";
import { emulatorClientConfig, roleCredentials, type Credentials, type Emulator } from "./emulator";
import { PROJECT_ROOT, terraform } from "./toolchain";

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

/** One request the handler makes, and what the grant says should happen. */
export interface AccessCase {
  readonly event: { operation: "get" | "put" | "list" | "delete"; key?: string; prefix?: string; body?: string };
  readonly expected: Expectation;
  /** Why this is expected, in the grant's words. */
  readonly because: string;
}

export interface CaseResult extends AccessCase {
  readonly actual: Expectation | "error";
  /** The handler's error type and message when it failed. */
  readonly detail?: string;
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
      event: { operation: "put", key: `${p.prefix}from-lambda.txt`, body: `written by the Lambda role under ${p.prefix}` },
      expected: verdict(p.writes),
      because: `${p.prefix} is ${p.preset}`,
    });
  }
  for (const p of prefixes) {
    cases.push({ event: { operation: "get", key: `${p.prefix}seed.txt` }, expected: verdict(p.reads), because: `${p.prefix} is ${p.preset}` });
    cases.push({ event: { operation: "list", prefix: p.prefix }, expected: verdict(p.reads), because: `${p.prefix} is ${p.preset}` });
  }
  for (const p of prefixes) {
    cases.push({ event: { operation: "delete", key: `${p.prefix}seed.txt` }, expected: verdict(p.deletes), because: `${p.prefix} is ${p.preset}` });
  }
  return cases;
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

/** True when `terraform plan` finds nothing to change (exit code 0 with -detailed-exitcode). */
export async function planIsEmpty(dir: string, env: NodeJS.ProcessEnv): Promise<{ empty: boolean; plan: string }> {
  const result = await terraform(["plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock=false"], dir, env);
  if (result.code === 1) throw new Error(`terraform plan failed in ${dir}:\n${result.stderr}`);
  return { empty: result.code === 0, plan: result.stdout };
}

export async function destroyStack(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  await run(["destroy", "-auto-approve", "-input=false", "-no-color"], dir, env);
}

async function run(args: string[], dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const result = await terraform(args, dir, env);
  if (result.code !== 0) throw new Error(`terraform ${args[0]} failed in ${dir}:\n${result.stderr || result.stdout}`);
  return result.stdout;
}

/** Environment for terraform against the emulator: its endpoint for every service, and its dummy credentials. */
export function emulatorTerraformEnv(base: NodeJS.ProcessEnv, endpoint: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "us-east-1",
  };
  for (const name of ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"]) delete env[name];
  return env;
}

/** The bucket owner puts the seed objects (IAM enforcement off, as an administrator of account B would). */
export async function seedObjects(emulator: Emulator, config: EnvironmentConfig, bucket: string): Promise<void> {
  const owner = await roleCredentials(emulator.endpoint, deployRoleArn(config.bucket.accountId), "seed");
  const s3 = new S3Client(emulatorClientConfig(emulator.endpoint, owner));
  for (const key of seedKeys(config)) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `seeded by the bucket owner at ${key}` }));
  }
}

export interface DeployedFunction {
  readonly environment: Record<string, string>;
  readonly codeSha256: string;
  readonly state?: string;
}

/** The function as deployed in the Lambda account: its environment variables and code hash. */
export async function deployedFunction(emulator: Emulator, config: EnvironmentConfig, name: string): Promise<DeployedFunction> {
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

type Handler = (event: unknown, context?: { awsRequestId?: string }) => Promise<unknown>;

/**
 * Runs the bundled handler in this process as the Lambda service would: the function's environment variables, the
 * Lambda role's credentials in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, and a fresh module (the
 * bundle is copied to a new path so its once-per-container state starts anew). The process environment is restored
 * afterwards.
 */
export async function runHandlerCases(
  endpoint: string,
  functionEnv: Record<string, string>,
  credentials: Credentials,
  cases: readonly AccessCase[],
): Promise<CaseResult[]> {
  const saved = { ...process.env };
  const dir = mkdtempSync(join(tmpdir(), "cas-container-"));
  const copy = join(dir, "index.js");
  copyFileSync(BUNDLE_PATH, copy);
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
  const results: CaseResult[] = [];
  const log = console.log;
  const error = console.error;
  try {
    // The handler logs one JSON line per invocation; keep the demo's table readable.
    console.log = () => undefined;
    console.error = () => undefined;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require(copy) as { handler: Handler };
    let n = 0;
    for (const c of cases) {
      try {
        await handler(c.event, { awsRequestId: `local-${++n}` });
        results.push({ ...c, actual: "allowed", ok: c.expected === "allowed" });
      } catch (err) {
        const e = err as Error & { cause?: { name?: string } };
        // Denied means AWS said AccessDenied, not that some other 403 (a bad signature, a missing key) occurred.
        const denied = e.name === "AccessDeniedError" && e.cause?.name === "AccessDenied";
        results.push({
          ...c,
          actual: denied ? "denied" : "error",
          detail: `${e.name}: ${e.message}`,
          ok: denied && c.expected === "denied",
        });
      }
    }
  } finally {
    console.log = log;
    console.error = error;
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/**
 * What of the stack is still in the emulator after destroy: roles, function, log group, bucket, alias, and a key
 * that is not pending deletion (KMS keys are never deleted at once). Empty when everything is gone.
 */
export async function leftovers(emulator: Emulator, config: EnvironmentConfig, outputs: StackOutputs): Promise<string[]> {
  const found: string[] = [];
  const inA = emulatorClientConfig(emulator.endpoint, await roleCredentials(emulator.endpoint, deployRoleArn(config.lambda.accountId), "check"));
  const inB = emulatorClientConfig(emulator.endpoint, await roleCredentials(emulator.endpoint, deployRoleArn(config.bucket.accountId), "check"));

  const roleExists = async (clientConfig: typeof inA, name: string) => {
    try {
      await new IAMClient(clientConfig).send(new GetRoleCommand({ RoleName: name }));
      return true;
    } catch (e) {
      if (e instanceof NoSuchEntityException) return false;
      throw e;
    }
  };
  if (await roleExists(inA, config.lambda.roleName)) found.push(`IAM role ${config.lambda.roleName} in ${config.lambda.accountId}`);
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
  try {
    await new S3Client(inB).send(new HeadBucketCommand({ Bucket: outputs.bucket_name }));
    found.push(`bucket ${outputs.bucket_name}`);
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw e;
  }
  const kms = new KMSClient(inB);
  const aliases = await kms.send(new ListAliasesCommand({}));
  for (const a of aliases.Aliases ?? []) if (a.AliasName === config.bucket.keyAlias) found.push(`KMS alias ${a.AliasName}`);
  const key = await kms.send(new DescribeKeyCommand({ KeyId: outputs.kms_key_arn }));
  if (key.KeyMetadata?.KeyState !== "PendingDeletion") found.push(`KMS key ${outputs.kms_key_arn} (${key.KeyMetadata?.KeyState})`);
  return found;
}
