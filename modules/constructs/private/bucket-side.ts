/**
 * Account B's side of one or many grants: the S3 access roles, the key and the bucket (or only the policies of an
 * existing bucket and key), and the grantees' access points, all from planned policy statements.
 */
import { S3AccessPoint } from "@cdktf/provider-aws/lib/s3-access-point";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { BucketEvents } from "../bucket-events";
import { AccessLogBucket } from "../access-log-bucket";
import { ACCESS_LOGGING_ADVICE, resolveAccessLogging } from "../../declaration/access-logging";
import {
  type Construct,
  type ITerraformDependable,
  type TerraformProvider,
  type TerraformResource,
  dependable,
} from "../../core/cdktf";
import { BucketKey } from "../bucket-key";
import type { BucketSettings, ExistingNotification, NotificationEntry } from "../../declaration/bucket-settings";
import { addExistingPolicies } from "./existing-resources";
import { ALARMS_ADVICE } from "../../declaration/alarm-settings";

export type { BucketSettings } from "../../declaration/bucket-settings";
import { renderPolicy } from "../../core/policy-document";
import { accessPointPolicy, type BucketAccountPlan } from "../../policy/bucket-account";
import type { QueueEventsPlan } from "../../policy/plan-queue-events";
import { recordConfigSource } from "../../record/config-source";
import { S3AccessRole } from "../s3-access-role";
import { partitionOf } from "../../core/regions";
import { SecureBucket } from "../secure-bucket";
import { literalConfig } from "../../core/terraform-text";

export interface BucketAccountResources {
  /** The bucket and key this stack creates; undefined when attaching to existing ones. */
  readonly bucket?: SecureBucket | undefined;
  readonly key?: BucketKey | undefined;
  /** The log bucket of the bucket's server access logs, when this stack creates it. */
  readonly accessLogBucket?: AccessLogBucket | undefined;
  readonly bucketName: string;
  /** ARN of the bucket's key (a reference when this stack creates it). */
  readonly kmsKeyArn: string;
  /** Access roles by grantee. */
  readonly accessRoles: ReadonlyMap<string, S3AccessRole>;
  /** Access points by name. */
  readonly accessPoints: ReadonlyMap<string, S3AccessPoint>;
  /** The resources holding the bucket policy and the key policy (the bucket's and key's own, or an existing one's). */
  readonly policies: { readonly bucketPolicy: TerraformResource; readonly keyPolicy: TerraformResource };
  /** The bucket's one notification configuration, when a grant on it declares events. */
  readonly notification?: S3BucketNotification | undefined;
  /** Each grant's events in the bucket account, by grantee (see BucketAccountPlan.events). */
  readonly events: ReadonlyMap<string, BucketEvents>;
}

/** Whether the alarms of the bucket account are on, and the topic they notify. */
export interface BucketAlarmChoice {
  readonly enabled: boolean;
  readonly topicArn?: string | undefined;
}

/**
 * The bucket and key this library creates for a bucket side, and the log bucket its server access logs go to (unless
 * they are off or go to an existing log bucket); `waitFor` are the grantees' roles their policies name.
 */
function addCreatedBucket(
  scope: Construct,
  id: string,
  provider: TerraformProvider,
  bucket: BucketSettings,
  side: BucketAccountPlan,
  waitFor: readonly ITerraformDependable[],
): BucketHalf {
  const key = new BucketKey(scope, "key", {
    provider,
    accountId: bucket.accountId,
    region: bucket.region,
    alias: bucket.keyAlias,
    description: `Encrypts objects of s3://${bucket.bucketName}`,
    policyStatements: side.keyPolicyStatements,
    dependsOn: waitFor,
  });
  const logging = resolveAccessLogging(bucket);
  const logBucket =
    logging.enabled && logging.created
      ? new AccessLogBucket(scope, "access-logs", {
          provider,
          bucketName: logging.created.bucketName,
          region: bucket.region,
          accountId: bucket.accountId,
          sources: [{ bucketName: bucket.bucketName, prefix: logging.prefix }],
          retentionDays: logging.created.retentionDays,
          versioning: logging.created.versioning,
          forceDestroy: bucket.forceDestroy,
        })
      : undefined;
  const secure = new SecureBucket(scope, "bucket", {
    provider,
    bucketName: bucket.bucketName,
    region: bucket.region,
    kmsKeyArn: key.keyArn,
    forceDestroy: bucket.forceDestroy,
    policyStatements: side.bucketPolicyStatements,
    policyDependsOn: waitFor,
    lifecycle: bucket.lifecycle,
    accessLogs: logging.enabled
      ? { targetBucket: logging.targetBucket, targetPrefix: logging.prefix, dependsOn: logBucket?.ready ?? [] }
      : undefined,
  });
  // The rules on server access logs and lifecycles name the settings behind them.
  recordConfigSource(secure.bucket, {
    field: `${id}.bucket.accessLogging`,
    rules: ["CAS-S3-8"],
    advice: ACCESS_LOGGING_ADVICE,
  });
  recordConfigSource(secure.bucket, { field: `${id}.bucket.lifecycle`, rules: ["CAS-S3-9"] });
  if (logBucket)
    recordConfigSource(logBucket, { field: `${id}.bucket.accessLogging`, rules: ["CAS-S3-9", "CAS-S3-10"] });
  return {
    bucket: secure,
    key,
    ...(logBucket ? { accessLogBucket: logBucket } : {}),
    bucketName: bucket.bucketName,
    kmsKeyArn: key.keyArn,
    policies: { bucketPolicy: secure.policy, keyPolicy: key.key },
  };
}

