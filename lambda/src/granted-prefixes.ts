/**
 * The grant as the function knows it: GRANTED_PREFIXES, the JSON list the stack writes from the same declaration as
 * the policies (`[{"prefix":"incoming/","access":"readWrite","delete":false}]`, the contract's encodeGrantedPrefixes,
 * which this module parses back). The handler refuses a request the
 * grant does not cover before calling AWS, with an error that says what the grant allows; AWS's policies still
 * decide every request that is sent.
 */
import * as z from "zod";
import {
  ACCESS_PRESETS,
  brokenPrefixRule,
  encodeGrantedPrefixes,
  HANDLER_ENVIRONMENT,
  policyCharacterAt,
  type GrantedPrefix,
} from "../../modules/contract";
import { showValue } from "./show-value";

export type { GrantedPrefix } from "../../modules/contract";

/** What a request needs on a key or prefix. */
export type Permission = "read" | "write" | "delete";

/** True when the grant on one prefix gives `permission` (read: get, list; write: put, multipart upload). */
export function permits(grant: GrantedPrefix, permission: Permission): boolean {
  switch (permission) {
    case "read":
      return grant.access !== "write";
    case "write":
      return grant.access !== "read";
    case "delete":
      return grant.delete;
  }
}

/** The granted prefixes that give `permission`, in declaration order. */
export function prefixesWith(grants: readonly GrantedPrefix[], permission: Permission): string[] {
  return grants.filter((g) => permits(g, permission)).map((g) => g.prefix);
}

/**
 * True when `path` (a key, or a list prefix) lies under a granted prefix that gives `permission`. Matching is by plain
 * string prefix, as the policies' `arn:aws:s3:::bucket/<prefix>*` resources and `s3:prefix` conditions match.
 */
export function isGranted(grants: readonly GrantedPrefix[], path: string, permission: Permission): boolean {
  return grants.some((g) => path.startsWith(g.prefix) && permits(g, permission));
}

const VARIABLE = HANDLER_ENVIRONMENT.grantedPrefixes;
/** A valid value, shown in messages; written by the encoding the constructs use, so it stays one they would write. */
const EXAMPLE = encodeGrantedPrefixes([{ prefix: "incoming/", access: "readWrite" }]);

