/** Shared fixtures of the handler tests. */
import { S3ServiceException, type GetObjectCommandOutput } from "@aws-sdk/client-s3";
import type { HandlerConfig } from "../../lambda/src/config";
import type { Logger } from "../../lambda/src/handler";

export const BUCKET = "data-bucket-222222222222";
export const REGION = "eu-central-1";
export const ROLE_ARN = "arn:aws:iam::222222222222:role/s3-access";

export const bucketPolicyConfig: HandlerConfig = {
  accessMode: "bucket-policy",
  bucketName: BUCKET,
  bucketRegion: REGION,
  forcePathStyle: false,
};

export const assumeRoleConfig: HandlerConfig = {
  accessMode: "assume-role",
  bucketName: BUCKET,
  bucketRegion: REGION,
  forcePathStyle: false,
  roleArn: ROLE_ARN,
  externalId: "ext-1234",
  roleSessionName: "consumer-fn",
};

/** A GetObject body as the SDK returns it (only the method the handler uses). */
export function objectBody(text: string): GetObjectCommandOutput["Body"] {
  return {
    transformToString: async (encoding?: string) => Buffer.from(text, "utf8").toString(encoding as BufferEncoding),
  } as unknown as GetObjectCommandOutput["Body"];
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
export function memoryLogger(): Logger & { lines: { level: "log" | "error"; line: string }[]; parsed(): Record<string, unknown>[] } {
  const lines: { level: "log" | "error"; line: string }[] = [];
  return {
    lines,
    log: (line) => lines.push({ level: "log", line }),
    error: (line) => lines.push({ level: "error", line }),
    parsed: () => lines.map((l) => JSON.parse(l.line) as Record<string, unknown>),
  };
}
