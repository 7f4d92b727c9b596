/**
 * The deployable artifact: lambda/dist/index.js, built by scripts/build-lambda.mjs. The tests load it as Lambda
 * would and run it against a local stand-in for STS and S3 (reached through AWS_ENDPOINT_URL), which checks the
 * bundled SDK end to end: path-style requests, assumed-role credentials used for S3, one AssumeRole per credential
 * lifetime, SHA-256 checksums S3 verifies, throttling retried, multipart copies completed or aborted.
 *
 * `npm test` builds the bundle before jest runs. Here it is rebuilt only when missing or older than its sources, so
 * that other test files reading lambda/dist while this one runs never see a half-written file.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { builtinModules } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BUCKET, FUNCTION_REGION, REGION, ROLE_ARN } from "./helpers";

const root = resolve(__dirname, "../..");
const bundlePath = resolve(root, "lambda/dist/index.js");
const buildScript = resolve(root, "scripts/build-lambda.mjs");
const MiB = 1024 * 1024;

/** Newest modification time of the bundle's sources and build script. */
function sourcesMtime(): number {
  const srcDir = resolve(root, "lambda/src");
  const files = [buildScript, ...readdirSync(srcDir).map((f) => join(srcDir, f))];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

type BundleHandler = (event: unknown, context?: unknown) => Promise<Record<string, unknown>>;

const savedEnv = process.env;

/** Loads the bundle in a fresh module registry with `env` as process.env (kept until the test ends). */
function loadBundle(env: NodeJS.ProcessEnv): { handler: BundleHandler } {
  // The deployed runtime is nodejs22.x; the SDK would warn that this machine's Node is older.
  process.env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env };
  let mod: { handler: BundleHandler } | undefined;
  jest.isolateModules(() => {
    mod = require(bundlePath) as { handler: BundleHandler };
  });
  return mod!;
}

let logSpy: jest.SpyInstance;
let errorSpy: jest.SpyInstance;
let warnSpy: jest.SpyInstance<void, unknown[]>;
/** What the bundle writes to stdout and stderr: its log lines (see lambda/src/log.ts). */
let stdoutSpy: jest.SpyInstance;
let stderrSpy: jest.SpyInstance;

beforeAll(() => {
  if (!existsSync(bundlePath) || statSync(bundlePath).mtimeMs < sourcesMtime()) {
    execFileSync(process.execPath, [buildScript], { cwd: root, stdio: "pipe" });
  }
});

beforeEach(() => {
  logSpy = jest.spyOn(console, "log").mockImplementation(() => undefined);
  errorSpy = jest.spyOn(console, "error").mockImplementation(() => undefined);
  warnSpy = jest.spyOn(console, "warn").mockImplementation(() => undefined);
  stdoutSpy = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  stderrSpy = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
});

afterEach(() => {
  jest.useRealTimers();
  process.env = savedEnv;
  logSpy.mockRestore();
  errorSpy.mockRestore();
  stdoutSpy.mockRestore();
  stderrSpy.mockRestore();
  const warnings = warnSpy.mock.calls.map((args) => String(args[0]));
  warnSpy.mockRestore();
  // The SDK warns on the console about requests it considers suspicious (e.g. a body of unknown length).
  expect(warnings).toEqual([]);
});

/** incoming/ may be read, written and deleted; forbidden/ is granted to the function but refused by "AWS" below. */
const GRANTED_PREFIXES = JSON.stringify([
  { prefix: "incoming/", access: "readWrite", delete: true },
  { prefix: "forbidden/", access: "readWrite", delete: false },
]);

const bucketPolicyEnv = {
  BUCKET_NAME: BUCKET,
  BUCKET_REGION: REGION,
  ACCESS_MODE: "bucket-policy",
  GRANTED_PREFIXES,
  AWS_LAMBDA_FUNCTION_NAME: "consumer-fn",
};

