import { addBucketHalf, bucketTarget, lambdaTarget, resolveDeclaration } from "./private/one-grant";
import type { BucketAccountHalf, LambdaAccountHalf } from "../constructs/halves";
import { type AlarmSettings } from "../declaration/alarm-settings";
import { Construct, type TerraformProvider } from "../core/cdktf";
import { libraryConstruct } from "../core/compatibility";
import { notificationWaitsFor, type BucketSettings } from "../constructs/private/bucket-side";
import { recordBucketHalf, recordLambdaHalf } from "../constructs/private/record-halves";
import { type GrantDeclaration, type GrantPlan } from "../policy/plan-grant";
import { lambdaSettingsOf, type LambdaAccountOptions } from "../constructs/lambda-grantee";
import { buildLambdaAccount } from "../constructs/private/lambda-half";
import { holdToDeclaration } from "../deploy/deploy-target";

export interface CrossAccountS3AccessProps {
  /** Account A: where the Lambda function and its execution role live. */
  readonly lambda: LambdaAccountOptions;
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
    libraryConstruct(this, label, {
      "lambda.provider": props.lambda.provider,
      "bucket.provider": props.bucket.provider,
    });
    const { settings, plan, alarms } = resolveDeclaration(
      label,
      lambdaSettingsOf(label, props.lambda),
      props.bucket,
      props.grant,
      props.alarms,
    );
    holdToDeclaration([
      lambdaTarget(label, props.lambda.provider, settings),
      bucketTarget(label, props.bucket.provider, settings),
    ]);
    this.plan = plan;
    this.lambdaAccount = buildLambdaAccount(this, label, props.lambda, settings, plan, alarms);
    const granteeRole = this.lambdaAccount.grantee.role ?? props.lambda.existingRole;
    const bucketSide = addBucketHalf(this, label, props.bucket.provider, settings, plan, granteeRole, alarms);
    this.bucketAccount = bucketSide.half;
    notificationWaitsFor(bucketSide.side.notification, [this.lambdaAccount.queueEvents?.queue]);
    const declaration = { ...settings, configPath: props.configPath };
    recordLambdaHalf(this, declaration, plan, this.lambdaAccount, props.lambda.provider, alarms);
    recordBucketHalf(this, declaration, plan, bucketSide.side, plan.lambdaRoleArn, props.bucket.provider, {
      settings: alarms,
      created: bucketSide.half.alarms,
    });
  }
}
