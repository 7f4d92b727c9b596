/**
 * SecurityRules: an Aspect that checks every stack it is added to against SECURITY_RULES at synth. A violation is an
 * error annotation on the offending resource, which fails synth; a suppression, which needs a written reason, turns
 * it into a warning that shows in the synth output.
 */
import { Annotations, type IAspect, type IConstruct, TerraformResource, TerraformStack } from "../cdktf";
import { ConfigurationError, showValue } from "../schema";
import { configSourceOf } from "./config-source";
import { SECURITY_RULES, type SecurityRule, type StackJson } from "./security-rules";

const suppressions = new WeakMap<IConstruct, Map<string, string>>();

/** The shortest reason a suppression may give. */
export const MIN_SUPPRESSION_REASON = 20;

/**
 * Accepts the violations of rule `ruleId` on `scope` and everything below it, for the written `reason`. The
 * suppression shows in the synth output.
 */
export function suppressRule(scope: IConstruct, ruleId: string, reason: string): void {
  if (!SECURITY_RULES.some((r) => r.id === ruleId)) {
    throw new ConfigurationError([
      `ruleId ${showValue(ruleId)} is not a security rule (${SECURITY_RULES.map((r) => r.id).join(", ")})`,
    ]);
  }
  if (typeof reason !== "string" || reason.trim().length < MIN_SUPPRESSION_REASON) {
    throw new ConfigurationError([
      `reason ${showValue(reason)} is too short: suppressing ${ruleId} needs a written reason of at least ${MIN_SUPPRESSION_REASON} characters`,
    ]);
  }
  const existing = suppressions.get(scope) ?? new Map<string, string>();
  existing.set(ruleId, reason.trim());
  suppressions.set(scope, existing);
}

function suppressionFor(construct: IConstruct, ruleId: string): string | undefined {
  for (const scope of construct.node.scopes.slice().reverse()) {
    const reason = suppressions.get(scope)?.get(ruleId);
    if (reason) return reason;
  }
  return undefined;
}

export class SecurityRules implements IAspect {
  constructor(private readonly rules: readonly SecurityRule[] = SECURITY_RULES) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformStack)) return;
    const json = node.toTerraform() as StackJson;
    const byAddress = new Map<string, IConstruct>();
    for (const c of node.node.findAll()) {
      if (c instanceof TerraformResource) byAddress.set(`${c.terraformResourceType}.${c.friendlyUniqueId}`, c);
    }
    for (const rule of this.rules) {
      for (const violation of rule.check(json)) {
        const target = byAddress.get(violation.resource) ?? node;
        const reason = suppressionFor(target, rule.id);
        const source = configSourceOf(target, rule.id, violation.statement);
        const configured = source ? `; configured by ${source}` : "";
        if (reason) {
          Annotations.of(target).addWarning(`[${rule.id}] suppressed: ${reason} (${violation.message}${configured})`);
        } else {
          Annotations.of(target).addError(`[${rule.id}] ${rule.title}: ${violation.message}${configured}. Why: ${rule.rationale}.`);
        }
      }
    }
  }
}