test("the build script works from any working directory, reports the size, and bundles everything in 500 KB", () => {
  const dir = mkdtempSync(join(tmpdir(), "lambda-bundle-"));
  try {
    const output = execFileSync(
      process.execPath,
      [buildScript, "--outfile", "out/index.js", "--zipfile", "out/function.zip"],
      {
        cwd: dir,
      },
    ).toString();
    const built = join(dir, "out/index.js");
    expect(existsSync(built)).toBe(true);
    expect(existsSync(join(dir, "out/function.zip"))).toBe(true);
    expect(output).toMatch(/lambda bundle: .*out\/index\.js \d+\.\d KB, archive: .*out\/function\.zip \d+\.\d KB/);
    expect(statSync(built).size).toBeLessThanOrEqual(500 * 1024);
    const code = readFileSync(built, "utf8");
    // Self-contained: the only modules left to require at run time are Node's own (the optional CRT signer is
    // only named inside an error message).
    const required = new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
    required.delete("@aws-sdk/signature-v4-crt");
    expect([...required].filter((name) => !builtinModules.includes(name.replace(/^node:/, "")))).toEqual([]);
    // No import() left for the host's ES module loader (the SDK's ES builds load Node built-ins that way).
    expect(code.match(/[^\w$.]import\(/g)).toBeNull();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lambda/dist/index.js exports a handler function", () => {
  expect(existsSync(bundlePath)).toBe(true);
  expect(statSync(bundlePath).size).toBeGreaterThan(50 * 1024);

  const { handler } = loadBundle(bucketPolicyEnv);

  expect(typeof handler).toBe("function");
});

test("error names survive minification (Lambda reports them as errorType)", async () => {
  const { handler } = loadBundle(bucketPolicyEnv);

  await expect(handler({ operation: "move" })).rejects.toMatchObject({
    name: "InvalidEventError",
    message: expect.stringContaining(
      'operation "move" is not one of get, put, list, delete, presign-get, presign-put, copy',
    ),
  });
  await expect(handler({ operation: "get", key: "reference/a" })).rejects.toMatchObject({
    name: "NotGrantedError",
    message: expect.stringContaining("gives read access only under incoming/, forbidden/"),
  });
  expect(() => loadBundle({ ...bucketPolicyEnv, BUCKET_NAME: undefined })).toThrow(
    expect.objectContaining({
      name: "ConfigurationError",
      message: expect.stringContaining("BUCKET_NAME is required"),
    }),
  );
  expect(() => loadBundle({ ...bucketPolicyEnv, GRANTED_PREFIXES: undefined })).toThrow(
    expect.objectContaining({
      name: "ConfigurationError",
      message: expect.stringContaining("GRANTED_PREFIXES is required"),
    }),
  );
});

describe("against a local STS and S3", () => {
  let server: Server;
  let endpoint: string;
  const objects = new Map<string, { body: Buffer; contentType: string }>();
  const uploads = new Map<string, { key: string; parts: Map<number, Buffer> }>();
  interface Seen {
    service: "sts" | "s3";
    method: string;
    path: string;
    query: Record<string, string>;
    authorization: string;
    token?: string;
    checksum?: string;
    bytes: number;
  }
  const requests: Seen[] = [];
  const assumeRoleParams: URLSearchParams[] = [];
  /** Faults to inject: answers to give instead of the normal one, consumed in order. */
  const faults: Array<{ match: (r: Seen) => boolean; status: number; code: string; times: number }> = [];
  let corruptNextUpload = false;

  function xml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
    res.writeHead(status, { "content-type": "application/xml", "x-amz-request-id": "LOCAL", ...headers });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  }
  const error = (res: ServerResponse, status: number, code: string, message = code) =>
    xml(res, status, `<Error><Code>${code}</Code><Message>${message}</Message></Error>`);

  function sts(res: ServerResponse, params: URLSearchParams) {
    assumeRoleParams.push(params);
    const n = assumeRoleParams.length;
    // Credentials for one hour from now (Date may be faked by the test).
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    xml(
      res,
      200,
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
        `<Credentials><AccessKeyId>ASIAASSUMED${n}</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey>` +
        `<SessionToken>assumed-token-${n}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
        `<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:consumer-fn</AssumedRoleId>` +
        `<Arn>arn:aws:sts::222222222222:assumed-role/s3-access/consumer-fn</Arn></AssumedRoleUser>` +
        `</AssumeRoleResult><ResponseMetadata><RequestId>LOCAL</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  }

  /** Like S3: an upload whose x-amz-checksum-sha256 does not match the bytes received is refused and not stored. */
  function checksumProblem(seen: Seen, body: Buffer): string | undefined {
    if (seen.checksum === undefined) return undefined;
    const actual = createHash("sha256").update(body).digest("base64");
    return actual === seen.checksum ? undefined : actual;
  }

  function s3(req: IncomingMessage, res: ServerResponse, url: URL, received: Buffer, seen: Seen) {
    const [, bucket, ...rest] = url.pathname.split("/");
    const key = decodeURIComponent(rest.join("/"));
    const q = url.searchParams;
    if (bucket !== BUCKET) return error(res, 404, "NoSuchBucket", "The specified bucket does not exist");
    if ((key || q.get("prefix") || "").startsWith("forbidden/"))
      return error(res, 403, "AccessDenied", "Access Denied");
    let body = received;
    if (corruptNextUpload && req.method === "PUT") {
      // A bit flipped on the way, after the client computed its checksum.
      corruptNextUpload = false;
      body = Buffer.from(received);
      body[0] = (body[0] ?? 0) ^ 0x01;
    }
    if (req.method === "GET" && key === "" && q.get("list-type") === "2") {
      const prefix = q.get("prefix") ?? "";
      const maxKeys = Number(q.get("max-keys") ?? 1000);
      const all = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
      const start = q.get("continuation-token") ? Number(q.get("continuation-token")) : 0;
      const page = all.slice(start, start + maxKeys);
      const more = start + maxKeys < all.length;
      return xml(
        res,
        200,
        `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${BUCKET}</Name><Prefix>${prefix}</Prefix>` +
          `<KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${more}</IsTruncated>` +
          (more ? `<NextContinuationToken>${start + maxKeys}</NextContinuationToken>` : "") +
          page.map((k) => `<Contents><Key>${k}</Key><Size>${objects.get(k)!.body.length}</Size></Contents>`).join("") +
          `</ListBucketResult>`,
      );
    }
    if (req.method === "POST" && q.has("uploads")) {
      const uploadId = `upload-${uploads.size + 1}`;
      uploads.set(uploadId, { key, parts: new Map() });
      return xml(
        res,
        200,
        `<InitiateMultipartUploadResult><Bucket>${BUCKET}</Bucket><Key>${key}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    if (req.method === "PUT" && q.has("uploadId")) {
      const upload = uploads.get(q.get("uploadId")!);
      if (!upload) return error(res, 404, "NoSuchUpload");
      if (checksumProblem(seen, body)) return error(res, 400, "BadDigest");
      upload.parts.set(Number(q.get("partNumber")), body);
      res.writeHead(200, { etag: `"part-${q.get("partNumber")}"` });
      return res.end();
    }
    if (req.method === "POST" && q.has("uploadId")) {
      const uploadId = q.get("uploadId")!;
      const upload = uploads.get(uploadId);
      if (!upload) return error(res, 404, "NoSuchUpload");
      const numbers = [...received.toString().matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
      objects.set(upload.key, {
        body: Buffer.concat(numbers.map((n) => upload.parts.get(n)!)),
        contentType: "binary/octet-stream",
      });
      uploads.delete(uploadId);
      return xml(
        res,
        200,
        `<CompleteMultipartUploadResult><Key>${upload.key}</Key><ETag>"whole"</ETag></CompleteMultipartUploadResult>`,
      );
    }
    if (req.method === "DELETE" && q.has("uploadId")) {
      uploads.delete(q.get("uploadId")!);
      res.writeHead(204);
      return res.end();
    }
    if (req.method === "PUT") {
      if (checksumProblem(seen, body)) {
        return error(res, 400, "BadDigest", "The SHA256 you specified did not match the calculated checksum.");
      }
      objects.set(key, { body, contentType: req.headers["content-type"] ?? "binary/octet-stream" });
      res.writeHead(200, { etag: '"local-etag"', "x-amz-version-id": "v1" });
      return res.end();
    }
    const object = objects.get(key);
    if (req.method === "GET") {
      if (!object) return error(res, 404, "NoSuchKey", "The specified key does not exist.");
      res.writeHead(200, { "content-type": object.contentType, "content-length": String(object.body.length) });
      return res.end(object.body);
    }
    if (req.method === "DELETE") {
      objects.delete(key);
      res.writeHead(204);
      return res.end();
    }
    return error(res, 405, "MethodNotAllowed", "unexpected request");
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      // The SDK corrects its clock from this header; the tests move Date, not the server's clock.
      res.sendDate = false;
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? "/", "http://localhost");
        const form = new URLSearchParams(body.toString("utf8"));
        const isSts = req.method === "POST" && url.pathname === "/" && form.get("Action") === "AssumeRole";
        const token = req.headers["x-amz-security-token"] as string | undefined;
        const checksum = req.headers["x-amz-checksum-sha256"] as string | undefined;
        const seen: Seen = {
          service: isSts ? "sts" : "s3",
          method: req.method ?? "",
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          authorization: String(req.headers.authorization ?? ""),
          ...(token && { token }),
          ...(checksum && { checksum }),
          bytes: body.length,
        };
        requests.push(seen);
        const fault = faults.find((f) => f.times > 0 && f.match(seen));
        if (fault) {
          fault.times--;
          return error(res, fault.status, fault.code);
        }
        return isSts ? sts(res, form) : s3(req, res, url, body, seen);
      });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
  });

  beforeEach(() => {
    objects.clear();
    uploads.clear();
    requests.length = 0;
    assumeRoleParams.length = 0;
    faults.length = 0;
    corruptNextUpload = false;
  });

  const localEnv = () => ({
    AWS_ENDPOINT_URL: endpoint,
    S3_FORCE_PATH_STYLE: "true",
    AWS_REGION: FUNCTION_REGION,
    AWS_ACCESS_KEY_ID: "AKIALAMBDAROLE",
    AWS_SECRET_ACCESS_KEY: "lambda-secret",
    AWS_SESSION_TOKEN: "lambda-token",
  });
  const assumeRoleEnv = () => ({
    ...localEnv(),
    ...bucketPolicyEnv,
    ACCESS_MODE: "assume-role",
    S3_ACCESS_ROLE_ARN: ROLE_ARN,
    EXTERNAL_ID: "ext-1234",
  });
  const s3Requests = () => requests.filter((r) => r.service === "s3");

  test("assume-role mode: S3 calls signed with the assumed credentials, STS in the function's region", async () => {
    const { handler } = loadBundle(assumeRoleEnv());

    await expect(handler({ operation: "put", key: "incoming/a.txt", body: "héllo" })).resolves.toEqual({
      operation: "put",
      bucket: BUCKET,
      key: "incoming/a.txt",
      bytes: 6,
      checksumSHA256: createHash("sha256").update("héllo").digest("base64"),
      etag: '"local-etag"',
      versionId: "v1",
    });
    await expect(handler({ operation: "get", key: "incoming/a.txt" })).resolves.toEqual({
      operation: "get",
      bucket: BUCKET,
      key: "incoming/a.txt",
      body: "héllo",
      encoding: "utf-8",
      bytes: 6,
      contentType: "text/plain; charset=utf-8",
    });
    await expect(handler({ operation: "list", prefix: "incoming/" })).resolves.toEqual({
      operation: "list",
      bucket: BUCKET,
      prefix: "incoming/",
      objects: [{ key: "incoming/a.txt", size: 6 }],
      truncated: false,
    });
    const presigned = await handler({ operation: "presign-get", key: "incoming/a.txt", expiresIn: 7200 });
    await expect(handler({ operation: "delete", key: "incoming/a.txt" })).resolves.toEqual({
      operation: "delete",
      bucket: BUCKET,
      key: "incoming/a.txt",
    });
    await expect(handler({ operation: "get", key: "incoming/a.txt" })).rejects.toMatchObject({ name: "NotFoundError" });
    await expect(handler({ operation: "get", key: "forbidden/x" })).rejects.toMatchObject({
      name: "AccessDeniedError",
      message: expect.stringContaining("the S3 access role's trust policy (and ExternalId)"),
    });

    expect(objects.size).toBe(0);
    const stsCalls = requests.filter((r) => r.service === "sts");
    expect(stsCalls).toHaveLength(1);
    expect(stsCalls[0].authorization).toContain("Credential=AKIALAMBDAROLE/");
    expect(stsCalls[0].authorization).toContain(`/${FUNCTION_REGION}/sts/`);
    expect(Object.fromEntries(assumeRoleParams[0])).toMatchObject({
      RoleArn: ROLE_ARN,
      RoleSessionName: "consumer-fn",
      ExternalId: "ext-1234",
    });
    expect(s3Requests()).toHaveLength(6);
    for (const call of s3Requests()) {
      expect(call.path.startsWith(`/${BUCKET}`)).toBe(true);
      expect(call.authorization).toContain("Credential=ASIAASSUMED1/");
      expect(call.authorization).toContain(`/${REGION}/s3/`);
      expect(call.token).toBe("assumed-token-1");
    }
    // The URL is signed with the session's credentials, for no longer than they live (1 hour, less the time passed).
    const url = new URL(presigned.url as string);
    expect(url.origin).toBe(endpoint);
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(/^ASIAASSUMED1\//);
    expect(url.searchParams.get("X-Amz-Security-Token")).toBe("assumed-token-1");
    expect(presigned.expiresIn).toBeLessThanOrEqual(3600);
    expect(presigned.expiresIn).toBeGreaterThan(3500);
    expect(Number(url.searchParams.get("X-Amz-Expires"))).toBe(presigned.expiresIn);
  });

  test("assume-role mode: a key with a lone surrogate is refused before STS or S3 is called", async () => {
    const { handler } = loadBundle(assumeRoleEnv());

    await expect(handler({ operation: "get", key: "incoming/\uD800x" })).rejects.toMatchObject({
      name: "InvalidEventError",
      field: "key",
      message:
        'Invalid event: key must be well-formed Unicode, got a lone UTF-16 surrogate U+D800 at index 9 of "incoming/\\ud800x"',
    });
    await expect(handler({ operation: "copy", sourceKey: "incoming/\uDC00", key: "incoming/b" })).rejects.toMatchObject(
      {
        name: "InvalidEventError",
        field: "sourceKey",
      },
    );
    await expect(handler({ operation: "list", prefix: "incoming/\uDBFF" })).rejects.toMatchObject({
      name: "InvalidEventError",
      field: "prefix",
    });

    expect(requests.filter((r) => r.service === "sts")).toHaveLength(0);
    expect(s3Requests()).toHaveLength(0);
    // The same container then serves a well-formed key: the first AssumeRole happens only now.
    await expect(handler({ operation: "put", key: "incoming/\uD83D\uDE00", body: "x" })).resolves.toMatchObject({
      key: "incoming/😀",
    });
    expect(requests.map((r) => r.service)).toEqual(["sts", "s3"]);
    expect(objects.has("incoming/😀")).toBe(true);
  });

  test("assume-role mode: one AssumeRole per credential lifetime, shared by concurrent and warm invocations, renewed 5 minutes ahead", async () => {
    const start = Date.UTC(2030, 0, 1, 12);
    jest.useFakeTimers({
      now: start,
      // Only Date is faked; timers and I/O run as usual.
      doNotFake: [
        "hrtime",
        "nextTick",
        "performance",
        "queueMicrotask",
        "requestAnimationFrame",
        "cancelAnimationFrame",
        "requestIdleCallback",
        "cancelIdleCallback",
        "setImmediate",
        "clearImmediate",
        "setInterval",
        "clearInterval",
        "setTimeout",
        "clearTimeout",
      ],
    });
    const { handler } = loadBundle(assumeRoleEnv());
    const sts = () => requests.filter((r) => r.service === "sts").length;
    const put = (i: number) => handler({ operation: "put", key: `incoming/${i}.txt`, body: `${i}` });

    // A cold container hit by 20 invocations at once: they share one pending AssumeRole.
    await Promise.all(Array.from({ length: 20 }, (_, i) => put(i)));
    expect(sts()).toBe(1);
    // 200 warm invocations over the next 54 minutes reuse the cached credentials.
    for (let i = 0; i < 200; i++) {
      jest.setSystemTime(start + Math.floor((i * 54 * 60_000) / 200));
      await put(i);
    }
    jest.setSystemTime(start + 54 * 60_000);
    await put(1000);
    expect(sts()).toBe(1);
    // Within 5 minutes of the expiry the next invocation renews them, once.
    jest.setSystemTime(start + 55 * 60_000 + 1_000);
    await Promise.all([put(1001), put(1002), put(1003)]);
    expect(sts()).toBe(2);
    await put(1004);
    expect(sts()).toBe(2);

    const keys = s3Requests().map((r) => /Credential=(\w+)\//.exec(r.authorization)?.[1]);
    expect(keys.slice(0, 221).every((k) => k === "ASIAASSUMED1")).toBe(true);
    expect(keys.slice(221)).toEqual(["ASIAASSUMED2", "ASIAASSUMED2", "ASIAASSUMED2", "ASIAASSUMED2"]);
  });

  test("bucket-policy mode: S3 calls signed with the Lambda role's credentials, no STS", async () => {
    const { handler } = loadBundle({ ...localEnv(), ...bucketPolicyEnv });

    await handler({ operation: "put", key: "incoming/b.txt", body: "" });
    await expect(handler({ operation: "get", key: "incoming/b.txt" })).resolves.toMatchObject({ body: "", bytes: 0 });
    await expect(handler({ operation: "list", prefix: "forbidden/" })).rejects.toMatchObject({
      name: "AccessDeniedError",
      message: expect.stringContaining("the bucket policy and the KMS key policy in the bucket account"),
    });

    expect(requests.filter((r) => r.service === "sts")).toHaveLength(0);
    for (const call of requests) {
      expect(call.authorization).toContain("Credential=AKIALAMBDAROLE/");
      expect(call.token).toBe("lambda-token");
    }
  });

  test("put sends the SHA-256 of its body: a body corrupted on the way is refused by S3 and never stored", async () => {
    const { handler } = loadBundle({ ...localEnv(), ...bucketPolicyEnv });

    corruptNextUpload = true;
    await expect(handler({ operation: "put", key: "incoming/c.txt", body: "important" })).rejects.toMatchObject({
      name: "BadDigest",
    });
    expect(objects.has("incoming/c.txt")).toBe(false);

    await handler({ operation: "put", key: "incoming/c.txt", body: "important" });
    expect(objects.get("incoming/c.txt")!.body.toString()).toBe("important");
    const puts = s3Requests().filter((r) => r.method === "PUT");
    expect(puts.map((r) => r.checksum)).toEqual([
      createHash("sha256").update("important").digest("base64"),
      createHash("sha256").update("important").digest("base64"),
    ]);
  });

  test("throttling is retried by the SDK before the handler sees it", async () => {
    const { handler } = loadBundle({ ...localEnv(), ...bucketPolicyEnv });
    objects.set("incoming/hot.txt", { body: Buffer.from("hot"), contentType: "text/plain" });
    faults.push({
      match: (r) => r.method === "GET" && r.path.endsWith("/hot.txt"),
      status: 503,
      code: "SlowDown",
      times: 1,
    });

    await expect(handler({ operation: "get", key: "incoming/hot.txt" })).resolves.toMatchObject({ body: "hot" });

    expect(s3Requests().map((r) => r.method)).toEqual(["GET", "GET"]);
  });

  test("list pages through a prefix with continuation tokens", async () => {
    const { handler } = loadBundle({ ...localEnv(), ...bucketPolicyEnv });
    for (const k of ["a", "b", "c", "d", "e"])
      objects.set(`incoming/${k}`, { body: Buffer.from(k), contentType: "text/plain" });

    const keys: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await handler({
        operation: "list",
        prefix: "incoming/",
        maxKeys: 2,
        ...(token && { continuationToken: token }),
      });
      keys.push(...(page.objects as Array<{ key: string }>).map((o) => o.key));
      token = page.nextContinuationToken as string | undefined;
      expect(page.truncated).toBe(token !== undefined);
      pages++;
    } while (token);

    expect(pages).toBe(3);
    expect(keys).toEqual(["incoming/a", "incoming/b", "incoming/c", "incoming/d", "incoming/e"]);
  });

  test("copy streams a 20 MiB object through a multipart upload, every part checked by its SHA-256", async () => {
    const { handler } = loadBundle({ ...localEnv(), ...bucketPolicyEnv });
    const source = randomBytes(20 * MiB);
    objects.set("incoming/src.bin", { body: source, contentType: "application/octet-stream" });

    await expect(
      handler({ operation: "copy", sourceKey: "incoming/src.bin", key: "incoming/dst.bin" }),
    ).resolves.toEqual({
      operation: "copy",
      bucket: BUCKET,
      sourceKey: "incoming/src.bin",
      key: "incoming/dst.bin",
      bytes: 20 * MiB,
      etag: '"whole"',
    });

    expect(objects.get("incoming/dst.bin")!.body.equals(source)).toBe(true);
    const parts = s3Requests().filter((r) => r.method === "PUT" && r.query.partNumber !== undefined);
    expect(parts.map((p) => [Number(p.query.partNumber), p.bytes]).sort((a, b) => a[0] - b[0])).toEqual([
      [1, 5 * MiB],
      [2, 5 * MiB],
      [3, 5 * MiB],
      [4, 5 * MiB],
    ]);
    for (const p of parts) expect(p.checksum).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(uploads.size).toBe(0);
  });

  test("a copy whose upload fails is aborted: no object, no parts left behind", async () => {
    const { handler } = loadBundle({ ...localEnv(), ...bucketPolicyEnv });
    objects.set("incoming/src.bin", { body: randomBytes(20 * MiB), contentType: "application/octet-stream" });
    // Part 2 fails on every attempt the SDK makes.
    faults.push({
      match: (r) => r.method === "PUT" && r.query.partNumber === "2",
      status: 500,
      code: "InternalError",
      times: 10,
    });

    await expect(
      handler({ operation: "copy", sourceKey: "incoming/src.bin", key: "incoming/dst.bin" }),
    ).rejects.toMatchObject({
      name: "InternalError",
    });

    expect(objects.has("incoming/dst.bin")).toBe(false);
    expect(uploads.size).toBe(0);
    expect(s3Requests().filter((r) => r.method === "DELETE" && r.query.uploadId === "upload-1")).toHaveLength(1);
    expect(s3Requests().filter((r) => r.method === "POST" && r.query.uploadId !== undefined)).toHaveLength(0);
  });
});
