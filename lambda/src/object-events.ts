/**
 * Object events: the EventBridge `Object Created` and `Object Deleted` events S3 sends, as the grant's rule delivers
 * them, validated into the bucket and key they are about (see event-filter.ts for what the grant lets through).
 */
import * as z from "zod";
import { InvalidEventError } from "./errors";
import { keySchema, type S3Request } from "./event";
import { showValue } from "./show-value";

/** An object event, validated: the bucket and key it is about (and for a removal, how the object was deleted). */
export type ObjectEventRequest = Extract<S3Request, { operation: "object-created" | "object-removed" }>;

/** S3's detail types the handler takes, and the operation each is. */
const DETAIL_TYPES = { "Object Created": "object-created", "Object Deleted": "object-removed" } as const;

/** Whether an invocation event is S3's, as EventBridge delivers it (then it is parsed by parseObjectEvent). */
export function isObjectEvent(event: unknown): boolean {
  return typeof event === "object" && event !== null && (event as { source?: unknown }).source === "aws.s3";
}

const objectEventSchema = z.looseObject({
  "detail-type": z.enum(Object.keys(DETAIL_TYPES) as Array<keyof typeof DETAIL_TYPES>, {
    error: (issue) => `detail-type must be "Object Created" or "Object Deleted", got ${showValue(issue.input)}`,
  }),
  detail: z.looseObject(
    {
      bucket: z.looseObject({ name: z.string({ error: "detail.bucket.name must be a string" }) }),
      object: z.looseObject({ key: keySchema("key") }),
      "deletion-type": z.string().max(64).optional(),
    },
    { error: "detail must be an object with bucket.name and object.key" },
  ),
});

/** Validates S3's `Object Created` or `Object Deleted` event; throws an InvalidEventError naming what is wrong. */
export function parseObjectEvent(event: unknown): ObjectEventRequest {
  const result = objectEventSchema.safeParse(event);
  if (!result.success) {
    throw new InvalidEventError(
      result.error.issues.map((issue) => ({ field: issue.path.join(".") || "event", message: issue.message })),
    );
  }
  const { detail } = result.data;
  const where = { bucket: detail.bucket.name, key: detail.object.key };
  if (DETAIL_TYPES[result.data["detail-type"]] === "object-created") return { operation: "object-created", ...where };
  const deletionType = detail["deletion-type"];
  return { operation: "object-removed", ...where, ...(deletionType !== undefined ? { deletionType } : {}) };
}
