import { notificationWaitsFor } from "../constructs/private/bucket-side";
import { SharedBucketAccountGrants } from "./shared-bucket-account-grants";
import { SharedLambdaAccountGrant } from "./shared-lambda-account-grant";
import type { GranteeDeclaration, SharedBucketDeclaration } from "../declaration/shared-bucket";
import { planSharedBucket, type SharedBucketPlan } from "../policy/plan-shared-bucket";
import { type AlarmSettings } from "../declaration/alarm-settings";
import { Construct, type TerraformProvider } from "../core/cdktf";
import { libraryConstruct } from "../core/compatibility";
import type { BucketSettings } from "../declaration/bucket-settings";
import type { AccessPointChoice } from "../declaration/access-point-choice";
import { lambdaSettingsOf, type LambdaAccountOptions } from "../constructs/lambda-grantee";
import { ConfigurationError } from "../core/errors";
import { deployTargetProblems } from "../deploy/deploy-target";
export { ACCESS_POINT_CHOICES, type AccessPointChoice } from "../declaration/access-point-choice";

/** Both halves of a shared bucket in one scope: each grantee's Lambda side (with its own provider) and account B's. */
export interface SharedBucketAccessProps {
  readonly bucket: BucketSettings & { readonly provider: TerraformProvider };
  readonly grantees: ReadonlyArray<GranteeDeclaration<LambdaAccountOptions>>;
  /** @default "auto" */
  readonly accessPoints?: AccessPointChoice | undefined;
  /** @see SharedBucketDeclaration.alarms @default on, notifying no one */
  readonly alarms?: AlarmSettings | undefined;
  /** @see SharedBucketDeclaration.configPath @default the construct's id */
  readonly configPath?: string | undefined;
}

export class SharedBucketAccess extends Construct {
  public readonly plan: SharedBucketPlan;
  /** The bucket account's half: the bucket, key, access roles and access points, with the grants' merged policies. */
  public readonly bucketAccount: SharedBucketAccountGrants;
  /** Each grantee's Lambda account half, by grantee name. */
  public readonly lambdaAccounts: ReadonlyMap<string, SharedLambdaAccountGrant>;

  constructor(scope: Construct, id: string, props: SharedBucketAccessProps) {
    super(scope, id);
    const label = props.configPath ?? id;
    libraryConstruct(this, label, { "bucket.provider": props.bucket.provider });
    const declaration: SharedBucketDeclaration = {
      bucket: props.bucket,
      accessPoints: props.accessPoints,
      alarms: props.alarms,
      grantees: props.grantees.map(({ name, grant, lambda }, i) => ({
        name,
        grant,
        lambda: lambdaSettingsOf(`${label}.grantees[${i}]`, lambda),
      })),
      ...(props.configPath !== undefined ? { configPath: props.configPath } : {}),
    };
    this.plan = planSharedBucket(label, declaration);
    // Every half's provider is checked before any grantee is built: a refusal leaves nothing half-created.
    const problems = deployTargetProblems([
      {
        provider: props.bucket.provider,
        field: `${label}.bucket`,
        accountId: this.plan.bucket.accountId,
        region: this.plan.bucket.region,
      },
      ...this.plan.grantees.map((g, i) => ({
        provider: props.grantees[i]!.lambda.provider,
        field: `${label}.grantees[${i}].lambda`,
        accountId: g.lambda.accountId,
        region: g.lambda.region,
      })),
    ]);
    if (problems.length > 0) throw new ConfigurationError(problems);
    const grantees = new Map<string, SharedLambdaAccountGrant>();
    for (const g of props.grantees) {
      // The construct ID keeps the word of the first release: it is part of every resource's Terraform address.
      grantees.set(
        g.name,
        new SharedLambdaAccountGrant(this, `consumer-${g.name}`, {
          shared: declaration,
          granteeName: g.name,
          lambda: g.lambda,
          plan: this.plan,
        }),
      );
    }
    this.lambdaAccounts = grantees;
    const roles = new Map(
      props.grantees.flatMap((g) => {
        const role = grantees.get(g.name)!.grantee.role ?? g.lambda.existingRole;
        return role ? [[g.name, role] as const] : [];
      }),
    );
    this.bucketAccount = new SharedBucketAccountGrants(this, "bucket-side", {
      ...declaration,
      bucket: props.bucket,
      plan: this.plan,
      granteeRoles: roles,
    });
    notificationWaitsFor(
      this.bucketAccount.half.notification,
      [...grantees.values()].map((g) => g.queueEvents?.queue),
    );
  }
}
