/**
 * The events the emulator's rules delivered to functions: with EMULATOR_LAMBDA_DELIVERIES naming a file, the launcher
 * (scripts/emulator/moto_server.py) appends each one there, since the emulator cannot run a function itself; the
 * end-to-end suites read them back, and run the function's handler on them here.
 */
import { existsSync, readFileSync } from "node:fs";
import type { EnvironmentConfig } from "../../stacks/config";
import { DeleteObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { emulatorClientConfig, roleCredentials, type Emulator } from "./emulator";
import {
  deployedFunction,
  deployRoleArn,
  enforced,
  seedObjects,
  UNGRANTED_PREFIX,
  withHandler,
  type StackOutputs,
} from "./local-run";

/** One event a rule delivered to a function. */
export interface Delivery {
  /** The function's ARN, as the rule's target names it. */
  readonly function: string;
  /** The ARN of the rule that delivered it. */
  readonly rule: string;
  readonly event: {
    readonly source: string;
    readonly "detail-type": string;
    readonly account: string;
    readonly detail: { readonly bucket: { readonly name: string }; readonly object: { readonly key: string } };
  };
}

/** One batch an event source mapping took from a grant's queue for a function (the SQS path). */
export interface QueueDelivery {
  /** The function's ARN, as the mapping names it. */
  readonly function: string;
  /** The queue's ARN. */
  readonly eventSourceArn: string;
  /** Lambda's SQS event: each record's body is one S3 notification message. */
  readonly event: { readonly Records: ReadonlyArray<{ readonly messageId: string; readonly body: string }> };
}

/** Every delivery recorded in `file` so far, of either path (none when the file does not exist yet). */
function recorded(file: string): Array<Delivery | QueueDelivery> {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Delivery | QueueDelivery);
}

/** Every event a rule delivered to a function, recorded in `file` so far. */
export function deliveries(file: string): Delivery[] {
  return recorded(file).filter((d): d is Delivery => "rule" in d);
}

/** The S3 records of an SQS message body, each with its key decoded as S3 encodes it; none for a test message. */
export function s3RecordsOf(body: string): Array<{ eventName: string; bucket: string; key: string }> {
  const message = JSON.parse(body) as {
    Records?: Array<{ eventName: string; s3: { bucket: { name: string }; object: { key: string } } }>;
  };
  return (message.Records ?? []).map((r) => ({
    eventName: r.eventName,
    bucket: r.s3.bucket.name,
    key: decodeURIComponent(r.s3.object.key.replace(/\+/g, " ")),
  }));
}

/**
 * The batches a mapping took that tell of `key` with an event named `eventPrefix…`, waiting up to `timeoutMs` for at
 * least `count` of them.
 */
export async function queueDeliveriesOf(
  file: string,
  key: string,
  count: number,
  timeoutMs = 5_000,
  eventPrefix = "ObjectCreated:",
): Promise<QueueDelivery[]> {
  const tells = (d: QueueDelivery) =>
    d.event.Records.some((m) => s3RecordsOf(m.body).some((r) => r.key === key && r.eventName.startsWith(eventPrefix)));
  return waitFor(
    () => recorded(file).filter((d): d is QueueDelivery => "eventSourceArn" in d && tells(d)),
    count,
    timeoutMs,
  );
}

/**
 * The deliveries of S3's `detailType` events about `key`, waiting up to `timeoutMs` for at least `count` of them
 * (delivery is asynchronous).
 */
export async function deliveriesOf(
  file: string,
  key: string,
  count: number,
  timeoutMs = 5_000,
  detailType = "Object Created",
): Promise<Delivery[]> {
  return waitFor(
    () => deliveries(file).filter((d) => d.event.detail.object.key === key && d.event["detail-type"] === detailType),
    count,
    timeoutMs,
  );
}

/** What `find` returns once it holds at least `count` items, or when `timeoutMs` have passed (delivery is asynchronous). */
async function waitFor<T>(find: () => T[], count: number, timeoutMs: number): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What the handler answered to a delivered event, and to the same event naming a key outside the grant's events. */
export interface DeliveryAnswers {
  /** The handler's result for the delivered event (it throws otherwise). */
  readonly read: Record<string, unknown>;
  /** The name of the error the handler threw for the other key, or its result when it threw none. */
  readonly refused: unknown;
}

