/**
 * ACCESS_POINT_ARN: every S3 command names the access point's ARN as its Bucket (and the SDK sends it to the access
 * point's host); without it, the bucket's name. Results and log lines keep naming the bucket, and add the access point.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import type { HttpRequest } from "@smithy/types";
import { mockClient } from "aws-sdk-client-mock";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type { HandlerConfig } from "../../lambda/src/config";
import { AccessDeniedError, NotFoundError, NotGrantedError, POLICIES_TO_CHECK } from "../../lambda/src/errors";
import { createHandler, type PresignResult } from "../../lambda/src/handler";
import {
  ACCESS_POINT_ARN,
  ACCESS_POINT_HOST,
  accessPointConfig,
  BUCKET,
  BUCKET_HOST,
  bucketPolicyConfig,
  memoryLogger,
  objectBody,
  REGION,
  serviceError,
} from "./helpers";

const MiB = 1024 * 1024;
const credentials = { accessKeyId: "AKIDTEST", secretAccessKey: "secret" };

function setup(config: HandlerConfig) {
  const s3 = new S3Client({ region: REGION, credentials });
  const s3Mock = mockClient(s3);
  s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: "upload-1" });
  s3Mock
    .on(UploadPartCommand)
    .callsFake((input: { PartNumber: number }) => Promise.resolve({ ETag: `"part-${input.PartNumber}"` }));
  s3Mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"whole"' });
  s3Mock.on(AbortMultipartUploadCommand).resolves({});
  const logger = memoryLogger();
  return { s3Mock, logger, handler: createHandler(config, { s3, logger }) };
}

/** The Bucket of every command sent, in order, with the command's name. */
function bucketsSent(s3Mock: ReturnType<typeof setup>["s3Mock"]): Array<[string, unknown]> {
  return s3Mock.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: { Bucket?: unknown } };
    return [command.constructor.name, command.input.Bucket];
  });
}

