/**
 * Every IAM action this project grants, in one place. Presets map to these lists; nothing else in the code base
 * spells an S3, KMS or STS action for a grantee.
 */
import type { AccessPreset } from "../contract";

/** The access a grant gives on one prefix, as the handler knows it too (see ./contract). */
export { ACCESS_PRESETS, type AccessPreset } from "../contract";

/** Reading objects under a granted prefix. */
export const S3_READ_OBJECT_ACTIONS = ["s3:GetObject"] as const;

/** Uploading objects under a granted prefix, including abandoning a multipart upload. */
export const S3_WRITE_OBJECT_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload"] as const;

/** Deleting objects under a granted prefix (opt-in on top of a preset). */
export const S3_DELETE_OBJECT_ACTIONS = ["s3:DeleteObject"] as const;

/** Listing keys, always limited by an `s3:prefix` condition to the prefixes a reader may see. */
export const S3_LIST_BUCKET_ACTIONS = ["s3:ListBucket"] as const;

/** Decrypting objects S3 encrypted with the bucket's key (reads, and multipart upload completion). */
export const KMS_DECRYPT_ACTIONS = ["kms:Decrypt"] as const;

/**
 * Encrypting new objects with the bucket's key. S3 also decrypts the data key when it completes a multipart upload,
 * so uploads need kms:Decrypt as well (see the S3 documentation on SSE-KMS and multipart uploads).
 */
export const KMS_ENCRYPT_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"] as const;

/** Assuming the S3 access role in the bucket account (assume-role mode). */
export const STS_ASSUME_ROLE_ACTIONS = ["sts:AssumeRole"] as const;

/** The Lambda execution role's own logging, limited to its log group. */
export const LOGS_WRITE_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"] as const;

/** A function in a VPC managing its own network interfaces (what Lambda's AWSLambdaVPCAccessExecutionRole allows). */
export const VPC_NETWORK_INTERFACE_ACTIONS = [
  "ec2:AssignPrivateIpAddresses",
  "ec2:CreateNetworkInterface",
  "ec2:DeleteNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:UnassignPrivateIpAddresses",
] as const;

/** What a preset (plus the optional delete) allows on a prefix. */
export interface PrefixActions {
  readonly object: readonly string[];
  readonly list: boolean;
  readonly kms: readonly string[];
}

/** Resolves a preset to its object actions, whether it lists, and the key actions it needs. */
export function actionsFor(access: AccessPreset, allowDelete: boolean): PrefixActions {
  const reads = access === "read" || access === "readWrite";
  const writes = access === "write" || access === "readWrite";
  const object = [
    ...(reads ? S3_READ_OBJECT_ACTIONS : []),
    ...(writes ? S3_WRITE_OBJECT_ACTIONS : []),
    ...(allowDelete ? S3_DELETE_OBJECT_ACTIONS : []),
  ];
  const kms = unique([...(reads ? KMS_DECRYPT_ACTIONS : []), ...(writes ? KMS_ENCRYPT_ACTIONS : [])]);
  return { object, list: reads, kms };
}

/** Sorted, de-duplicated copy of a list of actions (or any strings). */
export function unique(items: readonly string[]): string[] {
  return [...new Set(items)].sort();
}
