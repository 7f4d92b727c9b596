/**
 * Where a resource's settings come from in the user's configuration, so that a security rule refusing them can name
 * the field to change, not only the construct path. The constructs record it as they create each resource.
 */
import type { IConstruct } from "../core/cdktf";

export interface ConfigSource {
  /** The configuration field, e.g. `environments.prod.grant.externalId`. */
  readonly field: string;
  /** The rules whose findings the field explains. @default every rule */
  readonly rules?: readonly string[] | undefined;
  /** For a policy: the statements that come from `field`, a list (statement `first + i` is `field[i]`). */
  readonly statements?: { readonly first: number; readonly count: number };
  /** What to do with the field, e.g. `set it, or grant.principalOrgId`. */
  readonly advice?: string | undefined;
}

const sources = new WeakMap<IConstruct, ConfigSource[]>();

/** Records that `construct`'s settings come from a configuration field. */
export function recordConfigSource(construct: IConstruct, source: ConfigSource): void {
  sources.set(construct, [...(sources.get(construct) ?? []), source]);
}

/** The configuration field behind a rule's finding on `construct` (or a scope above it), with its advice. */
export function configSourceOf(construct: IConstruct, ruleId: string, statement?: number): string | undefined {
  for (const scope of [...construct.node.scopes].reverse()) {
    for (const source of sources.get(scope) ?? []) {
      if (source.rules && !source.rules.includes(ruleId)) continue;
      if (source.statements) {
        const { first, count } = source.statements;
        if (statement === undefined || statement < first || statement >= first + count) continue;
        return `${source.field}[${statement - first}]`;
      }
      return source.advice ? `${source.field} (${source.advice})` : source.field;
    }
  }
  return undefined;
}
