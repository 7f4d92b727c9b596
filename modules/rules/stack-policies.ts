/**
 * Every policy document a stack writes, wherever it is written, read as Terraform will apply it: identity policies
 * (role, user and group policies, managed policies, a role's inline_policy blocks), bucket and access point policies
 * (standalone or inline), key policies (the key's own argument, aws_kms_key_policy), trust policies, queue and topic
 * policies, and event bus policies. A policy the
 * rules cannot read as written (an expression Terraform evaluates, a shape IAM refuses) is kept with its problem:
 * CAS-TF-1 reports it, and the other rules leave it out.
 */
import {
  PolicyShapeError,
  StackView,
  type ReadStatement,
  type StackJson,
  type SynthResource,
} from "../core/stack-view";
import { TemplateError } from "../core/terraform-text";

export type PolicyKind = "identity" | "bucket" | "access point" | "key" | "trust" | "queue" | "topic" | "event bus";

export interface StackPolicy {
  readonly kind: PolicyKind;
  /** `type.id` of the resource that writes it. */
  readonly resource: string;
  readonly type: string;
  readonly id: string;
  /** The argument holding it (`policy`, `assume_role_policy`, `inline_policy[0].policy`). */
  readonly argument: string;
  readonly target: SynthResource;
  /** The statements, read; empty when the policy could not be read. */
  readonly statements: readonly ReadStatement[];
  /** Why the policy could not be read as written; undefined when it could. */
  readonly problem?: string | undefined;
}

/** Where each kind of policy is written: resource type and argument. */
export const POLICY_ARGUMENTS: ReadonlyArray<{ kind: PolicyKind; type: string; argument: string }> = [
  { kind: "identity", type: "aws_iam_role_policy", argument: "policy" },
  { kind: "identity", type: "aws_iam_policy", argument: "policy" },
  { kind: "identity", type: "aws_iam_user_policy", argument: "policy" },
  { kind: "identity", type: "aws_iam_group_policy", argument: "policy" },
  { kind: "bucket", type: "aws_s3_bucket_policy", argument: "policy" },
  { kind: "bucket", type: "aws_s3_bucket", argument: "policy" },
  { kind: "access point", type: "aws_s3_access_point", argument: "policy" },
  { kind: "access point", type: "aws_s3control_access_point_policy", argument: "policy" },
  { kind: "key", type: "aws_kms_key", argument: "policy" },
  { kind: "key", type: "aws_kms_key_policy", argument: "policy" },
  { kind: "trust", type: "aws_iam_role", argument: "assume_role_policy" },
  { kind: "queue", type: "aws_sqs_queue_policy", argument: "policy" },
  { kind: "queue", type: "aws_sqs_queue", argument: "policy" },
  { kind: "topic", type: "aws_sns_topic_policy", argument: "policy" },
  { kind: "topic", type: "aws_sns_topic", argument: "policy" },
  { kind: "event bus", type: "aws_cloudwatch_event_bus_policy", argument: "policy" },
];

const views = new WeakMap<StackJson, StackView>();

/** The stack as the rules read it (one view per stack JSON). */
export function viewOf(stack: StackJson): StackView {
  let view = views.get(stack);
  if (!view) {
    view = new StackView(stack, "stack", "opaque");
    views.set(stack, view);
  }
  return view;
}

function read(view: StackView, value: unknown, where: string): { statements: ReadStatement[]; problem?: string } {
  try {
    return { statements: view.policy(value, where).statements };
  } catch (error) {
    if (error instanceof TemplateError || error instanceof PolicyShapeError)
      return { statements: [], problem: error.message };
    throw error;
  }
}

const cache = new WeakMap<StackJson, StackPolicy[]>();

/** Every policy document of the stack (see the module's comment). */
export function stackPolicies(stack: StackJson): StackPolicy[] {
  const cached = cache.get(stack);
  if (cached) return cached;
  const view = viewOf(stack);
  const out: StackPolicy[] = [];
  for (const { kind, type, argument } of POLICY_ARGUMENTS) {
    for (const [id, r] of view.resources(type)) {
      if (r[argument] === undefined || r[argument] === null) continue;
      const resource = `${type}.${id}`;
      out.push({
        kind,
        resource,
        type,
        id,
        argument,
        target: r,
        ...read(view, r[argument], `${resource}.${argument}`),
      });
    }
  }
  for (const [id, role] of view.resources("aws_iam_role")) {
    ([] as unknown[]).concat(role.inline_policy ?? []).forEach((block, i) => {
      const policy = (block as { policy?: unknown } | null)?.policy;
      if (policy === undefined) return;
      const argument = `inline_policy[${i}].policy`;
      out.push({
        kind: "identity",
        resource: `aws_iam_role.${id}`,
        type: "aws_iam_role",
        id,
        argument,
        target: role,
        ...read(view, policy, `aws_iam_role.${id}.${argument}`),
      });
    });
  }
  cache.set(stack, out);
  return out;
}
