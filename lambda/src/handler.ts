/**
 * The handler: validates the event, refuses what the grant does not cover, performs the operation on the configured
 * bucket (through its access point when ACCESS_POINT_ARN is set) and returns a plain JSON result. AccessDenied and
 * NotFound answers become typed errors that say what to check; anything else is rethrown as is (throttling has by then
 * been retried by the SDK). One JSON log line per invocation, never with object data, URLs or credentials.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { ACCESS_DENIED_LOG_LINE } from "../../modules/contract";
import { requestBucket, type HandlerConfig } from "./config";
import {
  CopyTimeoutError,
  HandlerError,
  InvalidEventError,
  NotGrantedError,
  ObjectTooLargeError,
  toHandlerError,
  type S3Target,
} from "./errors";
import { parseEvent, type Encoding, type S3Request } from "./event";
import { isGranted, prefixesWith, type Permission } from "./grant";
import { streamLogger, type Logger } from "./log";
import { createS3Client } from "./s3-client";

export type { Logger } from "./log";

/** Content type of objects written by `put` with a UTF-8 body, unless the event names one. */
export const PUT_CONTENT_TYPE = "text/plain; charset=utf-8";
/** Content type of objects written by `put` with a base64 body, unless the event names one. */
export const BINARY_CONTENT_TYPE = "application/octet-stream";

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

export interface GetResult {
  readonly operation: "get";
  readonly bucket: string;
  /** The access point the request went through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint?: string;
  readonly key: string;
  /** The object's bytes: UTF-8 text, or base64 when the event asked for it. */
  readonly body: string;
  readonly encoding: Encoding;
  /** Size of the object in bytes. */
  readonly bytes: number;
  readonly contentType?: string;
  readonly versionId?: string;
}

export interface PutResult {
  readonly operation: "put";
  readonly bucket: string;
  /** The access point the request went through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint?: string;
  readonly key: string;
  readonly bytes: number;
  /** Base64 SHA-256 of the bytes sent, which S3 checked before storing them. */
  readonly checksumSHA256: string;
  readonly etag?: string;
  readonly versionId?: string;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  /** ISO 8601. */
  readonly lastModified?: string;
}

export interface ListResult {
  readonly operation: "list";
  readonly bucket: string;
  /** The access point the request went through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint?: string;
  readonly prefix: string;
  readonly objects: ListedObject[];
  readonly truncated: boolean;
  /** Pass it as `continuationToken` to get the next page; present when truncated. */
  readonly nextContinuationToken?: string;
}

export interface DeleteResult {
  readonly operation: "delete";
  readonly bucket: string;
  /** The access point the request went through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint?: string;
  readonly key: string;
  readonly versionId?: string;
}

export interface PresignResult {
  readonly operation: "presign-get" | "presign-put";
  readonly bucket: string;
  /** The access point the request went through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint?: string;
  readonly key: string;
  /** The HTTP method the URL is signed for. */
  readonly method: "GET" | "PUT";
  readonly url: string;
  /** Seconds the URL is valid from `expiresAt` minus this; may be less than asked (see README). */
  readonly expiresIn: number;
  /** ISO 8601 time after which the URL is refused. */
  readonly expiresAt: string;
}

export interface CopyResult {
  readonly operation: "copy";
  readonly bucket: string;
  /** The access point the request went through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint?: string;
  readonly sourceKey: string;
  readonly key: string;
  readonly bytes: number;
  readonly etag?: string;
  readonly versionId?: string;
}

export type HandlerResult = GetResult | PutResult | ListResult | DeleteResult | PresignResult | CopyResult;

/** The part of the Lambda context the handler uses. */
export interface InvocationContext {
  readonly awsRequestId?: string;
  /** Milliseconds left before the function times out. */
  getRemainingTimeInMillis?(): number;
}

export type Handler = (event: unknown, context?: InvocationContext) => Promise<HandlerResult>;

export interface HandlerDeps {
  /** The S3 client to use; by default one is built from the configuration. */
  readonly s3?: S3Client;
  /** Defaults to the process's stdout and stderr (see streamLogger). */
  readonly logger?: Logger;
}

interface Outcome {
  readonly result: HandlerResult;
  /** Extra fields of the log line (sizes, counts; never data, URLs or credentials). */
  readonly log: Record<string, unknown>;
}

/** Adds `name: value` to an object only when value is defined, so results carry no undefined fields. */
function optional<K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: V };
}

