/** What each half of a grant is made of, once built: the public shape of the Lambda account's and the bucket account's halves. */
import type { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { LambdaGrantee } from "./lambda-grantee";
import type { LambdaAlarms } from "./lambda-alarms";
import type { SecureBucket } from "./secure-bucket";
import type { BucketKey } from "./bucket-key";
import type { S3AccessRole } from "./s3-access-role";
import type { BucketAlarms } from "./bucket-alarms";
import type { AccessLogBucket } from "./access-log-bucket";
import type { BucketEvents } from "./bucket-events";
import type { GrantEventBus } from "./grant-event-bus";
import type { GrantEventQueue } from "./grant-event-queue";

/** What account A holds for one grant: the grantee (role, function) and the grant's policy on its role. */
export interface LambdaAccountHalf {
  readonly grantee: LambdaGrantee;
  /** The grant's identity policy, attached to the grantee's role. */
  readonly grantPolicy: IamRolePolicy;
  /** The function's alarms; undefined when the alarms are off or the function is created elsewhere. */
  readonly alarms?: LambdaAlarms | undefined;
  /** The grant's event bus, its rule and the function's permission; undefined unless the grant's events use EventBridge. */
  readonly events?: GrantEventBus | undefined;
  /** The grant's queue, its key and the function's event source mapping; undefined unless the events use SQS. */
  readonly queueEvents?: GrantEventQueue | undefined;
}

/** What account B holds for one grant: the bucket and key (unless they exist already), and the S3 access role. */
export interface BucketAccountHalf {
  /** The bucket this construct creates; undefined when the grant attaches to an existing one. */
  readonly bucket?: SecureBucket | undefined;
  /** The key this construct creates; undefined when the grant attaches to an existing one. */
  readonly key?: BucketKey | undefined;
  /** The log bucket of the bucket's server access logs; undefined when they are off or go to an existing one. */
  readonly accessLogBucket?: AccessLogBucket | undefined;
  readonly bucketName: string;
  /** ARN of the bucket's key (a reference when this construct creates it). */
  readonly kmsKeyArn: string;
  /** The S3 access role (assume-role mode). */
  readonly accessRole?: S3AccessRole | undefined;
  /** The request metrics and alarms of the granted prefixes; undefined when the alarms are off. */
  readonly alarms?: BucketAlarms | undefined;
  /** The rule forwarding the grant's events, and its role; undefined when the grant declares no events. */
  readonly events?: BucketEvents | undefined;
}
