import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { GetObjectCommandOutput } from "@aws-sdk/client-s3";
import type { HandlerConfig } from "../../lambda/src/config";
import {
  AccessDeniedError,
  HandlerError,
  InvalidEventError,
  NotFoundError,
  ObjectTooLargeError,
  POLICIES_TO_CHECK,
} from "../../lambda/src/errors";
import { BINARY_CONTENT_TYPE, createHandler, PUT_CONTENT_TYPE } from "../../lambda/src/handler";
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
import { handlerWithMockedS3, rejection } from "./handler-setup";

const setup = (config: HandlerConfig = bucketPolicyConfig) => handlerWithMockedS3(config);

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

    expect(result).toStrictEqual({
      operation: "get",
      bucket: BUCKET,
      key: "incoming/a.txt",
      body: "héllo wörld",
      encoding: "utf-8",
      bytes: 13,
      contentType: "text/plain",
      versionId: "v1",
    });
    const calls = s3Mock.commandCalls(GetObjectCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({ Bucket: BUCKET, Key: "incoming/a.txt" });
    expect(logger.parsed()).toEqual([
      {
        requestId: "req-1",
        operation: "get",
        bucket: BUCKET,
        key: "incoming/a.txt",
        accessMode: "bucket-policy",
        outcome: "success",
        bytes: 13,
        durationMs: expect.any(Number),
      },
    ]);
  });

  test("get omits contentType and versionId when S3 returns none, and counts bytes itself", async () => {
    const { s3Mock, handler, logger } = setup();
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody("ü") });

    const result = await handler({ operation: "get", key: "reference/a" });

    expect(result).toStrictEqual({
      operation: "get",
      bucket: BUCKET,
      key: "reference/a",
      body: "ü",
      encoding: "utf-8",
      bytes: 2,
    });
    expect(logger.parsed()[0]).toMatchObject({ bytes: 2 });
  });

  test("get keeps a byte order mark", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody("\ufeffcsv,header") });

    await expect(handler({ operation: "get", key: "incoming/bom.csv" })).resolves.toMatchObject({
      body: "\ufeffcsv,header",
      bytes: 13,
    });
  });

  test("get with encoding base64 returns any bytes exactly", async () => {
    const { s3Mock, handler } = setup();
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x41]);
    s3Mock
      .on(GetObjectCommand)
      .resolves({ Body: objectBody(bytes), ContentLength: 6, ContentType: "application/octet-stream" });

    const result = await handler({ operation: "get", key: "incoming/blob.bin", encoding: "base64" });

    expect(result).toStrictEqual({
      operation: "get",
      bucket: BUCKET,
      key: "incoming/blob.bin",
      body: "AP/+gApB",
      encoding: "base64",
      bytes: 6,
      contentType: "application/octet-stream",
    });
  });

  test("get refuses to return bytes that are not UTF-8 as text, and says to ask for base64", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(Buffer.from([0x41, 0xff, 0x42])), ContentLength: 3 });

    const error = (await rejection(handler({ operation: "get", key: "incoming/blob.bin" }))) as InvalidEventError;

    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error.field).toBe("encoding");
    expect(error.message).toBe(
      `Invalid event: encoding "utf-8" cannot carry s3://${BUCKET}/incoming/blob.bin: its 3 bytes are not valid UTF-8; ask with "encoding": "base64"`,
    );
  });

  test("put writes the whole body with one PutObject carrying its SHA-256, and returns etag and versionId", async () => {
    const { s3Mock, handler, logger } = setup();
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"abc"', VersionId: "v2" });
    const body = '{"x":1}';
    const sha256 = createHash("sha256").update(body, "utf8").digest("base64");

    const result = await handler({ operation: "put", key: "incoming/b.json", body });

    expect(result).toStrictEqual({
      operation: "put",
      bucket: BUCKET,
      key: "incoming/b.json",
      bytes: 7,
      checksumSHA256: sha256,
      etag: '"abc"',
      versionId: "v2",
    });
    expect(s3Mock.calls()).toHaveLength(1);
    expect(s3Mock.commandCalls(PutObjectCommand)[0].args[0].input).toStrictEqual({
      Bucket: BUCKET,
      Key: "incoming/b.json",
      Body: Buffer.from(body, "utf8"),
      ContentLength: 7,
      ContentType: PUT_CONTENT_TYPE,
      ChecksumAlgorithm: "SHA256",
      ChecksumSHA256: "UEG/H3E98gR4Q1PoL2pKU1kxy2Tx9LSlrq/8tyCRiyI=",
    });
    expect(sha256).toBe("UEG/H3E98gR4Q1PoL2pKU1kxy2Tx9LSlrq/8tyCRiyI=");
    expect(logger.parsed()[0]).toMatchObject({
      operation: "put",
      key: "incoming/b.json",
      bytes: 7,
      outcome: "success",
    });
  });

  test("put accepts an empty body", async () => {
    const { s3Mock, handler, logger } = setup();
    s3Mock.on(PutObjectCommand).resolves({});

    const result = await handler({ operation: "put", key: "incoming/empty.txt", body: "" });

    expect(result).toStrictEqual({
      operation: "put",
      bucket: BUCKET,
      key: "incoming/empty.txt",
      bytes: 0,
      checksumSHA256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    });
    expect(s3Mock.commandCalls(PutObjectCommand)[0].args[0].input).toMatchObject({
      Body: Buffer.alloc(0),
      ContentLength: 0,
    });
    expect(logger.parsed()[0]).toMatchObject({ outcome: "success", bytes: 0 });
  });

  test("put sends the UTF-8 bytes of the body", async () => {
    const { s3Mock, handler, logger } = setup();
    s3Mock.on(PutObjectCommand).resolves({});

    await handler({ operation: "put", key: "uploads/a", body: "héllo €" });

    expect(s3Mock.commandCalls(PutObjectCommand)[0].args[0].input).toMatchObject({
      Body: Buffer.from("héllo €", "utf8"),
      ContentLength: 10,
    });
    expect(logger.parsed()[0]).toMatchObject({ bytes: 10 });
  });

  test("put with encoding base64 stores the decoded bytes as application/octet-stream, or as the contentType given", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(PutObjectCommand).resolves({});
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x41]);

    const result = await handler({ operation: "put", key: "incoming/blob.bin", body: "AP/+gApB", encoding: "base64" });
    await handler({
      operation: "put",
      key: "incoming/pic.png",
      body: "AP/+gApB",
      encoding: "base64",
      contentType: "image/png",
    });

    expect(result).toMatchObject({ bytes: 6, checksumSHA256: createHash("sha256").update(bytes).digest("base64") });
    const inputs = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toMatchObject({ Body: bytes, ContentLength: 6, ContentType: BINARY_CONTENT_TYPE });
    expect(inputs[1]).toMatchObject({ Body: bytes, ContentType: "image/png" });
  });

  test("list passes prefix, page size and continuation token to ListObjectsV2 and returns one page", async () => {
    const { s3Mock, handler, logger } = setup();
    s3Mock.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: "incoming/a.txt", Size: 3, LastModified: new Date("2026-01-02T03:04:05Z") },
        { Key: "incoming/b.json", Size: 10 },
        {},
      ],
      IsTruncated: true,
      NextContinuationToken: "token-2",
    });

    const result = await handler({ operation: "list", prefix: "incoming/", maxKeys: 2, continuationToken: "token-1" });

    expect(result).toStrictEqual({
      operation: "list",
      bucket: BUCKET,
      prefix: "incoming/",
      objects: [
        { key: "incoming/a.txt", size: 3, lastModified: "2026-01-02T03:04:05.000Z" },
        { key: "incoming/b.json", size: 10 },
      ],
      truncated: true,
      nextContinuationToken: "token-2",
    });
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0].args[0].input).toStrictEqual({
      Bucket: BUCKET,
      Prefix: "incoming/",
      MaxKeys: 2,
      ContinuationToken: "token-1",
    });
    expect(logger.parsed()[0]).toMatchObject({ operation: "list", prefix: "incoming/", keyCount: 2, truncated: true });
  });

  test("list of a deeper prefix under a readable one reports an empty last page", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(ListObjectsV2Command).resolves({ KeyCount: 0, IsTruncated: false });

    const result = await handler({ operation: "list", prefix: "reference/2026/" });

    expect(result).toStrictEqual({
      operation: "list",
      bucket: BUCKET,
      prefix: "reference/2026/",
      objects: [],
      truncated: false,
    });
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0].args[0].input).toStrictEqual({
      Bucket: BUCKET,
      Prefix: "reference/2026/",
    });
  });

  test("delete removes the object and returns the versionId", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(DeleteObjectCommand).resolves({ VersionId: "v3", DeleteMarker: true });

    const result = await handler({ operation: "delete", key: "scratch/a.txt" });

    expect(result).toStrictEqual({ operation: "delete", bucket: BUCKET, key: "scratch/a.txt", versionId: "v3" });
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0].args[0].input).toStrictEqual({
      Bucket: BUCKET,
      Key: "scratch/a.txt",
    });
  });

  test("results are plain JSON objects", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody("x"), ContentType: "text/plain" });

    const result = await handler({ operation: "get", key: "incoming/a" });

    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
  });
});

