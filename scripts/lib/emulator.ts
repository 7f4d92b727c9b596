/**
 * The local AWS: moto's server started through scripts/emulator/moto_server.py on a free loopback port (or an
 * emulator the caller already runs, named by AWS_ENDPOINT_URL), its IAM enforcement switch, and SDK clients that act
 * in a given account of it.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { createServer } from "node:net";
import { join } from "node:path";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { SignatureV4 } from "@smithy/signature-v4";
import { findOnPath, PROJECT_ROOT } from "./toolchain";

/** AWS credentials as the SDK clients take them. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Credentials every emulator client starts from; an emulator accepts any. */
export const EMULATOR_CREDENTIALS: Credentials = { accessKeyId: "test", secretAccessKey: "test" };
export const EMULATOR_REGION = "us-east-1";

export interface Emulator {
  /** e.g. http://127.0.0.1:41235 */
  readonly endpoint: string;
  /** True when this process started it (and stop() ends it). */
  readonly owned: boolean;
  /** Turns the emulator's IAM enforcement on (every request checked against policies) or off. */
  setEnforcement(on: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** Whether each Python (by its command) imports moto's server: asked once, it takes a second. */
const importsMoto = new Map<string, boolean>();

/** What is missing to run the emulator, or undefined when it can run (or an endpoint is given). */
export function emulatorProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.AWS_ENDPOINT_URL) return undefined;
  if (!findOnPath("moto_server")) {
    return "moto_server is not on PATH: install the AWS emulator with `pip install 'moto[server]'` (or set AWS_ENDPOINT_URL to a running one)";
  }
  const python = pythonFor(env);
  if (!importsMoto.has(python))
    importsMoto.set(python, spawnSync(python, ["-c", "import moto.server"], { encoding: "utf8" }).status === 0);
  if (!importsMoto.get(python)) {
    return `${python} cannot import moto.server: install it with \`${python} -m pip install 'moto[server]'\` or set MOTO_PYTHON to the Python that has moto`;
  }
  return undefined;
}

function pythonFor(env: NodeJS.ProcessEnv): string {
  return env.MOTO_PYTHON ?? "python3";
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`the emulator exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`the emulator at ${endpoint} did not answer within ${timeoutMs} ms (${lastError})`);
}

/**
 * Starts the emulator on a free loopback port, or uses AWS_ENDPOINT_URL when set. The emulator it starts evaluates
 * policies as scripts/emulator/moto_server.py explains.
 */
export async function startEmulator(env: NodeJS.ProcessEnv = process.env): Promise<Emulator> {
  const problem = emulatorProblem(env);
  if (problem) throw new Error(problem);
  let child: ChildProcess | undefined;
  let endpoint = env.AWS_ENDPOINT_URL?.replace(/\/$/, "");
  let output = "";
  if (!endpoint) {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    child = spawn(
      pythonFor(env),
      [join(PROJECT_ROOT, "scripts", "emulator", "moto_server.py"), "-H", "127.0.0.1", "-p", String(port)],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...env, PYTHONUNBUFFERED: "1" } },
    );
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
  }
  const url = endpoint;
  try {
    await waitUntilUp(url, child, 30_000);
  } catch (error) {
    child?.kill("SIGKILL");
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return {
    endpoint: url,
    owned: child !== undefined,
    async setEnforcement(on: boolean) {
      const response = await fetch(`${url}/moto-api/reset-auth`, { method: "POST", body: on ? "0" : "1000000" });
      if (!response.ok)
        throw new Error(`could not switch IAM enforcement ${on ? "on" : "off"}: HTTP ${response.status}`);
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Client settings for the emulator with the given credentials. */
export function emulatorClientConfig(endpoint: string, credentials: Credentials = EMULATOR_CREDENTIALS) {
  return { endpoint, region: EMULATOR_REGION, credentials, forcePathStyle: true, maxAttempts: 2 };
}

/**
 * Credentials that act as `roleArn` in the emulator (which puts the caller in that role's account), obtained by
 * sts:AssumeRole while IAM enforcement is off — as a pipeline's deploy role, or the Lambda service, would.
 */
export async function roleCredentials(endpoint: string, roleArn: string, sessionName: string): Promise<Credentials> {
  const sts = new STSClient(emulatorClientConfig(endpoint));
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken)
    throw new Error(`AssumeRole ${roleArn} returned no credentials`);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/** SHA-256 (or HMAC-SHA-256 with a secret) in the shape the SigV4 signer takes. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key =
      typeof secret === "string" || secret === undefined
        ? secret
        : Buffer.from(secret instanceof ArrayBuffer ? secret : secret.buffer);
    this.hash = key === undefined ? createHash("sha256") : createHmac("sha256", key);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === "string" ? data : Buffer.from(data instanceof ArrayBuffer ? data : data.buffer));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
  reset(): void {
    throw new Error("NodeSha256 cannot be reset");
  }
}

/**
 * Sends one S3 Control request (`/v20180820/...`) to the emulator as `credentials`, for account `accountId`. The
 * SDK would send it to `<account>.<endpoint host>`, a name that does not resolve to a loopback emulator; the
 * emulator routes any SigV4 "s3" request whose path starts with /v20180820/ to S3 Control, so it is signed here and
 * sent to the endpoint as it is. There is no @aws-sdk/client-s3-control in this project.
 */
export async function s3ControlRequest(
  endpoint: string,
  credentials: Credentials,
  accountId: string,
  method: "GET" | "DELETE",
  path: string,
): Promise<{ status: number; body: string }> {
  const url = new URL(path, endpoint);
  const signer = new SignatureV4({ credentials, region: EMULATOR_REGION, service: "s3", sha256: NodeSha256 });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port) || undefined,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: {
      host: url.host,
      "x-amz-account-id": accountId,
      "x-amz-content-sha256": createHash("sha256").update("").digest("hex"),
    },
  });
  const { host: _host, ...headers } = signed.headers;
  const response = await fetch(url, { method, headers });
  return { status: response.status, body: await response.text() };
}
