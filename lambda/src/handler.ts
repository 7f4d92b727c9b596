/**
 * The handler: validates the event, refuses what the grant does not cover, performs the operation on the configured
 * bucket (through its access point when ACCESS_POINT_ARN is set) and returns a plain JSON result. AccessDenied and
 * NotFound answers become typed errors that say what to check; anything else is rethrown as is (throttling has by then
 * been retried by the SDK). One JSON log line per invocation, never with object data, URLs or credentials.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { ACCESS_DENIED_LOG_LINE } from "../../modules/contract";
import type { HandlerConfig } from "./config";
import { HandlerError, NotGrantedError, type S3Target } from "./errors";
import { parseEvent, type S3Request } from "./event";
import { isGranted, prefixesWith, type Permission } from "./granted-prefixes";
import { streamLogger, type Logger } from "./log";
import { operationContext, type InvocationContext, type OperationContext } from "./operations/context";
import { copyObject } from "./operations/copy";
import { deleteObject } from "./operations/delete";
import { getObject } from "./operations/get";
import { listObjects } from "./operations/list";
import { presignUrl } from "./operations/presign";
import { putObject } from "./operations/put";
import { objectCreated, objectRemoved } from "./operations/object-created";
import { checkObjectEvent } from "./event-filter";
import { isObjectEvent, parseObjectEvent } from "./object-events";
import { optional, resultLocation, type HandlerResult, type Outcome } from "./results";
import { createS3Client } from "./s3-client";

export type { Logger } from "./log";
export type { InvocationContext } from "./operations/context";
export {
  COPY_DEADLINE_MARGIN_MS,
  COPY_PART_SIZE,
  COPY_QUEUE_SIZE,
  copyPartSize,
  MAX_UPLOAD_PARTS,
} from "./operations/copy";
export { BINARY_CONTENT_TYPE, PUT_CONTENT_TYPE } from "./operations/put";
export type {
  CopyResult,
  DeleteResult,
  GetResult,
  HandlerResult,
  ListedObject,
  ListResult,
  PresignResult,
  PutResult,
  ObjectCreatedResult,
  ObjectRemovedResult,
} from "./results";

export type Handler = (event: unknown, context?: InvocationContext) => Promise<HandlerResult>;

export interface HandlerDeps {
  /** The S3 client to use; by default one is built from the configuration. */
  readonly s3?: S3Client;
  /** Defaults to the process's stdout and stderr (see streamLogger). */
  readonly logger?: Logger;
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
    case "object-created":
    case "object-removed":
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

/** Refuses, before anything is sent, a request that needs what the grant does not give. */
function checkGrant(ctx: OperationContext, request: S3Request): void {
  if (request.operation === "object-created" || request.operation === "object-removed")
    checkObjectEvent(request, ctx.bucket, ctx.config.eventFilter);
  for (const { target, permission } of needsOf(request, ctx.bucket)) {
    if (!isGranted(ctx.config.grants, target.key ?? target.prefix ?? "", permission)) {
      throw new NotGrantedError(target, permission, prefixesWith(ctx.config.grants, permission));
    }
  }
}

/** Runs the request's operation. */
async function perform(ctx: OperationContext, request: S3Request, context?: InvocationContext): Promise<Outcome> {
  switch (request.operation) {
    case "get":
      return getObject(ctx, request);
    case "put":
      return putObject(ctx, request);
    case "list":
      return listObjects(ctx, request);
    case "delete":
      return deleteObject(ctx, request);
    case "presign-get":
    case "presign-put":
      return presignUrl(ctx, request);
    case "copy":
      return copyObject(ctx, request, context);
    case "object-created":
      return objectCreated(ctx, request);
    case "object-removed":
      return objectRemoved(ctx, request);
  }
}

/** The operation field of an event that failed validation, if it is a short string, for the log line. */
function rawOperation(event: unknown): string | undefined {
  if (typeof event !== "object" || event === null) return undefined;
  const op = (event as { operation?: unknown }).operation;
  return typeof op === "string" ? op.slice(0, 32) : undefined;
}

/**
 * The fields every log line starts with: the invocation, what it asked for and where (as far as the event was
 * valid), and the access mode.
 */
function invocationFields(
  ctx: OperationContext,
  event: unknown,
  request: S3Request | undefined,
  context: InvocationContext | undefined,
): Record<string, unknown> {
  return {
    ...optional("requestId", context?.awsRequestId),
    operation: request?.operation ?? rawOperation(event),
    ...resultLocation(ctx),
    ...(request && request.operation === "copy" && { sourceKey: request.sourceKey }),
    ...(request && "key" in request && { key: request.key }),
    ...(request && request.operation === "list" && { prefix: request.prefix ?? "" }),
    accessMode: ctx.config.accessMode,
  };
}

/** The fields a failed invocation's log line ends with: the error's type, its message and its cause's type. */
function errorFields(error: unknown): Record<string, unknown> {
  const err = error instanceof Error ? error : undefined;
  const cause = err?.cause instanceof Error ? err.cause.name : undefined;
  return {
    // Named by the contract: the access-denied metric filter selects this field (see ACCESS_DENIED_LOG_LINE).
    [ACCESS_DENIED_LOG_LINE.field]: err?.name ?? typeof error,
    errorMessage: err?.message ?? String(error),
    ...(error instanceof HandlerError && optional("cause", cause)),
  };
}

/** Builds the handler for a configuration. Build it once per container and reuse it for every invocation. */
export function createHandler(config: HandlerConfig, deps: HandlerDeps = {}): Handler {
  const ctx = operationContext(config, deps.s3 ?? createS3Client(config));
  const logger = deps.logger ?? streamLogger;

  return async function handler(event: unknown, context?: InvocationContext): Promise<HandlerResult> {
    const started = performance.now();
    let request: S3Request | undefined;
    const durationMs = () => Math.round((performance.now() - started) * 10) / 10;

    try {
      request = isObjectEvent(event) ? parseObjectEvent(event) : parseEvent(event);
      checkGrant(ctx, request);
      const outcome = await perform(ctx, request, context);
      const fields = invocationFields(ctx, event, request, context);
      logger.log(JSON.stringify({ ...fields, outcome: "success", durationMs: durationMs(), ...outcome.log }));
      return outcome.result;
    } catch (error) {
      const fields = invocationFields(ctx, event, request, context);
      logger.error(JSON.stringify({ ...fields, outcome: "error", durationMs: durationMs(), ...errorFields(error) }));
      throw error;
    }
  };
}
