/**
 * How an upload may be encrypted, in one place: the request headers that choose an encryption, the condition keys S3
 * fills from them, the cases every bucket and access point policy of this project must allow or deny, and the Deny
 * statements that do it. The security rule, the access proof and the end-to-end suite all read the same cases.
 *
 * S3 honours what an upload asks for over the bucket's default encryption. Three headers choose it (the PutObject API
 * reference): `x-amz-server-side-encryption` (AES256, aws:kms, aws:kms:dsse), `…-aws-kms-key-id` (which KMS key;
 * absent with aws:kms means the AWS managed key aws/s3) and `…-customer-algorithm` (SSE-C: a key the caller sends
 * and the bucket account never sees). So only two forms keep every object under the bucket's own key: no encryption
 * header at all (the bucket default applies), or aws:kms naming the bucket's key by its ARN.
 */
import type { PolicyStatement } from "../core/policy-document";

/** The upload headers that choose an object's encryption. */
export const SSE_HEADERS = {
  algorithm: "x-amz-server-side-encryption",
  kmsKeyId: "x-amz-server-side-encryption-aws-kms-key-id",
  customerAlgorithm: "x-amz-server-side-encryption-customer-algorithm",
} as const;

/** The condition key S3 sets from a header: `s3:<header>`. */
export const sseConditionKey = (header: string): string => `s3:${header.toLowerCase()}`;

/**
 * The S3 operations that store data; IAM authorizes each as s3:PutObject, with the encryption headers it carries.
 * UploadPart carries only the SSE-C headers (the part of an SSE-C upload must repeat the customer key).
 */
export const UPLOAD_OPERATIONS = ["PutObject", "CreateMultipartUpload", "UploadPart", "CopyObject"] as const;
export type UploadOperation = (typeof UPLOAD_OPERATIONS)[number];

export interface UploadEncryptionCase {
  /** Stable ID, e.g. `sse-c`. */
  readonly id: string;
  /** What the upload asks for, for tables and messages. */
  readonly description: string;
  /** Whether every policy of this project lets the upload through. */
  readonly expected: "Allowed" | "Denied";
  /** Why. */
  readonly reason: string;
  /** Whether the headers name the bucket's key (a check that does not know the key skips the case). */
  readonly namesBucketKey: boolean;
  /** The operations that can send these headers. */
  readonly operations: readonly UploadOperation[];
  /** The encryption headers sent, given the bucket's key ARN and some other key's ARN. */
  readonly headers: (bucketKeyArn: string, otherKeyArn: string) => Readonly<Record<string, string>>;
}

const WHOLE_UPLOADS: readonly UploadOperation[] = ["PutObject", "CreateMultipartUpload", "CopyObject"];

/** A fixed 256-bit customer key (base64 of "0123456789abcdef" twice) and its MD5, as an SSE-C request sends them. */
const SSE_C_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const SSE_C_KEY_MD5 = "hRasmdxgYDKV3nvbahU1MA==";

