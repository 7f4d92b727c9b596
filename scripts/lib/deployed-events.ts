/**
 * A grant's events as deployed: every policy of their hops fetched back from the (emulated) accounts after apply — the
 * bucket account's sending role (trust and policies), the grant's bus policy, the function's policy and both
 * dead-letter queues' policies — in the shape of the proof's events model (modules/proof/events.ts), so the same
 * requests (eventRequestsOf) prove that what was deployed is what was proven before deployment.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import {
  DescribeEventBusCommand,
  EventBridgeClient,
  ListEventBusesCommand,
  ListRulesCommand,
} from "@aws-sdk/client-eventbridge";
import { GetRoleCommand, IAMClient, NoSuchEntityException } from "@aws-sdk/client-iam";
import { GetPolicyCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand, GetQueueUrlCommand, ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { lambdaRoleArnOf, planEvents, type PolicyDocument } from "../../modules/internal";
import type { EnvironmentConfig } from "../../stacks/config";
import type { GrantRecord } from "../../modules/proof";
import type { EventsModel } from "../../modules/proof/events";
import type { EventsContext, EventsPlan, NamedResource } from "../../modules/policy/plan-events";
import { eventsPlanOf } from "../../modules/record/grant-record";
import { fetchRole, parsePolicy } from "./deployed-model";
import { emulatorClientConfig, roleCredentials, type Emulator } from "./emulator";

type ClientConfig = ReturnType<typeof emulatorClientConfig>;

/** A queue's policy as SQS holds it (none: no statement). */
export async function queuePolicy(sqs: SQSClient, queue: NamedResource): Promise<PolicyDocument> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queue.name }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["Policy"] }));
  return Attributes?.Policy
    ? parsePolicy(Attributes.Policy, `the policy of queue ${queue.name}`)
    : { Version: "2012-10-17", Statement: [] };
}

/**
 * Fetches back the deployed policies of a grant's events, as its record names them (see eventsPlanOf), acting in each
 * account through `deployRoleArn`; undefined when the grant declares no events.
 */
export async function eventsModelFromEmulator(
  emulator: Emulator,
  record: GrantRecord,
  deployRoleArn: (accountId: string) => string,
): Promise<EventsModel | undefined> {
  const plan = eventsPlanOf(record);
  if (!plan) return undefined;
  const as = async (accountId: string) =>
    emulatorClientConfig(
      emulator.endpoint,
      await roleCredentials(emulator.endpoint, deployRoleArn(accountId), "proof"),
    );
  const inA = await as(record.lambda.accountId);
  const inB = await as(record.bucket.accountId);
  const bus = await new EventBridgeClient(inA).send(new DescribeEventBusCommand({ Name: plan.lambdaAccount.bus.name }));
  const fn = await new LambdaClient(inA).send(new GetPolicyCommand({ FunctionName: plan.lambdaAccount.functionArn }));
  return {
    plan,
    senderRole: await fetchRole(new IAMClient(inB), plan.bucketAccount.role.arn),
    busPolicy: parsePolicy(bus.Policy, `the policy of bus ${plan.lambdaAccount.bus.name}`),
    functionPolicy: parsePolicy(fn.Policy, `the policy of ${plan.lambdaAccount.functionArn}`),
    deadLetterPolicies: {
      bucketAccount: await queuePolicy(new SQSClient(inB), plan.bucketAccount.deadLetterQueue),
      lambdaAccount: await queuePolicy(new SQSClient(inA), plan.lambdaAccount.deadLetterQueue),
    },
    problems: [],
  };
}

/** What an environment's grant's events are planned from (see EventsContext); undefined without events. */
export function eventsContextOfConfig(config: EnvironmentConfig): EventsContext | undefined {
  const { events } = config.grant;
  if (!events || config.lambda.functionName === undefined) return undefined;
  return {
    events,
    lambdaAccountId: config.lambda.accountId,
    lambdaRegion: config.lambda.region,
    lambdaRoleArn: lambdaRoleArnOf(config.lambda),
    functionName: config.lambda.functionName,
    bucketAccountId: config.bucket.accountId,
    bucketRegion: config.bucket.region,
    bucketName: config.bucket.bucketName,
  };
}

/** The events of an environment's grant through EventBridge, as its declaration plans them (see planEvents). */
export function eventsPlanOfConfig(config: EnvironmentConfig): EventsPlan | undefined {
  const ctx = eventsContextOfConfig(config);
  return ctx && ctx.events.delivery !== "sqs" ? planEvents(ctx) : undefined;
}

/**
 * What of a grant's events is left in either account after destroy, looked up by the names the declaration plans:
 * the grant's bus and the bucket account's rule, both dead-letter queues, the sending role, and their alarms.
 */
export async function eventLeftovers(
  config: EnvironmentConfig,
  clients: { readonly inA: ClientConfig; readonly inB: ClientConfig },
): Promise<string[]> {
  const plan = eventsPlanOfConfig(config);
  if (!plan) return [];
  const { inA, inB } = clients;
  const { bus } = plan.lambdaAccount;
  const buses = await new EventBridgeClient(inA).send(new ListEventBusesCommand({ NamePrefix: bus.name }));
  const rules = await new EventBridgeClient(inB).send(
    new ListRulesCommand({ NamePrefix: plan.bucketAccount.rule.name }),
  );
  const found = [
    ...(buses.EventBuses ?? []).map((b) => `event bus ${b.Name}`),
    ...(rules.Rules ?? []).map((r) => `event rule ${r.Name}`),
  ];
  for (const [clientConfig, part] of [
    [inA, plan.lambdaAccount],
    [inB, plan.bucketAccount],
  ] as const) {
    const queues = await new SQSClient(clientConfig).send(
      new ListQueuesCommand({ QueueNamePrefix: part.deadLetterQueue.name }),
    );
    found.push(...(queues.QueueUrls ?? []).map((url) => `queue ${url}`));
    const { MetricAlarms } = await new CloudWatchClient(clientConfig).send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: part.rule.name }),
    );
    found.push(...(MetricAlarms ?? []).map((a) => `alarm ${a.AlarmName}`));
  }
  try {
    await new IAMClient(inB).send(new GetRoleCommand({ RoleName: plan.bucketAccount.role.name }));
    found.push(`IAM role ${plan.bucketAccount.role.name} in ${config.bucket.accountId}`);
  } catch (e) {
    if (!(e instanceof NoSuchEntityException)) throw e;
  }
  return found;
}
