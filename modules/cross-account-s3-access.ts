import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { dependable, type ITerraformDependable, type TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { z } from "zod";
import { BucketKey } from "./bucket-key";
import {
  grantSchema,
  planGrant,
  type GrantDeclaration,
  type GrantPlan,
} from "./grant";
import { checkBundleDir, checkCodeArchive, LambdaConsumer, lambdaSettingsSchema, loggingPolicy } from "./lambda-consumer";
import { addExistingPolicies, existingResourcesSchema } from "./existing-resources";
import { overBudget, POLICY_LIMITS } from "./policy-budget";
import { renderPolicy } from "./policy-document";
import { S3AccessRole } from "./s3-access-role";
import {
  accountIdSchema,
  bucketNameSchema,
  ConfigurationError,
  keyAliasSchema,
  parseOrThrow,
  partitionOf,
  regionSchema,
} from "./schema";
import { SecureBucket } from "./secure-bucket";

/** The data settings of the bucket side (account B); shared with the environment config. */
export const bucketSettingsSchema = z
  .strictObject({
    accountId: accountIdSchema,
    region: regionSchema,
    bucketName: bucketNameSchema,
    keyAlias: keyAliasSchema,
    forceDestroy: z.boolean({ error: "must be true or false" }).optional(),
    /**
     * The bucket and its key exist and are managed elsewhere: only their policies are written, with the statements
     * they hold today kept (see existing-resources.ts). `keyAlias` must name an alias of the existing key.
     */
    existing: existingResourcesSchema.optional(),
  })
  .superRefine((b, ctx) => {
    if (!b.existing) return;
    if (b.forceDestroy !== undefined) {
      ctx.addIssue({ code: "custom", path: ["forceDestroy"], input: b.forceDestroy, message: "applies only to a bucket this stack creates, not to an existing one" });
    }
    const [, , , region, account] = b.existing.keyArn.split(":");
    if (account !== b.accountId || region !== b.region) {
      ctx.addIssue({
        code: "custom",
        path: ["existing", "keyArn"],
        input: b.existing.keyArn,
        message: `is not a key of the bucket's account and region (${b.accountId}, ${b.region})`,
      });
    }
  });

export type LambdaSettings = z.input<typeof lambdaSettingsSchema>;
export type BucketSettings = z.input<typeof bucketSettingsSchema>;

/** Refuses a grant whose two sides are the same account; shared by the construct and the environment config. */
export function sameAccountProblem(lambdaAccountId: string, bucketAccountId: string): string | undefined {
  return lambdaAccountId === bucketAccountId
    ? `is ${bucketAccountId}, the same account as lambda.accountId: this module wires cross-account access ` +
        "(for one account, give the role an identity policy and leave the bucket policy alone)"
    : undefined;
}

export const crossAccountSettingsSchema = z
  .object({ lambda: lambdaSettingsSchema, bucket: bucketSettingsSchema, grant: grantSchema })
  .superRefine((s, ctx) => {
    const problem = sameAccountProblem(s.lambda.accountId, s.bucket.accountId);
    if (problem) ctx.addIssue({ code: "custom", path: ["bucket", "accountId"], input: s.bucket.accountId, message: problem });
  });

/** The Lambda side of a grant as its half needs it: its settings plus what builds the function. */
export type LambdaSide = LambdaSettings & {
  /** The aliased provider of account A. */
  readonly provider: TerraformProvider;
  /** Folder holding the bundled handler (`index.js`). */
  readonly bundleDir: string;
  /** Prebuilt zip of the bundle (see LambdaConsumerProps.codeArchive). @default zipped at synth */
  readonly codeArchive?: string;
  /** Extra environment variables for the function (e.g. S3_FORCE_PATH_STYLE for an emulator). @default {} */
  readonly extraEnvironment?: Readonly<Record<string, string>>;
};

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
  const prefixes = `${settings.grant.prefixes.length} prefixes`;
  const advice = "grant fewer or shorter prefixes (a shared parent prefix covers its children)";
  const problems = overBudget([
    {
      what: `${id}.grant (${prefixes}): the inline policies of role ${settings.lambda.roleName}`,
      docs: [plan.consumerPolicy, loggingPolicy(settings.lambda.region, settings.lambda.accountId, settings.lambda.functionName)],
      limit: POLICY_LIMITS.roleInlinePolicies,
      advice,
    },
    ...(plan.accessRolePolicy
      ? [
          {
            what: `${id}.grant (${prefixes}): the inline policy of role ${settings.grant.accessRoleName}`,
            docs: [plan.accessRolePolicy],
            limit: POLICY_LIMITS.roleInlinePolicies,
            advice,
          },
        ]
      : []),
  ]);
  if (problems.length > 0) throw new ConfigurationError(problems);
}

function checkCode(id: string, lambda: LambdaSide): void {
  checkBundleDir(lambda.bundleDir, `${id}.lambda.bundleDir`);
  if (lambda.codeArchive !== undefined) checkCodeArchive(lambda.codeArchive, `${id}.lambda.codeArchive`);
}