describe.each([
  [
    "through the access point",
    accessPointConfig,
    ACCESS_POINT_ARN,
    ACCESS_POINT_HOST,
    { accessPoint: ACCESS_POINT_ARN },
  ],
  ["to the bucket (no ACCESS_POINT_ARN)", bucketPolicyConfig, BUCKET, BUCKET_HOST, {}],
] as const)("requests go %s", (_how, config, expectedBucket, expectedHost, accessPointField) => {
  test("get", async () => {
    const { s3Mock, handler, logger } = setup(config);
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody("hello"), ContentLength: 5 });

    const result = await handler({ operation: "get", key: "incoming/a.txt" });

    expect(bucketsSent(s3Mock)).toEqual([["GetObjectCommand", expectedBucket]]);
    expect(s3Mock.commandCalls(GetObjectCommand)[0].args[0].input).toStrictEqual({
      Bucket: expectedBucket,
      Key: "incoming/a.txt",
    });
    expect(result).toStrictEqual({
      operation: "get",
      bucket: BUCKET,
      ...accessPointField,
      key: "incoming/a.txt",
      body: "hello",
      encoding: "utf-8",
      bytes: 5,
    });
    expect(logger.parsed()).toEqual([
      {
        operation: "get",
        bucket: BUCKET,
        ...accessPointField,
        key: "incoming/a.txt",
        accessMode: "bucket-policy",
        outcome: "success",
        durationMs: expect.any(Number),
        bytes: 5,
      },
    ]);
  });

  test("put", async () => {
    const { s3Mock, handler } = setup(config);
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"e"' });

    const result = await handler({ operation: "put", key: "uploads/a.txt", body: "hi" });

    expect(bucketsSent(s3Mock)).toEqual([["PutObjectCommand", expectedBucket]]);
    expect(s3Mock.commandCalls(PutObjectCommand)[0].args[0].input).toMatchObject({
      Bucket: expectedBucket,
      Key: "uploads/a.txt",
    });
    expect(result).toStrictEqual({
      operation: "put",
      bucket: BUCKET,
      ...accessPointField,
      key: "uploads/a.txt",
      bytes: 2,
      checksumSHA256: expect.any(String),
      etag: '"e"',
    });
  });

  test("list", async () => {
    const { s3Mock, handler } = setup(config);
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: "incoming/a", Size: 1 }], IsTruncated: false });

    const result = await handler({ operation: "list", prefix: "incoming/", maxKeys: 10 });

    expect(bucketsSent(s3Mock)).toEqual([["ListObjectsV2Command", expectedBucket]]);
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0].args[0].input).toStrictEqual({
      Bucket: expectedBucket,
      Prefix: "incoming/",
      MaxKeys: 10,
    });
    expect(result).toStrictEqual({
      operation: "list",
      bucket: BUCKET,
      ...accessPointField,
      prefix: "incoming/",
      objects: [{ key: "incoming/a", size: 1 }],
      truncated: false,
    });
  });

  test("delete", async () => {
    const { s3Mock, handler } = setup(config);
    s3Mock.on(DeleteObjectCommand).resolves({});

    const result = await handler({ operation: "delete", key: "scratch/a" });

    expect(bucketsSent(s3Mock)).toEqual([["DeleteObjectCommand", expectedBucket]]);
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0].args[0].input).toStrictEqual({
      Bucket: expectedBucket,
      Key: "scratch/a",
    });
    expect(result).toStrictEqual({ operation: "delete", bucket: BUCKET, ...accessPointField, key: "scratch/a" });
  });

  test.each(["presign-get", "presign-put"] as const)(
    "%s signs a URL for the host the requests go to",
    async (operation) => {
      const { s3Mock, handler } = setup(config);

      const result = (await handler({ operation, key: "incoming/a b.txt", expiresIn: 60 })) as PresignResult;

      const url = new URL(result.url);
      expect(`${url.protocol}//${url.host}${url.pathname}`).toBe(`https://${expectedHost}/incoming/a%20b.txt`);
      expect(url.searchParams.get("X-Amz-Credential")).toMatch(
        new RegExp(`^AKIDTEST/\\d{8}/${REGION}/s3/aws4_request$`),
      );
      expect(url.searchParams.get("x-id")).toBe(operation === "presign-get" ? "GetObject" : "PutObject");
      expect(s3Mock.calls()).toHaveLength(0);
      expect(result).toStrictEqual({
        operation,
        bucket: BUCKET,
        ...accessPointField,
        key: "incoming/a b.txt",
        method: operation === "presign-get" ? "GET" : "PUT",
        url: expect.any(String),
        expiresIn: 60,
        expiresAt: expect.any(String),
      });
    },
  );

  test("copy of a small object: GetObject and PutObject", async () => {
    const { s3Mock, handler } = setup(config);
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody("tiny"), ContentLength: 4 });
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"small"' });

    const result = await handler({ operation: "copy", sourceKey: "reference/a", key: "incoming/b" });

    expect(bucketsSent(s3Mock)).toEqual([
      ["GetObjectCommand", expectedBucket],
      ["PutObjectCommand", expectedBucket],
    ]);
    expect(result).toStrictEqual({
      operation: "copy",
      bucket: BUCKET,
      ...accessPointField,
      sourceKey: "reference/a",
      key: "incoming/b",
      bytes: 4,
      etag: '"small"',
    });
  });

  test("copy through a multipart upload: create, every part, complete", async () => {
    const { s3Mock, handler } = setup(config);
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(randomBytes(12 * MiB)), ContentLength: 12 * MiB });

    await expect(
      handler({ operation: "copy", sourceKey: "reference/big", key: "incoming/big" }),
    ).resolves.toMatchObject({
      bucket: BUCKET,
      ...accessPointField,
      bytes: 12 * MiB,
    });

    const sent = bucketsSent(s3Mock);
    expect(sent.map(([name]) => name).sort()).toEqual([
      "CompleteMultipartUploadCommand",
      "CreateMultipartUploadCommand",
      "GetObjectCommand",
      "UploadPartCommand",
      "UploadPartCommand",
      "UploadPartCommand",
    ]);
    expect(sent.map(([, bucket]) => bucket)).toEqual(sent.map(() => expectedBucket));
  });

  test("copy whose upload fails: the abort goes to the same place", async () => {
    const { s3Mock, handler } = setup(config);
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(randomBytes(12 * MiB)), ContentLength: 12 * MiB });
    s3Mock.on(UploadPartCommand, { PartNumber: 2 }).rejects(serviceError("InternalError", 500));

    await expect(handler({ operation: "copy", sourceKey: "reference/big", key: "incoming/big" })).rejects.toMatchObject(
      {
        name: "InternalError",
      },
    );

    expect(s3Mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toStrictEqual([
      { Bucket: expectedBucket, Key: "incoming/big", UploadId: "upload-1" },
    ]);
    const sent = bucketsSent(s3Mock);
    expect(sent.map(([, bucket]) => bucket)).toEqual(sent.map(() => expectedBucket));
  });
});

