/**
 * Object events: the EventBridge `Object Created` event S3 sends, as the grant's rule delivers it, validated into the
 * bucket and key it is about (see event-filter.ts for what the grant lets through).
 */
import * as z from "zod";
import { InvalidEventError } from "./errors";
import { keySchema, type S3Request } from "./event";

type ObjectCreatedRequest = Extract<S3Request, { operation: "object-created" }>;
import { showValue } from "./show-value";

/** Whether an invocation event is S3's, as EventBridge delivers it (then it is parsed by parseObjectEvent). */
export function isObjectEvent(event: unknown): boolean {
  return typeof event === "object" && event !== null && (event as { source?: unknown }).source === "aws.s3";
}

const objectEventSchema = z.looseObject({
  "detail-type": z.literal("Object Created", {
    error: (issue) => `detail-type must be "Object Created", got ${showValue(issue.input)}`,
  }),
  detail: z.looseObject(
    {
      bucket: z.looseObject({ name: z.string({ error: "detail.bucket.name must be a string" }) }),
      object: z.looseObject({ key: keySchema("key") }),
    },
    { error: "detail must be an object with bucket.name and object.key" },
  ),
});

/** Validates S3's `Object Created` event; throws an InvalidEventError naming what is wrong. */
export function parseObjectEvent(event: unknown): ObjectCreatedRequest {
  const result = objectEventSchema.safeParse(event);
  if (!result.success) {
    throw new InvalidEventError(
      result.error.issues.map((issue) => ({ field: issue.path.join(".") || "event", message: issue.message })),
    );
  }
  const { detail } = result.data;
  return { operation: "object-created", bucket: detail.bucket.name, key: detail.object.key };
}
