import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { resolveLifecycle, wholeBucketRule, type BucketLifecycleSettings } from "../declaration/bucket-lifecycle";
import { Construct, type ITerraformDependable, type TerraformProvider } from "../core/cdktf";
import { libraryConstruct } from "../core/compatibility";
import { secureBucketPolicy } from "../policy/baseline";
import { bucketArn, renderPolicy, type PolicyStatement } from "../core/policy-document";
import { partitionOf } from "../core/regions";
import { parseOrThrow, schemas } from "../declaration/validate";
import { literalConfig } from "../core/terraform-text";

export interface SecureBucketProps {
  /** The aliased AWS provider of the bucket account (B); every resource is created through it. */
  readonly provider: TerraformProvider;
  /** Name of the bucket. */
  readonly bucketName: string;
  /** Region of the bucket account's provider; decides the ARN partition. */
  readonly region: string;
  /** ARN of the customer-managed KMS key that encrypts every object by default. */
  readonly kmsKeyArn: string;
  /** Statements the bucket policy carries after the TLS-only statement. @default [] */
  readonly policyStatements?: readonly PolicyStatement[] | undefined;
  /** Resources the bucket policy must wait for (e.g. the roles it names, which must exist). @default [] */
  readonly policyDependsOn?: readonly ITerraformDependable[] | undefined;
  /** Let `terraform destroy` delete a bucket that still holds objects. @default false */
  readonly forceDestroy?: boolean | undefined;
  /** Keep every version of every object. @default true */
  readonly versioning?: boolean | undefined;
  /**
   * What S3 does with the bucket's objects over time (see BucketLifecycleSettings).
   * @default incomplete multipart uploads aborted after 7 days, noncurrent versions expired after 90
   */
  readonly lifecycle?: BucketLifecycleSettings | undefined;
  /**
   * Where S3 delivers the bucket's server access logs: a log bucket of the same account and region, by name, whose
   * policy lets `logging.s3.amazonaws.com` put objects under `targetPrefix` (an AccessLogBucket does), and the
   * resources the logging configuration waits for (that policy).
   * @default no server access logs (the security rule CAS-S3-8 reports the bucket)
   */
  readonly accessLogs?:
    | {
        readonly targetBucket: string;
        readonly targetPrefix: string;
        readonly dependsOn?: readonly ITerraformDependable[] | undefined;
      }
    | undefined;
}

/**
 * What every bucket the library creates gets first: all four public access blocks and BucketOwnerEnforced (no ACLs),
 * as `public-access-block` and `ownership` under `scope`.
 */
export function privateBucketBaseline(
  scope: Construct,
  provider: TerraformProvider,
  bucket: string,
): { publicAccess: S3BucketPublicAccessBlock; ownership: S3BucketOwnershipControls } {
  const publicAccess = new S3BucketPublicAccessBlock(
    scope,
    "public-access-block",
    literalConfig({
      provider,
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }),
  );
  const ownership = new S3BucketOwnershipControls(
    scope,
    "ownership",
    literalConfig({ provider, bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }),
  );
  return { publicAccess, ownership };
}

/**
 * Account B: a bucket that is private (all four public-access blocks, BucketOwnerEnforced), versioned, encrypted by
 * default with SSE-KMS and a bucket key, and whose policy refuses any request without TLS and any upload that asks for
 * another encryption or another KMS key; whose lifecycle aborts incomplete multipart uploads and expires noncurrent
 * versions; and, given a log bucket, whose server access logs S3 delivers there.
 */
export class SecureBucket extends Construct {
  public readonly bucket: S3Bucket;
  public readonly policy: S3BucketPolicy;
  public readonly lifecycle: S3BucketLifecycleConfiguration;
  /** The bucket's server access logging; undefined without `accessLogs`. */
  public readonly accessLogging?: S3BucketLoggingA | undefined;
  public readonly bucketName: string;
  public readonly bucketArn: string;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    libraryConstruct(this, id, { provider: props.provider });
    const settings = checkedSettings(props, id);
    const { partition } = partitionOf(settings.region);
    const provider = props.provider;
    this.bucketName = settings.bucketName;
    this.bucketArn = bucketArn(partition, settings.bucketName);

