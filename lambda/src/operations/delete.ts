/** `delete`: deletes an object (in a versioned bucket, adds a delete marker, whose version the result names). */
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import type { S3Request } from "../event";
import { optional, resultLocation, type Outcome } from "../results";
import { callAws, type OperationContext } from "./context";

export type DeleteRequest = Extract<S3Request, { operation: "delete" }>;

/** Deletes one object. */
export async function deleteObject(ctx: OperationContext, request: DeleteRequest): Promise<Outcome> {
  const out = await callAws(ctx, { operation: "delete", bucket: ctx.bucket, key: request.key }, () =>
    ctx.s3.send(new DeleteObjectCommand({ Bucket: ctx.s3Bucket, Key: request.key })),
  );
  return {
    result: {
      operation: "delete",
      ...resultLocation(ctx),
      key: request.key,
      ...optional("versionId", out.VersionId),
    },
    log: {},
  };
}
