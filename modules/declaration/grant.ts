/**
 * What a team declares for one grant: which prefixes of the bucket, with which preset, and how the access is wired
 * (mode, the S3 access role, ExternalId, how the bucket account names the grantee, organization and VPC endpoints).
 * Validated by grantSchema (schemas.ts); planned into both accounts' policies by planGrant (policy/plan-grant.ts).
 */
import type { AccessMode, AccessPreset } from "../contract";

export { ACCESS_MODES, type AccessMode } from "../contract";

/** Access to one prefix of the bucket. */
export interface PrefixGrant {
  /** Key prefix relative to the bucket root, ending with "/" (e.g. "incoming/"). */
  readonly prefix: string;
  /** What the grantee may do under the prefix. `write` is upload-only. */
  readonly access: AccessPreset;
  /**
   * Also allow deleting objects under the prefix.
   * @default false
   */
  readonly delete?: boolean | undefined;
}

/** What the Lambda function may do in the bucket, and how the access is wired. */
export interface GrantDeclaration {
  /** How the cross-account access is wired (see AccessMode). */
  readonly mode: AccessMode;
  /** The prefixes and what may be done under each; at least one. */
  readonly prefixes: readonly PrefixGrant[];
  /** Name of the S3 access role created in the bucket account. Required in assume-role mode, refused otherwise. */
  readonly accessRoleName?: string | undefined;
  /**
   * IAM path of the S3 access role (`/service-role/`); its ARN, in every policy that names it, carries the path.
   * @default "/"
   */
  readonly accessRolePath?: string | undefined;
  /**
   * sts:ExternalId the trust policy requires and the handler sends (assume-role mode only).
   * @default no ExternalId condition
   */
  readonly externalId?: string | undefined;
  /**
   * How the bucket account's policies (bucket policy, key policy, trust) name the grantee. `account-and-arn` names
   * the grantee's account as principal and matches the role with an `aws:PrincipalArn` condition: the grant survives
   * the role being deleted and recreated (AWS rewrites a role-ARN principal into the old role's unique ID, which
   * then matches nothing), and the bucket account's policies can be applied before the role exists. `role-arn` names
   * the role ARN itself as principal.
   * @default "account-and-arn"
   */
  readonly principalStyle?: PrincipalStyle | undefined;
  /**
   * Also require the caller to belong to this AWS Organization (aws:PrincipalOrgID), on the bucket account's side:
   * bucket policy, key policy and trust.
   * @default no organization condition
   */
  readonly principalOrgId?: string | undefined;
  /**
   * Only through these VPC endpoints (aws:SourceVpce) may the grantee use the bucket; applied to every S3 statement
   * of the grant (identity and bucket policy). KMS and STS calls are not made through the S3 endpoint and are not
   * limited.
   * @default any network path
   */
  readonly sourceVpce?: readonly string[] | undefined;
  /**
   * New objects under these prefixes invoke the grantee's function (see EventDeclaration); needs
   * `lambda.functionName`.
   * @default no events
   */
  readonly events?: EventDeclaration | undefined;
}

export const PRINCIPAL_STYLES = ["account-and-arn", "role-arn"] as const;
export type PrincipalStyle = (typeof PRINCIPAL_STYLES)[number];

/** How a grant's object events reach the grantee's function (see EventDeclaration). */
export const EVENT_DELIVERIES = ["eventbridge", "sqs"] as const;
export type EventDelivery = (typeof EVENT_DELIVERIES)[number];

/**
 * Which new (and, with `removed`, deleted) objects of the bucket invoke the grantee's function. On the default path
 * the bucket account's EventBridge sends S3's object events of the bucket to a rule that matches the prefixes (and
 * suffix) in the bucket account, and forwards only those to an event bus of the grant's own in the Lambda account,
 * whose rule invokes the function. On the SQS path S3 sends them to a queue of the grant's own in the Lambda account,
 * which the function reads in batches.
 */
export interface EventDeclaration {
  /**
   * How the events travel. `eventbridge`: the bucket account's default event bus, a rule there, and an event bus of
   * the grant's own in the Lambda account. `sqs`: an entry per prefix in the bucket's notification configuration,
   * sending to a queue of the grant's own in the Lambda account (encrypted with a customer-managed key there), which
   * the function reads in batches; the function must be in the bucket's region, and no two SQS grants of a bucket may
   * watch overlapping keys.
   * @default "eventbridge"
   */
  readonly delivery?: EventDelivery | undefined;
  /**
   * Key prefixes whose new objects invoke the function, each ending with "/"; each lies under a prefix the grant lets
   * the grantee read (`read` or `readWrite`), so the function can read every object it is told of.
   */
  readonly prefixes: readonly string[];
  /**
   * Only keys that end with this (e.g. ".csv"): 1-255 of S3's safe key characters (letters, digits, `!-_.'()`).
   * @default every key under the prefixes
   */
  readonly suffix?: string | undefined;
  /**
   * Also when an object under the prefixes is deleted (S3's `Object Deleted`: permanently, or by a delete marker in a
   * versioned bucket); the function is told the key, and reads nothing.
   * @default only new objects (`Object Created`)
   */
  readonly removed?: boolean | undefined;
}
