/**
 * The handler on an SQS batch of S3's notifications (a grant's events delivered through a queue): each message is
 * checked and answered on its own, exactly as S3's EventBridge events are (the grant's check, then the head read or
 * the removal told), and those that are malformed, refused or whose read fails are reported in `batchItemFailures`,
 * so that Lambda retries only them. A batch that cannot be answered message by message, or one reaching a function
 * whose grant declares no events, is refused whole. One JSON log line per object (per message when it fails), and one
 * for the batch.
 */
import { requireEventFilter } from "./event-filter";
import { checkGrant } from "./grant-check";
import { errorFields, type Logger } from "./log";
import type { ObjectEventRequest } from "./object-events";
import type { InvocationContext, OperationContext } from "./operations/context";
import { objectCreated, objectRemoved } from "./operations/object-created";
import {
  optional,
  resultLocation,
  type ObjectCreatedResult,
  type ObjectRemovedResult,
  type Outcome,
  type SqsBatchResult,
  type SqsMessageResult,
} from "./results";
import { parseS3Message, parseSqsBatch } from "./s3-notifications";

/** How many messages of a batch are answered at once. */
export const MESSAGE_CONCURRENCY = 8;

/** What answering a batch works with. */
interface BatchRun {
  readonly ctx: OperationContext;
  readonly logger: Logger;
  readonly requestId: string | undefined;
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 10) / 10;

/** The fields every log line of the batch starts with: the invocation, what it was about, and the access mode. */
function lineFields(run: BatchRun, operation: string, messageId?: string, key?: string): Record<string, unknown> {
  return {
    ...optional("requestId", run.requestId),
    operation,
    ...resultLocation(run.ctx),
    ...optional("messageId", messageId),
    ...optional("key", key),
    accessMode: run.ctx.config.accessMode,
  };
}

/** The object's head, read as for S3's `Object Created` event; or the removal, told as for `Object Deleted`. */
function answerObject(ctx: OperationContext, request: ObjectEventRequest): Promise<Outcome> {
  return request.operation === "object-created" ? objectCreated(ctx, request) : objectRemoved(ctx, request);
}

/**
 * Answers one message: every object event of it is checked against the grant before anything is sent, then each is
 * answered. Returns undefined when the message failed, after logging why.
 */
async function answerMessage(run: BatchRun, messageId: string, record: unknown): Promise<SqsMessageResult | undefined> {
  const started = performance.now();
  let current: ObjectEventRequest | undefined;
  try {
    const message = parseS3Message(record);
    if (message.kind === "test") {
      const fields = lineFields(run, "s3-test-event", messageId);
      run.logger.log(
        JSON.stringify({
          ...fields,
          outcome: "success",
          durationMs: elapsed(started),
          testEventBucket: message.bucket,
        }),
      );
      return { messageId, objects: [], testEvent: true };
    }
    for (const request of message.requests) {
      current = request;
      checkGrant(run.ctx, request);
    }
    const objects: Array<ObjectCreatedResult | ObjectRemovedResult> = [];
    for (const request of message.requests) {
      current = request;
      const outcome = await answerObject(run.ctx, request);
      const fields = lineFields(run, request.operation, messageId, request.key);
      run.logger.log(JSON.stringify({ ...fields, outcome: "success", durationMs: elapsed(started), ...outcome.log }));
      // answerObject gives the result of object-created or object-removed.
      objects.push(outcome.result as ObjectCreatedResult | ObjectRemovedResult);
    }
    return { messageId, objects };
  } catch (error) {
    const fields = lineFields(run, current?.operation ?? "sqs-message", messageId, current?.key);
    run.logger.error(
      JSON.stringify({ ...fields, outcome: "error", durationMs: elapsed(started), ...errorFields(error) }),
    );
    return undefined;
  }
}

/** `fn` over `items`, at most `limit` at once, the results in the items' order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Answers an SQS batch of S3's notifications: `{ batchItemFailures, results }`. Throws, refusing the whole batch,
 * when the grant declares no events (EventNotGrantedError) or a record has no messageId (InvalidEventError).
 */
export async function handleSqsBatch(
  ctx: OperationContext,
  logger: Logger,
  event: unknown,
  context?: InvocationContext,
): Promise<SqsBatchResult> {
  const started = performance.now();
  const run: BatchRun = { ctx, logger, requestId: context?.awsRequestId };
  let messages: Array<{ messageId: string; record: unknown }>;
  try {
    requireEventFilter(ctx.config.eventFilter);
    messages = parseSqsBatch(event);
  } catch (error) {
    const fields = lineFields(run, "sqs-batch");
    logger.error(JSON.stringify({ ...fields, outcome: "error", durationMs: elapsed(started), ...errorFields(error) }));
    throw error;
  }
  const answers = await mapLimited(messages, MESSAGE_CONCURRENCY, (m) => answerMessage(run, m.messageId, m.record));
  const batchItemFailures = messages
    .filter((_, index) => answers[index] === undefined)
    .map(({ messageId }) => ({ itemIdentifier: messageId }));
  const results = answers.filter((answer): answer is SqsMessageResult => answer !== undefined);
  const counts = { messages: messages.length, failedMessages: batchItemFailures.length };
  logger.log(
    JSON.stringify({ ...lineFields(run, "sqs-batch"), outcome: "success", durationMs: elapsed(started), ...counts }),
  );
  return { batchItemFailures, results };
}
