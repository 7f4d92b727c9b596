/**
 * `get`: reads an object and returns its bytes in the response, as UTF-8 text or base64. The response is capped at
 * MAX_RESPONSE_BYTES: an object too large for it is refused from its announced size, or, when the size is unknown,
 * as soon as reading it passes the cap (the rest is never downloaded). Larger objects are for `presign-get`.
 */
import { GetObjectCommand, type GetObjectCommandOutput } from "@aws-sdk/client-s3";
import { InvalidEventError, ObjectTooLargeError, type S3Target } from "../errors";
import type { Encoding, S3Request } from "../event";
import { optional, resultLocation, type GetResult, type Outcome } from "../results";
import { callAws, type OperationContext } from "./context";

export type GetRequest = Extract<S3Request, { operation: "get" }>;

/** Where a `get` is aimed: always one object. */
type ObjectTarget = S3Target & { readonly key: string };

type StreamBody = AsyncIterable<Uint8Array> & { destroy?: (error?: Error) => void };

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Largest object whose `encoding` form fits in `limit` bytes. */
function maxObjectBytes(limit: number, encoding: Encoding): number {
  return encoding === "base64" ? Math.floor(limit / 4) * 3 : limit;
}

/** Bytes of an object of `size` bytes once encoded (a lower bound for UTF-8, which JSON may escape further). */
function encodedBytes(size: number, encoding: Encoding): number {
  return encoding === "base64" ? Math.ceil(size / 3) * 4 : size;
}

/** Reads a response body while it stays within `limit` bytes; past it, stops reading (and closes the stream). */
async function readAtMost(body: unknown, limit: number): Promise<{ data: Buffer } | { exceededAt: number }> {
  if (body === undefined) return { data: Buffer.alloc(0) };
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body as StreamBody) {
    total += chunk.byteLength;
    // Leaving the loop early destroys the stream: the rest of the object is never downloaded.
    if (total > limit) return { exceededAt: total };
    chunks.push(chunk);
  }
  return { data: Buffer.concat(chunks, total) };
}

/** Fetches the object and reads its bytes, refusing it as soon as its size shows it cannot fit in the response. */
async function readObject(
  ctx: OperationContext,
  request: GetRequest,
  target: ObjectTarget,
): Promise<{ out: GetObjectCommandOutput; data: Buffer }> {
  const limit = ctx.config.maxResponseBytes;
  const out = await callAws(ctx, target, () =>
    ctx.s3.send(new GetObjectCommand({ Bucket: ctx.s3Bucket, Key: request.key })),
  );
  if (out.ContentLength !== undefined && encodedBytes(out.ContentLength, request.encoding) > limit) {
    (out.Body as StreamBody | undefined)?.destroy?.();
    throw new ObjectTooLargeError(target, "object", out.ContentLength, limit);
  }
  const read = await callAws(ctx, target, () => readAtMost(out.Body, maxObjectBytes(limit, request.encoding)));
  if ("exceededAt" in read) throw new ObjectTooLargeError(target, "object", read.exceededAt, limit);
  return { out, data: read.data };
}

/** The object's bytes in the encoding the event asked for; bytes that are not UTF-8 cannot be sent as UTF-8. */
function encodeBody(ctx: OperationContext, request: GetRequest, data: Buffer): string {
  if (request.encoding === "base64") return data.toString("base64");
  try {
    return strictUtf8.decode(data);
  } catch {
    throw new InvalidEventError([
      {
        field: "encoding",
        message:
          `encoding "utf-8" cannot carry s3://${ctx.bucket}/${request.key}: its ${data.length} bytes are not ` +
          `valid UTF-8; ask with "encoding": "base64"`,
      },
    ]);
  }
}

/** Reads one object into the response. */
export async function getObject(ctx: OperationContext, request: GetRequest): Promise<Outcome> {
  const target: ObjectTarget = { operation: "get", bucket: ctx.bucket, key: request.key };
  const limit = ctx.config.maxResponseBytes;
  const { out, data } = await readObject(ctx, request, target);
  const result: GetResult = {
    operation: "get",
    ...resultLocation(ctx),
    key: request.key,
    body: encodeBody(ctx, request, data),
    encoding: request.encoding,
    bytes: data.length,
    ...optional("contentType", out.ContentType),
    ...optional("versionId", out.VersionId),
  };
  // JSON escapes some characters, so measure the response the runtime will send.
  const responseBytes = Buffer.byteLength(JSON.stringify(result), "utf8");
  if (responseBytes > limit) throw new ObjectTooLargeError(target, "response", responseBytes, limit);
  return { result, log: { bytes: data.length } };
}
