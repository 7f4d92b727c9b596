/**
 * The arguments the rules and the proof read must be literal text or references to resources of the stack: an
 * expression (`${3 * 111111111111}`, a function, a variable, a data source) or a directive is evaluated by Terraform
 * at plan, so a rule that read it as text would judge something else than what is applied.
 */
import { BUCKET_SETTING_TYPES } from "../core/stack-settings";
import type { StackView } from "../core/stack-view";
import { TemplateError } from "../core/terraform-text";
import { POLICY_ARGUMENTS } from "./stack-policies";

/** The resource types whose arguments the rules and the proof read. */
export const READ_TYPES: readonly string[] = [
  ...new Set([
    "aws_s3_bucket",
    ...Object.values(BUCKET_SETTING_TYPES).map((s) => s.type),
    ...POLICY_ARGUMENTS.map((p) => p.type),
    "aws_s3_access_point",
    "aws_kms_alias",
    "aws_kms_grant",
    "aws_iam_role_policy_attachment",
    "aws_iam_policy_attachment",
    "aws_iam_role_policy_attachments_exclusive",
    "aws_cloudwatch_event_rule",
    "aws_cloudwatch_event_target",
    "aws_lambda_permission",
    "aws_lambda_event_source_mapping",
  ]),
];

/** Terraform's meta-arguments: not settings of the resource. */
const META = new Set(["provider", "depends_on", "lifecycle", "count", "for_each", "//", "connection", "provisioner"]);

/** Policy arguments are read, and reported, with the policies (see stackPolicies). */
const isPolicyArgument = (type: string, argument: string) =>
  argument === "inline_policy" || POLICY_ARGUMENTS.some((p) => p.type === type && p.argument === argument);

/** Every string of a JSON value with its path. */
function stringsOf(value: unknown, path: string): Array<{ path: string; text: string }> {
  if (typeof value === "string") return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsOf(v, `${path}[${i}]`));
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([k, v]) => stringsOf(v, `${path}.${k}`));
  return [];
}

/**
 * A resource of several instances (`count` above 1, `for_each`) is refused: each instance sets its target again,
 * and the rules read one configuration per resource.
 */
function instanceProblems(
  type: string,
  id: string,
  r: Readonly<Record<string, unknown>>,
): Array<{ resource: string; message: string }> {
  const count = r.count;
  const single = count === undefined || count === 1 || count === "1";
  const problems: string[] = [];
  if (!single)
    problems.push(
      `count ${JSON.stringify(count)} makes several instances (or ones Terraform decides at plan): give each its own resource`,
    );
  if (r.for_each !== undefined)
    problems.push("for_each makes instances Terraform decides at plan: give each its own resource");
  return problems.map((message) => ({ resource: `${type}.${id}`, message }));
}

/** The arguments of the resources the rules read that Terraform would evaluate to something the rules cannot know. */
export function literalArgumentProblems(view: StackView): Array<{ resource: string; message: string }> {
  return READ_TYPES.flatMap((type) =>
    view.resources(type).flatMap(([id, r]) => [
      ...instanceProblems(type, id, r),
      ...Object.entries(r)
        .filter(([argument]) => !META.has(argument) && !isPolicyArgument(type, argument))
        .flatMap(([argument, value]) => stringsOf(value, argument))
        .flatMap(({ path, text }) => {
          try {
            view.text(text);
            return [];
          } catch (error) {
            if (!(error instanceof TemplateError)) throw error;
            return [
              {
                resource: `${type}.${id}`,
                message: `${path} is evaluated by Terraform (${error.expression}): only literal text and references to resources of the stack are judged`,
              },
            ];
          }
        }),
    ]),
  );
}