/** What a request needs, and where: checked against the grant before anything is sent. */
function needsOf(request: S3Request, bucket: string): Array<{ target: S3Target; permission: Permission }> {
  const at = (key: string, side?: S3Target["side"]): S3Target => ({
    operation: request.operation,
    bucket,
    key,
    ...optional("side", side),
  });
  switch (request.operation) {
    case "get":
    case "presign-get":
      return [{ target: at(request.key), permission: "read" }];
    case "put":
    case "presign-put":
      return [{ target: at(request.key), permission: "write" }];
    case "delete":
      return [{ target: at(request.key), permission: "delete" }];
    case "list":
      return [{ target: { operation: "list", bucket, prefix: request.prefix ?? "" }, permission: "read" }];
    case "copy":
      return [
        { target: at(request.sourceKey, "source"), permission: "read" },
        { target: at(request.key, "destination"), permission: "write" },
      ];
  }
}

/** The operation field of an event that failed validation, if it is a short string, for the log line. */
function rawOperation(event: unknown): string | undefined {
  if (typeof event !== "object" || event === null) return undefined;
  const op = (event as { operation?: unknown }).operation;
  return typeof op === "string" ? op.slice(0, 32) : undefined;
}

/** Largest object whose `encoding` form fits in `limit` bytes. */
function maxObjectBytes(limit: number, encoding: Encoding): number {
  return encoding === "base64" ? Math.floor(limit / 4) * 3 : limit;
}

/** Bytes of an object of `size` bytes once encoded (a lower bound for UTF-8, which JSON may escape further). */
function encodedBytes(size: number, encoding: Encoding): number {
  return encoding === "base64" ? Math.ceil(size / 3) * 4 : size;
}

type StreamBody = AsyncIterable<Uint8Array> & { destroy?: (error?: Error) => void };

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

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Part size for a copy of `size` bytes: COPY_PART_SIZE, or larger when the object needs more than 10,000 parts. */
export function copyPartSize(size: number | undefined): number {
  return Math.max(COPY_PART_SIZE, Math.ceil((size ?? 0) / MAX_UPLOAD_PARTS));
}

