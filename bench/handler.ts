/**
 * Handler benchmark (run on demand: npm run bench:handler; not part of npm test). Against the local AWS emulator it
 * prints:
 *   - STS calls per 1,000 warm invocations in assume-role mode: the bundled handler (goal 1), beside a handler written
 *     as the public guides write it, with an AssumeRole per invocation, measured the same way (a proxy in front of the
 *     emulator counts the AssumeRole requests);
 *   - the size of the bundle (goal <= 500 KB);
 *   - the cold init time of the bundle: loading it and reading the configuration in a new Node process;
 *   - the peak memory of a process copying a 256 MiB object through the handler's `copy`, beside the same process at
 *     rest (goal <= idle + 64 MB; printed in MiB).
 * Figures come from one run on whatever machine runs it; a shared machine makes them noisy.
 */
import { execFileSync } from "node:child_process";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Readable } from "node:stream";
import { statSync } from "node:fs";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import {
  emulatorClientConfig,
  emulatorProblem,
  roleCredentials,
  startEmulator,
  type Credentials,
  type Emulator,
} from "../scripts/lib/emulator";
import { BUNDLE_PATH, CODE_ARCHIVE_PATH, withHandler } from "../scripts/lib/local-run";
import { PROJECT_ROOT } from "../scripts/lib/toolchain";

const INVOCATIONS = Number(process.env.BENCH_INVOCATIONS ?? 1000);
const INIT_RUNS = Number(process.env.BENCH_INIT_RUNS ?? 9);
const COPY_BYTES = Number(process.env.BENCH_COPY_MIB ?? 256) * 1024 * 1024;
/** One MiB (the bench prints memory in MiB). */
const MB = 1024 * 1024;
const LAMBDA_ACCOUNT = "111111111111";
const BUCKET_ACCOUNT = "222222222222";
const BUCKET = `bench-shared-${BUCKET_ACCOUNT}`;
const REGION = "us-east-1";
const ACCESS_ROLE_ARN = `arn:aws:iam::${BUCKET_ACCOUNT}:role/bench-s3-access`;
const EXTERNAL_ID = "bench-external-id";
const FUNCTION_NAME = "bench-consumer";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** The function's environment, as the stack would set it. */
function functionEnv(mode: "bucket-policy" | "assume-role"): Record<string, string> {
  return {
    BUCKET_NAME: BUCKET,
    BUCKET_REGION: REGION,
    ACCESS_MODE: mode,
    GRANTED_PREFIXES: JSON.stringify([{ prefix: "bench/", access: "readWrite", delete: false }]),
    S3_FORCE_PATH_STYLE: "true",
    AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME,
    ...(mode === "assume-role" && { S3_ACCESS_ROLE_ARN: ACCESS_ROLE_ARN, EXTERNAL_ID }),
  };
}

