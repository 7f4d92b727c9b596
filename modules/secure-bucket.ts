import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct, type ITerraformDependable, type TerraformProvider } from "./cdktf";
import { libraryConstruct } from "./compatibility";
import { denyInsecureTransport, denyOtherEncryption } from "./grant";
import { bucketArn, policyDocument, renderPolicy, type PolicyStatement } from "./policy-document";
import { partitionOf } from "./regions";
import { parseOrThrow, schemas } from "./validate";
import { literalConfig } from "./terraform-text";

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
}

/** The bucket policy SecureBucket writes: TLS only, uploads pinned to the bucket's key, then `statements`. */
export function secureBucketPolicy(partition: string, bucketName: string, kmsKeyArn: string, statements: readonly PolicyStatement[]) {
  return policyDocument([
    denyInsecureTransport(partition, bucketName),
    ...denyOtherEncryption(partition, bucketName, kmsKeyArn),
    ...statements,
  ]);
}

/**
 * Account B: a bucket that is private (all four public-access blocks, BucketOwnerEnforced), versioned, encrypted by
 * default with SSE-KMS and a bucket key, and whose policy refuses any request without TLS and any upload that asks for
 * another encryption or another KMS key.
 */
export class SecureBucket extends Construct {
  public readonly bucket: S3Bucket;
  public readonly policy: S3BucketPolicy;
  public readonly bucketName: string;
  public readonly bucketArn: string;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    libraryConstruct(this, id, { provider: props.provider });
    const { bucketName, region } = parseOrThrow(
      schemas().secureBucketSettingsSchema,
      { bucketName: props.bucketName, region: props.region },
      id,
    );
    const { partition } = partitionOf(region);
    const provider = props.provider;
    this.bucketName = bucketName;
    this.bucketArn = bucketArn(partition, bucketName);

    this.bucket = new S3Bucket(this, "bucket", literalConfig({
      provider,
      bucket: bucketName,
      forceDestroy: props.forceDestroy ?? false,
    }));
    const publicAccess = new S3BucketPublicAccessBlock(this, "public-access-block", literalConfig({
      provider,
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }));
    const ownership = new S3BucketOwnershipControls(this, "ownership", literalConfig({
      provider,
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    }));
    new S3BucketVersioningA(this, "versioning", literalConfig({
      provider,
      bucket: this.bucket.id,
      versioningConfiguration: { status: props.versioning === false ? "Suspended" : "Enabled" },
    }));
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", literalConfig({
      provider,
      bucket: this.bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn },
          bucketKeyEnabled: true,
        },
      ],
    }));
    this.policy = new S3BucketPolicy(this, "policy", literalConfig({
      provider,
      bucket: this.bucket.id,
      policy: renderPolicy(secureBucketPolicy(partition, bucketName, props.kmsKeyArn, props.policyStatements ?? [])),
      dependsOn: [publicAccess, ownership, ...(props.policyDependsOn ?? [])],
    }));
  }
}
