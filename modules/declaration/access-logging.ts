/**
 * S3 server access logs of a bucket this library creates: who touched which object, when, and what S3 answered — the
 * record a bucket other accounts use needs. The settings (one switch, on by default), what they come to for one bucket
 * (the log bucket, the key prefix of the bucket's logs, their retention), and the one bucket policy statement that lets
 * S3's log delivery write them: the service principal `logging.s3.amazonaws.com`, limited to the source bucket
 * (`aws:SourceArn`) and its account (`aws:SourceAccount`). The older way, the log-delivery group's ACL on the log
 * bucket, is what BucketOwnerEnforced turns off.
 *
 * What S3 requires of a log bucket: the same account and region as the bucket it logs, default encryption SSE-S3
 * (AES256; S3 delivers no server access logs to an SSE-KMS bucket), no Object Lock default retention, no requester pays.
 */
import { createHash } from "node:crypto";
import type { PolicyStatement } from "../core/policy-document";

/** Whether S3 writes server access logs of the bucket, and where. */
export interface AccessLoggingSettings {
  /**
   * Write S3 server access logs of the bucket into a log bucket of the bucket account. An existing bucket
   * (`bucket.existing`) is its owner's to log: there only `false` is accepted.
   * @default true for a bucket this library creates
   */
  readonly enabled?: boolean | undefined;
  /**
   * Name of the log bucket this library creates, in the bucket's account and region.
   * @default `<bucketName>-access-logs`; past 63 characters, the bucket name cut to 42, `-`, 8 hex digits of its
   * SHA-256, then `-access-logs`
   */
  readonly bucketName?: string | undefined;
  /** Days S3 keeps each log object in the log bucket this library creates before it expires it. @default 365 */
  readonly retentionDays?: number | undefined;
  /**
   * Keep every version of the created log bucket's objects; an overwritten or deleted log object is then kept
   * `retentionDays` longer.
   * @default false
   */
  readonly versioning?: boolean | undefined;
  /**
   * Deliver to a log bucket that exists and is managed elsewhere (same account and region as the bucket, default
   * encryption SSE-S3, and a policy that lets `logging.s3.amazonaws.com` put objects under `prefix` for this bucket):
   * no log bucket is created.
   * @default a log bucket is created
   */
  readonly existingTargetBucket?: string | undefined;
  /** The key prefix of the bucket's logs in the log bucket; ends with "/". @default `<bucketName>/` */
  readonly prefix?: string | undefined;
}

/** The defaults of AccessLoggingSettings. */
export const ACCESS_LOGGING_DEFAULTS = { retentionDays: 365, bucketNameSuffix: "-access-logs" } as const;

/** What a CAS-S3-8 finding advises about the `accessLogging` field of the bucket side. */
export const ACCESS_LOGGING_ADVICE =
  "keep the logging configuration this library writes, or set enabled to false to go without";

/** The service principal S3 delivers server access logs as. */
export const LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com";

/** The log bucket a bucket's access logging creates, settings resolved. */
export interface CreatedLogBucket {
  readonly bucketName: string;
  readonly retentionDays: number;
  readonly versioning: boolean;
}

/** AccessLoggingSettings for one bucket, defaults applied. */
export type ResolvedAccessLogging =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      /** The log bucket's name. */
      readonly targetBucket: string;
      /** The key prefix of the bucket's logs. */
      readonly prefix: string;
      /** The log bucket this library creates; undefined when it delivers to an existing one. */
      readonly created: CreatedLogBucket | undefined;
    };

/**
 * The name of the log bucket of `bucketName` when the settings name none: `<bucketName>-access-logs`, or, when that
 * is longer than S3's 63 characters, the bucket name cut to 42 characters (without a trailing `.` or `-`), `-`, the
 * first 8 hex digits of its SHA-256 and `-access-logs`: the same every synth, and still a valid name.
 */
export function accessLogBucketName(bucketName: string): string {
  const suffix = ACCESS_LOGGING_DEFAULTS.bucketNameSuffix;
  const plain = `${bucketName}${suffix}`;
  if (plain.length <= 63) return plain;
  const hash = createHash("sha256").update(bucketName).digest("hex").slice(0, 8);
  return `${bucketName.slice(0, 63 - suffix.length - hash.length - 1).replace(/[.-]+$/, "")}-${hash}${suffix}`;
}

/** A bucket side's data fields that access logging reads. */
interface LoggedBucket {
  readonly bucketName: string;
  readonly existing?: unknown;
  readonly accessLogging?: AccessLoggingSettings | undefined;
}

/**
 * The access logging of a bucket side, defaults applied: on for a bucket this library creates, off for an existing
 * one (validation refuses turning it on there).
 */
export function resolveAccessLogging(bucket: LoggedBucket): ResolvedAccessLogging {
  const settings = bucket.accessLogging ?? {};
  if (bucket.existing !== undefined || settings.enabled === false) return { enabled: false };
  const prefix = settings.prefix ?? `${bucket.bucketName}/`;
  if (settings.existingTargetBucket !== undefined)
    return { enabled: true, targetBucket: settings.existingTargetBucket, prefix, created: undefined };
  const created: CreatedLogBucket = {
    bucketName: settings.bucketName ?? accessLogBucketName(bucket.bucketName),
    retentionDays: settings.retentionDays ?? ACCESS_LOGGING_DEFAULTS.retentionDays,
    versioning: settings.versioning ?? false,
  };
  return { enabled: true, targetBucket: created.bucketName, prefix, created };
}

/**
 * The log bucket's policy statement that lets S3 deliver the server access logs of one bucket: the service principal
 * may put objects under the bucket's prefix only, for requests made on behalf of that bucket in its account (the
 * confused-deputy guard AWS documents).
 */
export function logDeliveryStatement(
  partition: string,
  logBucketName: string,
  source: { readonly bucketName: string; readonly accountId: string; readonly prefix: string },
  sid = "S3ServerAccessLogDelivery",
): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Principal: { Service: LOG_DELIVERY_SERVICE },
    Action: "s3:PutObject",
    Resource: `arn:${partition}:s3:::${logBucketName}/${source.prefix}*`,
    Condition: {
      ArnEquals: { "aws:SourceArn": `arn:${partition}:s3:::${source.bucketName}` },
      StringEquals: { "aws:SourceAccount": source.accountId },
    },
  };
}
