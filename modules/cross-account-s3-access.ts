import { Construct, type TerraformProvider } from "./cdktf";
import { libraryConstruct } from "./compatibility";
import { z } from "zod";
import type { BucketKey } from "./bucket-key";
import {
  addBucketSide,
  bucketPolicyDocument,
  bucketSettingsSchema,
  keyPolicyDocument,
  partitionProblem,
  sameAccountProblem,
  type BucketSettings,
} from "./bucket-side";
import { grantSchema, planGrant, type GrantDeclaration, type GrantPlan } from "./grant";
import { addLambdaHalf, checkCode, type LambdaSettings, type LambdaSide } from "./lambda-half";
import { lambdaSettingsSchema, type LambdaConsumer } from "./lambda-consumer";
import { grantRoleBudget, KEY_ARN_PLACEHOLDER, overBudget, POLICY_LIMITS } from "./policy-budget";
import type { S3AccessRole } from "./s3-access-role";
import { ConfigurationError, parseOrThrow } from "./schema";
import type { SecureBucket } from "./secure-bucket";

export const crossAccountSettingsSchema = z
  .object({ lambda: lambdaSettingsSchema, bucket: bucketSettingsSchema, grant: grantSchema })
  .superRefine((s, ctx) => {
    const problem = sameAccountProblem(s.lambda.accountId, s.bucket.accountId);
    if (problem) ctx.addIssue({ code: "custom", path: ["bucket", "accountId"], input: s.bucket.accountId, message: problem });
    const partition = partitionProblem(s.lambda.region, s.bucket.region);
    if (partition) ctx.addIssue({ code: "custom", path: ["bucket", "region"], input: s.bucket.region, message: partition });
  });

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
  /**
   * Where the declaration comes from in your configuration (e.g. `environments.prod`): error messages name its fields
   * from there.
   * @default the construct's id
   */
  readonly configPath?: string;
}

type ValidSettings = z.output<typeof crossAccountSettingsSchema>;

/** Validates the whole declaration (both sides) and plans every policy of the grant from it. */
function resolveDeclaration(
  id: string,
  lambda: LambdaSettings,
  bucket: BucketSettings,
  grant: GrantDeclaration,
): { settings: ValidSettings; plan: GrantPlan } {
  const settings = parseOrThrow(
    crossAccountSettingsSchema,
    {
      lambda: {
        accountId: lambda.accountId,
        region: lambda.region,
        functionName: lambda.functionName,
        roleName: lambda.roleName,
        logRetentionDays: lambda.logRetentionDays,
        memorySize: lambda.memorySize,
        timeoutSeconds: lambda.timeoutSeconds,
      },
      bucket: {
        accountId: bucket.accountId,
        region: bucket.region,
        bucketName: bucket.bucketName,
        keyAlias: bucket.keyAlias,
        forceDestroy: bucket.forceDestroy,
        existing: bucket.existing,
      },
      grant,
    },
    id,
  );
  const plan = planGrant({
    grant: settings.grant,
    consumerAccountId: settings.lambda.accountId,
    consumerRoleName: settings.lambda.roleName,
    ownerAccountId: settings.bucket.accountId,
    ownerRegion: settings.bucket.region,
    bucketName: settings.bucket.bucketName,
    keyAlias: settings.bucket.keyAlias,
  });
  checkBudget(id, settings, plan);
  return { settings, plan };
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

/**
 * Account B's half of one grant, built into `scope` (see addBucketSide). `consumerRole` is A's role when it is in the
 * same stack: with the role-arn principal style, B's resources naming it wait for it.
 */
function addBucketHalf(
  scope: Construct,
  id: string,
  provider: TerraformProvider,
  settings: ValidSettings,
  plan: GrantPlan,
  consumerRole: LambdaConsumer["role"] | undefined,
) {
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
          ? [{ id: "access-role", roleName: settings.grant.accessRoleName!, trustPolicy: plan.accessRoleTrustPolicy, policy: plan.accessRolePolicy, consumer: "", grantField: "grant" }]
          : [],
      accessPoints: [],
      roleArnConsumers: plan.principalStyle === "role-arn" ? [""] : [],
    },
    consumerRole ? new Map([["", consumerRole]]) : new Map(),
  );
  return { ...half, accessRole: half.accessRoles.get("") };
}

