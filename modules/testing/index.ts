/// <reference types="expect" preserve="true" />
/**
 * cross-account-s3-lambda/testing: helpers for an app's own tests (Jest or any runner that reports thrown errors).
 *
 * - `expectNoSecurityRuleErrors(stack)` fails on any security rule error of the stack, whatever `Testing.synth` does
 *   (it runs aspects but does not fail on their errors, so a synth test would pass over a broken stack).
 * - `await expectGrantsProven(stacks)` proves the grants the stacks record with the IAM policy simulator (an optional
 *   peer dependency) and fails listing every request whose verdict differs from its declaration.
 * - `matchers` (or `setupJest()`) adds both as Jest matchers: `expect(stack).toPassSecurityRules()` and
 *   `await expect(stacks).toProveGrants()`.
 */
import type { IConstruct, TerraformStack } from "../core/cdktf";
import { Aspects } from "../core/cdktf";
import { proveSynthesized, type ProofReport, type ProveOptions } from "../proof/prove";
import { synthesizedFromConstructs } from "../proof/load";
import { SecurityRules, type RuleFinding } from "../rules/aspect";

/** A security rule error of a stack: the rule, the resource and where it sits in the construct tree. */
export interface SecurityRuleError {
  readonly ruleId: string;
  readonly resource: string;
  /** The construct path of the resource (or of the stack). */
  readonly path: string;
  readonly message: string;
}

/**
 * Every security rule error of `stack`, as `cdktf synth` would fail on it: the findings of each SecurityRules aspect
 * added to the App, the stack or a construct in it (their options and suppressions apply). A stack with no SecurityRules aspect
 * is checked with all rules over all its resources, so that forgetting the aspect does not make a test pass.
 */
export function securityRuleErrors(stack: TerraformStack): SecurityRuleError[] {
  const checks: Array<{ rules: SecurityRules; scope: IConstruct }> = [];
  // Rules added above the stack (to the App) check the whole stack, as its library constructs make synth run them.
  for (const scope of stack.node.scopes.slice(0, -1)) {
    for (const aspect of Aspects.of(scope).all)
      if (aspect instanceof SecurityRules) checks.push({ rules: aspect, scope: stack });
  }
  for (const construct of stack.node.findAll()) {
    for (const aspect of Aspects.of(construct).all) {
      if (aspect instanceof SecurityRules) checks.push({ rules: aspect, scope: construct });
    }
  }
  if (checks.length === 0) checks.push({ rules: new SecurityRules(), scope: stack });
  const seen = new Set<string>();
  const errors: SecurityRuleError[] = [];
  const add = (f: RuleFinding) => {
    const error = { ruleId: f.ruleId, resource: f.resource, path: f.construct.node.path, message: f.message };
    const id = `${error.path}\n${error.message}`;
    if (f.suppressed || seen.has(id)) return;
    seen.add(id);
    errors.push(error);
  };
  for (const { rules, scope } of checks) rules.findings(scope).forEach(add);
  return errors;
}

/** What a failed expectation says about security rule errors. */
function describeRuleErrors(stack: TerraformStack, errors: readonly SecurityRuleError[]): string {
  return [
    `stack ${stack.node.id} breaks ${errors.length} security rule(s):`,
    ...errors.map((e) => `  ${e.path} (${e.resource}): ${e.message}`),
  ].join("\n");
}

/** Throws, listing them, when `stack` has any security rule error. */
export function expectNoSecurityRuleErrors(stack: TerraformStack): void {
  const errors = securityRuleErrors(stack);
  if (errors.length > 0) throw new Error(describeRuleErrors(stack, errors));
}

const stacksOf = (stacks: TerraformStack | readonly TerraformStack[]): TerraformStack[] =>
  Array.isArray(stacks) ? [...(stacks as readonly TerraformStack[])] : [stacks as TerraformStack];

/**
 * Proves the grants the stacks record (give every stack that holds a half of them: the two halves of a grant may be
 * in two stacks, or two apps). Resolves to the report; see `expectGrantsProven` to fail a test on it.
 */
