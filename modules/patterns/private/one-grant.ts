/** One grant's declaration resolved and planned, and its bucket account's half built: what the single-grant constructs share. */
import { bucketAccountPlan } from "../../policy/bucket-account";
import type { BucketAccountHalf } from "../../constructs/halves";
import { topicOf, type AlarmSettings, type ResolvedAlarms } from "../../declaration/alarm-settings";
import { resolveAlarms } from "../../declaration/resolve-alarms";
import { BucketAlarms } from "../../constructs/bucket-alarms";
import { Construct, type ITerraformDependable, type TerraformProvider } from "../../core/cdktf";
import {
  buildBucketAccount,
  type BucketAccountResources,
  type BucketSettings,
} from "../../constructs/private/bucket-side";
import { bucketPolicyDocument, keyPolicyDocument } from "../../policy/bucket-account";
import { planGrant, type GrantDeclaration, type GrantPlan } from "../../policy/plan-grant";
import { lambdaRoleArnOf, type LambdaSettings } from "../../declaration/lambda-settings";
import { grantRoleBudget, KEY_ARN_PLACEHOLDER, overBudget, POLICY_LIMITS } from "../../policy/budget";
import { ConfigurationError } from "../../core/errors";
import { type DeclaredTarget } from "../../deploy/deploy-target";
import { parseOrThrow, schemas } from "../../declaration/validate";

/** A validated declaration of one grant: both sides and the grant. */
export interface ValidSettings {
  readonly lambda: LambdaSettings;
  readonly bucket: BucketSettings;
  readonly grant: GrantDeclaration;
}

/** The data fields of a bucket side: what the declaration holds, without the provider that builds it. */
export function bucketSettingsOf(bucket: BucketSettings): BucketSettings {
  return {
    accountId: bucket.accountId,
    region: bucket.region,
    bucketName: bucket.bucketName,
    keyAlias: bucket.keyAlias,
    forceDestroy: bucket.forceDestroy,
    accessLogging: bucket.accessLogging,
    lifecycle: bucket.lifecycle,
    existing: bucket.existing,
  };
}

/**
 * Validates the whole declaration (both sides and the alarm settings) and plans every policy of the grant from it.
 */
export function resolveDeclaration(
  id: string,
  lambda: LambdaSettings,
  bucket: BucketSettings,
  grant: GrantDeclaration,
  alarmSettings: AlarmSettings | undefined,
): { settings: ValidSettings; plan: GrantPlan; alarms: ResolvedAlarms } {
  const settings = parseOrThrow(
    schemas().crossAccountSettingsSchema,
    { lambda, bucket: bucketSettingsOf(bucket), grant },
    id,
  );
  const alarms = resolveAlarms(`${id}.alarms`, alarmSettings, [
    {
      accountId: settings.lambda.accountId,
      regions: [settings.lambda.region],
      what: "the Lambda account",
      ...(settings.lambda.createFunction === false
        ? { noAlarms: "its alarms watch a function this library creates, and lambda.createFunction is false" }
        : {}),
    },
    { accountId: settings.bucket.accountId, regions: [settings.bucket.region], what: "the bucket account" },
  ]);
  const plan = planGrant({
    grant: settings.grant,
    lambdaAccountId: settings.lambda.accountId,
    lambdaRoleArn: lambdaRoleArnOf(settings.lambda),
    bucketAccountId: settings.bucket.accountId,
    bucketRegion: settings.bucket.region,
    bucketName: settings.bucket.bucketName,
    keyAlias: settings.bucket.keyAlias,
    lambdaRegion: settings.lambda.region,
    functionName: settings.lambda.functionName,
  });
  checkBudget(id, settings, plan);
  return { settings, plan, alarms };
}

/**
 * Refuses, before anything is created, a grant whose policies AWS would refuse as too large. For one grant the
 * grantee's inline policies (10,240 characters a role) are what many prefixes exhaust first: the bucket policy holds
 * the same statements under twice the limit, and the key and trust policies do not grow with the prefixes.
 */