describe("get stays within MAX_RESPONSE_BYTES", () => {
  const small = { ...bucketPolicyConfig, maxResponseBytes: 1024 };

  /** A body that records how many bytes were pulled from it and whether it was closed. */
  function trackedBody(size: number, chunkSize = 256) {
    const state = { pulled: 0, destroyed: false };
    let sent = 0;
    const stream = new Readable({
      read() {
        if (sent >= size) return void this.push(null);
        const n = Math.min(chunkSize, size - sent);
        sent += n;
        state.pulled = sent;
        this.push(Buffer.alloc(n, 0x61));
      },
      destroy(error, callback) {
        state.destroyed = true;
        callback(error);
      },
    });
    return { stream: stream as unknown as GetObjectCommandOutput["Body"], state };
  }

  test("an object whose ContentLength exceeds the cap is refused without reading it, pointing to presign-get", async () => {
    const { s3Mock, handler, logger } = setup(small);
    const { stream, state } = trackedBody(10_000_000);
    s3Mock.on(GetObjectCommand).resolves({ Body: stream, ContentLength: 10_000_000 });

    const error = (await rejection(handler({ operation: "get", key: "incoming/huge.csv" }))) as ObjectTooLargeError;

    expect(error).toBeInstanceOf(ObjectTooLargeError);
    expect(error.name).toBe("ObjectTooLargeError");
    expect(error.message).toBe(
      `Too large: get on s3://${BUCKET}/incoming/huge.csv: the object is 10000000 bytes, more than fits in a response of ` +
        'at most MAX_RESPONSE_BYTES=1024 bytes. Download it through a URL from the "presign-get" operation instead.',
    );
    expect(error).toMatchObject({
      key: "incoming/huge.csv",
      measured: "object",
      bytes: 10_000_000,
      maxResponseBytes: 1024,
    });
    expect(state.destroyed).toBe(true);
    expect(state.pulled).toBeLessThanOrEqual(256 * 64);
    expect(logger.parsed()[0]).toMatchObject({ outcome: "error", errorType: "ObjectTooLargeError" });
  });

  test("without a ContentLength, reading stops once the cap is passed", async () => {
    const { s3Mock, handler } = setup(small);
    const { stream, state } = trackedBody(1_000_000);
    s3Mock.on(GetObjectCommand).resolves({ Body: stream });

    const error = (await rejection(handler({ operation: "get", key: "incoming/huge.csv" }))) as ObjectTooLargeError;

    expect(error).toBeInstanceOf(ObjectTooLargeError);
    expect(error.bytes).toBe(1280);
    expect(state.destroyed).toBe(true);
    // Node reads ahead up to its buffer size (16 KiB), never the whole megabyte.
    expect(state.pulled).toBeLessThan(32 * 1024);
  });

  test("the cap counts base64 at its encoded size", async () => {
    const { s3Mock, handler } = setup(small);
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(Buffer.alloc(769)), ContentLength: 769 });

    const error = (await rejection(
      handler({ operation: "get", key: "incoming/a.bin", encoding: "base64" }),
    )) as ObjectTooLargeError;

    expect(error).toMatchObject({ measured: "object", bytes: 769 });
  });

  test("the cap applies to the whole JSON response, escapes included", async () => {
    const { s3Mock, handler } = setup(small);
    // 1000 bytes of control characters: each one becomes a 6-character \\u00XX escape in JSON.
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(Buffer.alloc(1000, 0x01)), ContentLength: 1000 });

    const error = (await rejection(handler({ operation: "get", key: "incoming/ctl.txt" }))) as ObjectTooLargeError;

    expect(error).toMatchObject({ measured: "response" });
    expect(error.bytes).toBe(
      6000 +
        Buffer.byteLength(
          JSON.stringify({
            operation: "get",
            bucket: BUCKET,
            key: "incoming/ctl.txt",
            body: "",
            encoding: "utf-8",
            bytes: 1000,
          }),
        ),
    );
    expect(error.message).toContain("the response would be");
    expect(error.message).toContain("presign-get");
  });

  test("a response of exactly the cap is returned", async () => {
    const { s3Mock, handler } = setup(small);
    const envelope = Buffer.byteLength(
      JSON.stringify({
        operation: "get",
        bucket: BUCKET,
        key: "incoming/fit.txt",
        body: "",
        encoding: "utf-8",
        bytes: 100,
      }),
    );
    const size = 1024 - envelope;
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody("a".repeat(size)), ContentLength: size });

    const result = await handler({ operation: "get", key: "incoming/fit.txt" });

    expect(Buffer.byteLength(JSON.stringify(result))).toBe(1024);
  });
});

