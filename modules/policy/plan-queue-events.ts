/**
 * A grant's object events on the SQS path (`delivery: "sqs"`), planned from the declaration alone: S3 sends the
 * bucket's events under the event prefixes straight to a queue of the grant's own in the Lambda account, encrypted
 * with a customer-managed key of that account; the function reads the queue through an event source mapping.
 *
 * Both halves render this one plan: the bucket account's notification entries name the queue the Lambda account
 * creates, and the queue's policy and key policy admit only that bucket of that account.
 */
import { accountRootArn, bucketArn, policyDocument, type PolicyDocument } from "../core/policy-document";
import { partitionOf } from "../core/regions";
import { QUEUE_EVENT_NAMES } from "../declaration/notification-overlap";
import { eventsDigestOf, type EventsContext, type NamedResource } from "./plan-events";

/** The queue hands a message to the function this many times before it moves to the dead-letter queue. */
export const QUEUE_MAX_RECEIVE_COUNT = 5;

/** The queue's visibility timeout is this many times the function's timeout (Lambda's advice for SQS sources). */
export const QUEUE_VISIBILITY_FACTOR = 6;

/** One entry of the bucket's notification configuration: a grant's queue, for keys under one event prefix. */
export interface QueueNotificationEntry {
  readonly id: string;
  readonly queueArn: string;
  readonly events: readonly string[];
  readonly filterPrefix: string;
  readonly filterSuffix?: string | undefined;
}

/** The events of one grant on the SQS path, both accounts. */
export interface QueueEventsPlan {
  /** The event prefixes, and the suffix, as declared. */
  readonly prefixes: readonly string[];
  readonly suffix?: string | undefined;
  /** Whether deletions are sent too. */
  readonly removed: boolean;
  /** Account B: one entry per event prefix in the bucket's notification configuration. */
  readonly bucketAccount: { readonly entries: readonly QueueNotificationEntry[] };
  /** Account A: the queue S3 sends to, its dead-letter queue and key, and what the function's role may do. */
  readonly lambdaAccount: {
    readonly queue: NamedResource & { readonly policy: PolicyDocument };
    readonly deadLetterQueue: NamedResource;
    /** The queue's customer-managed key: its alias, and its whole policy. */
    readonly key: { readonly alias: string; readonly policy: PolicyDocument };
    readonly functionArn: string;
    /** The function's role reads and deletes the queue's messages, and decrypts them with the key (by its alias). */
    readonly rolePolicy: PolicyDocument;
  };
}

/** S3's conditions as the sender: this bucket, of the bucket account (both, against a confused deputy). */
function fromBucket(ctx: EventsContext, partition: string) {
  return {
    StringEquals: { "aws:SourceAccount": ctx.bucketAccountId },
    ArnEquals: { "aws:SourceArn": bucketArn(partition, ctx.bucketName) },
  };
}

/**
 * The queue key's policy: the Lambda account administers it through IAM (the function's role decrypts through its
 * identity policy), and S3 may make data keys only when it sends for this bucket of the bucket account. The key is
 * the grant's queue's alone.
 */
function queueKeyPolicy(ctx: EventsContext, partition: string): PolicyDocument {
  return policyDocument([
    {
      Sid: "AccountAdministersKey",
      Effect: "Allow",
      Principal: { AWS: accountRootArn(partition, ctx.lambdaAccountId) },
      Action: "kms:*",
      Resource: "*",
    },
    {
      Sid: "S3EncryptsBucketEvents",
      Effect: "Allow",
      Principal: { Service: "s3.amazonaws.com" },
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": ctx.bucketAccountId },
        ArnEquals: { "aws:SourceArn": bucketArn(partition, ctx.bucketName) },
      },
    },
  ]);
}

/** The bucket account's entries: one per event prefix, each sending the declared events of its keys to the queue. */
function notificationEntries(ctx: EventsContext, queueArn: string, name: string): QueueNotificationEntry[] {
  const events = ctx.events.removed
    ? [QUEUE_EVENT_NAMES.created, QUEUE_EVENT_NAMES.removed]
    : [QUEUE_EVENT_NAMES.created];
  return ctx.events.prefixes.map((filterPrefix, i) => ({
    id: ctx.events.prefixes.length === 1 ? name : `${name}-${i}`,
    queueArn,
    events,
    filterPrefix,
    ...(ctx.events.suffix !== undefined ? { filterSuffix: ctx.events.suffix } : {}),
  }));
}

/**
 * Every name, ARN and policy of a grant's events on the SQS path. Names carry the bucket account's ID and a digest
 * of the grant, so the grants of one bucket, and of one account, never share a queue.
 */
export function planQueueEvents(ctx: EventsContext): QueueEventsPlan {
  const { partition } = partitionOf(ctx.lambdaRegion);
  const name = `s3-queue-${ctx.bucketAccountId}-${eventsDigestOf(ctx, "sqs")}`;
  const at = `arn:${partition}:sqs:${ctx.lambdaRegion}:${ctx.lambdaAccountId}`;
  const queueArn = `${at}:${name}`;
  const queuePolicy = policyDocument([
    {
      Sid: "S3SendsBucketEvents",
      Effect: "Allow",
      Principal: { Service: "s3.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: queueArn,
      Condition: fromBucket(ctx, partition),
    },
  ]);
  const rolePolicy = policyDocument([
    {
      Sid: "ReadGrantQueue",
      Effect: "Allow",
      Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
      Resource: queueArn,
    },
    {
      Sid: "DecryptGrantQueue",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: `arn:${partition}:kms:${ctx.lambdaRegion}:${ctx.lambdaAccountId}:key/*`,
      Condition: {
        "ForAnyValue:StringEquals": { "kms:ResourceAliases": `alias/${name}` },
        StringEquals: { "kms:ViaService": `sqs.${ctx.lambdaRegion}.${partitionOf(ctx.lambdaRegion).dnsSuffix}` },
      },
    },
  ]);
  return {
    prefixes: ctx.events.prefixes,
    ...(ctx.events.suffix !== undefined ? { suffix: ctx.events.suffix } : {}),
    removed: ctx.events.removed === true,
    bucketAccount: { entries: notificationEntries(ctx, queueArn, name) },
    lambdaAccount: {
      queue: { name, arn: queueArn, policy: queuePolicy },
      deadLetterQueue: { name: `${name}-dlq`, arn: `${at}:${name}-dlq` },
      key: { alias: `alias/${name}`, policy: queueKeyPolicy(ctx, partition) },
      functionArn: `arn:${partition}:lambda:${ctx.lambdaRegion}:${ctx.lambdaAccountId}:function:${ctx.functionName}`,
      rolePolicy,
    },
  };
}
