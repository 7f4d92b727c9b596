/**
 * `put`: writes the event's body (UTF-8 text, or base64-decoded bytes) as an object, with its SHA-256, which S3 checks
 * before storing the object.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import type { S3Request } from "../event";
import { optional, resultLocation, type Outcome } from "../results";
import { callAws, type OperationContext } from "./context";

/** Content type of objects written by `put` with a UTF-8 body, unless the event names one. */
export const PUT_CONTENT_TYPE = "text/plain; charset=utf-8";
/** Content type of objects written by `put` with a base64 body, unless the event names one. */
export const BINARY_CONTENT_TYPE = "application/octet-stream";

export type PutRequest = Extract<S3Request, { operation: "put" }>;

/** Writes one object. */
export async function putObject(ctx: OperationContext, request: PutRequest): Promise<Outcome> {
  const data = Buffer.from(request.body, request.encoding === "base64" ? "base64" : "utf8");
  // S3 computes the SHA-256 of what it receives and refuses to store the object when it differs from this one.
  const checksum = createHash("sha256").update(data).digest("base64");
  const out = await callAws(ctx, { operation: "put", bucket: ctx.bucket, key: request.key }, () =>
    ctx.s3.send(
      new PutObjectCommand({
        Bucket: ctx.s3Bucket,
        Key: request.key,
        Body: data,
        ContentLength: data.length,
        ContentType: request.contentType ?? (request.encoding === "base64" ? BINARY_CONTENT_TYPE : PUT_CONTENT_TYPE),
        ChecksumAlgorithm: "SHA256",
        ChecksumSHA256: checksum,
      }),
    ),
  );
  return {
    result: {
      operation: "put",
      ...resultLocation(ctx),
      key: request.key,
      bytes: data.length,
      checksumSHA256: checksum,
      ...optional("etag", out.ETag),
      ...optional("versionId", out.VersionId),
    },
    log: { bytes: data.length },
  };
}
