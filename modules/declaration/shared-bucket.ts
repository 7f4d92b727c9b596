/** What a team declares for many grantees on one bucket: the bucket, each grantee and its grant, the access points choice. */
import { type AlarmSettings } from "./alarm-settings";
import type { BucketSettings } from "./bucket-settings";
import type { AccessPointChoice } from "./access-point-choice";
import type { GrantDeclaration } from "./grant";
import { type LambdaSettings } from "./lambda-settings";
export { ACCESS_POINT_CHOICES, type AccessPointChoice } from "./access-point-choice";

/** One grantee of a shared bucket: a Lambda function in its account, and its grant. */
export interface GranteeDeclaration<L = LambdaSettings> {
  /** Unique among the bucket's grantees; names the grantee's access point and its Terraform resources. */
  readonly name: string;
  readonly lambda: L;
  readonly grant: GrantDeclaration;
}

/** Many grantees' grants on one bucket (account B). */
export interface SharedBucketDeclaration<L = LambdaSettings> {
  readonly bucket: BucketSettings;
  readonly grantees: ReadonlyArray<GranteeDeclaration<L>>;
  /** @default "auto" */
  readonly accessPoints?: AccessPointChoice | undefined;
  /**
   * The alarms of every grantee's grant: in each grantee's account for its function, in the bucket account for every
   * granted prefix; topics by account ID (see AlarmSettings). @default on, notifying no one
   */
  readonly alarms?: AlarmSettings | undefined;
  /**
   * Where the declaration comes from in your configuration (e.g. `sharedEnvironments.lake`): error messages name its
   * fields from there.
   * @default the construct's id
   */
  readonly configPath?: string | undefined;
}