/** Builds the handler for a configuration. Build it once per container and reuse it for every invocation. */
export function createHandler(config: HandlerConfig, deps: HandlerDeps = {}): Handler {
  const s3 = deps.s3 ?? createS3Client(config);
  const logger = deps.logger ?? streamLogger;
  const bucket = config.bucketName;
  const accessPoint = config.accessPointArn;
  // What every S3 command gets as `Bucket`; results, logs and messages keep naming the bucket (and the access point).
  const s3Bucket = requestBucket(config);
  const roleArn = config.accessMode === "assume-role" ? config.roleArn : undefined;

  /** The error an AWS call's failure becomes, naming the access point the call went through, if any. */
  function failure(error: unknown, target: S3Target): unknown {
    return toHandlerError(error, { ...target, ...optional("accessPoint", accessPoint) }, config.accessMode, roleArn);
  }

  /** Runs one AWS call; a refusal or a missing object becomes a typed error about `target`. */
  async function aws<T>(target: S3Target, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw failure(error, target);
    }
  }

  function checkGrant(request: S3Request): void {
    for (const { target, permission } of needsOf(request, bucket)) {
      if (!isGranted(config.grants, target.key ?? target.prefix ?? "", permission)) {
        throw new NotGrantedError(target, permission, prefixesWith(config.grants, permission));
      }
    }
  }

  async function get(request: Extract<S3Request, { operation: "get" }>): Promise<Outcome> {
    const target = { operation: "get", bucket, key: request.key };
    const limit = config.maxResponseBytes;
    const out = await aws(target, () => s3.send(new GetObjectCommand({ Bucket: s3Bucket, Key: request.key })));
    if (out.ContentLength !== undefined && encodedBytes(out.ContentLength, request.encoding) > limit) {
      (out.Body as StreamBody | undefined)?.destroy?.();
      throw new ObjectTooLargeError(target, "object", out.ContentLength, limit);
    }
    const read = await aws(target, () => readAtMost(out.Body, maxObjectBytes(limit, request.encoding)));
    if ("exceededAt" in read) throw new ObjectTooLargeError(target, "object", read.exceededAt, limit);
    let body: string;
    if (request.encoding === "base64") {
      body = read.data.toString("base64");
    } else {
      try {
        body = strictUtf8.decode(read.data);
      } catch {
        throw new InvalidEventError([
          {
            field: "encoding",
            message:
              `encoding "utf-8" cannot carry s3://${bucket}/${request.key}: its ${read.data.length} bytes are not ` +
              `valid UTF-8; ask with "encoding": "base64"`,
          },
        ]);
      }
    }
    const result: GetResult = {
      operation: "get",
      bucket,
      ...optional("accessPoint", accessPoint),
      key: request.key,
      body,
      encoding: request.encoding,
      bytes: read.data.length,
      ...optional("contentType", out.ContentType),
      ...optional("versionId", out.VersionId),
    };
    // JSON escapes some characters, so measure the response the runtime will send.
    const responseBytes = Buffer.byteLength(JSON.stringify(result), "utf8");
    if (responseBytes > limit) throw new ObjectTooLargeError(target, "response", responseBytes, limit);
    return { result, log: { bytes: read.data.length } };
  }

  async function put(request: Extract<S3Request, { operation: "put" }>): Promise<Outcome> {
    const data = Buffer.from(request.body, request.encoding === "base64" ? "base64" : "utf8");
    // S3 computes the SHA-256 of what it receives and refuses to store the object when it differs from this one.
    const checksum = createHash("sha256").update(data).digest("base64");
    const out = await aws({ operation: "put", bucket, key: request.key }, () =>
      s3.send(
        new PutObjectCommand({
          Bucket: s3Bucket,
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
        bucket,
        ...optional("accessPoint", accessPoint),
        key: request.key,
        bytes: data.length,
        checksumSHA256: checksum,
        ...optional("etag", out.ETag),
        ...optional("versionId", out.VersionId),
      },
      log: { bytes: data.length },
    };
  }

  async function list(request: Extract<S3Request, { operation: "list" }>): Promise<Outcome> {
    const prefix = request.prefix ?? "";
    const out = await aws({ operation: "list", bucket, prefix }, () =>
      s3.send(
        new ListObjectsV2Command({
          Bucket: s3Bucket,
          ...optional("Prefix", request.prefix),
          ...optional("MaxKeys", request.maxKeys),
          ...optional("ContinuationToken", request.continuationToken),
        }),
      ),
    );
    const objects = (out.Contents ?? []).flatMap((o): ListedObject[] =>
      o.Key === undefined
        ? []
        : [{ key: o.Key, size: o.Size ?? 0, ...optional("lastModified", o.LastModified?.toISOString()) }],
    );
    const truncated = out.IsTruncated === true;
    return {
      result: {
        operation: "list",
        bucket,
        ...optional("accessPoint", accessPoint),
        prefix,
        objects,
        truncated,
        ...optional("nextContinuationToken", truncated ? out.NextContinuationToken : undefined),
      },
      log: { keyCount: objects.length, truncated },
    };
  }

  async function remove(request: Extract<S3Request, { operation: "delete" }>): Promise<Outcome> {
    const out = await aws({ operation: "delete", bucket, key: request.key }, () =>
      s3.send(new DeleteObjectCommand({ Bucket: s3Bucket, Key: request.key })),
    );
    return {
      result: {
        operation: "delete",
        bucket,
        ...optional("accessPoint", accessPoint),
        key: request.key,
        ...optional("versionId", out.VersionId),
      },
      log: {},
    };
  }

  async function presign(request: Extract<S3Request, { operation: "presign-get" | "presign-put" }>): Promise<Outcome> {
    const target = { operation: request.operation, bucket, key: request.key };
    // The credentials the client signs with (in assume-role mode the access role's session, from the shared cache).
    const credentials = await aws(target, () => s3.config.credentials());
    const signedAt = Math.floor(Date.now() / 1000) * 1000;
    const credentialSeconds =
      credentials.expiration === undefined
        ? Number.POSITIVE_INFINITY
        : Math.floor((credentials.expiration.getTime() - signedAt) / 1000);
    // A URL works only while the credentials that signed it do, so it never claims a longer life than theirs.
    const expiresIn = Math.min(request.expiresIn, config.presignMaxExpiresSeconds, credentialSeconds);
    if (expiresIn < 1) {
      throw new HandlerError(
        `${request.operation} on s3://${bucket}/${request.key}: the signing credentials expire at ` +
          `${credentials.expiration?.toISOString()}, too soon to sign a URL`,
      );
    }
    const get = request.operation === "presign-get";
    const command = get
      ? new GetObjectCommand({ Bucket: s3Bucket, Key: request.key })
      : new PutObjectCommand({ Bucket: s3Bucket, Key: request.key });
    const url = await aws(target, () => getSignedUrl(s3, command, { expiresIn, signingDate: new Date(signedAt) }));
    return {
      result: {
        operation: request.operation,
        bucket,
        ...optional("accessPoint", accessPoint),
        key: request.key,
        method: get ? "GET" : "PUT",
        url,
        expiresIn,
        expiresAt: new Date(signedAt + expiresIn * 1000).toISOString(),
      },
      log: { expiresIn, requestedExpiresIn: request.expiresIn },
    };
  }

  async function copy(request: Extract<S3Request, { operation: "copy" }>, context?: InvocationContext): Promise<Outcome> {
    const source: S3Target = { operation: "copy", bucket, key: request.sourceKey, side: "source" };
    const destination: S3Target = { operation: "copy", bucket, key: request.key, side: "destination" };
    const got = await aws(source, () => s3.send(new GetObjectCommand({ Bucket: s3Bucket, Key: request.sourceKey })));
    // In Node the body is a Readable: the upload pulls parts from it as it needs them, never the whole object.
    const body = got.Body as Readable;
    const size = got.ContentLength;
    const upload = new Upload({
      client: s3,
      params: {
        Bucket: s3Bucket,
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
    let uploaded = 0;
    upload.on("httpUploadProgress", (progress) => {
      if (progress.loaded !== undefined) uploaded = progress.loaded;
    });
    let timedOut = false;
    const remaining = context?.getRemainingTimeInMillis?.();
    const timer =
      remaining === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            // Failing the source stream makes the upload stop and abort itself before done() settles.
            body.destroy(new Error("the function is about to time out"));
          }, Math.max(0, remaining - COPY_DEADLINE_MARGIN_MS));
    try {
      const out = await upload.done();
      const bytes = size ?? uploaded;
      return {
        result: {
          operation: "copy",
          bucket,
          ...optional("accessPoint", accessPoint),
          sourceKey: request.sourceKey,
          key: request.key,
          bytes,
          ...optional("etag", out.ETag),
          ...optional("versionId", out.VersionId),
        },
        log: { bytes },
      };
    } catch (error) {
      if (timedOut) throw new CopyTimeoutError(bucket, request.sourceKey, request.key, COPY_DEADLINE_MARGIN_MS, uploaded);
      throw failure(error, destination);
    } finally {
      clearTimeout(timer);
      body.destroy();
    }
  }

  async function perform(request: S3Request, context?: InvocationContext): Promise<Outcome> {
    switch (request.operation) {
      case "get":
        return get(request);
      case "put":
        return put(request);
      case "list":
        return list(request);
      case "delete":
        return remove(request);
      case "presign-get":
      case "presign-put":
        return presign(request);
      case "copy":
        return copy(request, context);
    }
  }

  return async function handler(event: unknown, context?: InvocationContext): Promise<HandlerResult> {
    const started = performance.now();
    let request: S3Request | undefined;
    const base = () => ({
      ...optional("requestId", context?.awsRequestId),
      operation: request?.operation ?? rawOperation(event),
      bucket,
      ...optional("accessPoint", accessPoint),
      ...(request && request.operation === "copy" && { sourceKey: request.sourceKey }),
      ...(request && "key" in request && { key: request.key }),
      ...(request && request.operation === "list" && { prefix: request.prefix ?? "" }),
      accessMode: config.accessMode,
    });
    const durationMs = () => Math.round((performance.now() - started) * 10) / 10;

    try {
      request = parseEvent(event);
      checkGrant(request);
      const outcome = await perform(request, context);
      logger.log(JSON.stringify({ ...base(), outcome: "success", durationMs: durationMs(), ...outcome.log }));
      return outcome.result;
    } catch (error) {
      const err = error instanceof Error ? error : undefined;
      const cause = err?.cause instanceof Error ? err.cause.name : undefined;
      logger.error(
        JSON.stringify({
          ...base(),
          outcome: "error",
          durationMs: durationMs(),
          // Named by the contract: the access-denied metric filter selects this field (see ACCESS_DENIED_LOG_LINE).
          [ACCESS_DENIED_LOG_LINE.field]: err?.name ?? typeof error,
          errorMessage: err?.message ?? String(error),
          ...(error instanceof HandlerError && optional("cause", cause)),
        }),
      );
      throw error;
    }
  };
}
