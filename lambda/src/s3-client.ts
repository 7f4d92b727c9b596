/**
 * The S3 client for a configuration. Built once per container (see index.ts) so that connections and, in
 * assume-role mode, the assumed-role credentials are reused across invocations: the client memoizes what the
 * credentials provider returns, shares one pending AssumeRole among concurrent callers, and calls STS again only
 * when the credentials are within 5 minutes of their expiry.
 *
 * Endpoints are left to the SDK, which honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_STS.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { AssumeRoleConfig, HandlerConfig } from "./config";

/**
 * Retry mode of every client: standard retries (3 attempts, exponential backoff with jitter) plus a client-side rate
 * limiter that slows down when S3 or STS answer with throttling errors (SlowDown, Throttling, 503).
 */
export const RETRY_MODE = "adaptive";

/** Credentials of the S3 access role, from sts:AssumeRole called with the Lambda role's own credentials. */
export function createAssumeRoleCredentials(config: AssumeRoleConfig): ReturnType<typeof fromTemporaryCredentials> {
  return fromTemporaryCredentials({
    params: {
      RoleArn: config.roleArn,
      RoleSessionName: config.roleSessionName,
      ...(config.externalId !== undefined && { ExternalId: config.externalId }),
    },
    clientConfig: { region: config.stsRegion, retryMode: RETRY_MODE },
  });
}

/**
 * One S3 client in the bucket's region: the Lambda role's credentials, or the S3 access role's in assume-role mode.
 * Request checksums are computed only where the handler asks for them (every upload names SHA-256), so presigned
 * PUT URLs do not carry the checksum of an empty body that the uploader's data would then fail.
 */
export function createS3Client(config: HandlerConfig): S3Client {
  return new S3Client({
    region: config.bucketRegion,
    forcePathStyle: config.forcePathStyle,
    retryMode: RETRY_MODE,
    requestChecksumCalculation: "WHEN_REQUIRED",
    ...(config.accessMode === "assume-role" && { credentials: createAssumeRoleCredentials(config) }),
  });
}
