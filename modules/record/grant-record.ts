/**
 * The declaration travels with the synthesized app: every half of a grant records, in its stack's Terraform JSON
 * (under Terraform's `//` comment key, which Terraform ignores), what the grant is meant to allow and how it is
 * realized — grantee, bucket, prefixes and presets, mode, options, accounts, regions, partition, and the resources
 * and policies that carry it. The access proof (`cross-account-s3-lambda/proof`) then needs nothing but a synthesized
 * app, and its expected verdicts come from these records, never from the policies under test.
 */
import { accountOf } from "../core/arn";
import type { AlarmRecord } from "../declaration/alarm-settings";
import { Lazy, TerraformStack, type IConstruct, type TerraformResource } from "../core/cdktf";
import type { GrantDeclaration } from "../declaration/grant";
import type { ExistingNotification } from "../declaration/bucket-settings";
import { planEvents, type EventsContext, type EventsPlan } from "../policy/plan-events";
import { planQueueEvents, type QueueEventsPlan } from "../policy/plan-queue-events";

/** The key under `//` in a stack's JSON. */
export const GRANT_RECORD_KEY = "cross-account-s3-lambda";
/** The version of the record's shape; a proof refuses records of a version it does not know. */
export const GRANT_RECORD_VERSION = 1;

/** One half of a grant, as its stack records it. */
export interface GrantRecord {
  /** The same for both halves of one grant, in whatever app each half is synthesized: bucket and grantee role. */
  readonly key: string;
  /** Which account's resources this stack holds for the grant. */
  readonly half: "lambda" | "bucket";
  /** The construct that recorded it, for reports. */
  readonly construct: string;
  /** Where the declaration sits in its app's configuration, when the app said (configPath). */
  readonly configPath?: string | undefined;
  /** The partition both accounts are in. */
  readonly partition: string;
  /** The provider (`aws.<alias>`) this half's resources are created through. */
  readonly provider: string;
  readonly lambda: {
    readonly accountId: string;
    readonly region: string;
    /** The grantee's execution role, path included. */
    readonly roleArn: string;
    /** Whether this library creates the role (false: an existing role, whose other policies are its owner's). */
    readonly roleCreated: boolean;
    readonly functionName?: string | undefined;
    /** The function the grant's events invoke (a grant with events only), created here or not. */
    readonly eventFunctionName?: string | undefined;
  };
  readonly bucket: {
    readonly accountId: string;
    readonly region: string;
    readonly bucketName: string;
    readonly keyAlias: string;
    /** The existing key's ARN, when the grant attaches to an existing bucket and key. */
    readonly existingKeyArn?: string | undefined;
    /** The entries an existing bucket's notification configuration holds today, as declared (a grant with events). */
    readonly existingNotification?: ExistingNotification | undefined;
  };
  /** The grant as declared. */
  readonly grant: GrantDeclaration;
  /** The S3 access role (assume-role mode), path included. */
  readonly accessRoleArn?: string | undefined;
  /**
   * How the bucket account's key policy names the grantee (bucket half only): by its role, or — on a shared bucket
   * whose key policy would not fit naming every role — by its account, whose IAM then picks the roles that may use the
   * key through S3. Absent in records written before it was recorded: roles.
   */
  readonly keyPolicyPrincipals?: "roles" | "accounts" | undefined;
  /** The access point that carries the grant, when it goes through one. */
  readonly accessPoint?: { readonly name: string; readonly arn: string } | undefined;
  /** Terraform addresses (`type.logicalId`) of the resources of this half that carry the grant. */
  readonly resources: Readonly<Record<string, string>>;
  /**
   * This half's alarms (see AlarmSettings): whether they are on, the topic they notify, and the Terraform addresses of
   * the alarms and of what they watch (`accessDeniedFilter`, `accessDeniedAlarm`, `errorsAlarm`; per granted prefix
   * `requestMetrics <prefix>` and `clientErrorsAlarm <prefix>`). Absent in records written before alarms existed.
   */
  readonly alarms?: (AlarmRecord & { readonly resources: Readonly<Record<string, string>> }) | undefined;
  /**
   * The bucket account's half: whether S3 server access logs of the bucket are on (off for an existing bucket, whose
   * logging is its owner's). The rule CAS-S3-8 accepts a bucket without logging only when this says off. Absent in the
   * Lambda account's half, and in records written before access logging existed.
   */
  readonly accessLogging?: { readonly enabled: boolean } | undefined;
}

