/**
 * S3's notifications as an SQS queue delivers them: the batch Lambda's event source mapping sends, each message's body
 * an S3 notification (or the test message S3 sends when the configuration is saved). Each S3 record is validated into
 * the object event the EventBridge path takes (see object-events.ts), so the same checks and operations apply to it.
 */
import * as z from "zod";
import { QUEUE_NOTIFICATION_EVENTS } from "../../modules/contract";
import { InvalidEventError, type EventProblem } from "./errors";
import { keySchema } from "./event";
import type { ObjectEventRequest } from "./object-events";
import { showValue } from "./show-value";

/** Each removal's deletion type, as EventBridge's `Object Deleted` events name it. */
const DELETION_TYPES: Record<(typeof QUEUE_NOTIFICATION_EVENTS.removed.names)[number], string> = {
  "ObjectRemoved:Delete": "Permanently Deleted",
  "ObjectRemoved:DeleteMarkerCreated": "Delete Marker Created",
};

/**
 * S3's event names the handler takes — those of the families a grant's queue entries ask for (the contract's
 * QUEUE_NOTIFICATION_EVENTS) — as the object event each is (a removal with its deletion type).
 */
type EventKind =
  { readonly operation: "object-created" } | { readonly operation: "object-removed"; readonly deletionType: string };
const EVENT_NAMES: Readonly<Record<string, EventKind>> = Object.fromEntries([
  ...QUEUE_NOTIFICATION_EVENTS.created.names.map((name): [string, EventKind] => [
    name,
    { operation: "object-created" },
  ]),
  ...QUEUE_NOTIFICATION_EVENTS.removed.names.map((name): [string, EventKind] => [
    name,
    { operation: "object-removed", deletionType: DELETION_TYPES[name] },
  ]),
]);

/** One message of the batch: S3's test message, or the object events of an S3 notification. */
export type S3Message =
  | { readonly kind: "test"; readonly bucket: string }
  | { readonly kind: "objects"; readonly requests: readonly ObjectEventRequest[] };

/** Whether an invocation event is a batch from an SQS queue (then it is read by parseSqsBatch). */
export function isSqsEvent(event: unknown): boolean {
  if (typeof event !== "object" || event === null) return false;
  const records = (event as { Records?: unknown }).Records;
  return (
    Array.isArray(records) &&
    records.some(
      (r) => typeof r === "object" && r !== null && (r as { eventSource?: unknown }).eventSource === "aws:sqs",
    )
  );
}

/** The batch as far as it can be answered message by message: every record needs its messageId. */
const batchSchema = z.looseObject({
  Records: z
    .array(
      z.looseObject({
        messageId: z.string({ error: "messageId must be a string" }).min(1, { error: "messageId must not be empty" }),
      }),
      { error: "Records must be a list of SQS messages" },
    )
    .min(1, { error: "Records must not be empty" }),
});

const sqsRecordSchema = z.looseObject({
  eventSource: z.literal("aws:sqs", {
    error: (issue) => `eventSource must be "aws:sqs", got ${showValue(issue.input)}`,
  }),
  body: z.string({ error: "body must be a string" }),
});

/** A key as S3 writes it in a notification: URL-encoded, a space as `+`; decoded, it is checked as any key is. */
const encodedKeySchema = z
  .string({ error: (issue) => `key must be a string, got ${showValue(issue.input)}` })
  .transform((raw, ctx) => {
    try {
      return decodeURIComponent(raw.replace(/\+/g, " "));
    } catch {
      ctx.addIssue({ code: "custom", message: `key ${showValue(raw)} is not URL-encoded as S3 encodes keys` });
      return z.NEVER;
    }
  })
  .pipe(keySchema("key"));

const recordSchema = z.looseObject({
  eventSource: z.literal("aws:s3", { error: (issue) => `eventSource must be "aws:s3", got ${showValue(issue.input)}` }),
  eventName: z.enum(Object.keys(EVENT_NAMES) as [string, ...string[]], {
    error: (issue) => `eventName must be one of ${Object.keys(EVENT_NAMES).join(", ")}, got ${showValue(issue.input)}`,
  }),
  s3: z.looseObject(
    {
      bucket: z.looseObject({ name: z.string({ error: "bucket.name must be a string" }) }),
      object: z.looseObject({ key: encodedKeySchema }),
    },
    { error: "s3 must be an object with bucket.name and object.key" },
  ),
});

const notificationSchema = z.looseObject(
  {
    Records: z.array(recordSchema, { error: "Records must be a list" }).min(1, { error: "Records must not be empty" }),
  },
  { error: "the body must be an S3 notification { Records: [...] }" },
);

const testEventSchema = z.looseObject({
  Service: z.literal("Amazon S3", { error: 'Service must be "Amazon S3"' }),
  Event: z.literal("s3:TestEvent"),
  Bucket: z.string({ error: "Bucket must be a string" }),
});

/** The problems of a failed parse, each field named from `at`. */
function invalid(at: string, error: z.ZodError): InvalidEventError {
  return new InvalidEventError(
    error.issues.map((issue): EventProblem => {
      const field = [at, ...issue.path].filter((p) => p !== "").join(".");
      return { field, message: `${field}: ${issue.message}` };
    }),
  );
}

/**
 * Validates an SQS batch as far as it can be answered message by message, and returns its records with their
 * messageIds; throws an InvalidEventError when it cannot be (a record without its messageId cannot be reported).
 */
export function parseSqsBatch(event: unknown): Array<{ messageId: string; record: unknown }> {
  const result = batchSchema.safeParse(event);
  if (!result.success) throw invalid("", result.error);
  return result.data.Records.map((record) => ({ messageId: record.messageId, record }));
}

/** The body's JSON; throws an InvalidEventError when it is not JSON. */
function bodyJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    const problem = `body is not JSON (${(error as Error).message}), got ${showValue(body)}`;
    throw new InvalidEventError([{ field: "body", message: problem }]);
  }
}

/** An S3 record as the object event it is. */
function requestOf(record: z.output<typeof recordSchema>): ObjectEventRequest {
  const where = { bucket: record.s3.bucket.name, key: record.s3.object.key };
  const event = EVENT_NAMES[record.eventName];
  if (event.operation === "object-created") return { operation: "object-created", ...where };
  return { operation: "object-removed", ...where, deletionType: event.deletionType };
}

/** Validates one SQS message of S3's; throws an InvalidEventError naming what is wrong. */
export function parseS3Message(record: unknown): S3Message {
  const message = sqsRecordSchema.safeParse(record);
  if (!message.success) throw invalid("", message.error);
  const body = bodyJson(message.data.body);
  if (typeof body === "object" && body !== null && (body as { Event?: unknown }).Event === "s3:TestEvent") {
    const test = testEventSchema.safeParse(body);
    if (!test.success) throw invalid("body", test.error);
    return { kind: "test", bucket: test.data.Bucket };
  }
  const notification = notificationSchema.safeParse(body);
  if (!notification.success) throw invalid("body", notification.error);
  return { kind: "objects", requests: notification.data.Records.map(requestOf) };
}
