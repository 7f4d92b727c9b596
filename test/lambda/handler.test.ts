import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import type { HandlerConfig } from "../../lambda/src/config";
import {
  AccessDeniedError,
  HandlerError,
  InvalidEventError,
  NotFoundError,
  POLICIES_TO_CHECK,
} from "../../lambda/src/errors";
import { createHandler, PUT_CONTENT_TYPE, type Handler } from "../../lambda/src/handler";
import {
  assumeRoleConfig,
  BUCKET,
  bucketPolicyConfig,
  memoryLogger,
  objectBody,
  REGION,
  ROLE_ARN,
  serviceError,
} from "./helpers";

function setup(config: HandlerConfig = bucketPolicyConfig) {
  const s3 = new S3Client({ region: REGION, credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } });
  const s3Mock = mockClient(s3);
  const logger = memoryLogger();
  const handler: Handler = createHandler(config, { s3, logger });
  return { s3Mock, logger, handler };
}

/** Runs the handler and returns what it threw. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the handler to throw");
}

describe("operations", () => {
  test("get reads the object from the configured bucket and returns its body as UTF-8", async () => {
    const { s3Mock, handler, logger } = setup();
    s3Mock.on(GetObjectCommand).resolves({
      Body: objectBody("héllo wörld"),
      ContentType: "text/plain",
      ContentLength: 13,
      VersionId: "v1",
    });

    const result = await handler({ operation: "get", key: "incoming/a.txt" }, { awsRequestId: "req-1" });

    expect(result).toEqual({
      operation: "get",
      bucket: BUCKET,
      key: "incoming/a.txt",
      body: "héllo wörld",
      contentType: "text/plain",
      versionId: "v1",
    });
    const calls = s3Mock.commandCalls(GetObjectCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ Bucket: BUCKET, Key: "incoming/a.txt" });
    expect(logger.parsed()).toEqual([
      expect.objectContaining({
        requestId: "req-1",
        operation: "get",
        bucket: BUCKET,
        key: "incoming/a.txt",
        accessMode: "bucket-policy",
        outcome: "success",
        bytes: 13,
        durationMs: expect.any(Number),
      }),
    ]);
  });

  test("get omits contentType and versionId when S3 returns none, and counts bytes itself", async () => {
    const { s3Mock, handler, logger } = setup();
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody("ü") });

    const result = await handler({ operation: "get", key: "a" });

    expect(result).toStrictEqual({ operation: "get", bucket: BUCKET, key: "a", body: "ü" });
    expect(logger.parsed()[0]).toMatchObject({ bytes: 2 });
  });

  test("put writes the whole body with one PutObject and returns etag and versionId", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"abc"', VersionId: "v2" });

    const result = await handler({ operation: "put", key: "incoming/b.json", body: '{"x":1}' });

    expect(result).toEqual({ operation: "put", bucket: BUCKET, key: "incoming/b.json", etag: '"abc"', versionId: "v2" });
    expect(s3Mock.calls()).toHaveLength(1);
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: "incoming/b.json",
      Body: '{"x":1}',
      ContentLength: 7,
      ContentType: PUT_CONTENT_TYPE,
    });
  });

  test("put accepts an empty body", async () => {
    const { s3Mock, handler, logger } = setup();
    s3Mock.on(PutObjectCommand).resolves({});

    const result = await handler({ operation: "put", key: "empty.txt", body: "" });

    expect(result).toStrictEqual({ operation: "put", bucket: BUCKET, key: "empty.txt" });
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({ Body: "", ContentLength: 0 });
    expect(logger.parsed()[0]).toMatchObject({ outcome: "success", bytes: 0 });
  });

  test("put sends the UTF-8 byte length of the body", async () => {
    const { s3Mock, handler, logger } = setup();
    s3Mock.on(PutObjectCommand).resolves({});

    await handler({ operation: "put", key: "a", body: "héllo €" });

    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({ ContentLength: 10 });
    expect(logger.parsed()[0]).toMatchObject({ bytes: 10 });
  });

  test("list passes the prefix to ListObjectsV2 and returns the keys and the truncation flag", async () => {
    const { s3Mock, handler, logger } = setup();
    s3Mock.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: "incoming/a.txt" }, { Key: "incoming/b.json" }, {}],
      IsTruncated: true,
    });

    const result = await handler({ operation: "list", prefix: "incoming/" });

    expect(result).toEqual({
      operation: "list",
      bucket: BUCKET,
      prefix: "incoming/",
      keys: ["incoming/a.txt", "incoming/b.json"],
      truncated: true,
    });
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toEqual({ Bucket: BUCKET, Prefix: "incoming/" });
    expect(logger.parsed()[0]).toMatchObject({ operation: "list", prefix: "incoming/", keyCount: 2, truncated: true });
  });

  test("list without a prefix lists from the bucket root and reports an empty listing", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(ListObjectsV2Command).resolves({ KeyCount: 0 });

    const result = await handler({ operation: "list" });

    expect(result).toEqual({ operation: "list", bucket: BUCKET, prefix: "", keys: [], truncated: false });
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toEqual({ Bucket: BUCKET });
  });

  test("delete removes the object and returns the versionId", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(DeleteObjectCommand).resolves({ VersionId: "v3", DeleteMarker: true });

    const result = await handler({ operation: "delete", key: "incoming/a.txt" });

    expect(result).toEqual({ operation: "delete", bucket: BUCKET, key: "incoming/a.txt", versionId: "v3" });
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, Key: "incoming/a.txt" });
  });

  test("results are plain JSON objects", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody("x"), ContentType: "text/plain" });

    const result = await handler({ operation: "get", key: "a" });

    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
  });
});

describe("event validation", () => {
  const cases: [string, unknown, string, RegExp][] = [
    ["unknown operation", { operation: "copy", key: "a" }, "operation", /operation "copy" is not one of get, put, list, delete/],
    ["missing operation", { key: "a" }, "operation", /operation is required \(one of get, put, list, delete\)/],
    ["non-string operation", { operation: 7 }, "operation", /operation 7 is not one of get, put, list, delete/],
    ["get without key", { operation: "get" }, "key", /key is required for operation "get"/],
    ["delete without key", { operation: "delete" }, "key", /key is required for operation "delete"/],
    ["put without key", { operation: "put", body: "x" }, "key", /key is required for operation "put"/],
    ["put without body", { operation: "put", key: "a" }, "body", /body is required for operation "put"/],
    ["empty key", { operation: "get", key: "" }, "key", /key must not be empty \(got ""\)/],
    ["key with leading slash", { operation: "get", key: "/etc/passwd" }, "key", /key must not start with "\/".*"\/etc\/passwd"/],
    ["key too long", { operation: "get", key: "k".repeat(1025) }, "key", /key must be at most 1024 UTF-8 bytes, got 1025 bytes \("kkk/],
    ["multi-byte key too long", { operation: "delete", key: "é".repeat(513) }, "key", /key must be at most 1024 UTF-8 bytes, got 1026 bytes/],
    ["non-string key", { operation: "get", key: 42 }, "key", /key must be a string, got number 42/],
    ["non-string prefix", { operation: "list", prefix: ["a"] }, "prefix", /prefix must be a string, got array \["a"\]/],
    ["non-string body", { operation: "put", key: "a", body: 5 }, "body", /body must be a string, got number/],
    ["unknown field", { operation: "get", key: "a", bucket: "other-bucket" }, "bucket", /unknown field "bucket" \(got "other-bucket"\)/],
    ["field the operation does not use", { operation: "list", key: "a" }, "key", /key is not accepted for operation "list" \(got string "a"\)/],
    ["body on get", { operation: "get", key: "a", body: "x" }, "body", /body is not accepted for operation "get"/],
    ["null event", null, "event", /event must be a JSON object .*got null/],
    ["string event", "get a", "event", /event must be a JSON object .*got string "get a"/],
    ["array event", [{ operation: "get" }], "event", /event must be a JSON object .*got array/],
  ];

  test.each(cases)("%s is refused before any S3 call", async (_name, event, field, message) => {
    const { s3Mock, handler, logger } = setup();

    const error = await rejection(handler(event));

    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toBeInstanceOf(HandlerError);
    expect(error.name).toBe("InvalidEventError");
    expect((error as InvalidEventError).field).toBe(field);
    expect(error.message).toMatch(message);
    expect(s3Mock.calls()).toHaveLength(0);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]!.level).toBe("error");
    expect(logger.parsed()[0]).toMatchObject({ outcome: "error", errorType: "InvalidEventError" });
  });

  test("the bucket is never taken from the event", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody("x") });

    await expect(handler({ operation: "get", key: "a", bucket: "attacker-bucket" })).rejects.toThrow(InvalidEventError);
    await handler({ operation: "get", key: "a" });

    expect(s3Mock.calls().map((c) => (c.args[0].input as { Bucket: string }).Bucket)).toEqual([BUCKET]);
  });

  test("several problems are reported together", async () => {
    const { handler } = setup();

    const error = (await rejection(handler({ operation: "get", key: 1, extra: true }))) as InvalidEventError;

    expect(error.problems.map((p) => p.field)).toEqual(["key", "extra"]);
    expect(error.message).toMatch(/key must be a string.*; unknown field "extra"/);
  });

  test("the body never appears in error messages or logs", async () => {
    const { s3Mock, handler, logger } = setup();
    const secret = "TOP-SECRET-PAYLOAD";
    s3Mock.on(PutObjectCommand).resolves({});

    const error = await rejection(handler({ operation: "get", key: "a", body: secret }));
    await handler({ operation: "put", key: "a", body: secret });
    s3Mock.on(PutObjectCommand).rejects(serviceError("AccessDenied", 403));
    const denied = await rejection(handler({ operation: "put", key: "a", body: secret }));

    expect(error.message).not.toContain(secret);
    expect(denied.message).not.toContain(secret);
    expect(logger.lines).toHaveLength(3);
    for (const { line } of logger.lines) expect(line).not.toContain(secret);
  });
});

describe("error mapping", () => {
  test("S3 AccessDenied in bucket-policy mode names the Lambda role, bucket and key policies", async () => {
    const { s3Mock, handler, logger } = setup(bucketPolicyConfig);
    const cause = serviceError("AccessDenied", 403, "Access Denied");
    s3Mock.on(GetObjectCommand).rejects(cause);

    const error = await rejection(handler({ operation: "get", key: "incoming/a.txt" }));

    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(error.name).toBe("AccessDeniedError");
    expect(error.cause).toBe(cause);
    expect(error.message).toContain(`get on s3://${BUCKET}/incoming/a.txt in bucket-policy mode`);
    expect(error.message).toContain("AccessDenied (HTTP 403): Access Denied");
    expect(error.message).toContain(
      "the Lambda role's identity policy in the Lambda account, the bucket policy and the KMS key policy in the bucket account",
    );
    expect(error.message).not.toContain("sts:AssumeRole");
    expect(error).toMatchObject({ operation: "get", bucket: BUCKET, key: "incoming/a.txt", accessMode: "bucket-policy" });
    expect(logger.parsed()[0]).toMatchObject({ outcome: "error", errorType: "AccessDeniedError", cause: "AccessDenied" });
  });

  test("S3 AccessDenied in assume-role mode names sts:AssumeRole, the trust policy, ExternalId and the key policy", async () => {
    const { s3Mock, handler } = setup(assumeRoleConfig);
    s3Mock.on(PutObjectCommand).rejects(serviceError("AccessDenied", 403));

    const error = await rejection(handler({ operation: "put", key: "incoming/b.txt", body: "x" }));

    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(error.message).toContain(`put on s3://${BUCKET}/incoming/b.txt in assume-role mode via role ${ROLE_ARN}`);
    expect(error.message).toContain(POLICIES_TO_CHECK["assume-role"]);
    expect(error.message).toContain("the Lambda role's sts:AssumeRole permission");
    expect(error.message).toContain("the S3 access role's trust policy (and ExternalId)");
    expect(error.message).toContain("the KMS key policy");
  });

  test("an STS AccessDenied from the credentials provider is mapped too", async () => {
    const { s3Mock, handler } = setup(assumeRoleConfig);
    const stsError = Object.assign(
      new Error(`User: arn:aws:sts::111111111111:assumed-role/fn/fn is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN}`),
      { name: "AccessDenied", $metadata: { httpStatusCode: 403 } },
    );
    s3Mock.on(ListObjectsV2Command).rejects(stsError);

    const error = await rejection(handler({ operation: "list", prefix: "incoming/" }));

    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(error.message).toContain(`list on s3://${BUCKET}/incoming/ (list) in assume-role mode`);
    expect(error.message).toContain("is not authorized to perform: sts:AssumeRole");
    expect(error.message).toContain(POLICIES_TO_CHECK["assume-role"]);
  });

  test("a KMS refusal surfaced by S3 as a bare 403 is an AccessDeniedError", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(GetObjectCommand).rejects(serviceError("Forbidden", 403, "KMS key access denied"));

    const error = await rejection(handler({ operation: "get", key: "a" }));

    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(error.message).toContain(POLICIES_TO_CHECK["bucket-policy"]);
  });

  test("an AccessDeniedException by name alone is mapped", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(DeleteObjectCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));

    await expect(handler({ operation: "delete", key: "a" })).rejects.toThrow(AccessDeniedError);
  });

  test("NoSuchKey becomes a NotFoundError", async () => {
    const { s3Mock, handler, logger } = setup();
    const cause = new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } });
    s3Mock.on(GetObjectCommand).rejects(cause);

    const error = await rejection(handler({ operation: "get", key: "missing.txt" }));

    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toBeInstanceOf(HandlerError);
    expect(error.name).toBe("NotFoundError");
    expect(error.cause).toBe(cause);
    expect(error.message).toContain(`get on s3://${BUCKET}/missing.txt failed with NoSuchKey`);
    expect(logger.parsed()[0]).toMatchObject({ outcome: "error", errorType: "NotFoundError", key: "missing.txt" });
  });

  test("any 404 becomes a NotFoundError", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(ListObjectsV2Command).rejects(serviceError("NoSuchBucket", 404));

    const error = await rejection(handler({ operation: "list" }));

    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toContain("NoSuchBucket (HTTP 404)");
  });

  test("other errors are rethrown unchanged after logging", async () => {
    const { s3Mock, handler, logger } = setup();
    const slowDown = serviceError("SlowDown", 503);
    s3Mock.on(PutObjectCommand).rejects(slowDown);

    const error = await rejection(handler({ operation: "put", key: "a", body: "x" }));

    expect(error).toBe(slowDown);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]!.level).toBe("error");
    expect(logger.parsed()[0]).toMatchObject({ operation: "put", key: "a", outcome: "error", errorType: "SlowDown" });
  });

  test("non-AWS errors are rethrown unchanged", async () => {
    const { s3Mock, handler } = setup();
    const boom = new TypeError("socket hang up");
    s3Mock.on(GetObjectCommand).rejects(boom);

    await expect(handler({ operation: "get", key: "a" })).rejects.toBe(boom);
  });
});

describe("logging", () => {
  test("one JSON line per invocation, on the console by default", async () => {
    const s3 = new S3Client({ region: REGION, credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } });
    mockClient(s3).on(GetObjectCommand).resolves({ Body: objectBody("data") });
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const err = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const handler = createHandler(bucketPolicyConfig, { s3 });
      await handler({ operation: "get", key: "a" });
      await expect(handler({ operation: "nope" })).rejects.toThrow(InvalidEventError);

      expect(log).toHaveBeenCalledTimes(1);
      expect(err).toHaveBeenCalledTimes(1);
      const lines = [log.mock.calls[0]![0], err.mock.calls[0]![0]] as string[];
      for (const line of lines) expect(line).not.toContain("\n");
      expect(JSON.parse(lines[0]!)).toMatchObject({ operation: "get", outcome: "success", bytes: 4 });
      expect(JSON.parse(lines[1]!)).toMatchObject({ operation: "nope", outcome: "error", errorType: "InvalidEventError" });
      expect(lines.join()).not.toContain("secret");
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  });
});