const entrySchema = z.strictObject({
  prefix: z.string().superRefine((prefix, ctx) => {
    const problem = prefixProblem(prefix);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
  access: z.enum(ACCESS_PRESETS),
  delete: z.boolean().optional(),
});

/**
 * What is wrong with a granted prefix, if anything: the contract's PREFIX_RULES, the ones the constructs keep, so that
 * a GRANTED_PREFIXES the stack could never have written (a character IAM refuses, a "." or ".." path segment under
 * which the event validation refuses every key) fails the init rather than every request.
 */
function prefixProblem(prefix: string): string | undefined {
  const broken = brokenPrefixRule(prefix);
  if (!broken) return undefined;
  const outside = policyCharacterAt(prefix);
  if (outside && broken.rule.includes("IAM refuses")) {
    return `${broken.rule} (U+${outside.code.toString(16).toUpperCase().padStart(4, "0")} at index ${outside.index})`;
  }
  return broken.handlerAdvice ? `${broken.rule} (${broken.handlerAdvice})` : broken.rule;
}

function messageFor(issue: z.core.$ZodIssue, entries: readonly unknown[]): string {
  const [index, field] = issue.path as [number, string | undefined];
  const entry = entries[index] as Record<string, unknown> | undefined;
  const at = `${VARIABLE}[${index}]`;
  if (issue.code === "unrecognized_keys") {
    return issue.keys
      .map((k) => `${at} has an unknown field "${k}" (got ${showValue(entry?.[k])}); allowed: prefix, access, delete`)
      .join("; ");
  }
  if (field === undefined) return `${at} must be an object { prefix, access, delete? } (got ${showValue(entry)})`;
  const value = entry?.[field];
  switch (field) {
    case "prefix":
      return value === undefined
        ? `${at}.prefix is required`
        : typeof value !== "string"
          ? `${at}.prefix must be a string (got ${showValue(value)})`
          : `${at}.prefix ${issue.message} (got ${showValue(value)})`;
    case "access":
      return value === undefined
        ? `${at}.access is required (one of ${ACCESS_PRESETS.map((a) => `"${a}"`).join(", ")})`
        : `${at}.access must be one of ${ACCESS_PRESETS.map((a) => `"${a}"`).join(", ")} (got ${showValue(value)})`;
    default:
      return `${at}.${field} must be true or false (got ${showValue(value)})`;
  }
}

export type GrantParse =
  | { readonly ok: true; readonly grants: readonly GrantedPrefix[] }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Parses GRANTED_PREFIXES; every problem names the entry, the field and the value. */
export function parseGrantedPrefixes(raw: string | undefined): GrantParse {
  const fail = (message: string): GrantParse => ({ ok: false, problems: [message] });
  if (raw === undefined) {
    return fail(
      `${VARIABLE} is required: the JSON list of granted prefixes the stack sets, e.g. ${EXAMPLE} (got undefined)`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    return fail(`${VARIABLE} is not valid JSON (${(error as Error).message}) (got ${showValue(raw)})`);
  }
  if (!Array.isArray(value) || value.length === 0) {
    return fail(
      `${VARIABLE} must be a non-empty JSON list of { prefix, access, delete? }, e.g. ${EXAMPLE} (got ${showValue(raw)})`,
    );
  }
  const result = z.array(entrySchema).safeParse(value);
  if (!result.success) {
    return { ok: false, problems: result.error.issues.map((issue) => messageFor(issue, value as unknown[])) };
  }
  const grants = result.data.map((e): GrantedPrefix => ({
    prefix: e.prefix,
    access: e.access,
    delete: e.delete ?? false,
  }));
  const seen = new Set<string>();
  const problems: string[] = [];
  grants.forEach((grant, index) => {
    if (seen.has(grant.prefix))
      problems.push(`${VARIABLE}[${index}].prefix ${showValue(grant.prefix)} is listed twice`);
    seen.add(grant.prefix);
  });
  problems.push(...nestingProblems(grants));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, grants };
}

const PERMISSIONS: readonly Permission[] = ["read", "write", "delete"];

/** A grant's access as its entry states it: the preset, and "with delete" when it allows deleting. */
function describeAccess(grant: Pick<GrantedPrefix, "access" | "delete">): string {
  return grant.delete ? `${grant.access} with delete` : grant.access;
}

/** What several grants on one prefix allow together, as one entry would state it (every grant reads or writes). */
function unionOf(grants: readonly GrantedPrefix[]): Pick<GrantedPrefix, "access" | "delete"> {
  const has = (p: Permission) => grants.some((g) => permits(g, p));
  return { access: has("read") && has("write") ? "readWrite" : has("read") ? "read" : "write", delete: has("delete") };
}

/**
 * Entries whose prefix lies under another entry's that gives something the inner one does not. IAM allows a request
 * when any statement does, so under the inner prefix the function really has the union of both; an entry that states
 * less than that misleads whoever reads the grant. An inner entry that gives more than its outer one is exact.
 */
function nestingProblems(grants: readonly GrantedPrefix[]): string[] {
  const problems: string[] = [];
  grants.forEach((inner, index) => {
    const outers = grants
      .map((outer, i) => ({ outer, i }))
      .filter(({ outer }) => outer.prefix !== inner.prefix && inner.prefix.startsWith(outer.prefix))
      .filter(({ outer }) => PERMISSIONS.some((p) => permits(outer, p) && !permits(inner, p)));
    if (outers.length === 0) return;
    const union = unionOf([inner, ...outers.map(({ outer }) => outer)]);
    const under = outers
      .map(({ outer, i }) => `${VARIABLE}[${i}].prefix ${showValue(outer.prefix)} (${describeAccess(outer)})`)
      .join(" and ");
    const fix = [
      ...(union.access !== inner.access ? [`access ${showValue(union.access)}`] : []),
      ...(union.delete !== inner.delete ? ["delete true"] : []),
    ].join(" and ");
    problems.push(
      `${VARIABLE}[${index}].prefix ${showValue(inner.prefix)} (${describeAccess(inner)}) lies under ${under}, and IAM ` +
        `grants the union of them: ${describeAccess(union)} under ${showValue(inner.prefix)}; give ${VARIABLE}[${index}] ` +
        `${fix}, or remove it`,
    );
  });
  return problems;
}
