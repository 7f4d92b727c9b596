/**
 * The access-denied metric filter of the Lambda account counts the handler's log lines of invocations AWS refused.
 * The filter's pattern (as synthesized into every shipped stack) and the handler's log line both take their field
 * and value from the contract's ACCESS_DENIED_LOG_LINE; here the pattern is evaluated against the lines the handler
 * really writes — the source with a mocked S3, and the bundle as Lambda runs it against a local S3 that refuses —
 * for a refused call and for every other outcome, so a change to either side that would silence the alarm fails a
 * test. (The end-to-end suite checks the line of a call the emulator denies too.)
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Testing } from "cdktf";
import { mockClient } from "aws-sdk-client-mock";
import { createHandler } from "../../lambda/src/handler";
import { ACCESS_DENIED_LOG_LINE } from "../../modules/contract";
import { environmentStacks } from "../../stacks/cross-account-stack";
import { environments, sharedEnvironments } from "../../stacks/environments";
import { sharedEnvironmentStacks } from "../../stacks/shared-bucket-stack";
import { bucketPolicyConfig, memoryLogger, objectBody, REGION, serviceError } from "../lambda/helpers";
import { matchesFilterPattern, metricFilterPatterns, parseJsonPropertyPattern } from "../support/filter-pattern";
import type { SynthJson } from "../support/synth";

const ROOT = join(__dirname, "..", "..");
const BUNDLE = join(ROOT, "lambda", "dist", "index.js");

/** The pattern of every access-denied metric filter of every shipped stack, each once. */
function shippedPatterns(): string[] {
  const app = Testing.app();
  const stacks = [
    ...Object.entries(environments).flatMap(([name, config]) => environmentStacks(app, name, config, {})),
    ...Object.entries(sharedEnvironments).flatMap(([name, config]) => sharedEnvironmentStacks(app, name, config, {})),
  ];
  const withFilters = stacks
    .map((stack) => JSON.parse(Testing.synth(stack)) as SynthJson)
    .filter((json) => json.resource.aws_cloudwatch_log_metric_filter !== undefined);
  expect(withFilters.length).toBeGreaterThan(5);
  return [...new Set(withFilters.flatMap(metricFilterPatterns))];
}

describe("the filter pattern evaluator", () => {
  const pattern = '{ $.errorType = "AccessDeniedError" }';

  test("matches a JSON object log event whose field holds the value, and nothing else", () => {
    expect(matchesFilterPattern(pattern, '{"outcome":"error","errorType":"AccessDeniedError"}')).toBe(true);
    expect(matchesFilterPattern(pattern, '{"outcome":"error","errorType":"NotGrantedError"}')).toBe(false);
    expect(matchesFilterPattern(pattern, '{"outcome":"error","errorType":"AccessDeniedErrorX"}')).toBe(false);
    expect(matchesFilterPattern(pattern, '{"outcome":"error"}')).toBe(false);
    expect(matchesFilterPattern(pattern, '{"error":{"errorType":"AccessDeniedError"}}')).toBe(false);
    expect(matchesFilterPattern(pattern, '["AccessDeniedError"]')).toBe(false);
  });

  test("does not match a line that is not a JSON object, such as the runtime's console prefix would make", () => {
    const prefixed = `2026-12-01T10:00:00.000Z\t6f1c1b8e-0000-4000-8000-000000000000\tERROR\t{"errorType":"AccessDeniedError"}`;
    expect(matchesFilterPattern(pattern, prefixed)).toBe(false);
    expect(matchesFilterPattern(pattern, "errorType AccessDeniedError")).toBe(false);
  });

  test("reads nested selectors, != and unquoted wildcards, and refuses every other form", () => {
    expect(matchesFilterPattern('{ $.a.b = "x" }', '{"a":{"b":"x"}}')).toBe(true);
    expect(matchesFilterPattern('{ $.a != "x" }', '{"a":"y"}')).toBe(true);
    expect(matchesFilterPattern("{ $.a = Access* }", '{"a":"AccessDeniedError"}')).toBe(true);
    expect(parseJsonPropertyPattern(pattern)).toEqual({
      path: ["errorType"],
      operator: "=",
      value: "AccessDeniedError",
      quoted: true,
    });
    for (const other of ["AccessDenied", '{ $.a = "x" && $.b = "y" }', "[ip, user]", "{ $.a IS TRUE }", ""]) {
      expect(() => parseJsonPropertyPattern(other)).toThrow(/is not of the form/);
    }
  });
});

