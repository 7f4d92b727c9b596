/** Shared fixtures of the handler tests. */
import type { GrantedPrefix } from "../../lambda/src/granted-prefixes";
import { Readable } from "node:stream";
import { S3ServiceException, type GetObjectCommandOutput } from "@aws-sdk/client-s3";
import type { HandlerConfig } from "../../lambda/src/config";
import type { Logger } from "../../lambda/src/handler";

export const BUCKET = "data-bucket-222222222222";
export const REGION = "eu-central-1";
/** The region the function runs in (AWS_REGION), where it calls STS. */
export const FUNCTION_REGION = "eu-west-1";
export const ROLE_ARN = "arn:aws:iam::222222222222:role/s3-access";
/** An access point on BUCKET, in its region. */
export const ACCESS_POINT_ARN = `arn:aws:s3:${REGION}:222222222222:accesspoint/orders-reader`;
/** The host the SDK sends requests through ACCESS_POINT_ARN to. */
export const ACCESS_POINT_HOST = `orders-reader-222222222222.s3-accesspoint.${REGION}.amazonaws.com`;
/** The host of BUCKET itself (virtual-hosted style). */
export const BUCKET_HOST = `${BUCKET}.s3.${REGION}.amazonaws.com`;

/** read+write under incoming/, read under reference/, write-only under uploads/, delete under scratch/. */
export const GRANTS: readonly GrantedPrefix[] = [
  { prefix: "incoming/", access: "readWrite", delete: false },
  { prefix: "reference/", access: "read", delete: false },
  { prefix: "uploads/", access: "write", delete: false },
  { prefix: "scratch/", access: "readWrite", delete: true },
];
/** GRANTS as the stack writes them into GRANTED_PREFIXES. */
export const GRANTED_PREFIXES = JSON.stringify(GRANTS);

export const bucketPolicyConfig: HandlerConfig = {
  accessMode: "bucket-policy",
  bucketName: BUCKET,
  bucketRegion: REGION,
  forcePathStyle: false,
  grants: GRANTS,
  maxResponseBytes: 5 * 1024 * 1024,
  presignMaxExpiresSeconds: 3600,
};

/** bucketPolicyConfig with every request sent through ACCESS_POINT_ARN. */
export const accessPointConfig: HandlerConfig = { ...bucketPolicyConfig, accessPointArn: ACCESS_POINT_ARN };

export const assumeRoleConfig: HandlerConfig = {
  accessMode: "assume-role",
  bucketName: BUCKET,
  bucketRegion: REGION,
  forcePathStyle: false,
  grants: GRANTS,
  maxResponseBytes: 5 * 1024 * 1024,
  presignMaxExpiresSeconds: 3600,
  roleArn: ROLE_ARN,
  externalId: "ext-1234",
  roleSessionName: "consumer-fn",
  stsRegion: FUNCTION_REGION,
};

/** A GetObject body as the SDK returns it in Node: a readable stream of the bytes, in chunks of `chunkSize`. */
export function objectBody(content: string | Buffer, chunkSize = 64 * 1024): GetObjectCommandOutput["Body"] {
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks) as unknown as GetObjectCommandOutput["Body"];
}

/** An S3 (or STS) service error as the SDK throws it. */
export function serviceError(name: string, httpStatusCode: number, message = `${name} message`): S3ServiceException {
  return new S3ServiceException({
    name,
    message,
    $fault: httpStatusCode >= 500 ? "server" : "client",
    $metadata: { httpStatusCode, requestId: "REQ123" },
  });
}

/** Collects the handler's log lines. */
export function memoryLogger(): Logger & {
  lines: { level: "log" | "error"; line: string }[];
  parsed(): Record<string, unknown>[];
} {
  const lines: { level: "log" | "error"; line: string }[] = [];
  return {
    lines,
    log: (line) => lines.push({ level: "log", line }),
    error: (line) => lines.push({ level: "error", line }),
    parsed: () => lines.map((l) => JSON.parse(l.line) as Record<string, unknown>),
  };
}
