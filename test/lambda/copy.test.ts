/**
 * copy: the source's GetObject stream goes through a multipart upload (lib-storage) to the destination, a few parts
 * at a time, each with its SHA-256; on any failure the upload is aborted so that no object and no parts remain.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type GetObjectCommandOutput,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { AccessDeniedError, CopyTimeoutError, NotFoundError } from "../../lambda/src/errors";
import {
  COPY_DEADLINE_MARGIN_MS,
  COPY_PART_SIZE,
  COPY_QUEUE_SIZE,
  copyPartSize,
  createHandler,
} from "../../lambda/src/handler";
import { BUCKET, bucketPolicyConfig, memoryLogger, objectBody, REGION, serviceError } from "./helpers";

const MiB = 1024 * 1024;

function setup() {
  const s3 = new S3Client({ region: REGION, credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } });
  const s3Mock = mockClient(s3);
  s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: "upload-1" });
  s3Mock
    .on(UploadPartCommand)
    .callsFake((input: { PartNumber: number }) => Promise.resolve({ ETag: `"part-${input.PartNumber}"` }));
  s3Mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"whole-4"', VersionId: "v9" });
  s3Mock.on(AbortMultipartUploadCommand).resolves({});
  const logger = memoryLogger();
  return { s3Mock, logger, handler: createHandler(bucketPolicyConfig, { s3, logger }) };
}

const copyEvent = { operation: "copy", sourceKey: "reference/big.bin", key: "incoming/big-copy.bin" };
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("base64");

/** A source stream made on demand, 1 MiB at a time, that records how far it has been read. */
function lazySource(size: number, options: { failAfter?: number; stallAfter?: number } = {}) {
  const state = { pulled: 0 };
  const stream = new Readable({
    read() {
      if (options.failAfter !== undefined && state.pulled >= options.failAfter) {
        return void this.destroy(new Error("connection reset by peer"));
      }
      if (options.stallAfter !== undefined && state.pulled >= options.stallAfter) return;
      if (state.pulled >= size) return void this.push(null);
      const n = Math.min(MiB, size - state.pulled);
      state.pulled += n;
      this.push(Buffer.alloc(n, state.pulled % 251));
    },
  });
  return { body: stream as unknown as GetObjectCommandOutput["Body"], state };
}

test("a large object is streamed through a multipart upload with a SHA-256 per part", async () => {
  const { s3Mock, handler, logger } = setup();
  const source = randomBytes(20 * MiB);
  s3Mock.on(GetObjectCommand).resolves({
    Body: objectBody(source, 256 * 1024),
    ContentLength: source.length,
    ContentType: "application/x-parquet",
    Metadata: { origin: "feed-7" },
  });

  const result = await handler(copyEvent, { awsRequestId: "c1" });

  expect(result).toStrictEqual({
    operation: "copy",
    bucket: BUCKET,
    sourceKey: "reference/big.bin",
    key: "incoming/big-copy.bin",
    bytes: 20 * MiB,
    etag: '"whole-4"',
    versionId: "v9",
  });
  expect(s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toStrictEqual([
    { Bucket: BUCKET, Key: "reference/big.bin" },
  ]);
  expect(s3Mock.commandCalls(CreateMultipartUploadCommand)[0].args[0].input).toMatchObject({
    Bucket: BUCKET,
    Key: "incoming/big-copy.bin",
    ContentType: "application/x-parquet",
    Metadata: { origin: "feed-7" },
    ChecksumAlgorithm: "SHA256",
  });
  const parts = s3Mock
    .commandCalls(UploadPartCommand)
    .map((c) => c.args[0].input as { PartNumber: number; Body: Buffer });
  expect(parts.map((p) => [p.PartNumber, p.Body.length])).toEqual([
    [1, 5 * MiB],
    [2, 5 * MiB],
    [3, 5 * MiB],
    [4, 5 * MiB],
  ]);
  for (const call of s3Mock.commandCalls(UploadPartCommand)) {
    expect(call.args[0].input).toMatchObject({
      Bucket: BUCKET,
      Key: "incoming/big-copy.bin",
      UploadId: "upload-1",
      ChecksumAlgorithm: "SHA256",
    });
  }
  const sorted = [...parts].sort((a, b) => a.PartNumber - b.PartNumber);
  expect(sha256(Buffer.concat(sorted.map((p) => p.Body)))).toBe(sha256(source));
  expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)[0].args[0].input).toMatchObject({
    UploadId: "upload-1",
    MultipartUpload: {
      Parts: [
        { PartNumber: 1, ETag: '"part-1"' },
        { PartNumber: 2, ETag: '"part-2"' },
        { PartNumber: 3, ETag: '"part-3"' },
        { PartNumber: 4, ETag: '"part-4"' },
      ],
    },
  });
  expect(s3Mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
  expect(logger.parsed()).toEqual([
    {
      requestId: "c1",
      operation: "copy",
      bucket: BUCKET,
      sourceKey: "reference/big.bin",
      key: "incoming/big-copy.bin",
      accessMode: "bucket-policy",
      outcome: "success",
      durationMs: expect.any(Number),
      bytes: 20 * MiB,
    },
  ]);
});

