/** Synthesizing the app's stacks in a test: the Terraform JSON and the security rules' findings of each. */
import { App, Testing, type TerraformStack } from "cdktf";
import { DatalakeStack, WorkloadsStack } from "../stacks";

export interface Finding {
  readonly level: "error" | "warn";
  readonly path: string;
  readonly message: string;
}

/** A resource block as synthesized: its arguments, snake_case. */
export type ResourceJson = Record<string, unknown> & { readonly provider?: string };

export interface StackJson {
  readonly provider: Record<string, Array<Record<string, unknown>>>;
  readonly resource: Record<string, Record<string, ResourceJson>>;
  readonly output?: Record<string, unknown>;
}

export interface Synthesized {
  readonly json: StackJson;
  readonly text: string;
  readonly findings: Finding[];
}

/**
 * Synthesizes `stack` (running its aspects, the security rules among them) and reads the error and warning annotations
 * the rules left on its constructs. Once per stack: a second synth would run the aspects again.
 */
export function synthesize(stack: TerraformStack): Synthesized {
  const text = Testing.synth(stack);
  const findings = stack.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === "@cdktf/error" || m.type === "@cdktf/warn")
      .map((m) => ({
        level: m.type === "@cdktf/error" ? ("error" as const) : ("warn" as const),
        path: c.node.path,
        message: String(m.data),
      })),
  );
  return { json: JSON.parse(text) as StackJson, text, findings };
}

/** Both stacks of the app, in one test app. */
export function platformApp(): { app: App; workloads: WorkloadsStack; datalake: DatalakeStack } {
  const app = Testing.app();
  return { app, workloads: new WorkloadsStack(app, "workloads"), datalake: new DatalakeStack(app, "datalake") };
}

/** Every resource block of a stack: [type, name, block]. */
export function resources(json: StackJson): Array<[string, string, ResourceJson]> {
  return Object.entries(json.resource).flatMap(([type, byName]) =>
    Object.entries(byName).map(([name, block]): [string, string, ResourceJson] => [type, name, block]),
  );
}

/** The only resource of `type` in the stack; fails when there is none or more than one. */
export function only(json: StackJson, type: string): ResourceJson {
  const blocks = Object.values(json.resource[type] ?? {});
  if (blocks.length !== 1) throw new Error(`expected one ${type}, found ${blocks.length}`);
  return blocks[0]!;
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: unknown;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The policy document a resource's `policy` argument holds. */
export function statementsOf(block: ResourceJson): Statement[] {
  if (typeof block.policy !== "string") throw new Error(`no policy argument in ${JSON.stringify(block)}`);
  return (JSON.parse(block.policy) as { Statement: Statement[] }).Statement;
}

/** The only resource of `type` created under the construct path `grant` (a grant's id in the stack, then its children, "_" for "/"). */
export function ofGrant(json: StackJson, type: string, grant: string): ResourceJson {
  const blocks = Object.entries(json.resource[type] ?? {}).filter(([name]) => name.startsWith(`${grant}_`));
  if (blocks.length !== 1) throw new Error(`expected one ${type} of grant ${grant}, found ${blocks.length}`);
  return blocks[0]![1];
}
