import type { SharedBucketDeclaration } from "../declaration/shared-bucket";
import { grantedPrefixes, planSharedBucket, type SharedBucketPlan } from "../policy/plan-shared-bucket";
import { topicOf } from "../declaration/alarm-settings";
import { BucketAlarms } from "../constructs/bucket-alarms";
import { Annotations, Construct, type ITerraformDependable, type TerraformProvider } from "../core/cdktf";
import { libraryConstruct } from "../core/compatibility";
import {
  buildBucketAccount,
  type BucketAccountResources,
  type BucketSettings,
} from "../constructs/private/bucket-side";
import { recordBucketHalf } from "../constructs/private/record-halves";
import { holdToDeclaration } from "../deploy/deploy-target";
export { ACCESS_POINT_CHOICES, type AccessPointChoice } from "../declaration/access-point-choice";

/** Account B's half of a shared bucket: the bucket, key, access roles, access points and their merged policies. */
export interface SharedBucketAccountGrantsProps extends SharedBucketDeclaration {
  readonly bucket: BucketSettings & { readonly provider: TerraformProvider };
  /**
   * The plan of this same declaration, made once by planSharedBucket: give it when several halves (this one and the
   * grantees' SharedLambdaAccountGrants, in other stacks) are built from one plan.
   * @default planned here from the declaration
   */
  readonly plan?: SharedBucketPlan | undefined;
  /**
   * The grantees' Lambda roles, by grantee name, when they are in the same stack: with the role-arn principal style,
   * the bucket account's policies naming them wait for them (AWS refuses a policy naming a role that does not exist).
   * @default none
   */
  readonly granteeRoles?: ReadonlyMap<string, ITerraformDependable> | undefined;
}

export class SharedBucketAccountGrants extends Construct {
  public readonly plan: SharedBucketPlan;
  public readonly bucketName: string;
  public readonly kmsKeyArn: string;

  /** The bucket half: bucket and key (when created), access roles by grantee, access points. */
  public readonly half: BucketAccountResources;
  /** The request metrics and alarms of every granted prefix; undefined when the alarms are off. */
  public readonly alarms?: BucketAlarms | undefined;

  constructor(scope: Construct, id: string, props: SharedBucketAccountGrantsProps) {
    super(scope, id);
    libraryConstruct(this, props.configPath ?? id, { "bucket.provider": props.bucket.provider });
    this.plan = props.plan ?? planSharedBucket(props.configPath ?? id, props);
    const { accountId, region } = this.plan.bucket;
    holdToDeclaration([
      { provider: props.bucket.provider, field: `${props.configPath ?? id}.bucket`, accountId, region },
    ]);
    this.half = buildBucketAccount(
      this,
      props.configPath ?? id,
      props.bucket.provider,
      this.plan.bucket,
      this.plan.side,
      props.granteeRoles ?? new Map(),
      { enabled: this.plan.alarms.enabled, topicArn: topicOf(this.plan.alarms, this.plan.bucket.accountId) },
    );
    const { alarms, bucket } = this.plan;
    if (this.plan.keyPrincipals === "accounts") {
      Annotations.of(this).addWarning(
        `${props.configPath ?? id}: the key policy of ${bucket.keyAlias} would not fit naming each of the ${this.plan.grantees.length} grantees' roles, so it names their accounts: ` +
          "each grantee account's IAM then decides which of its roles may use the key through S3 of the bucket's region (the bucket or access point policies still name every role). " +
          "Spread the grantees over fewer accounts, or give some of them another bucket and key, to keep naming roles.",
      );
    }
    if (alarms.enabled) {
      this.alarms = new BucketAlarms(this, "bucket-alarms", {
        provider: props.bucket.provider,
        bucketName: this.half.bucketName,
        bucket: this.half.bucket?.bucket.id ?? this.half.bucketName,
        prefixes: grantedPrefixes(this.plan.grantees),
        topicArn: topicOf(alarms, bucket.accountId),
      });
    }
    for (const g of this.plan.grantees) {
      const declaration = {
        lambda: g.lambda,
        bucket,
        grant: g.grant,
        configPath: props.configPath,
        keyPolicyPrincipals: this.plan.keyPrincipals,
      };
      recordBucketHalf(this, declaration, g.plan, this.half, g.name, props.bucket.provider, {
        settings: alarms,
        created: this.alarms,
      });
    }
    this.bucketName = this.half.bucketName;
    this.kmsKeyArn = this.half.kmsKeyArn;
  }
}
