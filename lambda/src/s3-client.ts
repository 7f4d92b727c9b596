/**
 * The S3 client for a configuration. Built once per container (see index.ts) so that connections and, in
 * assume-role mode, the assumed-role credentials are reused across invocations: the client caches the
 * credentials the provider returns and calls STS again only shortly before they expire.
 *
 * Endpoints are left to the SDK, which honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_STS.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { AssumeRoleConfig, HandlerConfig } from "./config";

/** Credentials of the S3 access role, from sts:AssumeRole called with the Lambda role's own credentials. */
export function createAssumeRoleCredentials(config: AssumeRoleConfig): ReturnType<typeof fromTemporaryCredentials> {
  return fromTemporaryCredentials({
    params: {
      RoleArn: config.roleArn,
      RoleSessionName: config.roleSessionName,
      ...(config.externalId !== undefined && { ExternalId: config.externalId }),
    },
    clientConfig: { region: config.bucketRegion },
  });
}

/** One S3 client in the bucket's region: the Lambda role's credentials, or the S3 access role's in assume-role mode. */
export function createS3Client(config: HandlerConfig): S3Client {
  return new S3Client({
    region: config.bucketRegion,
    forcePathStyle: config.forcePathStyle,
    ...(config.accessMode === "assume-role" && { credentials: createAssumeRoleCredentials(config) }),
  });
}