describe("event validation", () => {
  const ops = "get, put, list, delete, presign-get, presign-put, copy";
  const cases: [string, unknown, string, RegExp][] = [
    [
      "unknown operation",
      { operation: "move", key: "a" },
      "operation",
      new RegExp(`operation "move" is not one of ${ops}`),
    ],
    ["missing operation", { key: "a" }, "operation", new RegExp(`operation is required \\(one of ${ops}\\)`)],
    ["non-string operation", { operation: 7 }, "operation", new RegExp(`operation 7 is not one of ${ops}`)],
    ["get without key", { operation: "get" }, "key", /key is required for operation "get"/],
    ["delete without key", { operation: "delete" }, "key", /key is required for operation "delete"/],
    ["put without key", { operation: "put", body: "x" }, "key", /key is required for operation "put"/],
    ["put without body", { operation: "put", key: "a" }, "body", /body is required for operation "put"/],
    ["presign-get without key", { operation: "presign-get" }, "key", /key is required for operation "presign-get"/],
    [
      "copy without sourceKey",
      { operation: "copy", key: "incoming/b" },
      "sourceKey",
      /sourceKey is required for operation "copy"/,
    ],
    ["copy without key", { operation: "copy", sourceKey: "incoming/a" }, "key", /key is required for operation "copy"/],
    ["empty key", { operation: "get", key: "" }, "key", /key must not be empty \(got ""\)/],
    [
      "empty sourceKey",
      { operation: "copy", sourceKey: "", key: "incoming/b" },
      "sourceKey",
      /sourceKey must not be empty \(got ""\)/,
    ],
    [
      "key with leading slash",
      { operation: "get", key: "/etc/passwd" },
      "key",
      /key must not start with "\/".*"\/etc\/passwd"/,
    ],
    [
      "key with a .. segment",
      { operation: "get", key: "incoming/../reference/x" },
      "key",
      /key must not have "\." or "\.\." path segments, got "incoming\/\.\.\/reference\/x"/,
    ],
    [
      "sourceKey with a . segment",
      { operation: "copy", sourceKey: "reference/./x", key: "incoming/x" },
      "sourceKey",
      /sourceKey must not have "\." or "\.\." path segments, got "reference\/\.\/x"/,
    ],
    [
      "key too long",
      { operation: "get", key: "k".repeat(1025) },
      "key",
      /key must be at most 1024 UTF-8 bytes, got 1025 bytes \("kkk/,
    ],
    [
      "multi-byte key too long",
      { operation: "delete", key: "é".repeat(513) },
      "key",
      /key must be at most 1024 UTF-8 bytes, got 1026 bytes/,
    ],
    ["non-string key", { operation: "get", key: 42 }, "key", /key must be a string, got number 42/],
    ["non-string prefix", { operation: "list", prefix: ["a"] }, "prefix", /prefix must be a string, got array \["a"\]/],
    ["non-string body", { operation: "put", key: "a", body: 5 }, "body", /body must be a string, got number/],
    [
      "unknown encoding",
      { operation: "get", key: "a", encoding: "latin1" },
      "encoding",
      /encoding must be one of "utf-8", "base64", got string "latin1"/,
    ],
    [
      "body that is not base64",
      { operation: "put", key: "a", body: "not base64!", encoding: "base64" },
      "body",
      /body is not valid base64 \(encoding "base64"\), got a string of 11 characters/,
    ],
    [
      "base64 body of a wrong length",
      { operation: "put", key: "a", body: "QUJD\nRA==", encoding: "base64" },
      "body",
      /body is not valid base64/,
    ],
    [
      "contentType with a line break",
      { operation: "put", key: "a", body: "x", contentType: "text/plain\r\nX-Evil: 1" },
      "contentType",
      /contentType must be 1-255 printable ASCII characters/,
    ],
    [
      "maxKeys of 0",
      { operation: "list", prefix: "incoming/", maxKeys: 0 },
      "maxKeys",
      /maxKeys must be a whole number from 1 to 1000, got number 0/,
    ],
    [
      "maxKeys over 1000",
      { operation: "list", prefix: "incoming/", maxKeys: 1001 },
      "maxKeys",
      /maxKeys must be a whole number from 1 to 1000, got number 1001/,
    ],
    [
      "maxKeys as a string",
      { operation: "list", prefix: "incoming/", maxKeys: "10" },
      "maxKeys",
      /maxKeys must be a whole number from 1 to 1000, got string "10"/,
    ],
    [
      "fractional maxKeys",
      { operation: "list", prefix: "incoming/", maxKeys: 2.5 },
      "maxKeys",
      /maxKeys must be a whole number from 1 to 1000, got number 2.5$/,
    ],
    [
      "maxKeys NaN",
      { operation: "list", prefix: "incoming/", maxKeys: NaN },
      "maxKeys",
      /maxKeys must be a whole number from 1 to 1000, got number NaN$/,
    ],
    [
      "maxKeys -Infinity",
      { operation: "list", prefix: "incoming/", maxKeys: -Infinity },
      "maxKeys",
      /maxKeys must be a whole number from 1 to 1000, got number -Infinity$/,
    ],
    [
      "maxKeys as a bigint",
      { operation: "list", prefix: "incoming/", maxKeys: 10n },
      "maxKeys",
      /maxKeys must be a whole number from 1 to 1000, got bigint 10n$/,
    ],
    [
      "maxKeys -0",
      { operation: "list", prefix: "incoming/", maxKeys: -0 },
      "maxKeys",
      /maxKeys must be a whole number from 1 to 1000, got number -0$/,
    ],
    [
      "prefix of numbers JSON cannot write",
      { operation: "list", prefix: [NaN, Infinity, 1n] },
      "prefix",
      /prefix must be a string, got array \[NaN,Infinity,1n\]$/,
    ],
    [
      "key with a lone high surrogate",
      { operation: "get", key: "incoming/\uD800x" },
      "key",
      /key must be well-formed Unicode, got a lone UTF-16 surrogate U\+D800 at index 9 of "incoming\/\\ud800x"$/,
    ],
    [
      "key ending in a lone high surrogate",
      { operation: "put", key: "incoming/\uDBFF", body: "x" },
      "key",
      /key must be well-formed Unicode, got a lone UTF-16 surrogate U\+DBFF at index 9 of "incoming\/\\udbff"$/,
    ],
    [
      "key with a lone surrogate before a pair",
      { operation: "delete", key: "scratch/\uD83D\uD83D\uDE00" },
      "key",
      /key must be well-formed Unicode, got a lone UTF-16 surrogate U\+D83D at index 8 of "scratch\/\\ud83d😀"$/,
    ],
    [
      "sourceKey with a lone low surrogate",
      { operation: "copy", sourceKey: "reference/\uDC00", key: "incoming/x" },
      "sourceKey",
      /sourceKey must be well-formed Unicode, got a lone UTF-16 surrogate U\+DC00 at index 10 of "reference\/\\udc00"$/,
    ],
    [
      "key with a lone surrogate past what is shown",
      { operation: "presign-get", key: `incoming/${"x".repeat(200)}\uDFFF` },
      "key",
      /key must be well-formed Unicode, got a lone UTF-16 surrogate U\+DFFF at index 209 of "incoming\/x+\.\.\.$/,
    ],
    [
      "prefix with a lone surrogate",
      { operation: "list", prefix: "incoming/\uD800" },
      "prefix",
      /prefix must be well-formed Unicode, got a lone UTF-16 surrogate U\+D800 at index 9 of "incoming\/\\ud800"$/,
    ],
    [
      "continuationToken with a lone surrogate",
      { operation: "list", prefix: "incoming/", continuationToken: "t\uDC00" },
      "continuationToken",
      /continuationToken must be well-formed Unicode, got a lone UTF-16 surrogate U\+DC00 at index 1 of "t\\udc00"$/,
    ],
    [
      "empty continuationToken",
      { operation: "list", prefix: "incoming/", continuationToken: "" },
      "continuationToken",
      /continuationToken must not be empty/,
    ],
    [
      "expiresIn of 0",
      { operation: "presign-get", key: "a", expiresIn: 0 },
      "expiresIn",
      /expiresIn must be a whole number from 1 to 604800, got number 0/,
    ],
    [
      "expiresIn over 7 days",
      { operation: "presign-put", key: "a", expiresIn: 604801 },
      "expiresIn",
      /expiresIn must be a whole number from 1 to 604800, got number 604801/,
    ],
    [
      "expiresIn Infinity",
      { operation: "presign-get", key: "a", expiresIn: Infinity },
      "expiresIn",
      /expiresIn must be a whole number from 1 to 604800, got number Infinity$/,
    ],
    [
      "expiresIn NaN",
      { operation: "presign-put", key: "a", expiresIn: NaN },
      "expiresIn",
      /expiresIn must be a whole number from 1 to 604800, got number NaN$/,
    ],
    [
      "unknown field",
      { operation: "get", key: "a", bucket: "other-bucket" },
      "bucket",
      /unknown field "bucket" \(got "other-bucket"\)/,
    ],
    [
      "unknown field holding what JSON cannot write",
      { operation: "get", key: "a", extra: { n: 1n, u: undefined, d: NaN } },
      "extra",
      /unknown field "extra" \(got \{"n":1n,"u":undefined,"d":NaN\}\)/,
    ],
    [
      "long key cut before a surrogate pair, never inside it",
      { operation: "get", key: `${"x".repeat(115)}\uD83D\uDE00${"x".repeat(1000)}` },
      "key",
      /key must be at most 1024 UTF-8 bytes, got 1119 bytes \("x{115}\.\.\.\)$/,
    ],
    [
      "field the operation does not use",
      { operation: "list", key: "a" },
      "key",
      /key is not accepted for operation "list" \(got string "a"\)/,
    ],
    ["body on get", { operation: "get", key: "a", body: "x" }, "body", /body is not accepted for operation "get"/],
    [
      "expiresIn on get",
      { operation: "get", key: "a", expiresIn: 60 },
      "expiresIn",
      /expiresIn is not accepted for operation "get" \(got number 60\)/,
    ],
    [
      "encoding on delete",
      { operation: "delete", key: "a", encoding: "utf-8" },
      "encoding",
      /encoding is not accepted for operation "delete"/,
    ],
    [
      "body on presign-put",
      { operation: "presign-put", key: "a", body: "x" },
      "body",
      /body is not accepted for operation "presign-put" \(got a string of 1 characters\)/,
    ],
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
    expect(logger.lines[0].level).toBe("error");
    expect(logger.parsed()[0]).toMatchObject({ outcome: "error", errorType: "InvalidEventError" });
  });

  test("in assume-role mode a lone surrogate is refused before the credentials are asked for", async () => {
    // A real client, not a mock, so the SDK's own steps run: the credentials provider stands for the AssumeRole call,
    // which the SDK makes while sending a request, and the endpoint refuses connections should one be sent.
    const credentials = jest.fn(() =>
      Promise.resolve({ accessKeyId: "ASIAASSUMED", secretAccessKey: "secret", sessionToken: "t" }),
    );
    const s3 = new S3Client({
      region: REGION,
      credentials,
      endpoint: "http://127.0.0.1:9",
      forcePathStyle: true,
      maxAttempts: 1,
    });
    const send = jest.spyOn(s3, "send");
    const handler = createHandler(assumeRoleConfig, { s3, logger: memoryLogger() });

    for (const event of [
      { operation: "get", key: "incoming/\uD800x" },
      { operation: "presign-put", key: "incoming/\uDC00" },
      { operation: "copy", sourceKey: "reference/\uD800", key: "incoming/x" },
      { operation: "list", prefix: "reference/\uDBFF" },
    ]) {
      const error = await rejection(handler(event));
      expect(error).toBeInstanceOf(InvalidEventError);
      expect(error.message).toMatch(/must be well-formed Unicode, got a lone UTF-16 surrogate/);
    }

    expect(credentials).not.toHaveBeenCalled();
    expect(send).not.toHaveBeenCalled();
  });

  test("a key with a whole surrogate pair (an emoji) is sent as is", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody("x") });

    await expect(handler({ operation: "get", key: "incoming/\uD83D\uDE00.txt" })).resolves.toMatchObject({
      key: "incoming/😀.txt",
    });

    expect(s3Mock.commandCalls(GetObjectCommand)[0].args[0].input).toEqual({ Bucket: BUCKET, Key: "incoming/😀.txt" });
  });

  test("the bucket is never taken from the event", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody("x") });

    await expect(handler({ operation: "get", key: "incoming/a", bucket: "attacker-bucket" })).rejects.toThrow(
      InvalidEventError,
    );
    await handler({ operation: "get", key: "incoming/a" });

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

    const error = await rejection(handler({ operation: "get", key: "incoming/a", body: secret }));
    await handler({ operation: "put", key: "incoming/a", body: secret });
    s3Mock.on(PutObjectCommand).rejects(serviceError("AccessDenied", 403));
    const denied = await rejection(handler({ operation: "put", key: "incoming/a", body: secret }));

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
    expect(error).toMatchObject({
      operation: "get",
      bucket: BUCKET,
      key: "incoming/a.txt",
      accessMode: "bucket-policy",
    });
    expect(logger.parsed()[0]).toMatchObject({
      outcome: "error",
      errorType: "AccessDeniedError",
      cause: "AccessDenied",
    });
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
      new Error(
        `User: arn:aws:sts::111111111111:assumed-role/fn/fn is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN}`,
      ),
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

    const error = await rejection(handler({ operation: "get", key: "reference/a" }));

    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(error.message).toContain(POLICIES_TO_CHECK["bucket-policy"]);
  });

  test("an AccessDeniedException by name alone is mapped", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(DeleteObjectCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));

    await expect(handler({ operation: "delete", key: "scratch/a" })).rejects.toThrow(AccessDeniedError);
  });

  test("NoSuchKey becomes a NotFoundError", async () => {
    const { s3Mock, handler, logger } = setup();
    const cause = new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } });
    s3Mock.on(GetObjectCommand).rejects(cause);

    const error = await rejection(handler({ operation: "get", key: "incoming/missing.txt" }));

    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toBeInstanceOf(HandlerError);
    expect(error.name).toBe("NotFoundError");
    expect(error.cause).toBe(cause);
    expect(error.message).toBe(
      `Not found: get on s3://${BUCKET}/incoming/missing.txt failed with NoSuchKey (HTTP 404): The specified key does not exist.`,
    );
    expect(logger.parsed()[0]).toMatchObject({
      outcome: "error",
      errorType: "NotFoundError",
      key: "incoming/missing.txt",
      cause: "NoSuchKey",
    });
  });

  test("any 404 becomes a NotFoundError", async () => {
    const { s3Mock, handler } = setup();
    s3Mock.on(ListObjectsV2Command).rejects(serviceError("NoSuchBucket", 404));

    const error = await rejection(handler({ operation: "list", prefix: "incoming/" }));

    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toContain("NoSuchBucket (HTTP 404)");
  });

  test("other errors are rethrown unchanged after logging", async () => {
    const { s3Mock, handler, logger } = setup();
    const slowDown = serviceError("SlowDown", 503);
    s3Mock.on(PutObjectCommand).rejects(slowDown);

    const error = await rejection(handler({ operation: "put", key: "incoming/a", body: "x" }));

    expect(error).toBe(slowDown);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0].level).toBe("error");
    expect(logger.parsed()[0]).toMatchObject({
      operation: "put",
      key: "incoming/a",
      outcome: "error",
      errorType: "SlowDown",
    });
    expect(logger.parsed()[0]).not.toHaveProperty("cause");
  });

  test("non-AWS errors are rethrown unchanged", async () => {
    const { s3Mock, handler } = setup();
    const boom = new TypeError("socket hang up");
    s3Mock.on(GetObjectCommand).rejects(boom);

    await expect(handler({ operation: "get", key: "incoming/a" })).rejects.toBe(boom);
  });
});