describe("through the SDK, the access point's ARN becomes the access point's host", () => {
  interface Seen {
    readonly method: string;
    readonly hostname: string;
    readonly path: string;
    readonly query: Record<string, unknown>;
  }

  /** An S3 client whose HTTP layer records each request and answers it as S3 would, without a network. */
  function recordingClient() {
    const seen: Seen[] = [];
    const answer = (statusCode: number, body = "", headers: Record<string, string> = {}) => ({
      response: {
        statusCode,
        headers: { "x-amz-request-id": "LOCAL", ...headers },
        body: Readable.from([Buffer.from(body)]),
      },
    });
    const xml = (body: string) =>
      answer(200, `<?xml version="1.0" encoding="UTF-8"?>\n${body}`, { "content-type": "application/xml" });
    const requestHandler = {
      async handle(request: HttpRequest) {
        // Drain an upload's body, as a server would.
        const body = request.body as unknown;
        if (body instanceof Readable) for await (const _chunk of body) void _chunk;
        const query = request.query ?? {};
        seen.push({ method: request.method, hostname: request.hostname, path: request.path, query });
        if (request.method === "GET" && "list-type" in query) {
          return xml("<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>");
        }
        if (request.method === "GET") return answer(200, "x".repeat(6 * MiB), { "content-length": String(6 * MiB) });
        if (request.method === "POST" && "uploads" in query) {
          return xml("<InitiateMultipartUploadResult><UploadId>upload-1</UploadId></InitiateMultipartUploadResult>");
        }
        if (request.method === "POST")
          return xml('<CompleteMultipartUploadResult><ETag>"whole"</ETag></CompleteMultipartUploadResult>');
        if (request.method === "PUT") return answer(200, "", { etag: `"part-${String(query["partNumber"] ?? 0)}"` });
        return answer(204);
      },
    };
    const s3 = new S3Client({
      region: REGION,
      credentials,
      requestHandler,
      maxAttempts: 1,
      requestChecksumCalculation: "WHEN_REQUIRED",
    });
    return { s3, seen };
  }

  test.each([
    ["the access point", accessPointConfig, ACCESS_POINT_HOST],
    ["the bucket", bucketPolicyConfig, BUCKET_HOST],
  ] as const)("every request reaches %s's host, with the key as the path", async (_what, config, host) => {
    const { s3, seen } = recordingClient();
    const handler = createHandler(config, { s3, logger: memoryLogger() });

    await handler({ operation: "put", key: "uploads/a.txt", body: "hi" });
    await handler({ operation: "list", prefix: "incoming/" });
    await handler({ operation: "delete", key: "scratch/a" });
    // 6 MiB: two parts of a multipart upload.
    await handler({ operation: "copy", sourceKey: "reference/big", key: "incoming/big" });

    expect(seen.map((r) => [r.method, r.hostname, r.path])).toEqual([
      ["PUT", host, "/uploads/a.txt"],
      ["GET", host, "/"],
      ["DELETE", host, "/scratch/a"],
      ["GET", host, "/reference/big"],
      ["POST", host, "/incoming/big"],
      ["PUT", host, "/incoming/big"],
      ["PUT", host, "/incoming/big"],
      ["POST", host, "/incoming/big"],
    ]);
    expect(seen[1].query).toMatchObject({ "list-type": "2", prefix: "incoming/" });
  });
});