/** A proxy in front of the emulator that counts the sts:AssumeRole requests going through it. */
async function countingProxy(
  target: string,
): Promise<{ endpoint: string; assumeRoles: () => number; close: () => Promise<void> }> {
  const upstream = new URL(target);
  let assumeRoles = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.method === "POST" && req.url === "/" && body.includes("Action=AssumeRole")) assumeRoles++;
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on("error", (error) => {
        res.writeHead(502);
        res.end(error.message);
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    assumeRoles: () => assumeRoles,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * The handler the public guides write: an STS client, an AssumeRole and a new S3 client in every invocation.
 * Shown only to measure it the same way.
 */
function guidesHandler(endpoint: string, lambdaRole: Credentials) {
  return async (event: { key: string; body: string }) => {
    const sts = new STSClient({ ...emulatorClientConfig(endpoint, lambdaRole) });
    const { Credentials: c } = await sts.send(
      new AssumeRoleCommand({ RoleArn: ACCESS_ROLE_ARN, RoleSessionName: FUNCTION_NAME, ExternalId: EXTERNAL_ID }),
    );
    const s3 = new S3Client(
      emulatorClientConfig(endpoint, {
        accessKeyId: c!.AccessKeyId!,
        secretAccessKey: c!.SecretAccessKey!,
        sessionToken: c!.SessionToken!,
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: event.key, Body: event.body }));
    sts.destroy();
    s3.destroy();
  };
}

async function stsCalls(emulator: Emulator, lambdaRole: Credentials): Promise<void> {
  const proxy = await countingProxy(emulator.endpoint);
  try {
    const event = (i: number) => ({ operation: "put", key: `bench/sts/${i}.txt`, body: `${i}` });
    let t0 = performance.now();
    await withHandler(proxy.endpoint, functionEnv("assume-role"), lambdaRole, async (invoke) => {
      // The first invocation is the container's cold start; every later one is warm.
      for (let i = 0; i < INVOCATIONS; i++) await invoke(event(i));
    });
    const ours = proxy.assumeRoles();
    const oursSeconds = (performance.now() - t0) / 1000;

    const guides = guidesHandler(proxy.endpoint, lambdaRole);
    t0 = performance.now();
    for (let i = 0; i < INVOCATIONS; i++) await guides({ key: `bench/guides/${i}.txt`, body: `${i}` });
    const theirs = proxy.assumeRoles() - ours;
    const theirsSeconds = (performance.now() - t0) / 1000;

    console.log(`STS AssumeRole calls for ${INVOCATIONS} invocations of one container, assume-role mode (goal 1):`);
    console.log(`  this handler:                      ${String(ours).padStart(5)}   (${oursSeconds.toFixed(1)} s)`);
    console.log(
      `  per-invocation AssumeRole (guides): ${String(theirs).padStart(4)}   (${theirsSeconds.toFixed(1)} s)`,
    );
  } finally {
    await proxy.close();
  }
}

function bundleSize(): void {
  const bundle = statSync(BUNDLE_PATH).size;
  const archive = statSync(CODE_ARCHIVE_PATH).size;
  console.log(
    `bundle: lambda/dist/index.js ${(bundle / 1024).toFixed(1)} KB (goal <= 500 KB), function.zip ${(archive / 1024).toFixed(1)} KB`,
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Time to load the bundle (module evaluation, configuration, client construction) in a new process. */
function coldInit(lambdaRole: Credentials): void {
  const script = `const t=performance.now();require(${JSON.stringify(BUNDLE_PATH)});process.stdout.write(String(performance.now()-t))`;
  const env = {
    ...process.env,
    ...functionEnv("assume-role"),
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: lambdaRole.accessKeyId,
    AWS_SECRET_ACCESS_KEY: lambdaRole.secretAccessKey,
    AWS_SESSION_TOKEN: lambdaRole.sessionToken ?? "",
  };
  const times: number[] = [];
  for (let i = 0; i < INIT_RUNS; i++)
    times.push(Number(execFileSync(process.execPath, ["-e", script], { env, encoding: "utf8" })));
  console.log(
    `cold init of the bundle (require in a new process, ${INIT_RUNS} runs): median ${median(times).toFixed(1)} ms, ` +
      `min ${Math.min(...times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`,
  );
}

/** Peak resident memory of a process copying a COPY_BYTES object through `copy`, beside the same process at rest. */
async function copyMemory(emulator: Emulator, owner: S3Client, lambdaRole: Credentials): Promise<void> {
  const sourceKey = "bench/copy/source.bin";
  const chunk = Buffer.alloc(MB, 0x5a);
  const source = Readable.from(
    (function* () {
      for (let sent = 0; sent < COPY_BYTES; sent += MB) yield chunk;
    })(),
  );
  await new Upload({
    client: owner,
    params: { Bucket: BUCKET, Key: sourceKey, Body: source },
    partSize: 16 * MB,
  }).done();

  const output = execFileSync(
    process.execPath,
    ["--expose-gc", join(PROJECT_ROOT, "bench", "copy-memory.cjs"), BUNDLE_PATH],
    {
      env: {
        ...process.env,
        ...functionEnv("bucket-policy"),
        AWS_ENDPOINT_URL: emulator.endpoint,
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: lambdaRole.accessKeyId,
        AWS_SECRET_ACCESS_KEY: lambdaRole.secretAccessKey,
        AWS_SESSION_TOKEN: lambdaRole.sessionToken ?? "",
        BENCH_PREFIX: "bench/",
        BENCH_SOURCE_KEY: sourceKey,
        BENCH_DESTINATION_KEY: "bench/copy/destination.bin",
      },
      encoding: "utf8",
      maxBuffer: 16 * MB,
    },
  );
  const line = output.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`the copy process printed no result:\n${output}`);
  const r = JSON.parse(line.slice("RESULT ".length)) as {
    idleRss: number;
    peakRss: number;
    maxRss: number;
    peakArrayBuffers: number;
    bytes: number;
    seconds: number;
  };
  const peak = Math.max(r.peakRss, r.maxRss);
  const mb = (n: number) => `${(n / MB).toFixed(1)} MiB`;
  console.log(
    `copy of a ${mb(r.bytes)} object through the handler (${r.seconds.toFixed(1)} s, ${mb(r.bytes / r.seconds)}/s):`,
  );
  console.log(
    `  process at rest ${mb(r.idleRss)}, peak ${mb(peak)}: idle + ${mb(peak - r.idleRss)} (goal <= idle + 64 MB)`,
  );
  console.log(`  (Node buffers, live parts and garbage not yet collected, peaked at ${mb(r.peakArrayBuffers)})`);
}

async function main(): Promise<void> {
  const problem = emulatorProblem();
  if (problem) throw new Error(problem);
  const emulator = await startEmulator();
  try {
    // A performance run: the access rules are proven elsewhere (npm test, npm run demo).
    await emulator.setEnforcement(false);
    const owner = new S3Client(
      emulatorClientConfig(
        emulator.endpoint,
        await roleCredentials(emulator.endpoint, `arn:aws:iam::${BUCKET_ACCOUNT}:role/deploy`, "bench"),
      ),
    );
    await owner.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const lambdaRole = await roleCredentials(
      emulator.endpoint,
      `arn:aws:iam::${LAMBDA_ACCOUNT}:role/${FUNCTION_NAME}`,
      FUNCTION_NAME,
    );

    console.log(`handler benchmark (this machine: ${process.version}, shared and noisy; figures from one run)\n`);
    await stsCalls(emulator, lambdaRole);
    bundleSize();
    coldInit(lambdaRole);
    await copyMemory(emulator, owner, lambdaRole);
    owner.destroy();
  } finally {
    await emulator.stop();
  }
}

main().catch((error) => {
  console.error(`bench:handler: ${(error as Error).message}`);
  process.exit(1);
});
