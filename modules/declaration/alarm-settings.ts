/**
 * Alarms when a grant stops working: the settings a grant's constructs take (one switch, and the SNS topic each
 * account's alarms notify; checked by resolve-alarms.ts), and the facts the alarms and the security rule CAS-MON-1
 * share: what the access-denied metric filter selects (the contract's ACCESS_DENIED_LOG_LINE, which the handler
 * logs), how the metrics are named and how every alarm judges its metric.
 */
import { createHash } from "node:crypto";
import { ACCESS_DENIED_LOG_LINE } from "../contract";
import { ConfigurationError } from "../core/errors";

/** Whether a grant's constructs create its alarms, and whom each account's alarms notify. */
export interface AlarmSettings {
  /**
   * Create the alarms. In the Lambda account, for a function this library creates: a CloudWatch Logs metric filter
   * on the function's log group counting the log lines of invocations AWS refused (ACCESS_DENIED_LOG_LINE), an alarm
   * on it, and an alarm on the function's AWS/Lambda Errors. In the bucket account: S3 request metrics for each
   * granted prefix, and an alarm on each one's AWS/S3 4xxErrors.
   * @default true
   */
  readonly enabled?: boolean | undefined;
  /**
   * The SNS topic each account's alarms notify, when they fire and when they are OK again, by account ID: a standard
   * topic of that account, in the region of its alarms (the function's region in the Lambda account, the bucket's in
   * the bucket account). Give the same map to both halves of a grant; each uses its own account's topic.
   * @default no notification
   */
  readonly topicArns?: Readonly<Record<string, string>> | undefined;
}

/** Alarm settings checked against the accounts of a grant, defaults applied. */
export interface ResolvedAlarms {
  readonly enabled: boolean;
  /** The topic each account's alarms notify, by account ID (none while the alarms are off). */
  readonly topicArns: Readonly<Record<string, string>>;
}

/** The topic the alarms of `accountId` notify, if any. */
export function topicOf(alarms: ResolvedAlarms, accountId: string): string | undefined {
  return alarms.enabled ? alarms.topicArns[accountId] : undefined;
}

/** What a CAS-MON-1 finding advises about the `alarms` field of the grant's declaration. */
export const ALARMS_ADVICE = "keep the alarms the grant's constructs create, or set enabled to false to go without";

/** What each half of a grant records about its alarms (see grant-record.ts). */
export interface AlarmRecord {
  /** Whether the grant's alarms are on. */
  readonly enabled: boolean;
  /** The topic this half's alarms notify. */
  readonly topicArn?: string | undefined;
}

/**
 * The CloudWatch Logs filter pattern of the access-denied metric filter: it selects the one field and value of the
 * handler's log line that the contract names (ACCESS_DENIED_LOG_LINE), `{ $.errorType = "AccessDeniedError" }`.
 */
export function accessDeniedFilterPattern(): string {
  return `{ $.${ACCESS_DENIED_LOG_LINE.field} = ${JSON.stringify(ACCESS_DENIED_LOG_LINE.value)} }`;
}

/** The namespace of the metrics the access-denied metric filters publish. */
export const ACCESS_DENIED_METRIC_NAMESPACE = "CrossAccountS3Lambda";

/** The metric a function's access-denied metric filter publishes (in ACCESS_DENIED_METRIC_NAMESPACE). */
export function accessDeniedMetricName(functionName: string): string {
  return `AccessDenied-${functionName}`;
}

/** How every alarm of a grant judges its metric: the sum over 5 minutes, at least 1 fires it; no data is not a breach. */
export const ALARM_EVALUATION = {
  statistic: "Sum",
  period: 300,
  evaluationPeriods: 1,
  threshold: 1,
  comparisonOperator: "GreaterThanOrEqualToThreshold",
  treatMissingData: "notBreaching",
} as const;

/** S3 allows 1,000 metrics configurations on a bucket; their IDs are 1-64 letters, digits, `.`, `-` and `_`. */
export const MAX_BUCKET_METRICS = 1000;

/**
 * The IDs of the S3 request metrics configurations of a bucket's granted prefixes, by prefix: `grant-` and the prefix
 * with every other character than letters, digits, `.`, `-` and `_` as `-` (`incoming/` is `grant-incoming`), or,
 * when that is too long or another prefix of the bucket gives the same, cut and followed by 8 hex digits of the
 * prefix's SHA-256. The ID is also the FilterId dimension of the prefix's S3 request metrics, and it names the
 * prefix's resources, so no two prefixes may share one: a plain ID is kept as it reads, and a cut one that another
 * prefix already has takes more of its digest (16, 24, ... hex digits) until it is the prefix's own.
 */
export function requestMetricsIds(prefixes: readonly string[]): Map<string, string> {
  const plain = (prefix: string) => `grant-${prefix.replace(/[^A-Za-z0-9._-]/g, "-").replace(/-+$/, "")}`;
  const counts = new Map<string, number>();
  for (const p of new Set(prefixes)) counts.set(plain(p), (counts.get(plain(p)) ?? 0) + 1);
  const ids = new Map<string, string>();
  const owners = new Map<string, string>();
  const cut: string[] = [];
  for (const p of new Set(prefixes)) {
    const id = plain(p);
    if (id.length <= 64 && counts.get(id) === 1) owners.set(id, p);
    else cut.push(p);
  }
  for (const p of cut) {
    const digest = createHash("sha256").update(p).digest("hex");
    // 8 digits keep the IDs of the first releases; 56 leave "grant-" and one character of the prefix.
    const candidates = [8, 16, 24, 32, 40, 48, 56].map((n) => `${plain(p).slice(0, 63 - n)}-${digest.slice(0, n)}`);
    const id = candidates.find((c) => !owners.has(c));
    if (id === undefined) {
      throw new ConfigurationError([
        `the granted prefixes ${JSON.stringify(owners.get(candidates[candidates.length - 1]!))} and ${JSON.stringify(p)} of one bucket give the same ` +
          "S3 request metrics ID: grant one of them under another name",
      ]);
    }
    owners.set(id, p);
  }
  for (const [id, p] of owners) ids.set(p, id);
  return new Map(prefixes.map((p) => [p, ids.get(p)!]));
}
