/** Account A's side of a grant: the grantee's role and function, and the grant's identity policy on the role. */
import type { LambdaAccountHalf } from "../halves";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { ALARMS_ADVICE, topicOf, type ResolvedAlarms } from "../../declaration/alarm-settings";
import type { Construct, ITerraformDependable } from "../../core/cdktf";
import { encodeEventFilter, encodeGrantedPrefixes, HANDLER_ENVIRONMENT } from "../../contract";
import { GrantEventBus } from "../grant-event-bus";
import { GrantEventQueue } from "../grant-event-queue";
import type { GrantDeclaration, GrantPlan } from "../../policy/plan-grant";
import { LambdaAlarms } from "../lambda-alarms";
import { LambdaGrantee, type LambdaAccountOptions } from "../lambda-grantee";
import { LAMBDA_SETTING_DEFAULTS, type LambdaSettings } from "../../declaration/lambda-settings";
import { renderPolicy } from "../../core/policy-document";
import { recordConfigSource } from "../../record/config-source";
import { literalConfig } from "../../core/terraform-text";

/** The validated settings one grantee's half is built from. */
export interface GranteeSettings {
  readonly lambda: LambdaSettings;
  readonly bucket: { readonly bucketName: string; readonly region: string };
  readonly grant: GrantDeclaration;
}

/** The grant's event filter, on whichever path its events travel. */
const eventsFilterOf = (plan: GrantPlan) => plan.events ?? plan.queueEvents;

/** The function's environment the grant writes (see HANDLER_ENVIRONMENT): what the handler needs to act on it. */
export function grantEnvironment(settings: GranteeSettings, plan: GrantPlan): Record<string, string> {
  const env = HANDLER_ENVIRONMENT;
  return {
    [env.bucketName]: settings.bucket.bucketName,
    [env.bucketRegion]: settings.bucket.region,
    [env.accessMode]: settings.grant.mode,
    // The handler refuses requests outside the grant before calling AWS.
    [env.grantedPrefixes]: encodeGrantedPrefixes(settings.grant.prefixes),
    ...(plan.accessRoleArn ? { [env.accessRoleArn]: plan.accessRoleArn } : {}),
    ...(settings.grant.externalId ? { [env.externalId]: settings.grant.externalId } : {}),
    // The grant goes through the grantee's access point: every request names it instead of the bucket.
    ...(plan.accessPoint ? { [env.accessPointArn]: plan.accessPoint.arn } : {}),
    // The handler refuses an event about a key outside the grant's event prefixes before calling AWS.
    ...(eventsFilterOf(plan) ? { [env.eventFilter]: encodeEventFilter(eventsFilterOf(plan)!) } : {}),
  };
}

/**
 * Account A's half, built into `scope`: the grantee, the grant's identity policy on its role, and, when the alarms
 * are on and the function is created here, the function's alarms. `id` names the declaration in messages (its
 * configuration path, or the construct's id).
 */
export function buildLambdaAccount(
  scope: Construct,
  id: string,
  lambda: LambdaAccountOptions,
  settings: GranteeSettings,
  plan: GrantPlan,
  alarms: ResolvedAlarms,
): LambdaAccountHalf {
  const { provider, code, existingRole } = lambda;
  const grantee = new LambdaGrantee(scope, "lambda", {
    ...settings.lambda,
    provider,
    ...(code ? { code } : {}),
    ...(existingRole ? { existingRole, existingRoleArn: undefined } : {}),
    grantVariables: grantEnvironment(settings, plan),
    configPath: `${id}.lambda`,
  });
  const grantPolicy = new IamRolePolicy(
    scope,
    "lambda-grant-policy",
    literalConfig({
      provider,
      name: plan.accessRoleArn ? "assume-s3-access-role" : "cross-account-s3-access",
      role: grantee.roleName,
      policy: renderPolicy(plan.lambdaRolePolicy),
    }),
  );
  const { function: fn, logGroup } = grantee;
  if (fn) recordConfigSource(fn, { field: `${id}.alarms`, rules: ["CAS-MON-1"], advice: ALARMS_ADVICE });
  const topicArn = topicOf(alarms, settings.lambda.accountId);
  const { events, queueEvents } = addGrantEvents(
    scope,
    provider,
    settings,
    plan,
    { fn, roleName: grantee.roleName },
    {
      enabled: alarms.enabled,
      topicArn,
    },
  );
  const withEvents = { grantee, grantPolicy, ...(events ? { events } : {}), ...(queueEvents ? { queueEvents } : {}) };
  if (!alarms.enabled || !fn || !logGroup) return withEvents;
  const functionAlarms = new LambdaAlarms(scope, "lambda-alarms", {
    provider,
    functionName: settings.lambda.functionName!,
    logGroupName: logGroup.name,
    topicArn,
  });
  return { ...withEvents, alarms: functionAlarms };
}

/** The grant's events in account A, on the path it declares: the grant's bus, or its queue. */
function addGrantEvents(
  scope: Construct,
  provider: LambdaAccountOptions["provider"],
  settings: GranteeSettings,
  plan: GrantPlan,
  target: { readonly fn: ITerraformDependable | undefined; readonly roleName: string },
  alarms: { readonly enabled: boolean; readonly topicArn?: string | undefined },
): Pick<LambdaAccountHalf, "events" | "queueEvents"> {
  const events = plan.events
    ? new GrantEventBus(scope, "lambda-events", {
        provider,
        lambdaAccountId: settings.lambda.accountId,
        bucketName: settings.bucket.bucketName,
        plan: plan.events,
        function: target.fn,
        alarms,
      })
    : undefined;
  const queueEvents = plan.queueEvents
    ? new GrantEventQueue(scope, "lambda-queue-events", {
        provider,
        bucketName: settings.bucket.bucketName,
        plan: plan.queueEvents,
        roleName: target.roleName,
        functionTimeoutSeconds: settings.lambda.timeoutSeconds ?? LAMBDA_SETTING_DEFAULTS.timeoutSeconds!,
        function: target.fn,
        alarms,
      })
    : undefined;
  return { events, queueEvents };
}
