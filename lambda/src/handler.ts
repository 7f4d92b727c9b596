/**
 * The handler: validates the event, performs one S3 call on the configured bucket and returns a plain JSON result.
 * AccessDenied and NotFound answers become typed errors that say what to check; anything else is rethrown as is.
 * One JSON log line per invocation, never with object data or credentials.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { HandlerConfig } from "./config";
import { AccessDeniedError, classifyAwsError, HandlerError, NotFoundError, type S3Target } from "./errors";
import { parseEvent, type S3Request } from "./event";
import { createS3Client } from "./s3-client";

/** Content type of objects written by `put` (the event body is a UTF-8 string). */
export const PUT_CONTENT_TYPE = "text/plain; charset=utf-8";

export interface GetResult {
  readonly operation: "get";
  readonly bucket: string;
  readonly key: string;
  readonly body: string;
  readonly contentType?: string;
  readonly versionId?: string;
}

export interface PutResult {
  readonly operation: "put";
  readonly bucket: string;
  readonly key: string;
  readonly etag?: string;
  readonly versionId?: string;
}

export interface ListResult {
  readonly operation: "list";
  readonly bucket: string;
  readonly prefix: string;
  readonly keys: string[];
  readonly truncated: boolean;
}

export interface DeleteResult {
  readonly operation: "delete";
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

export type HandlerResult = GetResult | PutResult | ListResult | DeleteResult;

/** The part of the Lambda context the handler uses. */
export interface InvocationContext {
  readonly awsRequestId?: string;
}

export type Handler = (event: unknown, context?: InvocationContext) => Promise<HandlerResult>;

/** Where log lines go: `log` for successful invocations, `error` for failed ones. */
export interface Logger {
  log(line: string): void;
  error(line: string): void;
}

export interface HandlerDeps {
  /** The S3 client to use; by default one is built from the configuration. */
  readonly s3?: S3Client;
  /** Defaults to the console. */
  readonly logger?: Logger;
}

interface Outcome {
  readonly result: HandlerResult;
  /** Object bytes read or written, when known. */
  readonly bytes?: number;
  readonly keyCount?: number;
}

/** Adds `name: value` to an object only when value is defined, so results carry no undefined fields. */
function optional<K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: V };
}

function targetOf(request: S3Request, bucket: string): S3Target {
  return request.operation === "list"
    ? { operation: "list", bucket, prefix: request.prefix ?? "" }
    : { operation: request.operation, bucket, key: request.key };
}

/** The operation field of an event that failed validation, if it is a short string, for the log line. */
function rawOperation(event: unknown): string | undefined {
  if (typeof event !== "object" || event === null) return undefined;
  const op = (event as { operation?: unknown }).operation;
  return typeof op === "string" ? op.slice(0, 32) : undefined;
}

/** Builds the handler for a configuration. Build it once per container and reuse it for every invocation. */
export function createHandler(config: HandlerConfig, deps: HandlerDeps = {}): Handler {
  const s3 = deps.s3 ?? createS3Client(config);
  const logger = deps.logger ?? console;
  const bucket = config.bucketName;
  const roleArn = config.accessMode === "assume-role" ? config.roleArn : undefined;

  async function perform(request: S3Request): Promise<Outcome> {
    switch (request.operation) {
      case "get": {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: request.key }));
        const body = out.Body ? await out.Body.transformToString("utf-8") : "";
        return {
          result: {
            operation: "get",
            bucket,
            key: request.key,
            body,
            ...optional("contentType", out.ContentType),
            ...optional("versionId", out.VersionId),
          },
          bytes: out.ContentLength ?? Buffer.byteLength(body, "utf8"),
        };
      }
      case "put": {
        // One PutObject with the whole body: S3 stores all of it or nothing.
        const bytes = Buffer.byteLength(request.body, "utf8");
        const out = await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: request.key,
            Body: request.body,
            // Explicit, so that an empty body is sent as a zero-length object rather than flagged as a stream.
            ContentLength: bytes,
            ContentType: PUT_CONTENT_TYPE,
          }),
        );
        return {
          result: {
            operation: "put",
            bucket,
            key: request.key,
            ...optional("etag", out.ETag),
            ...optional("versionId", out.VersionId),
          },
          bytes,
        };
      }
      case "list": {
        const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ...optional("Prefix", request.prefix) }));
        const keys = (out.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
        return {
          result: { operation: "list", bucket, prefix: request.prefix ?? "", keys, truncated: out.IsTruncated === true },
          keyCount: keys.length,
        };
      }
      case "delete": {
        const out = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: request.key }));
        return {
          result: { operation: "delete", bucket, key: request.key, ...optional("versionId", out.VersionId) },
        };
      }
    }
  }

  /** Turns S3/STS/KMS refusals and missing objects into typed errors; returns anything else unchanged. */
  function mapError(error: unknown, request: S3Request): unknown {
    if (error instanceof HandlerError) return error;
    switch (classifyAwsError(error)) {
      case "access-denied":
        return new AccessDeniedError(targetOf(request, bucket), config.accessMode, error, roleArn);
      case "not-found":
        return new NotFoundError(targetOf(request, bucket), error);
      case "other":
        return error;
    }
  }

  return async function handler(event: unknown, context?: InvocationContext): Promise<HandlerResult> {
    const started = performance.now();
    let request: S3Request | undefined;
    const base = () => ({
      ...optional("requestId", context?.awsRequestId),
      operation: request?.operation ?? rawOperation(event),
      bucket,
      ...(request && request.operation !== "list" && { key: request.key }),
      ...(request && request.operation === "list" && { prefix: request.prefix ?? "" }),
      accessMode: config.accessMode,
    });
    const durationMs = () => Math.round((performance.now() - started) * 10) / 10;

    try {
      request = parseEvent(event);
      const outcome = await perform(request);
      logger.log(
        JSON.stringify({
          ...base(),
          outcome: "success",
          durationMs: durationMs(),
          ...optional("bytes", outcome.bytes),
          ...optional("keyCount", outcome.keyCount),
          ...(outcome.result.operation === "list" && { truncated: outcome.result.truncated }),
        }),
      );
      return outcome.result;
    } catch (error) {
      const mapped = request ? mapError(error, request) : error;
      const err = mapped instanceof Error ? mapped : undefined;
      logger.error(
        JSON.stringify({
          ...base(),
          outcome: "error",
          durationMs: durationMs(),
          errorType: err?.name ?? typeof mapped,
          errorMessage: err?.message ?? String(mapped),
          ...(mapped !== error && error instanceof Error && { cause: error.name }),
        }),
      );
      throw mapped;
    }
  };
}
