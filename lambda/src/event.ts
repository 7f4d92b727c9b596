/**
 * The invocation event: `{ operation, key?, prefix?, body? }`, validated strictly. Unknown fields, and fields the
 * operation does not use, are refused rather than ignored. The bucket is never part of the event.
 */
import { z } from "zod";
import { InvalidEventError, showValue, type EventProblem } from "./errors";

export const OPERATIONS = ["get", "put", "list", "delete"] as const;
export type Operation = (typeof OPERATIONS)[number];

/** S3's limit on a key (and so on a useful prefix), in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** A validated event. */
export type S3Request =
  | { readonly operation: "get"; readonly key: string }
  | { readonly operation: "put"; readonly key: string; readonly body: string }
  | { readonly operation: "list"; readonly prefix?: string }
  | { readonly operation: "delete"; readonly key: string };

const FIELDS = ["operation", "key", "prefix", "body"] as const;
type Field = (typeof FIELDS)[number];

/** The fields each operation requires and accepts (besides `operation`). */
const FIELDS_BY_OPERATION: Readonly<Record<Operation, { required: readonly Field[]; optional: readonly Field[] }>> = {
  get: { required: ["key"], optional: [] },
  put: { required: ["key", "body"], optional: [] },
  list: { required: [], optional: ["prefix"] },
  delete: { required: ["key"], optional: [] },
};

/** How a received value is shown: its type only for `body`, which may hold object data. */
function received(field: Field | "event", value: unknown): string {
  if (field === "body") return typeof value === "string" ? `a string of ${value.length} characters` : typeOf(value);
  return `${typeOf(value)} ${showValue(value)}`;
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

const utf8Bytes = (s: string) => Buffer.byteLength(s, "utf8");

const keySchema = z
  .string({ error: (issue) => `key must be a string, got ${received("key", issue.input)}` })
  .min(1, { error: () => 'key must not be empty (got "")', abort: true })
  .refine((key) => utf8Bytes(key) <= MAX_KEY_BYTES, {
    error: (issue) =>
      `key must be at most ${MAX_KEY_BYTES} UTF-8 bytes, got ${utf8Bytes(issue.input as string)} bytes (${showValue(issue.input)})`,
    abort: true,
  })
  .refine((key) => !key.startsWith("/"), {
    error: (issue) => `key must not start with "/" (keys are relative to the bucket root), got ${showValue(issue.input)}`,
    abort: true,
  });

const prefixSchema = z
  .string({ error: (issue) => `prefix must be a string, got ${received("prefix", issue.input)}` })
  .refine((prefix) => utf8Bytes(prefix) <= MAX_KEY_BYTES, {
    error: (issue) =>
      `prefix must be at most ${MAX_KEY_BYTES} UTF-8 bytes, got ${utf8Bytes(issue.input as string)} bytes (${showValue(issue.input)})`,
  });

const bodySchema = z.string({ error: (issue) => `body must be a string, got ${received("body", issue.input)}` });

const eventSchema = z
  .strictObject(
    {
      operation: z.enum(OPERATIONS, {
        error: (issue) =>
          issue.input === undefined
            ? `operation is required (one of ${OPERATIONS.join(", ")})`
            : `operation ${showValue(issue.input)} is not one of ${OPERATIONS.join(", ")}`,
      }),
      key: keySchema.optional(),
      prefix: prefixSchema.optional(),
      body: bodySchema.optional(),
    },
    {
      error: (issue) => {
        if (issue.code === "unrecognized_keys") {
          const input = issue.input as Record<string, unknown>;
          return issue.keys
            .map((k) => `unknown field "${k}" (got ${showValue(input[k])}); allowed fields are ${FIELDS.join(", ")}`)
            .join("; ");
        }
        return `event must be a JSON object { operation, key?, prefix?, body? }, got ${received("event", issue.input)}`;
      },
    },
  )
  .superRefine((event, ctx) => {
    const { required, optional } = FIELDS_BY_OPERATION[event.operation];
    for (const field of required) {
      if (event[field] === undefined) {
        ctx.addIssue({ code: "custom", path: [field], message: `${field} is required for operation "${event.operation}"` });
      }
    }
    for (const field of ["key", "prefix", "body"] as const) {
      if (event[field] !== undefined && !required.includes(field) && !optional.includes(field)) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `${field} is not accepted for operation "${event.operation}" (got ${received(field, event[field])})`,
        });
      }
    }
  });

/** Validates an invocation event; throws an InvalidEventError naming every bad field and the value it held. */
export function parseEvent(event: unknown): S3Request {
  const result = eventSchema.safeParse(event);
  if (!result.success) {
    const problems: EventProblem[] = result.error.issues.map((issue) => ({
      field: issue.code === "unrecognized_keys" ? issue.keys[0] ?? "event" : String(issue.path[0] ?? "event"),
      message: issue.message,
    }));
    throw new InvalidEventError(problems);
  }
  const e = result.data;
  switch (e.operation) {
    case "get":
    case "delete":
      return { operation: e.operation, key: e.key as string };
    case "put":
      return { operation: "put", key: e.key as string, body: e.body as string };
    case "list":
      return e.prefix === undefined ? { operation: "list" } : { operation: "list", prefix: e.prefix };
  }
}