export function checkBudget(id: string, settings: ValidSettings, plan: GrantPlan): void {
  const label = `${id}.grant (${settings.grant.prefixes.length} prefixes)`;
  const { bucket } = settings;
  // An existing bucket's and key's statements are written back with the grant's: together they must fit.
  const where = (field: "bucketPolicyStatements" | "keyPolicyStatements") =>
    bucket.existing
      ? `${id}.bucket.existing.${field} (${bucket.existing[field].length} statements) and ${label}`
      : label;
  const problems = overBudget([
    ...grantRoleBudget(label, settings.lambda, settings.grant.accessRoleName, plan),
    {
      what: `${where("bucketPolicyStatements")}: the bucket policy of ${bucket.bucketName}`,
      docs: [
        bucketPolicyDocument(id, bucket, bucket.existing?.keyArn ?? KEY_ARN_PLACEHOLDER, plan.bucketPolicyStatements),
      ],
      limit: POLICY_LIMITS.bucketPolicy,
      advice: "shorten or remove existing bucket policy statements, or grant fewer prefixes",
    },
    {
      what: `${where("keyPolicyStatements")}: the key policy of ${bucket.keyAlias}`,
      docs: [keyPolicyDocument(id, bucket, plan.keyPolicyStatements)],
      limit: POLICY_LIMITS.keyPolicy,
      advice: "shorten or remove existing key policy statements",
    },
  ]);
  if (problems.length > 0) throw new ConfigurationError(problems);
}

/** Where the Lambda account's half deploys, as declared (see holdToDeclaration). */
export const lambdaTarget = (label: string, provider: TerraformProvider, settings: ValidSettings): DeclaredTarget => ({
  provider,
  field: `${label}.lambda`,
  accountId: settings.lambda.accountId,
  region: settings.lambda.region,
});

/** Where the bucket account's half deploys, as declared (see holdToDeclaration). */
export const bucketTarget = (label: string, provider: TerraformProvider, settings: ValidSettings): DeclaredTarget => ({
  provider,
  field: `${label}.bucket`,
  accountId: settings.bucket.accountId,
  region: settings.bucket.region,
});

/**
 * Account B's half of one grant, built into `scope` (see buildBucketAccount). `granteeRole` is A's role when it is in the
 * same stack: with the role-arn principal style, B's resources naming it wait for it.
 */
export function addBucketHalf(
  scope: Construct,
  id: string,
  provider: TerraformProvider,
  settings: ValidSettings,
  plan: GrantPlan,
  granteeRole: ITerraformDependable | undefined,
  alarmSettings: ResolvedAlarms,
): { half: BucketAccountHalf; side: BucketAccountResources } {
  // One grant through the same bucket account plan as many: keyed by the grantee's role ARN.
  const grantKey = plan.lambdaRoleArn;
  const side = bucketAccountPlan(
    [
      {
        key: grantKey,
        field: "grant",
        grant: settings.grant,
        plan,
        ids: { accessRole: "access-role", events: "bucket-events" },
      },
    ],
    plan,
  );
  const half = buildBucketAccount(
    scope,
    id,
    provider,
    settings.bucket,
    side,
    granteeRole ? new Map([[grantKey, granteeRole]]) : new Map(),
    { enabled: alarmSettings.enabled, topicArn: topicOf(alarmSettings, settings.bucket.accountId) },
  );
  const { bucket, key, accessLogBucket, bucketName, kmsKeyArn } = half;
  const accessRole = half.accessRoles.get(grantKey);
  const events = half.events.get(grantKey);
  const alarms = alarmSettings.enabled
    ? new BucketAlarms(scope, "bucket-alarms", {
        provider,
        bucketName,
        bucket: bucket?.bucket.id ?? bucketName,
        prefixes: settings.grant.prefixes.map((p) => p.prefix),
        topicArn: topicOf(alarmSettings, settings.bucket.accountId),
      })
    : undefined;
  return {
    half: {
      ...(bucket ? { bucket } : {}),
      ...(key ? { key } : {}),
      ...(accessLogBucket ? { accessLogBucket } : {}),
      bucketName,
      kmsKeyArn,
      ...(accessRole ? { accessRole } : {}),
      ...(alarms ? { alarms } : {}),
      ...(events ? { events } : {}),
    },
    side: half,
  };
}
