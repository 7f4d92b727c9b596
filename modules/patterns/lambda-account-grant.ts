import { lambdaTarget, resolveDeclaration } from "./private/one-grant";
import type { LambdaAccountHalf } from "../constructs/halves";
import type { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { type AlarmSettings } from "../declaration/alarm-settings";
import { Construct } from "../core/cdktf";
import { libraryConstruct } from "../core/compatibility";
import { type BucketSettings } from "../constructs/private/bucket-side";
import { recordLambdaHalf } from "../constructs/private/record-halves";
import { type GrantDeclaration, type GrantPlan } from "../policy/plan-grant";
import { lambdaSettingsOf, type LambdaGrantee, type LambdaAccountOptions } from "../constructs/lambda-grantee";
import type { LambdaAlarms } from "../constructs/lambda-alarms";
import type { GrantEventBus } from "../constructs/grant-event-bus";
import type { GrantEventQueue } from "../constructs/grant-event-queue";
import { buildLambdaAccount } from "../constructs/private/lambda-half";
import { holdToDeclaration } from "../deploy/deploy-target";

/** Account A's half of a grant, for a team that owns only the Lambda account. */
export interface LambdaAccountGrantProps {
  /** The Lambda side, with the provider of account A. */
  readonly lambda: LambdaAccountOptions;
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
  public readonly events?: GrantEventBus | undefined;
  /** The grant's queue and event source mapping, when its events use SQS. */
  public readonly queueEvents?: GrantEventQueue | undefined;
  public readonly plan: GrantPlan;

  constructor(scope: Construct, id: string, props: LambdaAccountGrantProps) {
    super(scope, id);
    const label = props.configPath ?? id;
    libraryConstruct(this, label, { "lambda.provider": props.lambda.provider });
    const { settings, plan, alarms } = resolveDeclaration(
      label,
      lambdaSettingsOf(label, props.lambda),
      props.bucket,
      props.grant,
      props.alarms,
    );
    holdToDeclaration([lambdaTarget(label, props.lambda.provider, settings)]);
    this.plan = plan;
    const half = buildLambdaAccount(this, label, props.lambda, settings, plan, alarms);
    this.grantee = half.grantee;
    this.grantPolicy = half.grantPolicy;
    this.alarms = half.alarms;
    this.events = half.events;
    this.queueEvents = half.queueEvents;
    recordLambdaHalf(this, { ...settings, configPath: props.configPath }, plan, half, props.lambda.provider, alarms);
  }
}