/**
 * Runs the function's bundled handler in-process (see withHandler), with its deployed configuration, as its role and
 * with IAM enforced, on a delivered event, then on the same event naming `outsideKey` instead.
 */
export async function handlerOnDelivery(
  emulator: Emulator,
  config: EnvironmentConfig,
  outputs: Pick<StackOutputs, "lambda_function_name" | "lambda_role_arn">,
  delivery: Delivery,
  outsideKey: string,
): Promise<DeliveryAnswers> {
  const fn = await deployedFunction(emulator, config, outputs.lambda_function_name);
  const credentials = await roleCredentials(emulator.endpoint, outputs.lambda_role_arn, outputs.lambda_function_name);
  const { event } = delivery;
  const outside = { ...event, detail: { ...event.detail, object: { key: outsideKey } } };
  return enforced(emulator, () =>
    withHandler(emulator.endpoint, fn.environment, credentials, async (invoke) => ({
      read: await invoke(event),
      refused: await invoke(outside).catch((error: Error) => error.name),
    })),
  );
}

/** The handler's answer to one event, run as in handlerOnDelivery: its result, or the name of the error it threw. */
async function handlerAnswer(
  emulator: Emulator,
  config: EnvironmentConfig,
  outputs: Pick<StackOutputs, "lambda_function_name" | "lambda_role_arn">,
  event: object,
): Promise<unknown> {
  const fn = await deployedFunction(emulator, config, outputs.lambda_function_name);
  const credentials = await roleCredentials(emulator.endpoint, outputs.lambda_role_arn, outputs.lambda_function_name);
  return enforced(emulator, () =>
    withHandler(emulator.endpoint, fn.environment, credentials, (invoke) =>
      invoke(event as Record<string, unknown>).catch((error: Error) => error.name),
    ),
  );
}

/** What became of an object put under a grant's event prefix, and of one outside them (see followEvent). */
export interface FollowedEvent {
  /** The key put under the first event prefix, and the one put outside every event prefix. */
  readonly inside: string;
  readonly outside: string;
  /** The deliveries of each to a function, once delivery had time to happen. */
  readonly delivered: readonly Delivery[];
  readonly deliveredOutside: readonly Delivery[];
  /** What the handler answered to the delivered event, when there was one. */
  readonly answers?: DeliveryAnswers | undefined;
  /** With removals declared: the deliveries of the inside object's deletion, and the handler's answer to the first. */
  readonly removal?: { readonly delivered: readonly Delivery[]; readonly answer?: unknown } | undefined;
}

/** As the bucket account, deletes `key` (in a versioned bucket, puts a delete marker). */
async function deleteAsOwner(emulator: Emulator, config: EnvironmentConfig, bucket: string, key: string) {
  const owner = await roleCredentials(emulator.endpoint, deployRoleArn(config.bucket.accountId), "delete");
  const s3 = new S3Client(emulatorClientConfig(emulator.endpoint, owner));
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } finally {
    s3.destroy();
  }
}

/** A key under the grant's first event prefix, and one outside every event prefix (another granted prefix, else none). */
function eventKeys(config: EnvironmentConfig): { inside: string; outside: string } {
  const events = config.grant.events!;
  const elsewhere = config.grant.prefixes.find((p) => !events.prefixes.some((e) => p.prefix.startsWith(e)));
  return {
    inside: `${events.prefixes[0]}events/arrived.txt`,
    outside: `${elsewhere?.prefix ?? UNGRANTED_PREFIX}events/elsewhere.txt`,
  };
}

/**
 * As the bucket account, puts an object under the grant's first event prefix and one outside every event prefix
 * (under another granted prefix, else an ungranted one), waits for the deliveries `file` records, and runs the handler
 * on the one delivered event (see handlerOnDelivery).
 */
