/**
 * Remote state in the local runs, the way a pipeline has it: the state buckets the synthesized stacks' S3 backends
 * name, created in the emulator before the first `terraform init` (each in the account of the role its backend
 * assumes, as the team owning the state account would create it once); a working directory holding nothing but a
 * stack's synthesized output, as a fresh pipeline checkout has after synth; and a run that holds a stack's state lock.
 *
 * The emulator's endpoint reaches terraform only through AWS_ENDPOINT_URL (see emulatorTerraformEnv), which the S3
 * backend honours for S3 and for the STS call of its assume_role, as the AWS provider does: the synthesized backend
 * block is the one a real pipeline would init against.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { emulatorClientConfig, roleCredentials, type Emulator } from "./emulator";
import { terraform, type CommandResult } from "./toolchain";

/** A stack's S3 backend as synthesized: `terraform.backend.s3` of its cdk.tf.json. */
export interface StackBackend {
  readonly bucket: string;
  readonly key: string;
  readonly region: string;
  readonly encrypt?: boolean;
  readonly kms_key_id?: string;
  readonly use_lockfile?: boolean;
  readonly use_path_style?: boolean;
  readonly assume_role: { readonly role_arn: string; readonly session_name?: string };
}

/** The S3 backend of the stack synthesized in `stackDir`; throws when it keeps its state elsewhere. */
export function backendOf(stackDir: string): StackBackend {
  const json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as {
    terraform?: { backend?: Record<string, unknown> };
  };
  const backends = json.terraform?.backend ?? {};
  const s3 = backends.s3 as StackBackend | undefined;
  if (!s3) {
    throw new Error(
      `${stackDir} keeps its state in the ${Object.keys(backends).join(", ") || "default local"} backend, not in S3: give its environment a state setting`,
    );
  }
  if (!s3.assume_role?.role_arn)
    throw new Error(`${stackDir}: the S3 backend names no role to assume (assume_role.role_arn)`);
  return s3;
}

/** The key of a stack's lock file (Terraform's S3 lock file: the state's key plus `.tflock`). */
export const lockKeyOf = (backend: Pick<StackBackend, "key">): string => `${backend.key}.tflock`;

/** An S3 client acting as the role the backend assumes, in the state bucket's account. */
async function stateClient(emulator: Emulator, backend: StackBackend): Promise<S3Client> {
  const credentials = await roleCredentials(emulator.endpoint, backend.assume_role.role_arn, "terraform-state");
  return new S3Client(emulatorClientConfig(emulator.endpoint, credentials));
}

/**
 * Creates every state bucket the stacks in `stackDirs` name, each in the account of the role its backend assumes:
 * versioned (every state written is kept), public access blocked. A bucket that exists already is kept. Returns
 * `s3://<bucket> (account <id>)` for each.
 */
export async function createStateBuckets(emulator: Emulator, stackDirs: Iterable<string>): Promise<string[]> {
  const buckets = new Map<string, StackBackend>();
  for (const dir of stackDirs) {
    const backend = backendOf(dir);
    buckets.set(`${backend.assume_role.role_arn} ${backend.bucket}`, backend);
  }
  const created: string[] = [];
  for (const backend of buckets.values()) {
    const s3 = await stateClient(emulator, backend);
    const Bucket = backend.bucket;
    try {
      await s3.send(new CreateBucketCommand({ Bucket }));
    } catch (error) {
      if ((error as Error).name !== "BucketAlreadyOwnedByYou") throw error;
    }
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    s3.destroy();
    created.push(`s3://${Bucket} (account ${backend.assume_role.role_arn.split(":")[4]})`);
  }
  return created;
}

/** Every key of the state bucket of the stack in `stackDir` that starts with its state's key (the state, the lock). */
export async function stateObjects(emulator: Emulator, stackDir: string): Promise<string[]> {
  const backend = backendOf(stackDir);
  const s3 = await stateClient(emulator, backend);
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: backend.bucket, Prefix: backend.key }));
    return (listed.Contents ?? []).map((o) => o.Key!).sort();
  } finally {
    s3.destroy();
  }
}

/** The address of every managed resource in the stack's state, read from the state bucket as the backend wrote it. */
export async function stateResources(emulator: Emulator, stackDir: string): Promise<string[]> {
  const backend = backendOf(stackDir);
  const s3 = await stateClient(emulator, backend);
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: backend.bucket, Key: backend.key }));
    const state = JSON.parse(await out.Body!.transformToString()) as {
      resources?: Array<{ mode: string; type: string; name: string }>;
    };
    return (state.resources ?? [])
      .filter((r) => r.mode === "managed")
      .map((r) => `${r.type}.${r.name}`)
      .sort();
  } finally {
    s3.destroy();
  }
}

/**
 * A new working directory holding nothing but the stack's synthesized output — its cdk.tf.json, with the backend, and
 * the assets it references — and no .terraform folder nor any state: what a pipeline's fresh checkout has after synth.
 */
export function freshWorkingDirectory(stackDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), "cas-fresh-"));
  cpSync(join(stackDir, "cdk.tf.json"), join(dir, "cdk.tf.json"));
  if (existsSync(join(stackDir, "assets"))) cpSync(join(stackDir, "assets"), join(dir, "assets"), { recursive: true });
  return dir;
}

/** A fresh working directory of the stack (see freshWorkingDirectory), initialized against its backend. */
export async function initializedFreshDirectory(stackDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const dir = freshWorkingDirectory(stackDir);
  const init = await terraform(["init", "-input=false", "-no-color"], dir, env);
  if (init.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `terraform init against the backend failed in a fresh working directory of ${stackDir}:\n${init.stderr || init.stdout}`,
    );
  }
  return dir;
}

/** A run holding a stack's state lock (see holdStateLock). */
export interface HeldLock {
  /** The lock file's key in the state bucket. */
  readonly lockKey: string;
  /** Ends the run, which releases the lock; resolves with its exit code and output. */
  release(): Promise<CommandResult>;
}

/**
 * Holds the stack's state lock as a concurrent run would: `terraform console` in a fresh working directory, which
 * locks the state for as long as it runs (as plan and apply do, but waiting on its input instead of on AWS). Resolves
 * once the lock file is in the state bucket, so the lock is certainly held; release() closes the console's input,
 * after which it removes the lock file and exits.
 */
export async function holdStateLock(
  emulator: Emulator,
  stackDir: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<HeldLock> {
  const backend = backendOf(stackDir);
  const lockKey = lockKeyOf(backend);
  const dir = await initializedFreshDirectory(stackDir, env);
  const child = spawn("terraform", ["console", "-no-color"], { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve) => child.once("close", (code) => resolve(code ?? 1)));
  const release = async (): Promise<CommandResult> => {
    child.stdin.end();
    const code = await exited;
    rmSync(dir, { recursive: true, force: true });
    return { code, stdout, stderr };
  };
  const s3 = await stateClient(emulator, backend);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`terraform console exited (code ${child.exitCode}) before it held the lock:\n${stderr}`);
      try {
        await s3.send(new HeadObjectCommand({ Bucket: backend.bucket, Key: lockKey }));
        return { lockKey, release };
      } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw error;
      }
      if (Date.now() > deadline)
        throw new Error(
          `terraform console did not lock s3://${backend.bucket}/${backend.key} within ${timeoutMs} ms:\n${stderr}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await release();
    throw error;
  } finally {
    s3.destroy();
  }
}
