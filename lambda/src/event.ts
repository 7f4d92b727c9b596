/**
 * The invocation event: `{ operation, ...fields of that operation }`, validated strictly. Unknown fields, and fields
 * the operation does not use, are refused rather than ignored. The bucket is never part of the event.
 */
import * as z from "zod";
import { PRESIGN_EXPIRES_LIMIT_SECONDS } from "./config";
import { InvalidEventError, type EventProblem } from "./errors";
import { showValue } from "./show-value";

export const OPERATIONS = ["get", "put", "list", "delete", "presign-get", "presign-put", "copy"] as const;
export type Operation = (typeof OPERATIONS)[number];

/** How an object's bytes travel in the event or the result: as UTF-8 text, or base64 for any bytes. */
export const ENCODINGS = ["utf-8", "base64"] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** S3's limit on a key (and so on a useful prefix), in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** S3's limit on MaxKeys of one ListObjectsV2 page. */
export const MAX_LIST_KEYS = 1000;
/** Lifetime of a presigned URL when the event names none: 15 minutes. */
export const DEFAULT_PRESIGN_EXPIRES_SECONDS = 900;

/** A validated event. */
export type S3Request =
  | { readonly operation: "get"; readonly key: string; readonly encoding: Encoding }
  | {
      readonly operation: "put";
      readonly key: string;
      readonly body: string;
      readonly encoding: Encoding;
      readonly contentType?: string;
    }
  | {
      readonly operation: "list";
      readonly prefix?: string;
      readonly maxKeys?: number;
      readonly continuationToken?: string;
    }
  | { readonly operation: "delete"; readonly key: string }
  | { readonly operation: "presign-get" | "presign-put"; readonly key: string; readonly expiresIn: number }
  | { readonly operation: "copy"; readonly sourceKey: string; readonly key: string }
  /** S3's `Object Created` event, delivered by the grant's rule (see object-events.ts). */
  | { readonly operation: "object-created"; readonly bucket: string; readonly key: string }
  /** S3's `Object Deleted` event, when the grant declares removals. */
  | {
      readonly operation: "object-removed";
      readonly bucket: string;
      readonly key: string;
      readonly deletionType?: string;
    };

const FIELDS = [
  "operation",
  "key",
  "sourceKey",
  "prefix",
  "body",
  "encoding",
  "contentType",
  "maxKeys",
  "continuationToken",
  "expiresIn",
] as const;
type Field = (typeof FIELDS)[number];