export async function followEvent(
  emulator: Emulator,
  config: EnvironmentConfig,
  outputs: StackOutputs,
  file: string,
): Promise<FollowedEvent> {
  const events = config.grant.events!;
  const { inside, outside } = eventKeys(config);
  await seedObjects(emulator, config, outputs.bucket_name, [inside, outside]);
  await deliveriesOf(file, inside, 1);
  const deliveredOutside = await deliveriesOf(file, outside, 1, 1_000);
  // Read again after that wait, so that a second delivery of the object would be seen.
  const delivered = await deliveriesOf(file, inside, 1, 0);
  const [first] = delivered;
  const answers = first ? await handlerOnDelivery(emulator, config, outputs, first, outside) : undefined;
  const followed = { inside, outside, delivered, deliveredOutside, ...(answers ? { answers } : {}) };
  if (!events.removed) return followed;
  await deleteAsOwner(emulator, config, outputs.bucket_name, inside);
  const removed = await deliveriesOf(file, inside, 1, 5_000, "Object Deleted");
  const answer = removed[0] ? await handlerAnswer(emulator, config, outputs, removed[0].event) : undefined;
  return { ...followed, removal: { delivered: removed, ...(answer !== undefined ? { answer } : {}) } };
}

/** What became of an object put under a grant's event prefix on the SQS path, and of one outside (see followQueueEvent). */
export interface FollowedQueueEvent {
  readonly inside: string;
  readonly outside: string;
  /** The batches that told of each, once delivery had time to happen. */
  readonly delivered: readonly QueueDelivery[];
  readonly deliveredOutside: readonly QueueDelivery[];
  /** The handler's answer to the delivered batch, and to the same batch naming the outside key. */
  readonly answers?: { readonly read: unknown; readonly refused: unknown } | undefined;
  /** With removals declared: the batches that told of the inside object's deletion, and the handler's answer. */
  readonly removal?: { readonly delivered: readonly QueueDelivery[]; readonly answer?: unknown } | undefined;
}

/** A batch whose messages name `key` instead of each S3 record's own key. */
function naming(event: QueueDelivery["event"], key: string): QueueDelivery["event"] {
  const rename = (body: string) => {
    const message = JSON.parse(body) as { Records?: Array<{ s3: { object: { key: string } } }> };
    for (const r of message.Records ?? []) r.s3.object.key = encodeURIComponent(key).replace(/%20/g, "+");
    return JSON.stringify(message);
  };
  return { Records: event.Records.map((m) => ({ ...m, body: rename(m.body) })) };
}

/**
 * The SQS path's followEvent: as the bucket account, puts an object under the grant's first event prefix and one
 * outside, waits for the batches the grant's mapping takes (`file`), and runs the handler, as the function's role
 * with IAM enforced, on the delivered batch and on the same batch naming the outside key; with removals declared,
 * deletes the inside object and runs the handler on the batch that tells of it.
 */
export async function followQueueEvent(
  emulator: Emulator,
  config: EnvironmentConfig,
  outputs: StackOutputs,
  file: string,
): Promise<FollowedQueueEvent> {
  const { inside, outside } = eventKeys(config);
  await seedObjects(emulator, config, outputs.bucket_name, [inside, outside]);
  await queueDeliveriesOf(file, inside, 1);
  const deliveredOutside = await queueDeliveriesOf(file, outside, 1, 1_000);
  const delivered = await queueDeliveriesOf(file, inside, 1, 0);
  const [first] = delivered;
  const answers = first
    ? {
        read: await handlerAnswer(emulator, config, outputs, first.event),
        refused: await handlerAnswer(emulator, config, outputs, naming(first.event, outside)),
      }
    : undefined;
  const followed = { inside, outside, delivered, deliveredOutside, ...(answers ? { answers } : {}) };
  if (!config.grant.events?.removed) return followed;
  await deleteAsOwner(emulator, config, outputs.bucket_name, inside);
  const removed = await queueDeliveriesOf(file, inside, 1, 5_000, "ObjectRemoved:");
  const answer = removed[0] ? await handlerAnswer(emulator, config, outputs, removed[0].event) : undefined;
  return { ...followed, removal: { delivered: removed, ...(answer !== undefined ? { answer } : {}) } };
}
