/**
 * The package's public surface: import from "cross-account-s3-lambda". Every name here is a promise to keep;
 * everything else is internal.
 *
 * Vocabulary (docs/architecture.md#glossary), one meaning each in every public name:
 * - Lambda account: the account of the function and its execution role. Bucket account: the account of the bucket and
 *   its KMS key.
 * - grant: a declaration of what a grantee may do (a preset, optionally delete) under which prefixes of the bucket,
 *   and how the access is wired (mode: bucket-policy or assume-role).
 * - grantee: the function's execution role the grant is for. The principal S3 and KMS see is the grantee, or in
 *   assume-role mode the S3 access role it assumes (GrantPlan.principalArn).
 * - half: one account's part of a grant: the Lambda account's half (LambdaAccountGrant), the bucket account's half
 *   (BucketAccountGrant); CrossAccountS3Access builds both. A shared bucket has one bucket account's half
 *   (SharedBucketAccountGrants) and a Lambda account's half per grantee (SharedLambdaAccountGrant).
 * - plan: every policy document of a grant (planGrant) or of a shared bucket (planSharedBucket), computed from the
 *   declaration alone; each half renders its part of it.
 * - record: what each half writes into its stack's JSON for the access proof: the declaration, never a pointer the
 *   proof trusts.
 */

// One grant, both accounts' halves, or each half on its own.
export { CrossAccountS3Access, type CrossAccountS3AccessProps } from "./patterns/cross-account-s3-access";
export { LambdaAccountGrant, type LambdaAccountGrantProps } from "./patterns/lambda-account-grant";
export { BucketAccountGrant, type BucketAccountGrantProps } from "./patterns/bucket-account-grant";
export type { BucketAccountHalf, LambdaAccountHalf } from "./constructs/halves";

// Many grantees on one bucket.
export { ACCESS_POINT_CHOICES, type AccessPointChoice } from "./declaration/access-point-choice";
export type { GranteeDeclaration, SharedBucketDeclaration } from "./declaration/shared-bucket";
export {
  planSharedBucket,
  type PlannedGrantee,
  type PolicyMeasure,
  type SharedBucketPlan,
} from "./policy/plan-shared-bucket";
export { SharedBucketAccess, type SharedBucketAccessProps } from "./patterns/shared-bucket-access";
export { SharedLambdaAccountGrant, type SharedLambdaAccountGrantProps } from "./patterns/shared-lambda-account-grant";
export {
  SharedBucketAccountGrants,
  type SharedBucketAccountGrantsProps,
} from "./patterns/shared-bucket-account-grants";

// Object events: new objects in the bucket invoking the grantee's function, both accounts' halves from the grant.
export { EVENT_DELIVERIES, type EventDeclaration, type EventDelivery } from "./declaration/grant";
export type { EventsPlan, EventPattern, NamedResource } from "./policy/plan-events";
export type { QueueEventsPlan, QueueNotificationEntry } from "./policy/plan-queue-events";
export type { BucketEvents } from "./constructs/bucket-events";
export type { GrantEventBus } from "./constructs/grant-event-bus";
export type { EventDeadLetters } from "./constructs/event-dead-letters";
export type { ExistingNotification, NotificationEntry } from "./declaration/bucket-settings";

// Alarms when a grant stops working, in the account that owns what each one watches.
export type { AlarmSettings } from "./declaration/alarm-settings";
export type { LambdaAlarms } from "./constructs/lambda-alarms";
export type { BucketAlarms } from "./constructs/bucket-alarms";

// The building blocks each half is made of.
export {
  LambdaGrantee,
  type LambdaGranteeProps,
  type LambdaSettings,
  type LambdaAccountOptions,
} from "./constructs/lambda-grantee";
export {
  defaultHandlerCode,
  LAMBDA_ARCHITECTURES,
  type LambdaArchitecture,
  type LambdaCode,
} from "./constructs/default-handler";
export { SecureBucket, type SecureBucketProps } from "./constructs/secure-bucket";
export { BucketKey, type BucketKeyProps } from "./constructs/bucket-key";
export { S3AccessRole, type S3AccessRoleProps } from "./constructs/s3-access-role";
export type { BucketSettings, ExistingResources } from "./declaration/bucket-settings";
export { AccessLogBucket, type AccessLogBucketProps } from "./constructs/access-log-bucket";
export type { AccessLoggingSettings } from "./declaration/access-logging";
export type { BucketLifecycleSettings } from "./declaration/bucket-lifecycle";

// The grant planner: every policy of both halves, from the declaration alone.
export { ACCESS_MODES, ACCESS_PRESETS, type AccessMode, type AccessPreset } from "./contract";
export {
  planGrant,
  PRINCIPAL_STYLES,
  type GrantContext,
  type GrantDeclaration,
  type GrantPlan,
  type PrefixGrant,
  type PrincipalStyle,
} from "./policy/plan-grant";
export type { PolicyDocument, PolicyStatement } from "./core/policy-document";
export { POLICY_LIMITS } from "./policy/budget";

// The security rules.
export { MIN_SUPPRESSION_REASON, SecurityRules, suppressRules, type SecurityRulesOptions } from "./rules/aspect";
export { SECURITY_RULES, type RuleViolation, type SecurityRule } from "./rules/security-rules";

// What the deploy roles need, from a synthesized stack.
export {
  DEPLOY_ACTIONS_BY_RESOURCE_TYPE,
  deployActions,
  STATE_BACKEND_ACTIONS,
  type ProviderDeployActions,
} from "./deploy/deploy-permissions";

// What the function is told, and what the library is built with.
export { ACCESS_DENIED_LOG_LINE, HANDLER_ENVIRONMENT, type EventFilter, type GrantedPrefix } from "./contract";
export { AWS_PROVIDER_VERSION } from "./core/compatibility";
export { REGIONS, type Partition } from "./core/regions";
export { ConfigurationError, CrossAccountS3Error } from "./core/errors";