/** The records of a stack's Terraform JSON: what `//.cross-account-s3-lambda` holds. */
export interface GrantRecords {
  readonly version: number;
  readonly grants: readonly GrantRecord[];
}

/** A record whose resource addresses are read at synth (a logical ID may still change until then). */
export type PendingRecord = Omit<GrantRecord, "resources" | "alarms"> & {
  readonly resources: Readonly<Record<string, TerraformResource | undefined>>;
  readonly alarms: AlarmRecord & { readonly resources: Readonly<Record<string, TerraformResource | undefined>> };
};

const recorded = new WeakMap<TerraformStack, Array<() => GrantRecord>>();

const addressOf = (resource: TerraformResource): string =>
  `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;

/** Records one half of a grant into the Terraform JSON of the stack `scope` is in. */
export function recordGrant(scope: IConstruct, record: PendingRecord): void {
  const stack = TerraformStack.of(scope);
  let list = recorded.get(stack);
  if (!list) {
    list = [];
    recorded.set(stack, list);
    const produce = list;
    stack.addOverride(`//.${GRANT_RECORD_KEY}`, {
      version: GRANT_RECORD_VERSION,
      grants: Lazy.anyValue({ produce: () => produce.map((f) => f()) }),
    });
  }
  const addresses = (resources: Readonly<Record<string, TerraformResource | undefined>>) =>
    Object.fromEntries(
      Object.entries(resources).flatMap(([name, resource]) => (resource ? [[name, addressOf(resource)]] : [])),
    );
  list.push(() => ({
    ...record,
    resources: addresses(record.resources),
    alarms: { ...record.alarms, resources: addresses(record.alarms.resources) },
  }));
}

/**
 * The key both halves of a grant share: the bucket, the grantee's account and role name, and the access point, if
 * any. The role's path is left out, so that two halves that disagree on it pair up and the drift is reported by name.
 */
export function grantKey(
  partition: string,
  bucketName: string,
  lambdaRoleArn: string,
  accessPointName?: string,
): string {
  const account = accountOf(lambdaRoleArn) ?? "";
  const roleName = lambdaRoleArn.slice(lambdaRoleArn.lastIndexOf("/") + 1);
  return [
    `arn:${partition}:s3:::${bucketName}`,
    `${account}:${roleName}`,
    ...(accessPointName ? [accessPointName] : []),
  ].join("|");
}

/** What the events of a recorded grant are planned from (see EventsContext), when it declares events. */
function eventsContextOf(record: GrantRecord): EventsContext | undefined {
  const { events } = record.grant;
  const functionName = record.lambda.eventFunctionName;
  if (!events || functionName === undefined) return undefined;
  return {
    events,
    lambdaAccountId: record.lambda.accountId,
    lambdaRegion: record.lambda.region,
    lambdaRoleArn: record.lambda.roleArn,
    functionName,
    bucketAccountId: record.bucket.accountId,
    bucketRegion: record.bucket.region,
    bucketName: record.bucket.bucketName,
  };
}

/**
 * The grant's events as its record declares them, planned again (see planEvents): the names, ARNs, patterns and
 * policies both halves must have created. Undefined when the grant declares no events through EventBridge.
 */
export function eventsPlanOf(record: GrantRecord): EventsPlan | undefined {
  const ctx = eventsContextOf(record);
  return ctx && ctx.events.delivery !== "sqs" ? planEvents(ctx) : undefined;
}

/**
 * The grant's events on the SQS path as its record declares them, planned again (see planQueueEvents). Undefined
 * when the grant declares no events through SQS.
 */
export function queueEventsPlanOf(record: GrantRecord): QueueEventsPlan | undefined {
  const ctx = eventsContextOf(record);
  return ctx && ctx.events.delivery === "sqs" ? planQueueEvents(ctx) : undefined;
}
