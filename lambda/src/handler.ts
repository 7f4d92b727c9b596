/**
 * The handler: validates the event, refuses what the grant does not cover, performs the operation on the configured
 * bucket (through its access point when ACCESS_POINT_ARN is set) and returns a plain JSON result. AccessDenied and
 * NotFound answers become typed errors that say what to check; anything else is rethrown as is (throttling has by then
 * been retried by the SDK). One JSON log line per invocation, never with object data, URLs or credentials. An SQS
 * batch of S3's notifications is answered message by message (see sqs-batch.ts).
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { HandlerConfig } from "./config";
import { parseEvent, type S3Request } from "./event";
import { checkGrant } from "./grant-check";
import { errorFields, streamLogger, type Logger } from "./log";
import { operationContext, type InvocationContext, type OperationContext } from "./operations/context";
import { copyObject } from "./operations/copy";
import { deleteObject } from "./operations/delete";
import { getObject } from "./operations/get";
import { listObjects } from "./operations/list";
import { presignUrl } from "./operations/presign";
import { putObject } from "./operations/put";
import { objectCreated, objectRemoved } from "./operations/object-created";
import { isObjectEvent, parseObjectEvent } from "./object-events";
import { optional, resultLocation, type HandlerResult, type Outcome, type SqsBatchResult } from "./results";
import { createS3Client } from "./s3-client";
import { isSqsEvent } from "./s3-notifications";
import { handleSqsBatch } from "./sqs-batch";

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
  SqsBatchResult,
  SqsMessageResult,
} from "./results";
export { MESSAGE_CONCURRENCY } from "./sqs-batch";

/** What an invocation returns: an operation's result, or for an SQS batch of S3's notifications, the batch's answer. */
export type InvocationResult = HandlerResult | SqsBatchResult;

export type Handler = (event: unknown, context?: InvocationContext) => Promise<InvocationResult>;

export interface HandlerDeps {
  /** The S3 client to use; by default one is built from the configuration. */
  readonly s3?: S3Client;
  /** Defaults to the process's stdout and stderr (see streamLogger). */
  readonly logger?: Logger;
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

/** Builds the handler for a configuration. Build it once per container and reuse it for every invocation. */
export function createHandler(config: HandlerConfig, deps: HandlerDeps = {}): Handler {
  const ctx = operationContext(config, deps.s3 ?? createS3Client(config));
  const logger = deps.logger ?? streamLogger;

  return async function handler(event: unknown, context?: InvocationContext): Promise<InvocationResult> {
    if (isSqsEvent(event)) return handleSqsBatch(ctx, logger, event, context);
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