type BucketHalf = Omit<BucketAccountResources, "accessPoints" | "accessRoles" | "events" | "notification">;

/**
 * Builds account B's side into `scope`. `id` names the declaration in messages and rule findings (its configuration
 * path, or the construct's id). `granteeRoles` are the grantees' Lambda roles when they are in the same stack: with
 * the role-arn principal style, B's resources naming them wait for them.
 */
export function buildBucketAccount(
  scope: Construct,
  id: string,
  provider: TerraformProvider,
  bucket: BucketSettings,
  side: BucketAccountPlan,
  granteeRoles: ReadonlyMap<string, ITerraformDependable>,
  alarms: BucketAlarmChoice,
): BucketAccountResources {
  const accessRoles = addAccessRoles(scope, id, provider, side, granteeRoles);
  const waitFor: ITerraformDependable[] = side.roleArnGrantees.flatMap((c) => {
    const grantee = accessRoles.get(c)?.role ?? granteeRoles.get(c);
    return grantee ? [grantee] : [];
  });
  const half = bucket.existing
    ? addExistingBucketPolicies(scope, id, provider, { ...bucket, existing: bucket.existing }, side, waitFor)
    : addCreatedBucket(scope, id, provider, bucket, side, waitFor);
  const bucketId = half.bucket ? half.bucket.bucket.id : bucket.bucketName;
  const accessPoints = addAccessPoints(scope, provider, bucket, side, { bucketId, kmsKeyArn: half.kmsKeyArn, waitFor });
  // A grant's request metrics and alarms watch the bucket: CAS-MON-1 reports on it (or on the policy of an existing one).
  recordConfigSource(half.bucket?.bucket ?? half.policies.bucketPolicy, {
    field: `${id}.alarms`,
    rules: ["CAS-MON-1"],
    advice: ALARMS_ADVICE,
  });
  const events = addEvents(scope, provider, half, side, alarms, bucket.existing?.notification);
  return { ...half, accessRoles, accessPoints, ...events };
}

/** An existing bucket's notification entries, as the notification configuration's blocks take them. */
function entryBlocks<K extends string>(arnField: K, entries: readonly NotificationEntry[] | undefined) {
  return (entries ?? []).map((e) => ({
    [arnField]: e.arn,
    events: [...e.events],
    ...(e.id !== undefined ? { id: e.id } : {}),
    ...(e.filterPrefix !== undefined ? { filterPrefix: e.filterPrefix } : {}),
    ...(e.filterSuffix !== undefined ? { filterSuffix: e.filterSuffix } : {}),
  })) as Array<Record<K, string> & { events: string[] }>;
}

/** A grant's entries on the SQS path, as an existing bucket's entries are given. */
const queueEntries = (plan: QueueEventsPlan): NotificationEntry[] =>
  plan.bucketAccount.entries.map(({ queueArn, ...entry }) => ({ ...entry, arn: queueArn }));

/**
 * The grants' events in the bucket account: the bucket's one notification configuration, sending every event to the
 * default bus (saved after the bucket policy: S3 refuses the two saved at once) beside the entries an existing
 * bucket holds today, and each grant's forwarding rule.
 */
function addEvents(
  scope: Construct,
  provider: TerraformProvider,
  half: BucketHalf,
  side: BucketAccountPlan,
  alarms: BucketAlarmChoice,
  existing: ExistingNotification | undefined,
): Pick<BucketAccountResources, "events" | "notification"> {
  const events = new Map<string, BucketEvents>();
  if (side.events.length === 0 && side.queueEvents.length === 0) return { events };
  const { bucketName } = half;
  // The SQS grants' entries follow the entries the bucket holds today (see planQueueEvents).
  const queues = [...(existing?.queues ?? []), ...side.queueEvents.flatMap((q) => queueEntries(q.plan))];
  const notification = new S3BucketNotification(
    scope,
    "bucket-notification",
    literalConfig({
      provider,
      bucket: half.bucket?.bucket.id ?? bucketName,
      ...(side.events.length > 0 || existing?.eventBridge ? { eventbridge: true } : {}),
      ...(queues.length ? { queue: entryBlocks("queueArn", queues) } : {}),
      ...(existing?.topics?.length ? { topic: entryBlocks("topicArn", existing.topics) } : {}),
      ...(existing?.lambdaFunctions?.length
        ? { lambdaFunction: entryBlocks("lambdaFunctionArn", existing.lambdaFunctions) }
        : {}),
      dependsOn: [half.policies.bucketPolicy],
    }),
  );
  for (const e of side.events) {
    events.set(e.grantee, new BucketEvents(scope, e.id, { provider, bucketName, plan: e.plan, alarms }));
  }
  return { events, notification };
}