test("a small object is copied with one PutObject", async () => {
  const { s3Mock, handler } = setup();
  s3Mock.on(GetObjectCommand).resolves({ Body: objectBody("tiny"), ContentLength: 4, ContentType: "text/plain" });
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"small"' });

  const result = await handler(copyEvent);

  expect(result).toMatchObject({ bytes: 4, etag: '"small"' });
  const put = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
  expect(put).toMatchObject({
    Bucket: BUCKET,
    Key: "incoming/big-copy.bin",
    ContentType: "text/plain",
    ChecksumAlgorithm: "SHA256",
  });
  expect(Buffer.from(put.Body as Uint8Array).toString()).toBe("tiny");
  expect(s3Mock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
});

test("memory stays bounded: the source is read only as fast as parts are uploaded", async () => {
  const { s3Mock, handler } = setup();
  const { body, state } = lazySource(64 * MiB);
  s3Mock.on(GetObjectCommand).resolves({ Body: body, ContentLength: 64 * MiB });
  const held: Array<() => void> = [];
  s3Mock
    .on(UploadPartCommand)
    .callsFake(
      (input: { PartNumber: number }) =>
        new Promise((resolve) => held.push(() => resolve({ ETag: `"part-${input.PartNumber}"` }))),
    );

  const copying = handler(copyEvent);
  // Let the upload fill its queue while no part completes.
  while (held.length < COPY_QUEUE_SIZE) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50));

  // Parts in flight, one part being gathered, and a little read-ahead: never the 64 MiB.
  expect(state.pulled).toBeLessThanOrEqual((COPY_QUEUE_SIZE + 1) * COPY_PART_SIZE + 2 * MiB);
  const release = setInterval(() => held.splice(0).forEach((resolve) => resolve()), 1);
  try {
    await expect(copying).resolves.toMatchObject({ bytes: 64 * MiB });
  } finally {
    clearInterval(release);
  }
  expect(s3Mock.commandCalls(UploadPartCommand)).toHaveLength(Math.ceil((64 * MiB) / COPY_PART_SIZE));
});

test("a part that fails aborts the multipart upload: no object, no parts left", async () => {
  const { s3Mock, handler } = setup();
  s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(randomBytes(20 * MiB)), ContentLength: 20 * MiB });
  const refused = serviceError("AccessDenied", 403, "Access Denied");
  s3Mock.on(UploadPartCommand, { PartNumber: 2 }).rejects(refused);

  const error = (await handler(copyEvent).catch((e: unknown) => e)) as AccessDeniedError;

  expect(error).toBeInstanceOf(AccessDeniedError);
  expect(error.cause).toBe(refused);
  expect(error.message).toContain(
    `copy on s3://${BUCKET}/incoming/big-copy.bin (the destination) in bucket-policy mode`,
  );
  expect(s3Mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toStrictEqual([
    { Bucket: BUCKET, Key: "incoming/big-copy.bin", UploadId: "upload-1" },
  ]);
  expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
});

test("a source that breaks off mid-stream aborts the upload", async () => {
  const { s3Mock, handler } = setup();
  const { body } = lazySource(40 * MiB, { failAfter: 20 * MiB });
  s3Mock.on(GetObjectCommand).resolves({ Body: body, ContentLength: 40 * MiB });

  await expect(handler(copyEvent)).rejects.toThrow("connection reset by peer");

  expect(s3Mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
});

test("a failed completion aborts the upload too", async () => {
  const { s3Mock, handler } = setup();
  s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(randomBytes(10 * MiB)), ContentLength: 10 * MiB });
  s3Mock.on(CompleteMultipartUploadCommand).rejects(serviceError("InternalError", 500));

  await expect(handler(copyEvent)).rejects.toMatchObject({ name: "InternalError" });

  expect(s3Mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
});

test("a missing source is a NotFoundError about the source, and nothing is uploaded", async () => {
  const { s3Mock, handler } = setup();
  s3Mock
    .on(GetObjectCommand)
    .rejects(new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } }));

  const error = (await handler(copyEvent).catch((e: unknown) => e)) as Error;

  expect(error).toBeInstanceOf(NotFoundError);
  expect(error.message).toBe(
    `Not found: copy on s3://${BUCKET}/reference/big.bin (the source) failed with NoSuchKey (HTTP 404): The specified key does not exist.`,
  );
  expect(s3Mock.calls()).toHaveLength(1);
});

test("a copy still running near the function's timeout is aborted, with nothing stored", async () => {
  const { s3Mock, handler, logger } = setup();
  const { body } = lazySource(64 * MiB, { stallAfter: 9 * MiB });
  s3Mock.on(GetObjectCommand).resolves({ Body: body, ContentLength: 64 * MiB });

  const error = (await handler(copyEvent, { getRemainingTimeInMillis: () => COPY_DEADLINE_MARGIN_MS + 100 }).catch(
    (e: unknown) => e,
  )) as CopyTimeoutError;

  expect(error).toBeInstanceOf(CopyTimeoutError);
  expect(error.message).toBe(
    `Copy timed out: s3://${BUCKET}/reference/big.bin to s3://${BUCKET}/incoming/big-copy.bin was aborted 5 s before the ` +
      "function's timeout after 5242880 bytes, and the multipart upload was aborted so nothing was stored. Raise the " +
      'function\'s timeout, or copy through URLs from "presign-get" and "presign-put".',
  );
  expect(error).toMatchObject({ bytesCopied: 5 * MiB, sourceKey: "reference/big.bin", key: "incoming/big-copy.bin" });
  expect(s3Mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  expect(logger.parsed()[0]).toMatchObject({ outcome: "error", errorType: "CopyTimeoutError" });
});

test("parts grow only when an object would need more than 10,000 of them", () => {
  expect(copyPartSize(undefined)).toBe(COPY_PART_SIZE);
  expect(copyPartSize(0)).toBe(COPY_PART_SIZE);
  expect(copyPartSize(10_000 * COPY_PART_SIZE)).toBe(COPY_PART_SIZE);
  expect(copyPartSize(100 * 1024 * MiB)).toBe(10_737_419);
});