/** Every upload encryption this project's policies judge, the allowed ones first. */
export const UPLOAD_ENCRYPTION_CASES: readonly UploadEncryptionCase[] = [
  {
    id: "bucket-default",
    namesBucketKey: false,
    description: "no encryption header",
    expected: "Allowed",
    reason: "the bucket's default encryption applies: SSE-KMS with its key",
    operations: UPLOAD_OPERATIONS,
    headers: () => ({}),
  },
  {
    id: "bucket-key",
    namesBucketKey: true,
    description: "aws:kms with the bucket's key",
    expected: "Allowed",
    reason: "the upload names the bucket's key by its ARN",
    operations: WHOLE_UPLOADS,
    headers: (bucketKeyArn) => ({ [SSE_HEADERS.algorithm]: "aws:kms", [SSE_HEADERS.kmsKeyId]: bucketKeyArn }),
  },
  {
    id: "sse-c",
    namesBucketKey: false,
    description: "SSE-C (a customer-provided key)",
    expected: "Denied",
    reason: "the object would be encrypted with a key the bucket account never sees",
    operations: UPLOAD_OPERATIONS,
    headers: () => ({
      [SSE_HEADERS.customerAlgorithm]: "AES256",
      "x-amz-server-side-encryption-customer-key": SSE_C_KEY,
      "x-amz-server-side-encryption-customer-key-md5": SSE_C_KEY_MD5,
    }),
  },
  {
    id: "sse-s3",
    namesBucketKey: false,
    description: "SSE-S3 (AES256)",
    expected: "Denied",
    reason: "S3's own keys, not the bucket account's",
    operations: WHOLE_UPLOADS,
    headers: () => ({ [SSE_HEADERS.algorithm]: "AES256" }),
  },
  {
    id: "dsse-kms",
    namesBucketKey: true,
    description: "DSSE-KMS with the bucket's key",
    expected: "Denied",
    reason: "only SSE-KMS is accepted",
    operations: WHOLE_UPLOADS,
    headers: (bucketKeyArn) => ({ [SSE_HEADERS.algorithm]: "aws:kms:dsse", [SSE_HEADERS.kmsKeyId]: bucketKeyArn }),
  },
  {
    id: "kms-without-key",
    namesBucketKey: false,
    description: "aws:kms without a key ID",
    expected: "Denied",
    reason: "S3 then uses the AWS managed key aws/s3, not the bucket's key",
    operations: WHOLE_UPLOADS,
    headers: () => ({ [SSE_HEADERS.algorithm]: "aws:kms" }),
  },
  {
    id: "kms-other-key",
    namesBucketKey: false,
    description: "aws:kms with another key",
    expected: "Denied",
    reason: "the object would be encrypted with a key the bucket account does not control",
    operations: WHOLE_UPLOADS,
    headers: (_bucketKeyArn, otherKeyArn) => ({
      [SSE_HEADERS.algorithm]: "aws:kms",
      [SSE_HEADERS.kmsKeyId]: otherKeyArn,
    }),
  },
];

/** The condition keys S3 sets for an upload sending `headers` (only the encryption ones; others are not keys here). */
export function uploadConditionContext(headers: Readonly<Record<string, string>>): Record<string, string> {
  const keys = new Set<string>(Object.values(SSE_HEADERS));
  const context: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (keys.has(name.toLowerCase())) context[sseConditionKey(name)] = value;
  }
  return context;
}

/**
 * The Deny statements that leave exactly the allowed cases of UPLOAD_ENCRYPTION_CASES through, for every principal,
 * on `objects` (`arn:…:s3:::<bucket>/*`, or `<access point ARN>/object/*`). A request must name the key by its ARN.
 */
export function denyOtherUploadEncryption(objects: string, keyArn: string): PolicyStatement[] {
  const algorithm = sseConditionKey(SSE_HEADERS.algorithm);
  const kmsKeyId = sseConditionKey(SSE_HEADERS.kmsKeyId);
  const customerAlgorithm = sseConditionKey(SSE_HEADERS.customerAlgorithm);
  const deny = (sid: string, condition: NonNullable<PolicyStatement["Condition"]>): PolicyStatement => ({
    Sid: sid,
    Effect: "Deny",
    Principal: "*",
    Action: "s3:PutObject",
    Resource: objects,
    Condition: condition,
  });
  return [
    // SSE-S3 and DSSE-KMS: an encryption other than SSE-KMS.
    deny("DenyOtherEncryption", { Null: { [algorithm]: "false" }, StringNotEquals: { [algorithm]: "aws:kms" } }),
    // aws:kms without a key ID: S3 would use the AWS managed key aws/s3.
    deny("DenyKmsWithoutBucketKey", { Null: { [algorithm]: "false", [kmsKeyId]: "true" } }),
    deny("DenyOtherKmsKeys", { Null: { [kmsKeyId]: "false" }, StringNotEquals: { [kmsKeyId]: keyArn } }),
    // SSE-C: neither header above is sent, and the bucket's default encryption is ignored.
    deny("DenyCustomerKeys", { Null: { [customerAlgorithm]: "false" } }),
  ];
}