describe("the handler's log lines, judged by the pattern every shipped stack synthesizes", () => {
  const patterns = shippedPatterns();

  /** A handler whose S3 refuses every call under forbidden/ with AccessDenied, and what it logged. */
  function refusingHandler() {
    const s3 = new S3Client({ region: REGION, credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } });
    const s3Mock = mockClient(s3);
    s3Mock
      .on(GetObjectCommand, { Key: "incoming/forbidden.txt" })
      .rejects(serviceError("AccessDenied", 403, "Access Denied"));
    s3Mock.on(GetObjectCommand, { Key: "incoming/a.txt" }).resolves({ Body: objectBody("data") });
    s3Mock.on(PutObjectCommand).rejects(serviceError("SlowDown", 503));
    const logger = memoryLogger();
    return { handler: createHandler(bucketPolicyConfig, { s3, logger }), logger };
  }

  test("one pattern, selecting the contract's field and value", () => {
    expect(patterns).toHaveLength(1);
    expect(parseJsonPropertyPattern(patterns[0])).toMatchObject({
      path: [ACCESS_DENIED_LOG_LINE.field],
      value: ACCESS_DENIED_LOG_LINE.value,
    });
  });

  test("matches the log line of a call AWS refused, and none of the lines of other outcomes", async () => {
    const { handler, logger } = refusingHandler();
    await expect(handler({ operation: "get", key: "incoming/forbidden.txt" })).rejects.toMatchObject({
      name: "AccessDeniedError",
    });
    await handler({ operation: "get", key: "incoming/a.txt" });
    await expect(handler({ operation: "get", key: "reference-not-granted/a.txt" })).rejects.toMatchObject({
      name: "NotGrantedError",
    });
    await expect(handler({ operation: "put", key: "incoming/b.txt", body: "x" })).rejects.toMatchObject({
      name: "SlowDown",
    });
    await expect(handler({ operation: "nope" })).rejects.toMatchObject({ name: "InvalidEventError" });

    const [denied, ...others] = logger.lines.map((l) => l.line);
    expect(logger.lines.map((l) => l.level)).toEqual(["error", "log", "error", "error", "error"]);
    for (const pattern of patterns) {
      expect(matchesFilterPattern(pattern, denied)).toBe(true);
      expect(others.filter((line) => matchesFilterPattern(pattern, line))).toEqual([]);
    }
  });
});

describe("the bundled handler's log lines, as Lambda ships them (one event a line), judged by the same pattern", () => {
  let server: Server;
  let endpoint: string;
  const savedEnv = process.env;

  beforeAll(async () => {
    if (!existsSync(BUNDLE))
      execFileSync(process.execPath, [join(ROOT, "scripts", "build-lambda.mjs")], { cwd: ROOT, stdio: "pipe" });
    // A local S3 that refuses every request under forbidden/ and answers any other with an empty object.
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        if ((req.url ?? "").includes("/forbidden/")) {
          res.writeHead(403, { "content-type": "application/xml" });
          res.end("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
        } else {
          res.writeHead(200, { "content-length": "0" });
          res.end();
        }
      });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    process.env = savedEnv;
    await new Promise<void>((done) => server.close(() => done()));
  });

  test("only the line of the call S3 refused is counted", async () => {
    const patterns = shippedPatterns();
    process.env = {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIALAMBDAROLE",
      AWS_SECRET_ACCESS_KEY: "lambda-secret",
      AWS_LAMBDA_FUNCTION_NAME: "consumer-fn",
      BUCKET_NAME: "data-bucket-222222222222",
      ACCESS_MODE: "bucket-policy",
      GRANTED_PREFIXES: JSON.stringify([
        { prefix: "incoming/", access: "readWrite", delete: false },
        { prefix: "forbidden/", access: "read", delete: false },
      ]),
      S3_FORCE_PATH_STYLE: "true",
    };
    const written: string[] = [];
    const out = jest.spyOn(process.stdout, "write").mockImplementation((chunk) => written.push(String(chunk)) > 0);
    const err = jest.spyOn(process.stderr, "write").mockImplementation((chunk) => written.push(String(chunk)) > 0);
    try {
      let handler: ((event: unknown) => Promise<unknown>) | undefined;
      jest.isolateModules(() => {
        handler = (require(BUNDLE) as { handler: typeof handler }).handler;
      });
      await expect(handler!({ operation: "get", key: "forbidden/x" })).rejects.toMatchObject({
        name: "AccessDeniedError",
      });
      await handler!({ operation: "put", key: "incoming/x", body: "x" });
      await expect(handler!({ operation: "put", key: "forbidden/x", body: "x" })).rejects.toMatchObject({
        name: "NotGrantedError",
      });
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    const lines = written
      .join("")
      .split("\n")
      .filter((line) => line !== "");
    expect(lines).toHaveLength(3);
    expect(patterns).toHaveLength(1);
    expect(lines.map((line) => matchesFilterPattern(patterns[0], line))).toEqual([true, false, false]);
  });
});
