import { addBucketHalf, bucketTarget, resolveDeclaration } from "./private/one-grant";
import type { BucketAccountHalf } from "../constructs/halves";
import type { AccessLogBucket } from "../constructs/access-log-bucket";
import { type AlarmSettings } from "../declaration/alarm-settings";
import { BucketAlarms } from "../constructs/bucket-alarms";
import type { BucketEvents } from "../constructs/bucket-events";
import { Construct, type TerraformProvider } from "../core/cdktf";
import { libraryConstruct } from "../core/compatibility";
import type { BucketKey } from "../constructs/bucket-key";
import { type BucketSettings } from "../constructs/private/bucket-side";
import { recordBucketHalf } from "../constructs/private/record-halves";
import { type GrantDeclaration, type GrantPlan } from "../policy/plan-grant";
import { type LambdaSettings } from "../declaration/lambda-settings";
import type { S3AccessRole } from "../constructs/s3-access-role";
import { holdToDeclaration } from "../deploy/deploy-target";
import type { SecureBucket } from "../constructs/secure-bucket";

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
  public readonly events?: BucketEvents | undefined;
  public readonly plan: GrantPlan;

  constructor(scope: Construct, id: string, props: BucketAccountGrantProps) {
    super(scope, id);
    const label = props.configPath ?? id;
    libraryConstruct(this, label, { "bucket.provider": props.bucket.provider });
    // The bucket account's half needs only the grantee's role: a function name, when the declaration names none, is
    // the Lambda account's affair.
    const lambda =
      props.lambda.functionName === undefined && props.lambda.createFunction === undefined
        ? { ...props.lambda, createFunction: false }
        : props.lambda;
    const { settings, plan, alarms } = resolveDeclaration(label, lambda, props.bucket, props.grant, props.alarms);
    holdToDeclaration([bucketTarget(label, props.bucket.provider, settings)]);
    this.plan = plan;
    const { half, side } = addBucketHalf(this, label, props.bucket.provider, settings, plan, undefined, alarms);
    recordBucketHalf(
      this,
      { ...settings, configPath: props.configPath },
      plan,
      side,
      plan.lambdaRoleArn,
      props.bucket.provider,
      { settings: alarms, created: half.alarms },
    );
    this.alarms = half.alarms;
    this.events = half.events;
    this.bucket = half.bucket;
    this.key = half.key;
    this.accessLogBucket = half.accessLogBucket;
    this.bucketName = half.bucketName;
    this.kmsKeyArn = half.kmsKeyArn;
    this.accessRole = half.accessRole;
  }
}
