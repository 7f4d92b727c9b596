/**
 * Whether a Deny statement applies to a request, by IAM's rules, for the operators the security rules need to judge
 * (Null, the String and Bool operators and their IfExists forms). Anything else — NotPrincipal, NotAction,
 * NotResource, a set operator (ForAnyValue:, ForAllValues:) or another operator — makes the answer `undefined`:
 * the rules then neither count the statement as denying nor as refusing what it should let through.
 */
import { matchesWildcard } from "../core/policy-document";
import { awsPrincipalsOf, type ReadStatement } from "../core/stack-view";

export interface RuleRequest {
  readonly action: string;
  readonly resource: string;
  /** The request's condition keys; a key not listed is absent from the request. */
  readonly context: Readonly<Record<string, string>>;
}

const list = (value: unknown): string[] => (value === undefined ? [] : ([] as unknown[]).concat(value).map(String));

type Compare = (expected: string, actual: string) => boolean;
const OPERATORS: Readonly<Record<string, { compare: Compare; negated: boolean }>> = {
  StringEquals: { compare: (e, a) => e === a, negated: false },
  StringNotEquals: { compare: (e, a) => e === a, negated: true },
  StringEqualsIgnoreCase: { compare: (e, a) => e.toLowerCase() === a.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (e, a) => e.toLowerCase() === a.toLowerCase(), negated: true },
  StringLike: { compare: (e, a) => matchesWildcard(e, a), negated: false },
  StringNotLike: { compare: (e, a) => matchesWildcard(e, a), negated: true },
  Bool: { compare: (e, a) => e.toLowerCase() === a.toLowerCase(), negated: false },
};

/** Whether one condition operator's block matches the request; undefined for an operator not judged here. */
function blockMatches(
  operator: string,
  block: Readonly<Record<string, unknown>>,
  context: ReadonlyMap<string, string>,
): boolean | undefined {
  const ifExists = operator.endsWith("IfExists");
  const name = ifExists ? operator.slice(0, -"IfExists".length) : operator;
  const op = OPERATORS[name];
  if (name !== "Null" && op === undefined) return undefined;
  return Object.entries(block).every(([key, expected]) => {
    const actual = context.get(key.toLowerCase());
    const values = list(expected);
    if (op === undefined) return values.some((v) => (v === "true") === (actual === undefined));
    if (actual === undefined) return ifExists || op.negated;
    const any = values.some((v) => op.compare(v, actual));
    return op.negated ? !any : any;
  });
}

/** True when the Deny statement applies to the request for every caller; undefined when it cannot be judged here. */
export function denyApplies(s: ReadStatement, request: RuleRequest): boolean | undefined {
  if (s.Effect !== "Deny") return false;
  if (s.NotPrincipal !== undefined || s.NotAction !== undefined || s.NotResource !== undefined) return undefined;
  if (!awsPrincipalsOf(s).includes("*")) return false;
  if (!(s.Action ?? []).some((a) => matchesWildcard(a, request.action, true))) return false;
  if (!(s.Resource ?? []).some((r) => matchesWildcard(r, request.resource))) return false;
  const context = new Map(Object.entries(request.context).map(([k, v]) => [k.toLowerCase(), v]));
  let applies: boolean | undefined = true;
  for (const [operator, block] of Object.entries(s.Condition ?? {})) {
    const matches = blockMatches(operator, block, context);
    if (matches === false) return false;
    if (matches === undefined) applies = undefined;
  }
  return applies;
}