describe("logging", () => {
  test("one JSON line per invocation, written as it is to stdout (success) or stderr (failure) by default", async () => {
    const s3 = new S3Client({ region: REGION, credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } });
    mockClient(s3)
      .on(GetObjectCommand)
      .resolves({ Body: objectBody("data") });
    // Not through the console, which Lambda's runtime prefixes with a timestamp, request ID and level: each line must
    // reach CloudWatch Logs as one event holding only the JSON object, for JSON filter patterns to read it.
    const consoleLog = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const consoleError = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const log = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const handler = createHandler(bucketPolicyConfig, { s3 });
      await handler({ operation: "get", key: "incoming/a" });
      await expect(handler({ operation: "nope" })).rejects.toThrow(InvalidEventError);

      expect(consoleLog).not.toHaveBeenCalled();
      expect(consoleError).not.toHaveBeenCalled();
      expect(log).toHaveBeenCalledTimes(1);
      expect(err).toHaveBeenCalledTimes(1);
      const written = [log.mock.calls[0][0], err.mock.calls[0][0]] as string[];
      for (const text of written) expect(text).toMatch(/^\{[^\n]*\}\n$/);
      const lines = written.map((text) => text.slice(0, -1));
      expect(JSON.parse(lines[0])).toMatchObject({ operation: "get", outcome: "success", bytes: 4 });
      expect(JSON.parse(lines[1])).toMatchObject({
        operation: "nope",
        outcome: "error",
        errorType: "InvalidEventError",
      });
      expect(lines.join()).not.toContain("secret");
    } finally {
      consoleLog.mockRestore();
      consoleError.mockRestore();
      log.mockRestore();
      err.mockRestore();
    }
  });
});
