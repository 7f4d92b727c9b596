/**
 * The rules on S3's notification configurations and the queues and topics they send to, over the stack's Terraform
 * JSON as Terraform will apply it:
 * - CAS-EVT-4: a queue or topic that a bucket's notification configuration sends to, or whose policy lets a service
 *   in, is not encrypted with an AWS-managed key (`alias/aws/sqs`, `alias/aws/sns`): no service may use such a key
 *   for another's resource, so S3's notifications would be lost without an error;
 * - CAS-EVT-5: no two entries of one configuration overlap (S3 refuses the configuration at apply), and on a bucket
 *   whose grants declare events, every entry is a grant's planned queue entry or one the declaration says the bucket
 *   holds today: an entry sends key names, and no one may learn of a granted bucket's keys through an entry no one
 *   declared.
 */
import type { StackJson, StackView, SynthResource } from "../core/stack-view";
import { describeOverlap, overlappingPairs, type NotificationFilter } from "../declaration/notification-overlap";
import { queueEventsPlanOf } from "../record/grant-record";
import { recordsIn } from "./alarm-rule";
import { stackPolicies, viewOf } from "./stack-policies";

interface Violation {
  readonly resource: string;
  readonly message: string;
}

/** The destination kinds of a notification configuration: the block, and the argument naming the destination. */
const ENTRY_KINDS = [
  { block: "queue", arn: "queue_arn" },
  { block: "topic", arn: "topic_arn" },
  { block: "lambda_function", arn: "lambda_function_arn" },
] as const;

/** One entry of a notification configuration, read as Terraform will apply it. */
interface ReadEntry extends NotificationFilter {
  readonly id?: string | undefined;
  readonly arn?: string | undefined;
}

const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/** The entries of one aws_s3_bucket_notification, labelled by block and index (and ID when it has one). */
function entriesOf(view: StackView, r: SynthResource): ReadEntry[] {
  return ENTRY_KINDS.flatMap(({ block, arn }) =>
    listOf(r[block]).map((raw, i) => {
      const e = (raw ?? {}) as Record<string, unknown>;
      const id = view.valueOf(e.id);
      return {
        label: `${block}[${i}]${id ? ` ${JSON.stringify(id)}` : ""}`,
        id,
        arn: view.valueOf(e[arn]),
        events: listOf(e.events).map((x) => view.valueOf(x) ?? ""),
        filterPrefix: view.valueOf(e.filter_prefix),
        filterSuffix: view.valueOf(e.filter_suffix),
      };
    }),
  );
}

/** An AWS-managed key, as a queue's or topic's `kms_master_key_id` names it. */
const isAwsManagedKey = (key: string | undefined): boolean => key !== undefined && /(^|:)alias\/aws\//.test(key);

/** CAS-EVT-4: queues and topics on an AWS-managed key that S3, or any service, is to send to. */
export function managedKeyDestinations(stack: StackJson): Violation[] {
  const view = viewOf(stack);
  const destinations = new Set(
    view
      .resources("aws_s3_bucket_notification")
      .flatMap(([, r]) => entriesOf(view, r).flatMap((e) => (e.arn ? [e.arn] : []))),
  );
  const serviceFacing = new Set(
    stackPolicies(stack)
      .filter((p) => (p.kind === "queue" || p.kind === "topic") && !p.problem)
      .filter((p) => p.statements.some((s) => s.Principal !== "*" && (s.Principal?.Service ?? []).length > 0))
      .map((p) => view.valueOf(p.target.queue_url ?? p.target.arn) ?? p.resource),
  );
  return (["aws_sqs_queue", "aws_sns_topic"] as const).flatMap((type) =>
    view.resources(type).flatMap(([id, r]) => {
      const key = view.valueOf(r.kms_master_key_id);
      if (!isAwsManagedKey(key)) return [];
      const arn = view.attribute(type, id, "arn");
      const url = type === "aws_sqs_queue" ? view.attribute(type, id, "url") : undefined;
      const named =
        (arn && destinations.has(arn)) || [arn, url, `${type}.${id}`].some((x) => x && serviceFacing.has(x));
      return named
        ? [
            {
              resource: `${type}.${id}`,
              message: `is encrypted with the AWS-managed key ${key}, whose policy no one can change: S3 (or another service) cannot send to it, and its messages would be lost without an error; use a customer-managed key whose policy lets the service in`,
            },
          ]
        : [];
    }),
  );
}

/** The entries the records allow on each bucket whose grants declare events: planned queue entries, existing ones. */
function allowedEntries(stack: StackJson): Map<string, ReadEntry[]> {
  const byBucket = new Map<string, ReadEntry[]>();
  for (const record of recordsIn(stack)) {
    if (!record.grant.events) continue;
    const planned = (queueEventsPlanOf(record)?.bucketAccount.entries ?? []).map((e) => ({
      ...e,
      arn: e.queueArn,
      label: "",
    }));
    const existing = record.bucket.existingNotification;
    const kept = [...(existing?.queues ?? []), ...(existing?.topics ?? []), ...(existing?.lambdaFunctions ?? [])];
    const name = record.bucket.bucketName;
    byBucket.set(name, [...(byBucket.get(name) ?? []), ...planned, ...kept.map((e) => ({ ...e, label: "" }))]);
  }
  return byBucket;
}

/** Whether a read entry is one of `allowed`: the same destination, events and filter (and ID, when both give one). */
const isAllowed = (entry: ReadEntry, allowed: readonly ReadEntry[]): boolean =>
  allowed.some(
    (a) =>
      a.arn === entry.arn &&
      (a.id === undefined || entry.id === undefined || a.id === entry.id) &&
      [...a.events].sort().join() === [...entry.events].sort().join() &&
      (a.filterPrefix ?? "") === (entry.filterPrefix ?? "") &&
      (a.filterSuffix ?? "") === (entry.filterSuffix ?? ""),
  );

/** CAS-EVT-5: overlapping entries in any configuration, and undeclared entries on a bucket whose grants have events. */
export function notificationEntryProblems(stack: StackJson): Violation[] {
  const view = viewOf(stack);
  const allowed = allowedEntries(stack);
  return view.resources("aws_s3_bucket_notification").flatMap(([id, r]) => {
    const resource = `aws_s3_bucket_notification.${id}`;
    const entries = entriesOf(view, r);
    const bucket = view.bucketNamed(r.bucket) ?? view.valueOf(r.bucket);
    const declared = bucket !== undefined ? allowed.get(bucket) : undefined;
    const overlaps = overlappingPairs(entries).map(([a, b]) => ({ resource, message: describeOverlap(a, b) }));
    const undeclared = declared
      ? entries
          .filter((e) => !isAllowed(e, declared))
          .map((e) => ({
            resource,
            message: `${e.label} sends events of ${bucket} to ${e.arn ?? "a destination the rules cannot read"}, which neither a grant's events nor the bucket's existing entries (bucket.existing.notification) declare: it would tell another party of the bucket's keys`,
          }))
      : [];
    return [...overlaps, ...undeclared];
  });
}