/**
 * One grant declaration, both accounts' halves: the Lambda function and its role in A; the bucket, its policy, the
 * KMS key and its policy in B; and in assume-role mode the S3 access role in B. Every policy comes from `planGrant`.
 */
export class CrossAccountS3Access extends Construct {
  public readonly consumer: LambdaConsumer;
  /** The bucket and key this construct creates; undefined when the grant attaches to existing ones. */
  public readonly bucket?: SecureBucket;
  public readonly key?: BucketKey;
  public readonly bucketName: string;
  /** ARN of the bucket's key (a reference when this construct creates it). */
  public readonly kmsKeyArn: string;
  public readonly accessRole?: S3AccessRole;
  /** Every policy document of the grant, as rendered into the resources. */
  public readonly plan: GrantPlan;

  constructor(scope: Construct, id: string, props: CrossAccountS3AccessProps) {
    super(scope, id);
    libraryConstruct(this, props.configPath ?? id, { "lambda.provider": props.lambda.provider, "bucket.provider": props.bucket.provider });
    const { settings, plan } = resolveDeclaration(props.configPath ?? id, props.lambda, props.bucket, props.grant);
    checkCode(props.configPath ?? id, props.lambda);
    this.plan = plan;
    this.consumer = addLambdaHalf(this, props.lambda, settings, plan);
    const half = addBucketHalf(this, props.configPath ?? id, props.bucket.provider, settings, plan, this.consumer.role);
    this.bucket = half.bucket;
    this.key = half.key;
    this.bucketName = half.bucketName;
    this.kmsKeyArn = half.kmsKeyArn;
    this.accessRole = half.accessRole;
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
  /** @see CrossAccountS3AccessProps.configPath @default the construct's id */
  readonly configPath?: string;
}

/**
 * Account A's half alone: the function, its role, logging and the grant's identity policy. Planned from the same
 * declaration as BucketAccountGrant, so the two halves agree without passing anything between the accounts' stacks.
 */
export class LambdaAccountGrant extends Construct {
  public readonly consumer: LambdaConsumer;
  public readonly plan: GrantPlan;

  constructor(scope: Construct, id: string, props: LambdaAccountGrantProps) {
    super(scope, id);
    libraryConstruct(this, props.configPath ?? id, { "lambda.provider": props.lambda.provider });
    const { settings, plan } = resolveDeclaration(props.configPath ?? id, props.lambda, props.bucket, props.grant);
    checkCode(props.configPath ?? id, props.lambda);
    this.plan = plan;
    this.consumer = addLambdaHalf(this, props.lambda, settings, plan);
  }
}

/** Account B's half of a grant, for a team that owns only the bucket account. */
export interface BucketAccountGrantProps {
  /** The Lambda side's settings, exactly as the Lambda account declares them (nothing is created there). */
  readonly lambda: LambdaSettings;
  /** The bucket side, with the provider of account B. */
  readonly bucket: BucketSettings & { readonly provider: TerraformProvider };
  /** The same grant declaration the Lambda account deploys. */
  readonly grant: GrantDeclaration;
  /** @see CrossAccountS3AccessProps.configPath @default the construct's id */
  readonly configPath?: string;
}

/**
 * Account B's half alone: the bucket, the key, their policies and (assume-role mode) the S3 access role. With the
 * default principal style it can be applied before or after the Lambda account's half; with role-arn, apply the
 * Lambda account's half first (AWS refuses a policy naming a role that does not exist yet).
 */
export class BucketAccountGrant extends Construct {
  /** The bucket and key this construct creates; undefined when the grant attaches to existing ones. */
  public readonly bucket?: SecureBucket;
  public readonly key?: BucketKey;
  public readonly bucketName: string;
  public readonly kmsKeyArn: string;
  public readonly accessRole?: S3AccessRole;
  public readonly plan: GrantPlan;

  constructor(scope: Construct, id: string, props: BucketAccountGrantProps) {
    super(scope, id);
    libraryConstruct(this, props.configPath ?? id, { "bucket.provider": props.bucket.provider });
    const { settings, plan } = resolveDeclaration(props.configPath ?? id, props.lambda, props.bucket, props.grant);
    this.plan = plan;
    const half = addBucketHalf(this, props.configPath ?? id, props.bucket.provider, settings, plan, undefined);
    this.bucket = half.bucket;
    this.key = half.key;
    this.bucketName = half.bucketName;
    this.kmsKeyArn = half.kmsKeyArn;
    this.accessRole = half.accessRole;
  }
}
