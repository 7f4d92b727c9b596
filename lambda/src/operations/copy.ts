/**
 * `copy`: copies an object within the bucket by streaming it through the function, from a GET of the source into a
 * multipart upload of the destination, a part at a time, so memory stays flat whatever the object's size. A copy still
 * running shortly before the function times out is aborted, and so is its upload: no parts and no object are left.
 */
import { GetObjectCommand, type GetObjectCommandOutput } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { Readable } from "node:stream";
import { CopyTimeoutError, type S3Target } from "../errors";
import type { S3Request } from "../event";
import { optional, resultLocation, type Outcome } from "../results";
import { callAws, failure, type InvocationContext, type OperationContext } from "./context";

/**
 * Part size of the multipart upload behind `copy`: S3's minimum, 5 MiB (raised only for objects that would need more
 * than 10,000 parts, over 48.8 GiB). With one part in flight, the copy's own buffers stay near three parts whatever
 * the object's size; V8 adds the garbage it has not collected yet (see README, Benchmarks).
 */
export const COPY_PART_SIZE = 5 * 1024 * 1024;
/** Parts of a `copy` uploaded at once. One keeps a 256 MiB copy within 64 MB of the idle process (two did not). */
export const COPY_QUEUE_SIZE = 1;
/** S3's limit on the parts of one multipart upload. */
export const MAX_UPLOAD_PARTS = 10_000;
/** A `copy` still running this long before the function's timeout is aborted, so that its upload is cleaned up. */
export const COPY_DEADLINE_MARGIN_MS = 5_000;

export type CopyRequest = Extract<S3Request, { operation: "copy" }>;

/** Part size for a copy of `size` bytes: COPY_PART_SIZE, or larger when the object needs more than 10,000 parts. */
export function copyPartSize(size: number | undefined): number {
  return Math.max(COPY_PART_SIZE, Math.ceil((size ?? 0) / MAX_UPLOAD_PARTS));
}

/** The multipart upload of the destination, fed from the source's body with the source's type and metadata. */
function destinationUpload(
  ctx: OperationContext,
  request: CopyRequest,
  got: GetObjectCommandOutput,
  body: Readable,
): Upload {
  const size = got.ContentLength;
  return new Upload({
    client: ctx.s3,
    params: {
      Bucket: ctx.s3Bucket,
      Key: request.key,
      Body: body,
      // Lets the upload check that it sent as many parts as the source's size needs.
      ...optional("ContentLength", size),
      ...optional("ContentType", got.ContentType),
      ...optional("Metadata", got.Metadata),
      ChecksumAlgorithm: "SHA256",
    },
    partSize: copyPartSize(size),
    queueSize: COPY_QUEUE_SIZE,
    // On any failure the multipart upload is aborted: S3 drops the parts, and no object appears.
    leavePartsOnError: false,
  });
}

/** Follows the upload's progress; returns what it has uploaded so far, in bytes. */
function uploadedBytes(upload: Upload): () => number {
  let uploaded = 0;
  upload.on("httpUploadProgress", (progress) => {
    if (progress.loaded !== undefined) uploaded = progress.loaded;
  });
  return () => uploaded;
}

/** The timer that stops a copy before the function times out. */
interface Deadline {
  /** Whether the timer fired (and stopped the copy). */
  passed(): boolean;
  clear(): void;
}

/**
 * Stops the copy COPY_DEADLINE_MARGIN_MS before the function times out, by failing the source stream: the upload then
 * stops and aborts itself before done() settles. No deadline when the context does not tell the time left.
 */
function abortBeforeTimeout(body: Readable, context: InvocationContext | undefined): Deadline {
  let passed = false;
  const remaining = context?.getRemainingTimeInMillis?.();
  const timer =
    remaining === undefined
      ? undefined
      : setTimeout(
          () => {
            passed = true;
            body.destroy(new Error("the function is about to time out"));
          },
          Math.max(0, remaining - COPY_DEADLINE_MARGIN_MS),
        );
  return { passed: () => passed, clear: () => clearTimeout(timer) };
}

/** Copies one object to another key of the bucket. */
export async function copyObject(
  ctx: OperationContext,
  request: CopyRequest,
  context?: InvocationContext,
): Promise<Outcome> {
  const source: S3Target = { operation: "copy", bucket: ctx.bucket, key: request.sourceKey, side: "source" };
  const destination: S3Target = { operation: "copy", bucket: ctx.bucket, key: request.key, side: "destination" };
  const got = await callAws(ctx, source, () =>
    ctx.s3.send(new GetObjectCommand({ Bucket: ctx.s3Bucket, Key: request.sourceKey })),
  );
  // In Node the body is a Readable: the upload pulls parts from it as it needs them, never the whole object.
  const body = got.Body as Readable;
  const upload = destinationUpload(ctx, request, got, body);
  const uploaded = uploadedBytes(upload);
  const deadline = abortBeforeTimeout(body, context);
  try {
    const out = await upload.done();
    const bytes = got.ContentLength ?? uploaded();
    return {
      result: {
        operation: "copy",
        ...resultLocation(ctx),
        sourceKey: request.sourceKey,
        key: request.key,
        bytes,
        ...optional("etag", out.ETag),
        ...optional("versionId", out.VersionId),
      },
      log: { bytes },
    };
  } catch (error) {
    if (deadline.passed()) {
      throw new CopyTimeoutError(ctx.bucket, request.sourceKey, request.key, COPY_DEADLINE_MARGIN_MS, uploaded());
    }
    throw failure(ctx, error, destination);
  } finally {
    deadline.clear();
    body.destroy();
  }
}
