import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { ACCESS_LOGGING_DEFAULTS, logDeliveryStatement } from "../declaration/access-logging";
import { BUCKET_LIFECYCLE_DEFAULTS, wholeBucketRule } from "../declaration/bucket-lifecycle";
import { Construct, type ITerraformDependable, type TerraformProvider } from "../core/cdktf";
import { libraryConstruct } from "../core/compatibility";
import { denyInsecureTransport } from "../policy/baseline";
import { bucketArn, policyDocument, renderPolicy, type PolicyDocument } from "../core/policy-document";
import { partitionOf } from "../core/regions";
import { parseOrThrow, schemas } from "../declaration/validate";
import { literalConfig } from "../core/terraform-text";
import { privateBucketBaseline } from "./secure-bucket";

export interface AccessLogBucketProps {
  /** The aliased AWS provider of the bucket account; every resource is created through it. */
  readonly provider: TerraformProvider;
  /** Name of the log bucket. */
  readonly bucketName: string;
  /** Region of the log bucket: S3 delivers a bucket's logs only to a log bucket in its own region. */
  readonly region: string;
  /** The account of the log bucket and of the buckets it logs (S3 delivers only within one account). */
  readonly accountId: string;
  /** The buckets whose server access logs it receives, each under its own key prefix (ending with "/"). */
  readonly sources: ReadonlyArray<{ readonly bucketName: string; readonly prefix: string }>;
  /** Days S3 keeps each log object before it expires it. @default 365 */
  readonly retentionDays?: number | undefined;
  /** Keep every version of log objects (noncurrent ones expire after `retentionDays` too). @default false */
  readonly versioning?: boolean | undefined;
  /** Let `terraform destroy` delete the log bucket while it holds logs. @default false */
  readonly forceDestroy?: boolean | undefined;
}

/** The policy AccessLogBucket writes: TLS only, then S3's log delivery for each source bucket, under its prefix. */
export function accessLogBucketPolicy(
  partition: string,
  bucketName: string,
  accountId: string,
  sources: AccessLogBucketProps["sources"],
): PolicyDocument {
  return policyDocument([
    denyInsecureTransport(partition, bucketName),
    ...sources.map((source, i) =>
      logDeliveryStatement(
        partition,
        bucketName,
        { ...source, accountId },
        `S3ServerAccessLogDelivery${i === 0 ? "" : i + 1}`,
      ),
    ),
  ]);
}

/**
 * The bucket account's log bucket: what S3 server access logs of the account's buckets are delivered to. Private (all
 * four public-access blocks, BucketOwnerEnforced), encrypted by default with SSE-S3 — the only default encryption S3
 * delivers server access logs to, so not the data bucket's KMS key —, a policy refusing any request without TLS and
 * letting S3's log delivery (`logging.s3.amazonaws.com`) write only each source bucket's prefix on that bucket's
 * behalf, and a lifecycle that expires logs after `retentionDays` and aborts incomplete multipart uploads.
 */
export class AccessLogBucket extends Construct {
  public readonly bucket: S3Bucket;
  public readonly policy: S3BucketPolicy;
  public readonly bucketName: string;
  public readonly bucketArn: string;
  /**
   * What a bucket's logging configuration waits for: the policy that lets S3 deliver into the log bucket, and its
   * default encryption.
   */
  public readonly ready: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    super(scope, id);
    libraryConstruct(this, id, { provider: props.provider });
    const valid = parseOrThrow(
      schemas().accessLogBucketSettingsSchema,
      {
        bucketName: props.bucketName,
        region: props.region,
        accountId: props.accountId,
        retentionDays: props.retentionDays ?? ACCESS_LOGGING_DEFAULTS.retentionDays,
        sources: props.sources,
      },
      id,
    );
    const { partition } = partitionOf(valid.region);
    const provider = props.provider;
    this.bucketName = valid.bucketName;
    this.bucketArn = bucketArn(partition, valid.bucketName);

    this.bucket = new S3Bucket(
      this,
      "bucket",
      literalConfig({ provider, bucket: valid.bucketName, forceDestroy: props.forceDestroy ?? false }),
    );
    const { publicAccess, ownership } = privateBucketBaseline(this, provider, this.bucket.id);
    const encryption = new S3BucketServerSideEncryptionConfigurationA(
      this,
      "encryption",
      literalConfig({
        provider,
        bucket: this.bucket.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
      }),
    );
    const versioning = props.versioning
      ? new S3BucketVersioningA(
          this,
          "versioning",
          literalConfig({ provider, bucket: this.bucket.id, versioningConfiguration: { status: "Enabled" } }),
        )
      : undefined;
    new S3BucketLifecycleConfiguration(
      this,
      "lifecycle",
      literalConfig({
        provider,
        bucket: this.bucket.id,
        rule: [
          wholeBucketRule("expire-access-logs", {
            expiration: [{ days: valid.retentionDays }],
            ...(versioning ? { noncurrentVersionExpiration: [{ noncurrentDays: valid.retentionDays }] } : {}),
          }),
          wholeBucketRule("abort-incomplete-multipart-uploads", {
            abortIncompleteMultipartUpload: [
              { daysAfterInitiation: BUCKET_LIFECYCLE_DEFAULTS.abortIncompleteMultipartUploadDays },
            ],
          }),
        ],
        ...(versioning ? { dependsOn: [versioning] } : {}),
      }),
    );
    this.policy = new S3BucketPolicy(
      this,
      "policy",
      literalConfig({
        provider,
        bucket: this.bucket.id,
        policy: renderPolicy(accessLogBucketPolicy(partition, valid.bucketName, valid.accountId, valid.sources)),
        dependsOn: [publicAccess, ownership],
      }),
    );
    this.ready = [this.policy, encryption];
  }
}
