/**
 * What S3 does by itself with a bucket's objects over time. A versioned bucket that takes multipart uploads otherwise
 * keeps, and bills, two things forever: the parts of uploads never completed (invisible to a listing), and every
 * version an overwrite or a delete left behind.
 */
import type { S3BucketLifecycleConfigurationRule } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";

/** The lifecycle of a bucket this library creates. */
export interface BucketLifecycleSettings {
  /**
   * Days after it starts that S3 aborts a multipart upload never completed, and deletes its parts (1-365).
   * @default 7
   */
  readonly abortIncompleteMultipartUploadDays?: number | undefined;
  /**
   * Days S3 keeps an object version after a newer one replaced it or a delete hid it, before deleting it for good
   * (1-36500): how long an overwrite or a delete by a grantee can be undone.
   * @default 90
   */
  readonly noncurrentVersionExpirationDays?: number | undefined;
}

/** The defaults of BucketLifecycleSettings. */
export const BUCKET_LIFECYCLE_DEFAULTS = {
  abortIncompleteMultipartUploadDays: 7,
  noncurrentVersionExpirationDays: 90,
} as const;

/** BucketLifecycleSettings with the defaults applied. */
export function resolveLifecycle(
  settings: BucketLifecycleSettings | undefined,
): Required<{ [K in keyof BucketLifecycleSettings]: number }> {
  return {
    abortIncompleteMultipartUploadDays:
      settings?.abortIncompleteMultipartUploadDays ?? BUCKET_LIFECYCLE_DEFAULTS.abortIncompleteMultipartUploadDays,
    noncurrentVersionExpirationDays:
      settings?.noncurrentVersionExpirationDays ?? BUCKET_LIFECYCLE_DEFAULTS.noncurrentVersionExpirationDays,
  };
}

/** A lifecycle rule on every object of the bucket: an empty filter, the way the AWS provider 5.x asks for one. */
export function wholeBucketRule(
  id: string,
  actions: Omit<S3BucketLifecycleConfigurationRule, "id" | "status" | "filter" | "prefix">,
): S3BucketLifecycleConfigurationRule {
  return { id, status: "Enabled", filter: [{}], ...actions };
}
