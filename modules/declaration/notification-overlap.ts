/**
 * When two entries of a bucket's notification configuration overlap: S3 refuses to save a configuration in which two
 * destinations (queue, topic or function) could be sent the same event of the same key. Two entries overlap when
 * their event names share an event, their prefixes are one the other's start (or either has none), and their
 * suffixes one the other's end (or either has none). Both the declaration's schema and the security rules use this.
 */

import { QUEUE_NOTIFICATION_EVENTS } from "../contract";

/** S3's event names a grant's queue entries ask for: new objects, and deletions when the grant declares them. */
export const QUEUE_EVENT_NAMES = {
  created: QUEUE_NOTIFICATION_EVENTS.created.family,
  removed: QUEUE_NOTIFICATION_EVENTS.removed.family,
} as const;

/** An entry as the overlap check reads it, with the words that name it in a message. */
export interface NotificationFilter {
  readonly label: string;
  readonly events: readonly string[];
  readonly filterPrefix?: string | undefined;
  readonly filterSuffix?: string | undefined;
}

/** Whether two S3 event names can name the same event: equal, or one is the other's `:*` family. */
function eventNamesMeet(a: string, b: string): boolean {
  if (a === b) return true;
  const family = (name: string) => (name.endsWith(":*") ? name.slice(0, -1) : undefined);
  const fa = family(a);
  const fb = family(b);
  return (fa !== undefined && b.startsWith(fa)) || (fb !== undefined && a.startsWith(fb));
}

/** Whether two entries could both be sent one event of one key (see the module's comment). */
export function filtersOverlap(a: NotificationFilter, b: NotificationFilter): boolean {
  const pa = a.filterPrefix ?? "";
  const pb = b.filterPrefix ?? "";
  const sa = a.filterSuffix ?? "";
  const sb = b.filterSuffix ?? "";
  return (
    a.events.some((x) => b.events.some((y) => eventNamesMeet(x, y))) &&
    (pa.startsWith(pb) || pb.startsWith(pa)) &&
    (sa.endsWith(sb) || sb.endsWith(sa))
  );
}

/** Every pair of entries that overlap, in the order given (each pair once, the earlier entry first). */
export function overlappingPairs<T extends NotificationFilter>(entries: readonly T[]): Array<readonly [T, T]> {
  return entries.flatMap((a, i) =>
    entries.slice(i + 1).flatMap((b) => (filtersOverlap(a, b) ? [[a, b] as const] : [])),
  );
}

const OVERLAP_REASON =
  "S3 refuses a notification configuration whose destinations could both be sent one event of one key";

/** An entry's events and filter, as a message shows them. */
function filterText(e: NotificationFilter, withPrefix: boolean): string {
  const prefix = e.filterPrefix ? ` on ${JSON.stringify(e.filterPrefix)}` : " on every key";
  const suffix = e.filterSuffix !== undefined ? ` ending ${JSON.stringify(e.filterSuffix)}` : "";
  return `(${e.events.join(", ")}${withPrefix ? prefix : ""}${suffix})`;
}

/** How an overlapping pair reads in a message: both entries, by their labels. */
export function describeOverlap(a: NotificationFilter, b: NotificationFilter): string {
  return `${a.label} ${filterText(a, true)} overlaps ${b.label} ${filterText(b, true)}: ${OVERLAP_REASON}`;
}

/** How a declared entry's overlap reads after its prefix, which the message's field and value show. */
function describeOverlapOf(b: NotificationFilter, a: NotificationFilter): string {
  return `${filterText(b, false)} overlaps ${a.label} ${filterText(a, true)}: ${OVERLAP_REASON}`;
}

/** The entries a grant's events on the SQS path add, one per event prefix, as the overlap check reads them. */
export function queueFiltersOf(
  events: {
    readonly prefixes: readonly string[];
    readonly suffix?: string | undefined;
    readonly removed?: boolean | undefined;
  },
  label: string,
): NotificationFilter[] {
  const names = events.removed ? [QUEUE_EVENT_NAMES.created, QUEUE_EVENT_NAMES.removed] : [QUEUE_EVENT_NAMES.created];
  return events.prefixes.map((filterPrefix, i) => ({
    label: `${label}.prefixes[${i}]`,
    events: names,
    filterPrefix,
    ...(events.suffix !== undefined ? { filterSuffix: events.suffix } : {}),
  }));
}

/** A grant's events, as the schema's checks on the SQS path read them. */
interface DeclaredEvents {
  readonly delivery?: string | undefined;
  readonly prefixes: readonly string[];
  readonly suffix?: string | undefined;
  readonly removed?: boolean | undefined;
}

/** An existing bucket's entries today, as declared (bucket.existing.notification). */
interface DeclaredNotification {
  readonly queues?: ReadonlyArray<Omit<NotificationFilter, "label">> | undefined;
  readonly topics?: ReadonlyArray<Omit<NotificationFilter, "label">> | undefined;
  readonly lambdaFunctions?: ReadonlyArray<Omit<NotificationFilter, "label">> | undefined;
}

type Issue = { code: "custom"; path: Array<string | number>; input: unknown; message: string };

/** An entry the overlap check reads, with where the declaration gives it. */
type Placed = NotificationFilter & { readonly path: Array<string | number>; readonly input: unknown };

/**
 * The SQS grants of one bucket whose entries overlap one another's or an existing entry's: S3 would refuse the
 * configuration at apply. Each problem sits on the later grant's events and names both entries.
 */
export function queueOverlapProblems(
  grants: ReadonlyArray<{ readonly events?: DeclaredEvents | undefined; readonly path: Array<string | number> }>,
  existing: DeclaredNotification | undefined,
): Issue[] {
  const kept = (["queues", "topics", "lambdaFunctions"] as const).flatMap((kind) =>
    (existing?.[kind] ?? []).map((e, i): Placed => ({
      ...e,
      label: `bucket.existing.notification.${kind}[${i}]`,
      path: ["bucket", "existing", "notification", kind, i],
      input: e,
    })),
  );
  const declared = grants.flatMap((g): Placed[] =>
    g.events?.delivery === "sqs"
      ? queueFiltersOf(g.events, g.path.join(".").replace(/\.(\d+)\./g, "[$1].")).map((f, i) => ({
          ...f,
          path: [...g.path, "prefixes", i],
          input: f.filterPrefix,
        }))
      : [],
  );
  return overlappingPairs<Placed>([...kept, ...declared])
    .filter(([, b]) => declared.includes(b))
    .map(([a, b]) => ({ code: "custom" as const, path: b.path, input: b.input, message: describeOverlapOf(b, a) }));
}

/** S3 sends notifications only to a queue in the bucket's region: the SQS path needs the function there too. */
export function queueRegionProblem(
  events: DeclaredEvents | undefined,
  lambdaRegion: string | undefined,
  bucketRegion: string | undefined,
  path: Array<string | number>,
): Issue[] {
  if (events?.delivery !== "sqs" || lambdaRegion === undefined || bucketRegion === undefined) return [];
  if (lambdaRegion === bucketRegion) return [];
  return [
    {
      code: "custom",
      path,
      input: events.delivery,
      message: `needs the function in the bucket's region ${bucketRegion}, not ${lambdaRegion}: S3 sends notifications only to a queue in its own region (the eventbridge delivery crosses regions)`,
    },
  ];
}
