/** `list`: one page of the keys under a prefix, with the token of the next page when there is one. */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { S3Request } from "../event";
import { optional, resultLocation, type ListedObject, type Outcome } from "../results";
import { callAws, type OperationContext } from "./context";

export type ListRequest = Extract<S3Request, { operation: "list" }>;

/** Lists one page of keys. */
export async function listObjects(ctx: OperationContext, request: ListRequest): Promise<Outcome> {
  const prefix = request.prefix ?? "";
  const out = await callAws(ctx, { operation: "list", bucket: ctx.bucket, prefix }, () =>
    ctx.s3.send(
      new ListObjectsV2Command({
        Bucket: ctx.s3Bucket,
        ...optional("Prefix", request.prefix),
        ...optional("MaxKeys", request.maxKeys),
        ...optional("ContinuationToken", request.continuationToken),
      }),
    ),
  );
  const objects = (out.Contents ?? []).flatMap((o): ListedObject[] =>
    o.Key === undefined
      ? []
      : [{ key: o.Key, size: o.Size ?? 0, ...optional("lastModified", o.LastModified?.toISOString()) }],
  );
  const truncated = out.IsTruncated === true;
  return {
    result: {
      operation: "list",
      ...resultLocation(ctx),
      prefix,
      objects,
      truncated,
      ...optional("nextContinuationToken", truncated ? out.NextContinuationToken : undefined),
    },
    log: { keyCount: objects.length, truncated },
  };
}
