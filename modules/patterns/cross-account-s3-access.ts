import type { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { AccessLogBucket } from "../constructs/access-log-bucket";
import { topicOf, type AlarmSettings, type ResolvedAlarms } from "../declaration/alarm-settings";
import { resolveAlarms } from "../declaration/resolve-alarms";
import { BucketAlarms } from "../constructs/bucket-alarms";
import { Construct, type ITerraformDependable, type TerraformProvider } from "../core/cdktf";
import { libraryConstruct } from "../core/compatibility";
import type { BucketKey } from "../constructs/bucket-key";
import { addBucketSide, bucketPolicyDocument, keyPolicyDocument, type BucketHalf, type BucketSettings } from "../constructs/private/bucket-side";
import { recordBucketHalf, recordLambdaHalf } from "../constructs/private/record-halves";
import { planGrant, type GrantDeclaration, type GrantPlan } from "../policy/plan-grant";
import { lambdaSettingsOf, type LambdaGrantee, type LambdaSide } from "../constructs/lambda-grantee";
import { lambdaRoleArnOf, type LambdaSettings } from "../declaration/lambda-settings";
import type { LambdaAlarms } from "../constructs/lambda-alarms";
import { addLambdaHalf, type LambdaAccountHalf } from "../constructs/private/lambda-half";
import { grantRoleBudget, KEY_ARN_PLACEHOLDER, overBudget, POLICY_LIMITS } from "../policy/budget";
import type { S3AccessRole } from "../constructs/s3-access-role";
import { ConfigurationError } from "../core/errors";
import { holdToDeclaration, type DeclaredTarget } from "../deploy/deploy-target";
import { parseOrThrow, schemas } from "../declaration/validate";
import type { SecureBucket } from "../constructs/secure-bucket";

export interface CrossAccountS3AccessProps {
  /** Account A: where the Lambda function and its execution role live. */
  readonly lambda: LambdaSide;
  /** Account B: where the bucket and its KMS key live. */
  readonly bucket: BucketSettings & {
    /** The aliased provider of account B. */
    readonly provider: TerraformProvider;
  };
  /** What the function may do in the bucket, and how the access is wired. */
  readonly grant: GrantDeclaration;
  /** The grant's alarms in both accounts, and whom they notify (see AlarmSettings). @default on, notifying no one */
  readonly alarms?: AlarmSettings | undefined;
  /**
   * Where the declaration comes from in your configuration (e.g. `environments.prod`): error messages name its fields
   * from there.
   * @default the construct's id
   */
  readonly configPath?: string | undefined;
}

/** A validated declaration of one grant: both sides and the grant. */
interface ValidSettings {
  readonly lambda: LambdaSettings;
  readonly bucket: BucketSettings;
  readonly grant: GrantDeclaration;
}

/** The data fields of a bucket side: what the declaration holds, without the provider that builds it. */
function bucketSettingsOf(bucket: BucketSettings): BucketSettings {
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
function resolveDeclaration(
  id: string,
  lambda: LambdaSettings,
  bucket: BucketSettings,
  grant: GrantDeclaration,
  alarmSettings: AlarmSettings | undefined,
): { settings: ValidSettings; plan: GrantPlan; alarms: ResolvedAlarms } {
  const settings = parseOrThrow(schemas().crossAccountSettingsSchema, { lambda, bucket: bucketSettingsOf(bucket), grant }, id);
  const alarms = resolveAlarms(`${id}.alarms`, alarmSettings, [
    {
      accountId: settings.lambda.accountId,
      regions: [settings.lambda.region],
      what: "the Lambda account",
      ...(settings.lambda.createFunction === false ? { noAlarms: "its alarms watch a function this library creates, and lambda.createFunction is false" } : {}),
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
  });
  checkBudget(id, settings, plan);
  return { settings, plan, alarms };
}

/**
 * Refuses, before anything is created, a grant whose policies AWS would refuse as too large. For one grant the
 * grantee's inline policies (10,240 characters a role) are what many prefixes exhaust first: the bucket policy holds
 * the same statements under twice the limit, and the key and trust policies do not grow with the prefixes.
 */
function checkBudget(id: string, settings: ValidSettings, plan: GrantPlan): void {
  const label = `${id}.grant (${settings.grant.prefixes.length} prefixes)`;
  const { bucket } = settings;
  // An existing bucket's and key's statements are written back with the grant's: together they must fit.
  const where = (field: "bucketPolicyStatements" | "keyPolicyStatements") =>
    bucket.existing ? `${id}.bucket.existing.${field} (${bucket.existing[field].length} statements) and ${label}` : label;
  const problems = overBudget([
    ...grantRoleBudget(label, settings.lambda, settings.grant.accessRoleName, plan),
    {
      what: `${where("bucketPolicyStatements")}: the bucket policy of ${bucket.bucketName}`,
      docs: [bucketPolicyDocument(id, bucket, bucket.existing?.keyArn ?? KEY_ARN_PLACEHOLDER, plan.bucketPolicyStatements)],
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
const lambdaTarget = (label: string, provider: TerraformProvider, settings: ValidSettings): DeclaredTarget => ({
  provider,
  field: `${label}.lambda`,
  accountId: settings.lambda.accountId,
  region: settings.lambda.region,
});

/** Where the bucket account's half deploys, as declared (see holdToDeclaration). */
const bucketTarget = (label: string, provider: TerraformProvider, settings: ValidSettings): DeclaredTarget => ({
  provider,
  field: `${label}.bucket`,
  accountId: settings.bucket.accountId,
  region: settings.bucket.region,
});

/** What account B holds for one grant: the bucket and key (unless they exist already), and the S3 access role. */
export interface BucketAccountHalf {
  /** The bucket this construct creates; undefined when the grant attaches to an existing one. */
  readonly bucket?: SecureBucket | undefined;
  /** The key this construct creates; undefined when the grant attaches to an existing one. */
  readonly key?: BucketKey | undefined;
  /** The log bucket of the bucket's server access logs; undefined when they are off or go to an existing one. */
  readonly accessLogBucket?: AccessLogBucket | undefined;
  readonly bucketName: string;
  /** ARN of the bucket's key (a reference when this construct creates it). */
  readonly kmsKeyArn: string;
  /** The S3 access role (assume-role mode). */
  readonly accessRole?: S3AccessRole | undefined;
  /** The request metrics and alarms of the granted prefixes; undefined when the alarms are off. */
  readonly alarms?: BucketAlarms | undefined;
}

/**
 * Account B's half of one grant, built into `scope` (see addBucketSide). `granteeRole` is A's role when it is in the
 * same stack: with the role-arn principal style, B's resources naming it wait for it.
 */
function addBucketHalf(
  scope: Construct,
  id: string,
  provider: TerraformProvider,
  settings: ValidSettings,
  plan: GrantPlan,
  granteeRole: ITerraformDependable | undefined,
  alarmSettings: ResolvedAlarms,
): { half: BucketAccountHalf; side: BucketHalf } {
  const half = addBucketSide(
    scope,
    id,
    provider,
    settings.bucket,
    {
      bucketPolicyStatements: plan.bucketPolicyStatements,
      keyPolicyStatements: plan.keyPolicyStatements,
      accessRoles:
        plan.accessRoleTrustPolicy && plan.accessRolePolicy
          ? [
              {
                id: "access-role",
                roleName: settings.grant.accessRoleName!,
                path: settings.grant.accessRolePath,
                trustPolicy: plan.accessRoleTrustPolicy,
                policy: plan.accessRolePolicy,
                grantee: "",
                grantField: "grant",
              },
            ]
          : [],
      accessPoints: [],
      roleArnGrantees: plan.principalStyle === "role-arn" ? [""] : [],
    },
    granteeRole ? new Map([["", granteeRole]]) : new Map(),
  );
  const { bucket, key, accessLogBucket, bucketName, kmsKeyArn } = half;
  const accessRole = half.accessRoles.get("");
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
    half: { ...(bucket ? { bucket } : {}), ...(key ? { key } : {}), ...(accessLogBucket ? { accessLogBucket } : {}), bucketName, kmsKeyArn, ...(accessRole ? { accessRole } : {}), ...(alarms ? { alarms } : {}) },
    side: half,
  };
}

/**
 * One grant declaration, both accounts' halves: in the Lambda account the grantee's role (created, or the team's own),
 * its function (unless there is none) and the grant's identity policy; in the bucket account the bucket, its policy,
 * the KMS key and its policy, and in assume-role mode the S3 access role. Every policy comes from `planGrant`; each
 * half is what LambdaAccountGrant and BucketAccountGrant build on their own.
 */
export class CrossAccountS3Access extends Construct {
  /** The Lambda account's half (as LambdaAccountGrant builds it). */
  public readonly lambdaAccount: LambdaAccountHalf;
  /** The bucket account's half (as BucketAccountGrant builds it). */
  public readonly bucketAccount: BucketAccountHalf;
  /** Every policy document of the grant, as rendered into the resources. */
  public readonly plan: GrantPlan;

  constructor(scope: Construct, id: string, props: CrossAccountS3AccessProps) {
    super(scope, id);
    const label = props.configPath ?? id;
    libraryConstruct(this, label, { "lambda.provider": props.lambda.provider, "bucket.provider": props.bucket.provider });
    const { settings, plan, alarms } = resolveDeclaration(label, lambdaSettingsOf(label, props.lambda), props.bucket, props.grant, props.alarms);
    holdToDeclaration([lambdaTarget(label, props.lambda.provider, settings), bucketTarget(label, props.bucket.provider, settings)]);
    this.plan = plan;
    this.lambdaAccount = addLambdaHalf(this, label, props.lambda, settings, plan, alarms);
    const granteeRole = this.lambdaAccount.grantee.role ?? props.lambda.existingRole;
    const bucketSide = addBucketHalf(this, label, props.bucket.provider, settings, plan, granteeRole, alarms);
    this.bucketAccount = bucketSide.half;
    const declaration = { ...settings, configPath: props.configPath };
    recordLambdaHalf(this, declaration, plan, this.lambdaAccount, props.lambda.provider, alarms);
    recordBucketHalf(this, declaration, plan, bucketSide.side, "", props.bucket.provider, { settings: alarms, created: bucketSide.half.alarms });
  }
}

/** Account A's half of a grant, for a team that owns only the Lambda account. */
export interface LambdaAccountGrantProps {
  /** The Lambda side, with the provider of account A. */
  readonly lambda: LambdaSide;
  /** The bucket side's settings, exactly as the bucket account declares them (no provider: nothing is created there). */
  readonly bucket: BucketSettings;
  /** The same grant declaration the bucket account deploys. */
  readonly grant: GrantDeclaration;
  /**
   * The grant's alarm settings, as the bucket account declares them too: this half creates the Lambda account's
   * alarms (see AlarmSettings). @default on, notifying no one
   */
  readonly alarms?: AlarmSettings | undefined;
  /** @see CrossAccountS3AccessProps.configPath @default the construct's id */
  readonly configPath?: string | undefined;
}

/**
 * Account A's half alone: the grantee's role (created, or the team's own), its function (unless there is none) and the
 * grant's identity policy. Planned from the same declaration as BucketAccountGrant, so the two halves agree without
 * passing anything between the accounts' stacks.
 */
export class LambdaAccountGrant extends Construct implements LambdaAccountHalf {
  public readonly grantee: LambdaGrantee;
  public readonly grantPolicy: IamRolePolicy;
  public readonly alarms?: LambdaAlarms | undefined;
  public readonly plan: GrantPlan;

  constructor(scope: Construct, id: string, props: LambdaAccountGrantProps) {
    super(scope, id);
    const label = props.configPath ?? id;
    libraryConstruct(this, label, { "lambda.provider": props.lambda.provider });
    const { settings, plan, alarms } = resolveDeclaration(label, lambdaSettingsOf(label, props.lambda), props.bucket, props.grant, props.alarms);
    holdToDeclaration([lambdaTarget(label, props.lambda.provider, settings)]);
    this.plan = plan;
    const half = addLambdaHalf(this, label, props.lambda, settings, plan, alarms);
    this.grantee = half.grantee;
    this.grantPolicy = half.grantPolicy;
    this.alarms = half.alarms;
    recordLambdaHalf(this, { ...settings, configPath: props.configPath }, plan, half, props.lambda.provider, alarms);
  }
}

/** Account B's half of a grant, for a team that owns only the bucket account. */
export interface BucketAccountGrantProps {
  /**
   * The Lambda side's settings, exactly as the Lambda account declares them (nothing is created there): an existing
   * role is named by `existingRoleArn`, path included.
   */
  readonly lambda: LambdaSettings;
  /** The bucket side, with the provider of account B. */
  readonly bucket: BucketSettings & { readonly provider: TerraformProvider };
  /** The same grant declaration the Lambda account deploys. */
  readonly grant: GrantDeclaration;
  /**
   * The grant's alarm settings, as the Lambda account declares them too: this half creates the bucket account's
   * alarms (see AlarmSettings). @default on, notifying no one
   */
  readonly alarms?: AlarmSettings | undefined;
  /** @see CrossAccountS3AccessProps.configPath @default the construct's id */
  readonly configPath?: string | undefined;
}

/**
 * Account B's half alone: the bucket, the key, their policies and (assume-role mode) the S3 access role. With the
 * default principal style it can be applied before or after the Lambda account's half; with role-arn, apply the
 * Lambda account's half first (AWS refuses a policy naming a role that does not exist yet).
 */
export class BucketAccountGrant extends Construct implements BucketAccountHalf {
  public readonly bucket?: SecureBucket | undefined;
  public readonly key?: BucketKey | undefined;
  public readonly accessLogBucket?: AccessLogBucket | undefined;
  public readonly bucketName: string;
  public readonly kmsKeyArn: string;
  public readonly accessRole?: S3AccessRole | undefined;
  public readonly alarms?: BucketAlarms | undefined;
  public readonly plan: GrantPlan;

  constructor(scope: Construct, id: string, props: BucketAccountGrantProps) {
    super(scope, id);
    const label = props.configPath ?? id;
    libraryConstruct(this, label, { "bucket.provider": props.bucket.provider });
    const { settings, plan, alarms } = resolveDeclaration(label, props.lambda, props.bucket, props.grant, props.alarms);
    holdToDeclaration([bucketTarget(label, props.bucket.provider, settings)]);
    this.plan = plan;
    const { half, side } = addBucketHalf(this, label, props.bucket.provider, settings, plan, undefined, alarms);
    recordBucketHalf(this, { ...settings, configPath: props.configPath }, plan, side, "", props.bucket.provider, { settings: alarms, created: half.alarms });
    this.alarms = half.alarms;
    this.bucket = half.bucket;
    this.key = half.key;
    this.accessLogBucket = half.accessLogBucket;
    this.bucketName = half.bucketName;
    this.kmsKeyArn = half.kmsKeyArn;
    this.accessRole = half.accessRole;
  }
}
