/**
 * The bucket account's side of a grant as data: the bucket, its key, and (when they exist already) the statements
 * their policies hold. Validated by bucketSettingsSchema (schemas.ts).
 */
import type { AccessLoggingSettings } from "./access-logging";
import type { BucketLifecycleSettings } from "./bucket-lifecycle";
import type { PolicyStatement } from "../core/policy-document";

/** The bucket account's side of a grant as data; validated by bucketSettingsSchema (schemas.ts). */
export interface BucketSettings {
  /** The bucket account. */
  readonly accountId: string;
  /** Region of the bucket and its key. */
  readonly region: string;
  readonly bucketName: string;
  /** Alias of the bucket's KMS key (the grantee's policy names the key by it); of the existing key when attaching. */
  readonly keyAlias: string;
  /** Let `terraform destroy` delete a bucket that still holds objects (a bucket this library creates). @default false */
  readonly forceDestroy?: boolean | undefined;
  /**
   * S3 server access logs of the bucket, into a log bucket of the bucket account (see AccessLoggingSettings). Not for
   * an existing bucket: its logging is its owner's.
   * @default on: a log bucket `<bucketName>-access-logs` (SSE-S3, private, logs expired after 365 days)
   */
  readonly accessLogging?: AccessLoggingSettings | undefined;
  /**
   * What S3 does with the bucket's objects over time (see BucketLifecycleSettings). Not for an existing bucket.
   * @default incomplete multipart uploads aborted after 7 days, noncurrent versions expired after 90
   */
  readonly lifecycle?: BucketLifecycleSettings | undefined;
  /**
   * The bucket and its key exist and are managed elsewhere: only their policies are written, with the statements
   * they hold today kept (see existing-resources.ts).
   * @default the bucket and key are created
   */
  readonly existing?: ExistingResources | undefined;
}

/** The bucket and key a grant attaches to, with the statements their policies hold today. */
export interface ExistingResources {
  /** ARN of the key that encrypts the bucket; the bucket side's `keyAlias` must name an alias of it. */
  readonly keyArn: string;
  /** Every statement of the bucket's current policy ([] when it has none). */
  readonly bucketPolicyStatements: readonly PolicyStatement[];
  /** Every statement of the key's current policy: a key policy is replaced whole, and one without them locks the key. */
  readonly keyPolicyStatements: readonly PolicyStatement[];
  /**
   * The bucket's notification configuration as it is today: S3 keeps one per bucket and replaces it whole, so a grant
   * with events writes these entries back beside EventBridge. Required for a grant with events on an existing bucket
   * (`{}` when its configuration is empty).
   * @default not given: a grant with events is refused on this bucket
   */
  readonly notification?: ExistingNotification | undefined;
}

/** One entry of a bucket's notification configuration: where S3 sends which events, for which keys. */
export interface NotificationEntry {
  /** The entry's ID. @default the one S3 gives it */
  readonly id?: string | undefined;
  /** The destination: the queue's, topic's or function's ARN. */
  readonly arn: string;
  /** S3's event names (`s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`, ...). */
  readonly events: readonly string[];
  readonly filterPrefix?: string | undefined;
  readonly filterSuffix?: string | undefined;
}

/** An existing bucket's notification configuration, as it is today (see ExistingResources.notification). */
export interface ExistingNotification {
  /** Whether EventBridge is on already. @default false */
  readonly eventBridge?: boolean | undefined;
  readonly queues?: readonly NotificationEntry[] | undefined;
  readonly topics?: readonly NotificationEntry[] | undefined;
  readonly lambdaFunctions?: readonly NotificationEntry[] | undefined;
}