    this.bucket = new S3Bucket(
      this,
      "bucket",
      literalConfig({
        provider,
        bucket: settings.bucketName,
        forceDestroy: props.forceDestroy ?? false,
      }),
    );
    const { publicAccess, ownership } = privateBucketBaseline(this, provider, this.bucket.id);
    const versioning = versionedAndEncrypted(this, props, this.bucket.id);
    this.policy = new S3BucketPolicy(
      this,
      "policy",
      literalConfig({
        provider,
        bucket: this.bucket.id,
        policy: renderPolicy(
          secureBucketPolicy(partition, settings.bucketName, props.kmsKeyArn, props.policyStatements ?? []),
        ),
        dependsOn: [publicAccess, ownership, ...(props.policyDependsOn ?? [])],
      }),
    );
    this.lifecycle = lifecycleRules(this, provider, this.bucket.id, settings.lifecycle, versioning);
    if (settings.accessLogs) {
      this.accessLogging = accessLogging(this, props, this.bucket.id, settings.accessLogs);
    }
  }
}

type CheckedSettings = ReturnType<ReturnType<typeof schemas>["secureBucketSettingsSchema"]["parse"]>;

/** The props a bucket's name, region, lifecycle and log target come from, checked against the schema. */
function checkedSettings(props: SecureBucketProps, id: string): CheckedSettings {
  return parseOrThrow(
    schemas().secureBucketSettingsSchema,
    {
      bucketName: props.bucketName,
      region: props.region,
      lifecycle: props.lifecycle,
      accessLogs: props.accessLogs && {
        targetBucket: props.accessLogs.targetBucket,
        targetPrefix: props.accessLogs.targetPrefix,
      },
    },
    id,
  );
}

/** Versioning (on unless turned off) and default SSE-KMS encryption with a bucket key; returns the versioning. */
function versionedAndEncrypted(scope: Construct, props: SecureBucketProps, bucket: string): S3BucketVersioningA {
  const provider = props.provider;
  const versioning = new S3BucketVersioningA(
    scope,
    "versioning",
    literalConfig({
      provider,
      bucket,
      versioningConfiguration: { status: props.versioning === false ? "Suspended" : "Enabled" },
    }),
  );
  new S3BucketServerSideEncryptionConfigurationA(
    scope,
    "encryption",
    literalConfig({
      provider,
      bucket,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn },
          bucketKeyEnabled: true,
        },
      ],
    }),
  );
  return versioning;
}

/** The whole-bucket lifecycle: incomplete multipart uploads aborted, noncurrent versions expired. */
function lifecycleRules(
  scope: Construct,
  provider: TerraformProvider,
  bucket: string,
  lifecycle: CheckedSettings["lifecycle"],
  versioning: S3BucketVersioningA,
): S3BucketLifecycleConfiguration {
  const days = resolveLifecycle(lifecycle);
  // Noncurrent versions exist only once versioning is on: the lifecycle waits for it, as the provider advises.
  return new S3BucketLifecycleConfiguration(
    scope,
    "lifecycle",
    literalConfig({
      provider,
      bucket,
      rule: [
        wholeBucketRule("abort-incomplete-multipart-uploads", {
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: days.abortIncompleteMultipartUploadDays }],
        }),
        wholeBucketRule("expire-noncurrent-versions", {
          noncurrentVersionExpiration: [{ noncurrentDays: days.noncurrentVersionExpirationDays }],
        }),
      ],
      dependsOn: [versioning],
    }),
  );
}

/** Server access logging into the checked log target, waiting for what the props name (the log bucket's policy). */
function accessLogging(
  scope: Construct,
  props: SecureBucketProps,
  bucket: string,
  target: NonNullable<CheckedSettings["accessLogs"]>,
): S3BucketLoggingA {
  return new S3BucketLoggingA(
    scope,
    "access-logging",
    literalConfig({
      provider: props.provider,
      bucket,
      targetBucket: target.targetBucket,
      targetPrefix: target.targetPrefix,
      ...(props.accessLogs?.dependsOn?.length ? { dependsOn: [...props.accessLogs.dependsOn] } : {}),
    }),
  );
}
