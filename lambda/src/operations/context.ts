/**
 * What every operation works with: the configuration, the S3 client built once per container (which holds the
 * credentials provider: the Lambda role's, or the S3 access role's session in assume-role mode), the bucket results
 * name and the `Bucket` its requests address. createHandler builds it once and hands it to each operation, with the
 * one way an operation calls AWS: `callAws`, which turns a refusal or a missing object into a typed error.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { requestBucket, type HandlerConfig } from "../config";
import { toHandlerError, type S3Target } from "../errors";
import { optional } from "../results";

export interface OperationContext {
  readonly config: HandlerConfig;
  /** The S3 client every request is sent with. */
  readonly s3: S3Client;
  /** The bucket in the bucket account: what results, log lines and messages name. */
  readonly bucket: string;
  /** The access point every request goes through (ACCESS_POINT_ARN), when one is configured. */
  readonly accessPoint: string | undefined;
  /** What every S3 command gets as `Bucket`: the access point's ARN when one is configured, else the bucket's name. */
  readonly s3Bucket: string;
}

/** The part of the Lambda context the handler uses. */
export interface InvocationContext {
  readonly awsRequestId?: string;
  /** Milliseconds left before the function times out. */
  getRemainingTimeInMillis?(): number;
}

/** The context of every operation of a configuration, sending with `s3`. */
export function operationContext(config: HandlerConfig, s3: S3Client): OperationContext {
  return {
    config,
    s3,
    bucket: config.bucketName,
    accessPoint: config.accessPointArn,
    // Results, logs and messages keep naming the bucket (and the access point).
    s3Bucket: requestBucket(config),
  };
}

/** The error an AWS call's failure becomes, naming the access point the call went through, if any. */
export function failure(ctx: OperationContext, error: unknown, target: S3Target): unknown {
  const { config } = ctx;
  const roleArn = config.accessMode === "assume-role" ? config.roleArn : undefined;
  return toHandlerError(error, { ...target, ...optional("accessPoint", ctx.accessPoint) }, config.accessMode, roleArn);
}

/** Runs one AWS call; a refusal or a missing object becomes a typed error about `target`. */
export async function callAws<T>(ctx: OperationContext, target: S3Target, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw failure(ctx, error, target);
  }
}