/** Account A's half, built into `scope`: the function, its role and logging, and the grant's identity policy. */
function addLambdaHalf(scope: Construct, lambda: LambdaSide, settings: ValidSettings, plan: GrantPlan): LambdaConsumer {
  const environment: Record<string, string> = {
    ...(lambda.extraEnvironment ?? {}),
    BUCKET_NAME: settings.bucket.bucketName,
    BUCKET_REGION: settings.bucket.region,
    ACCESS_MODE: settings.grant.mode,
    // The handler refuses requests outside the grant before calling AWS.
    GRANTED_PREFIXES: JSON.stringify(
      settings.grant.prefixes.map((p) => ({ prefix: p.prefix, access: p.access, delete: p.delete ?? false })),
    ),
    ...(plan.accessRoleArn ? { S3_ACCESS_ROLE_ARN: plan.accessRoleArn } : {}),
    ...(settings.grant.externalId ? { EXTERNAL_ID: settings.grant.externalId } : {}),
  };
  const consumer = new LambdaConsumer(scope, "lambda", {
    provider: lambda.provider,
    ...settings.lambda,
    bundleDir: lambda.bundleDir,
    codeArchive: lambda.codeArchive,
    environment,
  });
  new IamRolePolicy(scope, "lambda-grant-policy", {
    provider: lambda.provider,
    name: plan.accessRoleArn ? "assume-s3-access-role" : "cross-account-s3-access",
    role: consumer.role.name,
    policy: renderPolicy(plan.consumerPolicy),
  });
  return consumer;
}

interface BucketHalf {
  /** The bucket and key this stack creates; undefined when attaching to existing ones. */
  readonly bucket?: SecureBucket;
  readonly key?: BucketKey;
  readonly bucketName: string;
  /** ARN of the bucket's key (a reference when this stack creates it). */
  readonly kmsKeyArn: string;
  readonly accessRole?: S3AccessRole;
}

/**
 * Account B's half, built into `scope`: the S3 access role (assume-role mode), the key and the bucket with their
 * policies — or, for an existing bucket and key, only their policies. IAM, S3 and KMS refuse a policy naming a role ARN
 * that does not exist yet: with the role-arn principal style and A's role in the same stack, B's resources wait for
 * the roles they name (`consumerRole`). With account-and-arn they name an account and match the role by condition, so
 * they need not wait.
 */
function addBucketHalf(
  scope: Construct,
  id: string,
  provider: TerraformProvider,
  settings: ValidSettings,
  plan: GrantPlan,
  consumerRole: ITerraformDependable | undefined,
): BucketHalf {
  const waitFor = (role: ITerraformDependable | undefined): ITerraformDependable[] =>
    plan.principalStyle === "role-arn" && role ? [role] : [];
  const accessRole =
    plan.accessRoleTrustPolicy && plan.accessRolePolicy
      ? new S3AccessRole(scope, "access-role", {
          provider,
          roleName: settings.grant.accessRoleName!,
          trustPolicy: plan.accessRoleTrustPolicy,
          policy: plan.accessRolePolicy,
          dependsOn: waitFor(consumerRole),
        })
      : undefined;
  const grantee = accessRole?.role ?? consumerRole;
  const existing = settings.bucket.existing;
  if (existing) {
    const { bucketPolicy, keyPolicy } = addExistingPolicies(scope, provider, {
      id,
      partition: partitionOf(settings.bucket.region).partition,
      bucketName: settings.bucket.bucketName,
      existing,
      bucketPolicyStatements: plan.bucketPolicyStatements,
      keyPolicyStatements: plan.keyPolicyStatements,
    });
    for (const policy of [bucketPolicy, keyPolicy]) {
      const after = waitFor(grantee);
      if (after.length > 0) policy.dependsOn = after.map((d) => dependable(d));
    }
    return { bucketName: settings.bucket.bucketName, kmsKeyArn: existing.keyArn, accessRole };
  }
  const key = new BucketKey(scope, "key", {
    provider,
    accountId: settings.bucket.accountId,
    region: settings.bucket.region,
    alias: settings.bucket.keyAlias,
    description: `Encrypts objects of s3://${settings.bucket.bucketName}`,
    policyStatements: plan.keyPolicyStatements,
    dependsOn: waitFor(grantee),
  });
  const bucket = new SecureBucket(scope, "bucket", {
    provider,
    bucketName: settings.bucket.bucketName,
    region: settings.bucket.region,
    kmsKeyArn: key.keyArn,
    forceDestroy: settings.bucket.forceDestroy,
    policyStatements: plan.bucketPolicyStatements,
    policyDependsOn: waitFor(grantee),
  });
  return { bucket, key, bucketName: settings.bucket.bucketName, kmsKeyArn: key.keyArn, accessRole };
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
    const { settings, plan } = resolveDeclaration(id, props.lambda, props.bucket, props.grant);
    checkCode(id, props.lambda);
    this.plan = plan;
    this.consumer = addLambdaHalf(this, props.lambda, settings, plan);
    const half = addBucketHalf(this, id, props.bucket.provider, settings, plan, this.consumer.role);
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
    const { settings, plan } = resolveDeclaration(id, props.lambda, props.bucket, props.grant);
    checkCode(id, props.lambda);
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
    const { settings, plan } = resolveDeclaration(id, props.lambda, props.bucket, props.grant);
    this.plan = plan;
    const half = addBucketHalf(this, id, props.bucket.provider, settings, plan, undefined);
    this.bucket = half.bucket;
    this.key = half.key;
    this.bucketName = half.bucketName;
    this.kmsKeyArn = half.kmsKeyArn;
    this.accessRole = half.accessRole;
  }
}