/** The S3 access roles by grantee; one whose grantee's Lambda role is in this stack waits for that role. */
function addAccessRoles(
  scope: Construct,
  id: string,
  provider: TerraformProvider,
  side: BucketAccountPlan,
  granteeRoles: ReadonlyMap<string, ITerraformDependable>,
): Map<string, S3AccessRole> {
  const byArn = new Set(side.roleArnGrantees);
  const accessRoles = new Map<string, S3AccessRole>();
  for (const r of side.accessRoles) {
    const granteeRole = byArn.has(r.grantee) ? granteeRoles.get(r.grantee) : undefined;
    const role = new S3AccessRole(scope, r.id, {
      provider,
      roleName: r.roleName,
      ...(r.path !== undefined ? { path: r.path } : {}),
      trustPolicy: r.trustPolicy,
      policy: r.policy,
      dependsOn: granteeRole ? [granteeRole] : [],
    });
    // The trust's guard across accounts is the grant's ExternalId (or organization): what CAS-IAM-3 asks for.
    recordConfigSource(role.role, {
      field: `${id}.${r.grantField}.externalId`,
      rules: ["CAS-IAM-3"],
      advice: `set it, or ${r.grantField}.principalOrgId`,
    });
    accessRoles.set(r.grantee, role);
  }
  return accessRoles;
}

/** The policies of an existing bucket and key: their existing statements first, then the planned ones. */
function addExistingBucketPolicies(
  scope: Construct,
  id: string,
  provider: TerraformProvider,
  bucket: BucketSettings & { existing: NonNullable<BucketSettings["existing"]> },
  side: BucketAccountPlan,
  waitFor: readonly ITerraformDependable[],
): BucketHalf {
  const { bucketPolicy, keyPolicy } = addExistingPolicies(scope, provider, {
    id,
    partition: partitionOf(bucket.region).partition,
    bucketName: bucket.bucketName,
    existing: bucket.existing,
    bucketPolicyStatements: side.bucketPolicyStatements,
    keyPolicyStatements: side.keyPolicyStatements,
  });
  for (const policy of [bucketPolicy, keyPolicy]) {
    if (waitFor.length > 0) policy.dependsOn = waitFor.map((d) => dependable(d));
  }
  // The existing statements come first in each policy: a rule finding on one of them names its field.
  recordConfigSource(bucketPolicy, {
    field: `${id}.bucket.existing.bucketPolicyStatements`,
    statements: { first: 0, count: bucket.existing.bucketPolicyStatements.length },
  });
  recordConfigSource(keyPolicy, {
    field: `${id}.bucket.existing.keyPolicyStatements`,
    statements: { first: 0, count: bucket.existing.keyPolicyStatements.length },
  });
  return { bucketName: bucket.bucketName, kmsKeyArn: bucket.existing.keyArn, policies: { bucketPolicy, keyPolicy } };
}

/** The grantees' access points on the bucket, each private, with its planned policy. */
function addAccessPoints(
  scope: Construct,
  provider: TerraformProvider,
  bucket: BucketSettings,
  side: BucketAccountPlan,
  on: { readonly bucketId: string; readonly kmsKeyArn: string; readonly waitFor: readonly ITerraformDependable[] },
): Map<string, S3AccessPoint> {
  const accessPoints = new Map<string, S3AccessPoint>();
  for (const ap of side.accessPoints) {
    accessPoints.set(
      ap.name,
      new S3AccessPoint(
        scope,
        ap.id,
        literalConfig({
          provider,
          bucket: on.bucketId,
          accountId: bucket.accountId,
          name: ap.name,
          policy: renderPolicy(accessPointPolicy(ap.arn, on.kmsKeyArn, ap.statements)),
          publicAccessBlockConfiguration: {
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
          },
          ...(on.waitFor.length > 0 ? { dependsOn: [...on.waitFor] } : {}),
        }),
      ),
    );
  }
  return accessPoints;
}

/**
 * Makes the bucket's notification configuration wait for the SQS grants' queues in the same stack: S3 checks, when
 * the configuration is saved, that it may send to each queue (their policies and keys must exist by then).
 */
export function notificationWaitsFor(
  notification: S3BucketNotification | undefined,
  queues: ReadonlyArray<ITerraformDependable | undefined>,
): void {
  const fqns = queues.flatMap((q) => (q ? [dependable(q)] : []));
  if (!notification || fqns.length === 0) return;
  notification.dependsOn = [...(notification.dependsOn ?? []), ...fqns];
}
