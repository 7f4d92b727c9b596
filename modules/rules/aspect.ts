/**
 * SecurityRules: an Aspect that checks what is under the scope it is added to — a stack, or any construct in one —
 * against SECURITY_RULES at synth. The rules read the whole stack's Terraform JSON (a bucket's settings are other
 * resources), and report only the resources under that scope: a violation is an error annotation on the offending
 * resource, which fails synth; a suppression, which needs a written reason, turns it into a warning that shows in the
 * synth output.
 */
import { Annotations, Aspects, TerraformResource, TerraformStack, type IAspect, type IConstruct } from "../core/cdktf";
import { afterAspects } from "../core/after-aspects";
import { assertOneCdktf, isLibraryConstruct } from "../core/compatibility";
import { ConfigurationError, showValue } from "../core/errors";
import { configSourceOf } from "../record/config-source";
import { SECURITY_RULES, type SecurityRule, type StackJson } from "./security-rules";

const suppressions = new WeakMap<IConstruct, Map<string, string>>();

/** The shortest reason a suppression may give. */
export const MIN_SUPPRESSION_REASON = 20;

/**
 * Accepts the violations of the rules `ruleIds` (one ID or several) on `scope` and everything below it, for the
 * written `reason`. The suppression shows in the synth output.
 */
export function suppressRules(scope: IConstruct, ruleIds: string | readonly string[], reason: string): void {
  const ids = typeof ruleIds === "string" ? [ruleIds] : [...ruleIds];
  const problems = ids
    .filter((id) => !SECURITY_RULES.some((r) => r.id === id))
    .map((id) => `ruleId ${showValue(id)} is not a security rule (${SECURITY_RULES.map((r) => r.id).join(", ")})`);
  if (ids.length === 0) problems.push("ruleIds [] is empty: name the rules to suppress");
  if (typeof reason !== "string" || reason.trim().length < MIN_SUPPRESSION_REASON) {
    problems.push(
      `reason ${showValue(reason)} is too short: suppressing ${ids.join(", ")} needs a written reason of at least ${MIN_SUPPRESSION_REASON} characters`,
    );
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  const existing = suppressions.get(scope) ?? new Map<string, string>();
  for (const id of ids) existing.set(id, reason.trim());
  suppressions.set(scope, existing);
}

function suppressionFor(construct: IConstruct, ruleId: string): string | undefined {
  for (const scope of construct.node.scopes.slice().reverse()) {
    const reason = suppressions.get(scope)?.get(ruleId);
    if (reason) return reason;
  }
  return undefined;
}

export interface SecurityRulesOptions {
  /** The rules to run. @default SECURITY_RULES */
  readonly rules?: readonly SecurityRule[] | undefined;
  /**
   * Which resources under the scope are reported: `all`, or only `library` ones — those this library's constructs
   * create (an app's unrelated buckets and roles are left to its own checks).
   * @default "all"
   */
  readonly resources?: "all" | "library" | undefined;
}

export class SecurityRules implements IAspect {
  private readonly rules: readonly SecurityRule[];
  private readonly resources: "all" | "library";

  constructor(options: SecurityRulesOptions = {}) {
    this.rules = options.rules ?? SECURITY_RULES;
    this.resources = options.resources ?? "all";
  }

  public visit(node: IConstruct): void {
    assertOneCdktf(node, "SecurityRules");
    // cdktf visits every construct under the scope the aspect was added to: the checks are handed over once, at that
    // scope, to run when every aspect has visited every construct below it.
    if (!Aspects.of(node).all.includes(this)) return;
    afterAspects(node, (json) => this.annotate(node, json));
  }

  /**
   * Checks a whole stack, as if the rules were added to it. cdktf never visits an aspect added to the App; the
   * library's constructs run the rules found there on their stack through this (see libraryConstruct).
   */
  public checkStack(stack: TerraformStack): void {
    afterAspects(stack, (json) => this.annotate(stack, json));
  }

  private annotate(scope: IConstruct, json: StackJson): void {
    for (const finding of this.findingsIn(scope, json)) {
      if (finding.suppressed) Annotations.of(finding.construct).addWarning(finding.message);
      else Annotations.of(finding.construct).addError(finding.message);
    }
  }

  /**
   * What the rules find under `scope`, as the annotations synth would add (errors, and warnings for suppressed ones),
   * without adding them: the test helpers read this.
   */
  public findings(scope: IConstruct): RuleFinding[] {
    return this.findingsIn(scope, TerraformStack.of(scope).toTerraform() as StackJson);
  }

  /** What the rules find under `scope` in `json`, the Terraform JSON of its stack. */
  private findingsIn(scope: IConstruct, json: StackJson): RuleFinding[] {
    const stack = TerraformStack.of(scope);
    const byAddress = new Map<string, IConstruct>();
    for (const c of scope.node.findAll()) {
      if (TerraformResource.isTerraformResource(c))
        byAddress.set(`${c.terraformResourceType}.${c.friendlyUniqueId}`, c);
    }
    const found: RuleFinding[] = [];
    for (const rule of this.rules) {
      for (const violation of rule.check(json)) {
        // A resource outside the scope is not this aspect's to report; one no construct holds (written by an
        // override of the stack) is reported on the stack, when the aspect covers it.
        const target = byAddress.get(violation.resource) ?? (scope === stack ? scope : undefined);
        if (!target) continue;
        if (this.resources === "library" && !isLibraryConstruct(target)) continue;
        const reason = suppressionFor(target, rule.id);
        const source = configSourceOf(target, rule.id, violation.statement);
        const configured = source ? `; configured by ${source}` : "";
        found.push({
          construct: target,
          ruleId: rule.id,
          resource: violation.resource,
          suppressed: reason !== undefined,
          message: reason
            ? `[${rule.id}] suppressed: ${reason} (${violation.message}${configured})`
            : `[${rule.id}] ${rule.title}: ${violation.message}${configured}. Why: ${rule.rationale}.`,
        });
      }
    }
    return found;
  }
}

/** A rule broken by a resource, as SecurityRules reports it. */
export interface RuleFinding {
  /** The construct the annotation goes on: the resource, or the stack for a resource no construct holds. */
  readonly construct: IConstruct;
  readonly ruleId: string;
  /** The resource's Terraform address, `type.logicalId`. */
  readonly resource: string;
  /** Whether a suppression accepts it (a warning, not an error). */
  readonly suppressed: boolean;
  readonly message: string;
}