describe("errors through the access point", () => {
  test("AccessDenied names the access point and its policy among those to check", async () => {
    const { s3Mock, handler } = setup(accessPointConfig);
    const refused = serviceError("AccessDenied", 403, "Access Denied");
    s3Mock.on(GetObjectCommand).rejects(refused);

    const error = (await handler({ operation: "get", key: "incoming/a" }).catch(
      (e: unknown) => e,
    )) as AccessDeniedError;

    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(error).toMatchObject({ bucket: BUCKET, accessPoint: ACCESS_POINT_ARN, key: "incoming/a" });
    expect(error.message).toBe(
      `Access denied: get on s3://${BUCKET}/incoming/a through access point ${ACCESS_POINT_ARN} in bucket-policy mode ` +
        "failed with AccessDenied (HTTP 403): Access Denied (S3 also answers 403 instead of 404 for a missing key when " +
        `the caller may not list the bucket). Check ${POLICIES_TO_CHECK["bucket-policy"]}, and the access point's policy.`,
    );
  });

  test("a refused part of a copy names the access point too", async () => {
    const { s3Mock, handler } = setup(accessPointConfig);
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(randomBytes(12 * MiB)), ContentLength: 12 * MiB });
    s3Mock.on(UploadPartCommand).rejects(serviceError("AccessDenied", 403, "Access Denied"));

    const error = (await handler({ operation: "copy", sourceKey: "reference/a", key: "incoming/b" }).catch(
      (e: unknown) => e,
    )) as AccessDeniedError;

    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(error.message).toContain(
      `copy on s3://${BUCKET}/incoming/b (the destination) through access point ${ACCESS_POINT_ARN} in bucket-policy mode`,
    );
  });

  test("NotFound names the access point", async () => {
    const { s3Mock, handler } = setup(accessPointConfig);
    s3Mock
      .on(GetObjectCommand)
      .rejects(new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } }));

    const error = (await handler({ operation: "get", key: "incoming/gone" }).catch((e: unknown) => e)) as NotFoundError;

    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.accessPoint).toBe(ACCESS_POINT_ARN);
    expect(error.message).toBe(
      `Not found: get on s3://${BUCKET}/incoming/gone through access point ${ACCESS_POINT_ARN} failed with ` +
        "NoSuchKey (HTTP 404): The specified key does not exist.",
    );
  });

  test("without an access point the messages are unchanged", async () => {
    const { s3Mock, handler } = setup(bucketPolicyConfig);
    s3Mock.on(GetObjectCommand).rejects(serviceError("AccessDenied", 403, "Access Denied"));

    const error = (await handler({ operation: "get", key: "incoming/a" }).catch(
      (e: unknown) => e,
    )) as AccessDeniedError;

    expect(error.accessPoint).toBeUndefined();
    expect(error.message).not.toContain("access point");
    expect(error.message).toMatch(new RegExp(`^Access denied: get on s3://${BUCKET}/incoming/a in bucket-policy mode`));
  });

  test("the grant is checked on the same keys, before calling AWS", async () => {
    const { s3Mock, handler, logger } = setup(accessPointConfig);

    const error = (await handler({ operation: "put", key: "reference/a", body: "x" }).catch(
      (e: unknown) => e,
    )) as NotGrantedError;

    expect(error).toBeInstanceOf(NotGrantedError);
    expect(error.message).toBe(
      `Not granted: put needs write access to s3://${BUCKET}/reference/a, and the function's grant (GRANTED_PREFIXES) ` +
        "gives write access only under incoming/, uploads/, scratch/. The request was refused before calling AWS.",
    );
    expect(s3Mock.calls()).toHaveLength(0);
    expect(logger.parsed()[0]).toMatchObject({
      bucket: BUCKET,
      accessPoint: ACCESS_POINT_ARN,
      errorType: "NotGrantedError",
    });
  });
});
