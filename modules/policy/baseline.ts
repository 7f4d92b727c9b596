/**
 * The statements every policy the library writes starts with, whatever the grants: a bucket policy refuses requests
 * without TLS and uploads not kept under the bucket's key; a key policy lets its own account administer the key.
 */
import {
  accountRootArn,
  bucketArn as toBucketArn,
  policyDocument,
  type PolicyStatement,
} from "../core/policy-document";
import { denyOtherUploadEncryption } from "./upload-encryption";

/** The statement every bucket policy starts with: no request without TLS. */
export function denyInsecureTransport(partition: string, bucketName: string): PolicyStatement {
  const bucket = toBucketArn(partition, bucketName);
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucket, `${bucket}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/**
 * The bucket policy's statements that refuse every upload not kept under the bucket's key: SSE-S3, DSSE-KMS, SSE-C,
 * aws:kms without a key ID or with another key (see upload-encryption.ts). An upload that names no encryption takes
 * the bucket's default (SSE-KMS with its key) and is not affected; one naming the bucket's key must name it by ARN.
 */
export function denyOtherEncryption(partition: string, bucketName: string, keyArn: string): PolicyStatement[] {
  return denyOtherUploadEncryption(`${toBucketArn(partition, bucketName)}/*`, keyArn);
}

/** The statement every key policy starts with: the owning account administers its key through IAM. */
export function accountAdministersKey(partition: string, accountId: string): PolicyStatement {
  return {
    Sid: "AccountAdministersKey",
    Effect: "Allow",
    Principal: { AWS: accountRootArn(partition, accountId) },
    Action: "kms:*",
    Resource: "*",
  };
}

/** The bucket policy SecureBucket writes: TLS only, uploads pinned to the bucket's key, then `statements`. */
export function secureBucketPolicy(
  partition: string,
  bucketName: string,
  kmsKeyArn: string,
  statements: readonly PolicyStatement[],
) {
  return policyDocument([
    denyInsecureTransport(partition, bucketName),
    ...denyOtherEncryption(partition, bucketName, kmsKeyArn),
    ...statements,
  ]);
}

/** The key policy BucketKey writes: the account administers its key through IAM, then `statements`. */
export function bucketKeyPolicy(partition: string, accountId: string, statements: readonly PolicyStatement[]) {
  return policyDocument([accountAdministersKey(partition, accountId), ...statements]);
}