export function proveGrants(
  stacks: TerraformStack | readonly TerraformStack[],
  options: ProveOptions = {},
): Promise<ProofReport> {
  return proveSynthesized(synthesizedFromConstructs(stacksOf(stacks)), options);
}

/** What a failed expectation says about a proof: problems, mismatched requests (with why), unknown actions. */
export function describeProofFailures(report: ProofReport): string {
  const lines = [
    `${report.mismatches} mismatch(es) or problem(s) in ${report.requests} requests over ${report.grants.length} grant(s):`,
  ];
  for (const g of report.grants.filter((g) => g.mismatches > 0)) {
    lines.push(`  grant ${g.grantee} -> s3://${g.bucket}`);
    for (const p of g.problems) lines.push(`    problem: ${p}`);
    for (const r of g.results.filter((r) => !r.ok)) {
      lines.push(
        `    ${r.who} ${r.action}${r.operation ? ` (${r.operation})` : ""} on ${r.resource}${r.accessPoint ? ` via ${r.accessPoint.name}` : ""}: ` +
          `${r.final}, expected ${r.expected} because ${r.intent}${r.reasons.length ? ` (denied by ${r.reasons.join("; ")})` : ""}`,
      );
    }
    for (const u of g.unknownActions) lines.push(`    unknown action: ${u}`);
  }
  return lines.join("\n");
}

/** Proves the stacks' grants and throws, listing the mismatched requests, unless every verdict matches. */
export async function expectGrantsProven(
  stacks: TerraformStack | readonly TerraformStack[],
  options: ProveOptions = {},
): Promise<ProofReport> {
  const report = await proveGrants(stacks, options);
  if (report.mismatches > 0) throw new Error(describeProofFailures(report));
  return report;
}

/** A Jest matcher's result. */
interface MatcherResult {
  readonly pass: boolean;
  readonly message: () => string;
}

/** Jest matchers: `expect.extend(matchers)`, or `setupJest()`. */
export const matchers = {
  toPassSecurityRules(received: TerraformStack): MatcherResult {
    const errors = securityRuleErrors(received);
    return {
      pass: errors.length === 0,
      message: () =>
        errors.length === 0
          ? `expected stack ${received.node.id} to break a security rule, it breaks none`
          : describeRuleErrors(received, errors),
    };
  },
  async toProveGrants(
    received: TerraformStack | readonly TerraformStack[],
    options: ProveOptions = {},
  ): Promise<MatcherResult> {
    const report = await proveGrants(received, options);
    return {
      pass: report.mismatches === 0,
      message: () =>
        report.mismatches === 0
          ? `expected a mismatch, but all ${report.requests} requests over ${report.grants.length} grant(s) are proven`
          : describeProofFailures(report),
    };
  },
};

/** Adds `matchers` to Jest's global `expect`. */
export function setupJest(): void {
  const expect = (globalThis as { expect?: { extend?: (m: typeof matchers) => void } }).expect;
  if (typeof expect?.extend !== "function")
    throw new Error("setupJest: no global expect.extend (call it from a Jest setup file or a test file)");
  expect.extend(matchers);
}

// The matchers on `expect` from `@jest/globals` (Jest's own package `expect`) as well as on the global one.
declare module "expect" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- a merging declaration repeats Jest's type parameters exactly
  interface Matchers<R extends void | Promise<void>, T = unknown> {
    /** The stack breaks no security rule (suppressions with a reason excepted). */
    toPassSecurityRules(): R;
    /** Every grant the stack(s) record is proven by the IAM policy simulator. */
    toProveGrants(options?: ProveOptions): Promise<R>;
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // Repeats @types/jest's type parameters exactly, as merging with its Matchers requires.
    // eslint-disable-next-line @typescript-eslint/no-unused-vars, @typescript-eslint/no-empty-object-type
    interface Matchers<R, T = {}> {
      /** The stack breaks no security rule (suppressions with a reason excepted). */
      toPassSecurityRules(): R;
      /** Every grant the stack(s) record is proven by the IAM policy simulator. */
      toProveGrants(options?: ProveOptions): Promise<R>;
    }
  }
}

export type { ProofReport, ProveOptions } from "../proof/prove";
export type { RuleFinding } from "../rules/aspect";
