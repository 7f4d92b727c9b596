import type { SharedBucketDeclaration } from "../declaration/shared-bucket";
import { granteeOf, planSharedBucket, type SharedBucketPlan } from "../policy/plan-shared-bucket";
import type { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "../core/cdktf";
import { libraryConstruct } from "../core/compatibility";
import { type GrantPlan } from "../policy/plan-grant";
import { lambdaSettingsOf, type LambdaGrantee, type LambdaAccountOptions } from "../constructs/lambda-grantee";
import { LAMBDA_SETTING_DEFAULTS, type LambdaSettings } from "../declaration/lambda-settings";
import type { LambdaAlarms } from "../constructs/lambda-alarms";
import type { GrantEventBus } from "../constructs/grant-event-bus";
import type { GrantEventQueue } from "../constructs/grant-event-queue";
import { buildLambdaAccount } from "../constructs/private/lambda-half";
import type { LambdaAccountHalf } from "../constructs/halves";
import { recordLambdaHalf } from "../constructs/private/record-halves";
import { ConfigurationError, showValue } from "../core/errors";
import { holdToDeclaration } from "../deploy/deploy-target";
export { ACCESS_POINT_CHOICES, type AccessPointChoice } from "../declaration/access-point-choice";

/** A value in one canonical text: objects with their keys in order, so that equal settings read alike. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  ) ?? "undefined";

/**
 * The Lambda settings a grantee's half is given (`given`) that disagree with the shared declaration's for it
 * (`declared`, grantees[`index`]), each naming both values; a setting left out of either counts as its default.
 */
function undeclaredSettings(label: string, index: number, given: LambdaSettings, declared: LambdaSettings): string[] {
  return (Object.keys(LAMBDA_SETTING_DEFAULTS) as Array<keyof LambdaSettings>).flatMap((field) => {
    const value = given[field];
    const fallback = LAMBDA_SETTING_DEFAULTS[field];
    if (value === undefined || canonical(value) === canonical(declared[field] ?? fallback)) return [];
    const stated =
      declared[field] !== undefined
        ? showValue(declared[field])
        : fallback !== undefined
          ? `(unset: ${showValue(fallback)})`
          : "(unset)";
    return [
      `${label}.lambda.${field} ${showValue(value)} is not the declared ${label}.grantees[${index}].lambda.${field} ${stated}: ` +
        "a grantee's half is built from the shared declaration, so give it the declared settings (or change the declaration, for every half)",
    ];
  });
}

/** Account A's half for one grantee of a shared bucket, planned from the whole declaration (see SharedBucketAccountGrants). */
export interface SharedLambdaAccountGrantProps {
  readonly shared: SharedBucketDeclaration;
  /** The grantee's name in `shared.grantees`. */
  readonly granteeName: string;
  /** The grantee's Lambda side, with the provider of its account; its settings must be the declared ones. */
  readonly lambda: LambdaAccountOptions;
  /**
   * The plan of `shared`, made once by planSharedBucket: give it when several halves are built from one plan.
   * @default planned here from `shared`
   */
  readonly plan?: SharedBucketPlan | undefined;
}

export class SharedLambdaAccountGrant extends Construct implements LambdaAccountHalf {
  public readonly grantee: LambdaGrantee;
  public readonly grantPolicy: IamRolePolicy;
  public readonly alarms?: LambdaAlarms | undefined;
  public readonly events?: GrantEventBus | undefined;
  /** The grant's queue and event source mapping, when its events use SQS. */
  public readonly queueEvents?: GrantEventQueue | undefined;
  public readonly plan: GrantPlan;

  constructor(scope: Construct, id: string, props: SharedLambdaAccountGrantProps) {
    super(scope, id);
    const label = props.shared.configPath ?? id;
    libraryConstruct(this, label, { "lambda.provider": props.lambda.provider });
    const shared = props.plan ?? planSharedBucket(label, props.shared);
    const planned = granteeOf(label, shared, props.granteeName);
    // The half is built from the declaration: a setting given here that says otherwise would be silently replaced.
    const index = shared.grantees.indexOf(planned);
    const disagreements = undeclaredSettings(label, index, lambdaSettingsOf(label, props.lambda), planned.lambda);
    if (disagreements.length > 0) throw new ConfigurationError(disagreements);
    const lambdaField = `${label}.grantees[${index}].lambda`;
    holdToDeclaration([
      {
        provider: props.lambda.provider,
        field: lambdaField,
        accountId: planned.lambda.accountId,
        region: planned.lambda.region,
      },
    ]);
    this.plan = planned.plan;
    const half = buildLambdaAccount(
      this,
      label,
      props.lambda,
      { lambda: planned.lambda, grant: planned.grant, bucket: shared.bucket },
      planned.plan,
      shared.alarms,
    );
    this.grantee = half.grantee;
    this.grantPolicy = half.grantPolicy;
    this.alarms = half.alarms;
    this.events = half.events;
    this.queueEvents = half.queueEvents;
    const declaration = {
      lambda: planned.lambda,
      bucket: shared.bucket,
      grant: planned.grant,
      configPath: props.shared.configPath,
    };
    recordLambdaHalf(this, declaration, planned.plan, half, props.lambda.provider, shared.alarms);
  }
}
