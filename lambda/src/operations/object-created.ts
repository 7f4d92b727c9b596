/**
 * `object-created`: reads the head of the object an `Object Created` event names, through the grant; `object-removed`:
 * the key an `Object Deleted` event names, with nothing read.
 */
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import type { S3Request } from "../event";
import { optional, resultLocation, type Outcome } from "../results";
import { callAws, type OperationContext } from "./context";

export type ObjectCreatedRequest = Extract<S3Request, { operation: "object-created" }>;

/** Reads the object's head: its size, ETag and version. */
export async function objectCreated(ctx: OperationContext, request: ObjectCreatedRequest): Promise<Outcome> {
  const out = await callAws(ctx, { operation: "object-created", bucket: ctx.bucket, key: request.key }, () =>
    ctx.s3.send(new HeadObjectCommand({ Bucket: ctx.s3Bucket, Key: request.key })),
  );
  const bytes = out.ContentLength ?? 0;
  return {
    result: {
      operation: "object-created",
      ...resultLocation(ctx),
      key: request.key,
      bytes,
      ...optional("etag", out.ETag),
      ...optional("versionId", out.VersionId),
    },
    log: { bytes, ...optional("etag", out.ETag) },
  };
}

export type ObjectRemovedRequest = Extract<S3Request, { operation: "object-removed" }>;

/** Tells of a deleted object: its key and how it was deleted, with no AWS call (there is nothing left to read). */
export function objectRemoved(ctx: OperationContext, request: ObjectRemovedRequest): Promise<Outcome> {
  return Promise.resolve({
    result: {
      operation: "object-removed",
      ...resultLocation(ctx),
      key: request.key,
      ...optional("deletionType", request.deletionType),
    },
    log: { ...optional("deletionType", request.deletionType) },
  });
}