/** The fields each operation requires and accepts (besides `operation`). */
const FIELDS_BY_OPERATION: Readonly<Record<Operation, { required: readonly Field[]; optional: readonly Field[] }>> = {
  get: { required: ["key"], optional: ["encoding"] },
  put: { required: ["key", "body"], optional: ["encoding", "contentType"] },
  list: { required: [], optional: ["prefix", "maxKeys", "continuationToken"] },
  delete: { required: ["key"], optional: [] },
  "presign-get": { required: ["key"], optional: ["expiresIn"] },
  "presign-put": { required: ["key"], optional: ["expiresIn"] },
  copy: { required: ["sourceKey", "key"], optional: [] },
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

/** A high surrogate not followed by a low one, or a low one not preceded by a high one (matched per UTF-16 unit). */
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * False for a string holding a lone UTF-16 surrogate. Such a string has no UTF-8 form: the SDK cannot put it in a
 * request URL (encodeURIComponent throws URIError), so it is refused before anything is sent, STS included.
 */
const isWellFormed = (s: string) => !LONE_SURROGATE_RE.test(s);

/** Where the first lone surrogate is, for the message (the value itself may be cut short when shown). */
function loneSurrogateMessage(field: Field, value: string): string {
  const index = value.search(LONE_SURROGATE_RE);
  const unit = value.charCodeAt(index).toString(16).toUpperCase();
  return `${field} must be well-formed Unicode, got a lone UTF-16 surrogate U+${unit} at index ${index} of ${showValue(value)}`;
}

/** The refusal of a lone surrogate in a string the SDK puts in a URL, ahead of any check that would encode it. */
const loneSurrogateError = (field: Field) => ({
  error: (issue: { input?: unknown }) => loneSurrogateMessage(field, issue.input as string),
  abort: true,
});

/** An object key: what S3 accepts, without the forms that mean something else once in a URL. */
export function keySchema(field: "key" | "sourceKey") {
  return z
    .string({ error: (issue) => `${field} must be a string, got ${received(field, issue.input)}` })
    .min(1, { error: () => `${field} must not be empty (got "")`, abort: true })
    .refine(isWellFormed, loneSurrogateError(field))
    .refine((key) => utf8Bytes(key) <= MAX_KEY_BYTES, {
      error: (issue) =>
        `${field} must be at most ${MAX_KEY_BYTES} UTF-8 bytes, got ${utf8Bytes(issue.input as string)} bytes (${showValue(issue.input)})`,
      abort: true,
    })
    .refine((key) => !key.startsWith("/"), {
      error: (issue) =>
        `${field} must not start with "/" (keys are relative to the bucket root), got ${showValue(issue.input)}`,
      abort: true,
    })
    .refine((key) => !key.split("/").some((segment) => segment === "." || segment === ".."), {
      // URLs (and so presigned URLs and some proxies) resolve "." and ".." segments; S3 does not.
      error: (issue) => `${field} must not have "." or ".." path segments, got ${showValue(issue.input)}`,
    });
}

const prefixSchema = z
  .string({ error: (issue) => `prefix must be a string, got ${received("prefix", issue.input)}` })
  .refine(isWellFormed, loneSurrogateError("prefix"))
  .refine((prefix) => utf8Bytes(prefix) <= MAX_KEY_BYTES, {
    error: (issue) =>
      `prefix must be at most ${MAX_KEY_BYTES} UTF-8 bytes, got ${utf8Bytes(issue.input as string)} bytes (${showValue(issue.input)})`,
  });

const bodySchema = z.string({ error: (issue) => `body must be a string, got ${received("body", issue.input)}` });

const encodingSchema = z.enum(ENCODINGS, {
  error: (issue) =>
    `encoding must be one of ${ENCODINGS.map((e) => `"${e}"`).join(", ")}, got ${received("encoding", issue.input)}`,
});

const contentTypeSchema = z
  .string({ error: (issue) => `contentType must be a string, got ${received("contentType", issue.input)}` })
  .regex(/^[\x21-\x7e][\x20-\x7e]{0,254}$/, {
    error: (issue) =>
      `contentType must be 1-255 printable ASCII characters (e.g. "application/json"), got ${showValue(issue.input)}`,
  });

/** A whole number in [min, max], named in its messages. */
function wholeNumber(field: Field, min: number, max: number) {
  const message = (input: unknown) =>
    `${field} must be a whole number from ${min} to ${max}, got ${received(field, input)}`;
  return z
    .number({ error: (issue) => message(issue.input) })
    .int({ error: (issue) => message(issue.input) })
    .min(min, { error: (issue) => message(issue.input) })
    .max(max, { error: (issue) => message(issue.input) });
}

const continuationTokenSchema = z
  .string({ error: (issue) => `continuationToken must be a string, got ${received("continuationToken", issue.input)}` })
  .min(1, { error: () => 'continuationToken must not be empty (got "")' })
  .refine(isWellFormed, loneSurrogateError("continuationToken"));

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const eventSchema = z
  .strictObject(
    {
      operation: z.enum(OPERATIONS, {
        error: (issue) =>
          issue.input === undefined
            ? `operation is required (one of ${OPERATIONS.join(", ")})`
            : `operation ${showValue(issue.input)} is not one of ${OPERATIONS.join(", ")}`,
      }),
      key: keySchema("key").optional(),
      sourceKey: keySchema("sourceKey").optional(),
      prefix: prefixSchema.optional(),
      body: bodySchema.optional(),
      encoding: encodingSchema.optional(),
      contentType: contentTypeSchema.optional(),
      maxKeys: wholeNumber("maxKeys", 1, MAX_LIST_KEYS).optional(),
      continuationToken: continuationTokenSchema.optional(),
      expiresIn: wholeNumber("expiresIn", 1, PRESIGN_EXPIRES_LIMIT_SECONDS).optional(),
    },
    {
      error: (issue) => {
        if (issue.code === "unrecognized_keys") {
          const input = issue.input as Record<string, unknown>;
          return issue.keys
            .map((k) => `unknown field "${k}" (got ${showValue(input[k])}); allowed fields are ${FIELDS.join(", ")}`)
            .join("; ");
        }
        return `event must be a JSON object { operation, ... }, got ${received("event", issue.input)}`;
      },
    },
  )
  .superRefine((event, ctx) => {
    const { required, optional } = FIELDS_BY_OPERATION[event.operation];
    for (const field of required) {
      if (event[field] === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `${field} is required for operation "${event.operation}"`,
        });
      }
    }
    for (const field of FIELDS) {
      if (field === "operation" || event[field] === undefined) continue;
      if (!required.includes(field) && !optional.includes(field)) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `${field} is not accepted for operation "${event.operation}" (got ${received(field, event[field])})`,
        });
      }
    }
    if (
      event.operation === "put" &&
      event.encoding === "base64" &&
      event.body !== undefined &&
      !BASE64_RE.test(event.body)
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["body"],
        message: `body is not valid base64 (encoding "base64"), got ${received("body", event.body)}`,
      });
    }
  });

/** Validates an invocation event; throws an InvalidEventError naming every bad field and the value it held. */
export function parseEvent(event: unknown): S3Request {
  const result = eventSchema.safeParse(event);
  if (!result.success) {
    const problems: EventProblem[] = result.error.issues.map((issue) => ({
      field: issue.code === "unrecognized_keys" ? (issue.keys[0] ?? "event") : String(issue.path[0] ?? "event"),
      message: issue.message,
    }));
    throw new InvalidEventError(problems);
  }
  const e = result.data;
  // Checked above: every required field of the operation is present.
  const key = e.key as string;
  switch (e.operation) {
    case "get":
      return { operation: "get", key, encoding: e.encoding ?? "utf-8" };
    case "put":
      return {
        operation: "put",
        key,
        body: e.body as string,
        encoding: e.encoding ?? "utf-8",
        ...(e.contentType !== undefined && { contentType: e.contentType }),
      };
    case "list":
      return {
        operation: "list",
        ...(e.prefix !== undefined && { prefix: e.prefix }),
        ...(e.maxKeys !== undefined && { maxKeys: e.maxKeys }),
        ...(e.continuationToken !== undefined && { continuationToken: e.continuationToken }),
      };
    case "delete":
      return { operation: "delete", key };
    case "presign-get":
    case "presign-put":
      return { operation: e.operation, key, expiresIn: e.expiresIn ?? DEFAULT_PRESIGN_EXPIRES_SECONDS };
    case "copy":
      return { operation: "copy", sourceKey: e.sourceKey as string, key };
  }
}
