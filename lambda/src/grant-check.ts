/**
 * The check of a request against the grant, before anything is sent: what the request needs where (GRANTED_PREFIXES
 * decides), and for an object event whether the grant declares it (EVENT_FILTER, see event-filter.ts). Every path
 * that takes a request (an invocation event, S3's EventBridge event, an SQS batch of S3's notifications) runs it.
 */
import { NotGrantedError, type S3Target } from "./errors";
import type { S3Request } from "./event";
import { checkObjectEvent } from "./event-filter";
import { isGranted, prefixesWith, type Permission } from "./granted-prefixes";
import type { OperationContext } from "./operations/context";
import { optional } from "./results";

/** What a request needs, and where: checked against the grant before anything is sent. */
function needsOf(request: S3Request, bucket: string): Array<{ target: S3Target; permission: Permission }> {
  const at = (key: string, side?: S3Target["side"]): S3Target => ({
    operation: request.operation,
    bucket,
    key,
    ...optional("side", side),
  });
  switch (request.operation) {
    case "get":
    case "presign-get":
    case "object-created":
    case "object-removed":
      return [{ target: at(request.key), permission: "read" }];
    case "put":
    case "presign-put":
      return [{ target: at(request.key), permission: "write" }];
    case "delete":
      return [{ target: at(request.key), permission: "delete" }];
    case "list":
      return [{ target: { operation: "list", bucket, prefix: request.prefix ?? "" }, permission: "read" }];
    case "copy":
      return [
        { target: at(request.sourceKey, "source"), permission: "read" },
        { target: at(request.key, "destination"), permission: "write" },
      ];
  }
}

/** Refuses, before anything is sent, a request that needs what the grant does not give. */
export function checkGrant(ctx: OperationContext, request: S3Request): void {
  if (request.operation === "object-created" || request.operation === "object-removed")
    checkObjectEvent(request, ctx.bucket, ctx.config.eventFilter);
  for (const { target, permission } of needsOf(request, ctx.bucket)) {
    if (!isGranted(ctx.config.grants, target.key ?? target.prefix ?? "", permission)) {
      throw new NotGrantedError(target, permission, prefixesWith(ctx.config.grants, permission));
    }
  }
}
