/**
 * What each half of a grant records about itself (see grant-record.ts), from the settings it was built from, its plan
 * and the resources it created.
 */
import { resolveAccessLogging } from "../../declaration/access-logging";
import { topicOf, type ResolvedAlarms } from "../../declaration/alarm-settings";
import type { BucketAlarms } from "../bucket-alarms";
import type { BucketAccountResources } from "./bucket-side";
import type { IConstruct, TerraformProvider, TerraformResource } from "../../core/cdktf";
import type { GrantDeclaration, GrantPlan } from "../../policy/plan-grant";
import { grantKey, recordGrant } from "../../record/grant-record";
import type { LambdaAccountHalf } from "../halves";
import type { LambdaSettings } from "../../declaration/lambda-settings";
import type { BucketSettings } from "../../declaration/bucket-settings";
import { partitionOf } from "../../core/regions";

export interface RecordedDeclaration {
  readonly lambda: LambdaSettings;
  readonly bucket: BucketSettings;
  readonly grant: GrantDeclaration;
  readonly configPath?: string | undefined;
  /** How the bucket account's key policy names the grantee (see GrantRecord.keyPolicyPrincipals). @default "roles" */
  readonly keyPolicyPrincipals?: "roles" | "accounts" | undefined;
}

function common(scope: IConstruct, declaration: RecordedDeclaration, plan: GrantPlan, provider: TerraformProvider) {
  const { lambda, bucket, grant } = declaration;
  const partition = partitionOf(bucket.region).partition;
  const accessPointName = plan.accessPoint?.arn.split("/").pop();
  return {
    key: grantKey(partition, bucket.bucketName, plan.lambdaRoleArn, accessPointName),
    construct: scope.node.path,
    ...(declaration.configPath !== undefined ? { configPath: declaration.configPath } : {}),
    partition,
    provider: provider.fqn,
    lambda: {
      accountId: lambda.accountId,
      region: lambda.region,
      roleArn: plan.lambdaRoleArn,
      roleCreated: lambda.roleName !== undefined,
      ...(lambda.createFunction !== false && lambda.functionName !== undefined
        ? { functionName: lambda.functionName }
        : {}),
      ...(grant.events && lambda.functionName !== undefined ? { eventFunctionName: lambda.functionName } : {}),
    },
    bucket: {
      accountId: bucket.accountId,
      region: bucket.region,
      bucketName: bucket.bucketName,
      keyAlias: bucket.keyAlias,
      ...(bucket.existing ? { existingKeyArn: bucket.existing.keyArn } : {}),
      ...(grant.events && bucket.existing?.notification ? { existingNotification: bucket.existing.notification } : {}),
    },
    grant,
    ...(plan.accessRoleArn ? { accessRoleArn: plan.accessRoleArn } : {}),
    ...(plan.accessPoint && accessPointName
      ? { accessPoint: { name: accessPointName, arn: plan.accessPoint.arn } }
      : {}),
  };
}

/**
 * Records the Lambda account's half of a grant: the grantee's role, its function, the grant's policy, and the
 * function's alarms.
 */
export function recordLambdaHalf(
  scope: IConstruct,
  declaration: RecordedDeclaration,
  plan: GrantPlan,
  half: LambdaAccountHalf,
  provider: TerraformProvider,
  alarms: ResolvedAlarms,
): void {
  const topicArn = topicOf(alarms, declaration.lambda.accountId);
  recordGrant(scope, {
    ...common(scope, declaration, plan, provider),
    half: "lambda",
    resources: {
      lambdaRole: half.grantee.role,
      grantPolicy: half.grantPolicy,
      function: half.grantee.function,
      eventBus: half.events?.bus,
      eventBusPolicy: half.events?.busPolicy,
      eventRule: half.events?.rule,
      eventTarget: half.events?.target,
      eventPermission: half.events?.permission,
      eventDeadLetterQueue: half.events?.deadLetters.queue,
      eventQueue: half.queueEvents?.queue,
      eventQueueKey: half.queueEvents?.key,
      eventQueueDeadLetterQueue: half.queueEvents?.deadLetterQueue,
      eventQueueRolePolicy: half.queueEvents?.rolePolicy,
      eventSourceMapping: half.queueEvents?.mapping,
    },
    alarms: {
      enabled: alarms.enabled,
      ...(topicArn ? { topicArn } : {}),
      resources: {
        accessDeniedFilter: half.alarms?.accessDeniedFilter,
        accessDeniedAlarm: half.alarms?.accessDeniedAlarm,
        errorsAlarm: half.alarms?.errorsAlarm,
        eventDeadLettersAlarm: half.events?.deadLetters.depthAlarm ?? half.queueEvents?.depthAlarm,
        eventFailuresAlarm: half.events?.deadLetters.failedInvocationsAlarm,
      },
    },
  });
}

/**
 * Records the bucket account's half of a grant: the bucket and key (or their policies alone), the grantee's S3 access
 * role and access point, if any, and the request metrics and alarms of the grant's prefixes.
 */
export function recordBucketHalf(
  scope: IConstruct,
  declaration: RecordedDeclaration,
  plan: GrantPlan,
  half: BucketAccountResources,
  grantee: string,
  provider: TerraformProvider,
  alarms: { readonly settings: ResolvedAlarms; readonly created?: BucketAlarms | undefined },
): void {
  const accessRole = half.accessRoles.get(grantee);
  const events = half.events.get(grantee);
  const accessPointName = plan.accessPoint?.arn.split("/").pop();
  const topicArn = topicOf(alarms.settings, declaration.bucket.accountId);
  recordGrant(scope, {
    ...common(scope, declaration, plan, provider),
    half: "bucket",
    keyPolicyPrincipals: declaration.keyPolicyPrincipals ?? "roles",
    accessLogging: { enabled: resolveAccessLogging(declaration.bucket).enabled },
    alarms: {
      enabled: alarms.settings.enabled,
      ...(topicArn ? { topicArn } : {}),
      resources: {
        ...Object.fromEntries(
          declaration.grant.prefixes.flatMap(({ prefix }): Array<[string, TerraformResource | undefined]> => [
            [`requestMetrics ${prefix}`, alarms.created?.requestMetrics.get(prefix)],
            [`clientErrorsAlarm ${prefix}`, alarms.created?.clientErrorsAlarms.get(prefix)],
          ]),
        ),
        eventDeadLettersAlarm: events?.deadLetters.depthAlarm,
        eventFailuresAlarm: events?.deadLetters.failedInvocationsAlarm,
      },
    },
    resources: {
      bucket: half.bucket?.bucket,
      bucketPolicy: half.policies.bucketPolicy,
      key: half.key?.key,
      keyPolicy: half.policies.keyPolicy,
      accessLogBucket: half.accessLogBucket?.bucket,
      accessLogging: half.bucket?.accessLogging,
      accessRole: accessRole?.role,
      accessRolePolicy: accessRole?.rolePolicy,
      accessPoint: accessPointName ? half.accessPoints.get(accessPointName) : undefined,
      notification: events ? half.notification : undefined,
      eventRule: events?.rule,
      eventTarget: events?.target,
      eventRole: events?.role,
      eventRolePolicy: events?.rolePolicy,
      eventDeadLetterQueue: events?.deadLetters.queue,
    },
  });
}
