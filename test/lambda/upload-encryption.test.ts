/**
 * The handler never asks for an encryption: every upload it makes — put, copy (one PutObject, or a multipart upload),
 * and the presigned PUT URLs it signs — carries no encryption parameter, so S3 applies the bucket's default (SSE-KMS
 * with the bucket's key). That is the one form every bucket and access point policy of the stacks lets through without
 * naming the key (see modules/policy/upload-encryption.ts); SSE-S3, DSSE, SSE-C and aws:kms without the bucket's key are
 * denied by them.
 */
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { createHandler, type PresignResult } from "../../lambda/src/handler";
import { bucketPolicyConfig, memoryLogger, objectBody, REGION } from "./helpers";

/** The SDK parameters that set an upload's encryption headers (x-amz-server-side-encryption*). */
const ENCRYPTION_PARAMETERS = [
  "ServerSideEncryption",
  "SSEKMSKeyId",
  "SSEKMSEncryptionContext",
  "BucketKeyEnabled",
  "SSECustomerAlgorithm",
  "SSECustomerKey",
  "SSECustomerKeyMD5",
];

function setup() {
  const s3 = new S3Client({ region: REGION, credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } });
  const s3Mock = mockClient(s3);
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"e"' });
  s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: "u1" });
  s3Mock.on(UploadPartCommand).resolves({ ETag: '"p"' });
  s3Mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"c"' });
  return { s3Mock, handler: createHandler(bucketPolicyConfig, { s3, logger: memoryLogger() }) };
}

/** The encryption parameters of every upload command the mock received. */
function encryptionOf(s3Mock: ReturnType<typeof setup>["s3Mock"]): string[] {
  const commands = [PutObjectCommand, CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand];
  return commands.flatMap((command) =>
    s3Mock.commandCalls(command as typeof PutObjectCommand).flatMap((call) =>
      Object.keys(call.args[0].input)
        .filter((k) => ENCRYPTION_PARAMETERS.includes(k))
        .map((k) => `${call.args[0].constructor.name}.${k}`),
    ),
  );
}

test("put sends no encryption parameter", async () => {
  const { s3Mock, handler } = setup();
  await handler({ operation: "put", key: "incoming/a.txt", body: "hello" });
  expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(1);
  expect(encryptionOf(s3Mock)).toEqual([]);
});

test.each([
  ["a small object (one PutObject)", 1024, 0],
  ["a large object (a multipart upload)", 12 * 1024 * 1024, 3],
])("copy of %s sends no encryption parameter, on any of its requests", async (_name, size, parts) => {
  const { s3Mock, handler } = setup();
  s3Mock
    .on(GetObjectCommand)
    .callsFake(() => Promise.resolve({ Body: objectBody(Buffer.alloc(size, 7)), ContentLength: size }));
  await handler({ operation: "copy", sourceKey: "reference/src.bin", key: "incoming/dst.bin" });
  expect(s3Mock.commandCalls(UploadPartCommand)).toHaveLength(parts);
  expect(encryptionOf(s3Mock)).toEqual([]);
});

test("a presigned PUT URL neither signs nor carries an encryption header", async () => {
  const { handler } = setup();
  const result = (await handler({ operation: "presign-put", key: "uploads/in.csv", expiresIn: 60 })) as PresignResult;
  const url = new URL(result.url);
  expect([...url.searchParams.keys()].filter((k) => k.toLowerCase().includes("server-side-encryption"))).toEqual([]);
  expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("host");
});
