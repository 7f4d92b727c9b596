/**
 * The deployable artifact: lambda/dist/index.js, built by scripts/build-lambda.mjs. The tests load it as Lambda
 * would and run it against a local stand-in for STS and S3 (reached through AWS_ENDPOINT_URL), which checks the
 * bundled SDK end to end: path-style requests, assumed-role credentials used for S3, AssumeRole called once.
 *
 * `npm test` builds the bundle before jest runs. Here it is rebuilt only when missing or older than its sources, so
 * that other test files reading lambda/dist while this one runs never see a half-written file.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BUCKET, REGION, ROLE_ARN } from "./helpers";

const root = resolve(__dirname, "../..");
const bundlePath = resolve(root, "lambda/dist/index.js");
const buildScript = resolve(root, "scripts/build-lambda.mjs");

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
  process.env = { ...env };
  let mod: { handler: BundleHandler } | undefined;
  jest.isolateModules(() => {
    mod = require(bundlePath) as { handler: BundleHandler };
  });
  return mod!;
}

let logSpy: jest.SpyInstance;
let errorSpy: jest.SpyInstance;
let warnSpy: jest.SpyInstance;

beforeAll(() => {
  if (!existsSync(bundlePath) || statSync(bundlePath).mtimeMs < sourcesMtime()) {
    execFileSync(process.execPath, [buildScript], { cwd: root, stdio: "pipe" });
  }
});

beforeEach(() => {
  logSpy = jest.spyOn(console, "log").mockImplementation(() => undefined);
  errorSpy = jest.spyOn(console, "error").mockImplementation(() => undefined);
  warnSpy = jest.spyOn(console, "warn").mockImplementation(() => undefined);
});

afterEach(() => {
  process.env = savedEnv;
  logSpy.mockRestore();
  errorSpy.mockRestore();
  const warnings = warnSpy.mock.calls.map((args) => String(args[0]));
  warnSpy.mockRestore();
  // The SDK warns on the console about requests it considers suspicious (e.g. a body of unknown length).
  expect(warnings).toEqual([]);
});

const bucketPolicyEnv = {
  BUCKET_NAME: BUCKET,
  BUCKET_REGION: REGION,
  ACCESS_MODE: "bucket-policy",
  AWS_LAMBDA_FUNCTION_NAME: "consumer-fn",
};

test("the build script works from any working directory and reports the bundle size", () => {
  const dir = mkdtempSync(join(tmpdir(), "lambda-bundle-"));
  try {
    const output = execFileSync(process.execPath, [buildScript, "--outfile", "out/index.js"], { cwd: dir }).toString();
    const built = join(dir, "out/index.js");
    expect(existsSync(built)).toBe(true);
    expect(output).toMatch(/lambda bundle: .*out\/index\.js \d+\.\d KB/);
    // Self-contained: the only modules left to require at run time are Node's own (the optional CRT signer is
    // only named inside an error message).
    const requires = new Set(readFileSync(built, "utf8").match(/require\("[^"]+"\)/g) ?? []);
    requires.delete('require("@aws-sdk/signature-v4-crt")');
    expect([...requires].filter((r) => !r.startsWith('require("node:'))).toEqual([]);
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

  await expect(handler({ operation: "copy" })).rejects.toMatchObject({
    name: "InvalidEventError",
    message: expect.stringContaining('operation "copy" is not one of get, put, list, delete'),
  });
  expect(() => loadBundle({ ...bucketPolicyEnv, BUCKET_NAME: undefined })).toThrow(
    expect.objectContaining({ name: "ConfigurationError", message: expect.stringContaining("BUCKET_NAME is required") }),
  );
});

describe("against a local STS and S3", () => {
  let server: Server;
  let endpoint: string;
  const objects = new Map<string, { body: Buffer; contentType: string }>();
  const requests: { service: "sts" | "s3"; method: string; path: string; authorization: string; token?: string }[] = [];
  const assumeRoleParams: URLSearchParams[] = [];

  function xml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
    res.writeHead(status, { "content-type": "application/xml", "x-amz-request-id": "LOCAL", ...headers });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  }

  function sts(res: ServerResponse, params: URLSearchParams) {
    assumeRoleParams.push(params);
    xml(
      res,
      200,
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
        `<Credentials><AccessKeyId>ASIAASSUMED</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey>` +
        `<SessionToken>assumed-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>` +
        `<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:consumer-fn</AssumedRoleId>` +
        `<Arn>arn:aws:sts::222222222222:assumed-role/s3-access/consumer-fn</Arn></AssumedRoleUser>` +
        `</AssumeRoleResult><ResponseMetadata><RequestId>LOCAL</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  }

  function s3(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer) {
    const [, bucket, ...rest] = url.pathname.split("/");
    const key = decodeURIComponent(rest.join("/"));
    if (bucket !== BUCKET) {
      return xml(res, 404, "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>");
    }
    if ((key || url.searchParams.get("prefix") || "").startsWith("forbidden/")) {
      return xml(res, 403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
    }
    if (req.method === "GET" && key === "" && url.searchParams.get("list-type") === "2") {
      const prefix = url.searchParams.get("prefix") ?? "";
      const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
      return xml(
        res,
        200,
        `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${BUCKET}</Name><Prefix>${prefix}</Prefix>` +
          `<KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>` +
          keys.map((k) => `<Contents><Key>${k}</Key><Size>${objects.get(k)!.body.length}</Size></Contents>`).join("") +
          `</ListBucketResult>`,
      );
    }
    if (req.method === "PUT") {
      objects.set(key, { body, contentType: req.headers["content-type"] ?? "binary/octet-stream" });
      res.writeHead(200, { etag: '"local-etag"', "x-amz-version-id": "v1" });
      return res.end();
    }
    const object = objects.get(key);
    if (req.method === "GET") {
      if (!object) {
        return xml(res, 404, "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>");
      }
      res.writeHead(200, { "content-type": object.contentType, "content-length": String(object.body.length) });
      return res.end(object.body);
    }
    if (req.method === "DELETE") {
      objects.delete(key);
      res.writeHead(204);
      return res.end();
    }
    return xml(res, 405, "<Error><Code>MethodNotAllowed</Code><Message>unexpected request</Message></Error>");
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? "/", "http://localhost");
        const authorization = String(req.headers.authorization ?? "");
        const token = req.headers["x-amz-security-token"] as string | undefined;
        const form = new URLSearchParams(body.toString("utf8"));
        if (req.method === "POST" && url.pathname === "/" && form.get("Action") === "AssumeRole") {
          requests.push({ service: "sts", method: req.method, path: url.pathname, authorization, ...(token && { token }) });
          return sts(res, form);
        }
        requests.push({ service: "s3", method: req.method ?? "", path: url.pathname, authorization, ...(token && { token }) });
        return s3(req, res, url, body);
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
    requests.length = 0;
    assumeRoleParams.length = 0;
  });

  const localEnv = () => ({
    AWS_ENDPOINT_URL: endpoint,
    S3_FORCE_PATH_STYLE: "true",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIALAMBDAROLE",
    AWS_SECRET_ACCESS_KEY: "lambda-secret",
    AWS_SESSION_TOKEN: "lambda-token",
  });

  test("assume-role mode: AssumeRole once per container, S3 calls signed with the assumed credentials", async () => {
    const { handler } = loadBundle({
      ...localEnv(),
      ...bucketPolicyEnv,
      ACCESS_MODE: "assume-role",
      S3_ACCESS_ROLE_ARN: ROLE_ARN,
      EXTERNAL_ID: "ext-1234",
    });

    await expect(handler({ operation: "put", key: "incoming/a.txt", body: "héllo" })).resolves.toEqual({
      operation: "put",
      bucket: BUCKET,
      key: "incoming/a.txt",
      etag: '"local-etag"',
      versionId: "v1",
    });
    await expect(handler({ operation: "get", key: "incoming/a.txt" })).resolves.toEqual({
      operation: "get",
      bucket: BUCKET,
      key: "incoming/a.txt",
      body: "héllo",
      contentType: "text/plain; charset=utf-8",
    });
    await expect(handler({ operation: "list", prefix: "incoming/" })).resolves.toEqual({
      operation: "list",
      bucket: BUCKET,
      prefix: "incoming/",
      keys: ["incoming/a.txt"],
      truncated: false,
    });
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
    expect(stsCalls[0]!.authorization).toContain("Credential=AKIALAMBDAROLE/");
    expect(stsCalls[0]!.authorization).toContain(`/${REGION}/sts/`);
    expect(Object.fromEntries(assumeRoleParams[0]!)).toMatchObject({
      RoleArn: ROLE_ARN,
      RoleSessionName: "consumer-fn",
      ExternalId: "ext-1234",
    });
    const s3Calls = requests.filter((r) => r.service === "s3");
    expect(s3Calls).toHaveLength(6);
    for (const call of s3Calls) {
      expect(call.path.startsWith(`/${BUCKET}`)).toBe(true);
      expect(call.authorization).toContain("Credential=ASIAASSUMED/");
      expect(call.authorization).toContain(`/${REGION}/s3/`);
      expect(call.token).toBe("assumed-token");
    }
  });

  test("bucket-policy mode: S3 calls signed with the Lambda role's credentials, no STS", async () => {
    const { handler } = loadBundle({ ...localEnv(), ...bucketPolicyEnv });

    await handler({ operation: "put", key: "incoming/b.txt", body: "" });
    await expect(handler({ operation: "get", key: "incoming/b.txt" })).resolves.toMatchObject({ body: "" });
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
});
