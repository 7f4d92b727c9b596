import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { z } from "zod";
import { BucketKey } from "./bucket-key";
import { grantSchema, planGrant, type GrantDeclaration, type GrantPlan } from "./grant";
import { checkBundleDir, checkCodeArchive, LambdaConsumer, lambdaSettingsSchema } from "./lambda-consumer";
import { renderPolicy } from "./policy-document";
import { S3AccessRole } from "./s3-access-role";
import { accountIdSchema, bucketNameSchema, keyAliasSchema, parseOrThrow, regionSchema } from "./schema";
import { SecureBucket } from "./secure-bucket";

/** The data settings of the bucket side (account B); shared with the environment config. */
export const bucketSettingsSchema = z.strictObject({
  accountId: accountIdSchema,
  region: regionSchema,
  bucketName: bucketNameSchema,
  keyAlias: keyAliasSchema,
  forceDestroy: z.boolean({ error: "must be true or false" }).optional(),
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

export interface CrossAccountS3AccessProps {
  /** Account A: where the Lambda function and its execution role live. */
  readonly lambda: LambdaSettings & {
    /** The aliased provider of account A. */
    readonly provider: TerraformProvider;
    /** Folder holding the bundled handler (`index.js`). */
    readonly bundleDir: string;
    /** Prebuilt zip of the bundle (see LambdaConsumerProps.codeArchive). @default zipped at synth */
    readonly codeArchive?: string;
    /** Extra environment variables for the function (e.g. S3_FORCE_PATH_STYLE for an emulator). @default {} */
    readonly extraEnvironment?: Readonly<Record<string, string>>;
  };
  /** Account B: where the bucket and its KMS key live. */
  readonly bucket: BucketSettings & {
    /** The aliased provider of account B. */
    readonly provider: TerraformProvider;
  };
  /** What the function may do in the bucket, and how the access is wired. */
  readonly grant: GrantDeclaration;
}

/**
 * One grant declaration, both accounts' halves: the Lambda function and its role in A; the bucket, its policy, the
 * KMS key and its policy in B; and in assume-role mode the S3 access role in B. Every policy comes from `planGrant`.
 */
export class CrossAccountS3Access extends Construct {
  public readonly consumer: LambdaConsumer;
  public readonly bucket: SecureBucket;
  public readonly key: BucketKey;
  public readonly accessRole?: S3AccessRole;
  /** Every policy document of the grant, as rendered into the resources. */
  public readonly plan: GrantPlan;

  constructor(scope: Construct, id: string, props: CrossAccountS3AccessProps) {
    super(scope, id);
    const { lambda, bucket, grant } = props;
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
        },
        grant,
      },
      id,
    );
    checkBundleDir(lambda.bundleDir, `${id}.lambda.bundleDir`);
    if (lambda.codeArchive !== undefined) checkCodeArchive(lambda.codeArchive, `${id}.lambda.codeArchive`);

    this.plan = planGrant({
      grant: settings.grant,
      consumerAccountId: settings.lambda.accountId,
      consumerRoleName: settings.lambda.roleName,
      ownerAccountId: settings.bucket.accountId,
      ownerRegion: settings.bucket.region,
      bucketName: settings.bucket.bucketName,
      keyAlias: settings.bucket.keyAlias,
    });
    const plan = this.plan;

    // Account A: the function, its role and logging; then the grant's identity half on the role.
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
    this.consumer = new LambdaConsumer(this, "lambda", {
      provider: lambda.provider,
      ...settings.lambda,
      bundleDir: lambda.bundleDir,
      codeArchive: lambda.codeArchive,
      environment,
    });
    new IamRolePolicy(this, "lambda-grant-policy", {
      provider: lambda.provider,
      name: plan.accessRoleArn ? "assume-s3-access-role" : "cross-account-s3-access",
      role: this.consumer.role.name,
      policy: renderPolicy(plan.consumerPolicy),
    });

    // Account B. IAM, S3 and KMS refuse a policy naming a role ARN that does not exist yet: with the role-arn
    // principal style the bucket account's policies wait for the roles they name. With account-and-arn they name an
    // account and match the role by condition, so they need not wait.
    const waitFor = <T>(role: T): T[] => (plan.principalStyle === "role-arn" ? [role] : []);
    if (plan.accessRoleTrustPolicy && plan.accessRolePolicy) {
      this.accessRole = new S3AccessRole(this, "access-role", {
        provider: bucket.provider,
        roleName: settings.grant.accessRoleName!,
        trustPolicy: plan.accessRoleTrustPolicy,
        policy: plan.accessRolePolicy,
        dependsOn: waitFor(this.consumer.role),
      });
    }
    const grantee = this.accessRole?.role ?? this.consumer.role;
    const key = new BucketKey(this, "key", {
      provider: bucket.provider,
      accountId: settings.bucket.accountId,
      region: settings.bucket.region,
      alias: settings.bucket.keyAlias,
      description: `Encrypts objects of s3://${settings.bucket.bucketName}`,
      policyStatements: plan.keyPolicyStatements,
      dependsOn: waitFor(grantee),
    });
    this.key = key;
    this.bucket = new SecureBucket(this, "bucket", {
      provider: bucket.provider,
      bucketName: settings.bucket.bucketName,
      region: settings.bucket.region,
      kmsKeyArn: key.keyArn,
      forceDestroy: settings.bucket.forceDestroy,
      policyStatements: plan.bucketPolicyStatements,
      policyDependsOn: waitFor(grantee),
    });
  }
}
