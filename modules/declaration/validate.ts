/**
 * Validation of configuration: parsing a value with a schema into a ConfigurationError that names every failing field
 * and the value it received. The schemas load on first use (see `schemas`): zod takes longer to load than the rest of
 * the library, and an app pays for it only when a construct validates.
 */
import type { z } from "zod";
import { ConfigurationError, showValue } from "../core/errors";

type Schemas = typeof import("./schemas");
let loaded: Schemas | undefined;

/** The library's schemas (schemas.ts), loaded with zod on first use. */
export function schemas(): Schemas {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, which an import cannot be
  return (loaded ??= require("./schemas") as Schemas);
}

function fieldPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : out ? `.${String(part)}` : String(part);
  }
  return out || "(root)";
}

/** The part of `value` an issue's path points at (zod's own copy of it is not kept: see parseOrThrow). */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const part of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function describeIssue(root: string, issue: z.core.$ZodIssue, value: unknown): string {
  const field = fieldPath(root, issue.path);
  if (issue.code === "unrecognized_keys") {
    return `${field} has unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  }
  const received = valueAt(value, issue.path);
  if (received === undefined && (issue.code === "invalid_type" || issue.message.startsWith("is required"))) {
    return `${field} ${issue.code === "invalid_type" ? "is required" : issue.message}`;
  }
  return `${field} ${showValue(received)} ${issue.message}`;
}

/**
 * Parses `value` with `schema` or throws a ConfigurationError that names every failing field (prefixed with
 * `root`) and the value it received. The received values are read from `value` by each issue's path rather than
 * copied into the issues, so values JSON cannot render (a construct, a circular object) still give a clear message.
 */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, root = ""): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ConfigurationError(result.error.issues.map((issue) => describeIssue(root, issue, value)));
}
