/**
 * AWS's size limits on the policies a grant writes, checked at synth from the planned documents, before anything is
 * created: a grant that would fail at apply fails here, saying which policy and by how much.
 */
import type { GrantPlan } from "./plan-grant";
import { loggingPolicy, vpcAccessPolicy } from "./lambda-role";
import { lambdaRoleArnOf, type LambdaSettings } from "../declaration/lambda-settings";
import { roleArnParts, type PolicyDocument } from "../core/policy-document";

/** AWS's limits, in characters of the minified JSON (whitespace does not count). */
export const POLICY_LIMITS = {
  /** S3 bucket policy: 20 KB. */
  bucketPolicy: 20_480,
  /** S3 access point policy: 20 KB, as a bucket policy. */
  accessPointPolicy: 20_480,
  /** KMS key policy: 32 KB. */
  keyPolicy: 32_768,
  /** IAM role trust policy, default quota (raisable to 4,096). */
  trustPolicy: 2_048,
  /** All inline policies of one IAM role together. */
  roleInlinePolicies: 10_240,
} as const;

/** Where a policy names the bucket's key before apply: a reference, counted by policySize as the longest key ARN. */
export const KEY_ARN_PLACEHOLDER = "${aws_kms_key.key.arn}";

/** The longest a KMS key ARN gets (a multi-Region key in aws-us-gov): where a policy holds a reference to one. */
const LONGEST_KEY_ARN = "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef".length;

/** Minified size of a policy; a Terraform reference or token inside counts as the longest value it can take. */
export function policySize(doc: PolicyDocument): number {
  const text = JSON.stringify(doc);
  const placeholders = text.match(/\$\{[^}]*\}/g) ?? [];
  return placeholders.reduce((size, p) => size - p.length + LONGEST_KEY_ARN, text.length);
}

export interface BudgetedPolicy {
  /** What the policy is, for the message, e.g. `bucket policy of "shared-data"`. */
  readonly what: string;
  readonly docs: readonly PolicyDocument[];
  readonly limit: number;
  /** What to change, for the message. */
  readonly advice: string;
}

/** One message per policy over its limit, with its size and the excess. */
export function overBudget(policies: readonly BudgetedPolicy[]): string[] {
  const n = (x: number) => x.toLocaleString("en-US");
  return policies.flatMap(({ what, docs, limit, advice }) => {
    const size = docs.reduce((total, doc) => total + policySize(doc), 0);
    return size > limit
      ? [`${what} would be ${n(size)} characters, ${n(size - limit)} over AWS's limit of ${n(limit)}: ${advice}`]
      : [];
  });
}

/**
 * The policies of one grant's roles, which its prefixes make grow: the Lambda role's inline policies (the grant's and,
 * for a role this library creates, its logging and VPC access) and, in assume-role mode, the S3 access role's inline
 * and trust policies. An existing role's own inline policies are its owner's and not counted. `label` names the grant
 * in the messages.
 */
export function grantRoleBudget(
  label: string,
  lambda: LambdaSettings,
  accessRoleName: string | undefined,
  plan: GrantPlan,
): BudgetedPolicy[] {
  const advice = "grant fewer or shorter prefixes (a shared parent prefix covers its children)";
  const created = lambda.roleName !== undefined && lambda.createFunction !== false;
  return [
    {
      what: `${label}: the inline policies of role ${roleArnParts(lambdaRoleArnOf(lambda)).name}`,
      docs: [
        plan.lambdaRolePolicy,
        ...(created ? [loggingPolicy(lambda.region, lambda.accountId, lambda.functionName!)] : []),
        ...(created && lambda.vpc ? [vpcAccessPolicy()] : []),
      ],
      limit: POLICY_LIMITS.roleInlinePolicies,
      advice,
    },
    ...(plan.accessRolePolicy && plan.accessRoleTrustPolicy
      ? [
          {
            what: `${label}: the inline policy of role ${accessRoleName}`,
            docs: [plan.accessRolePolicy],
            limit: POLICY_LIMITS.roleInlinePolicies,
            advice,
          },
          {
            what: `${label}: the trust policy of role ${accessRoleName}`,
            docs: [plan.accessRoleTrustPolicy],
            limit: POLICY_LIMITS.trustPolicy,
            advice: "shorten the ExternalId or the role names",
          },
        ]
      : []),
  ];
}
