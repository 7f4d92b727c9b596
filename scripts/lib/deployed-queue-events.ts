/**
 * A grant's events on the SQS path as deployed: the queue's policy and its key's policy fetched back from the
 * (emulated) Lambda account after apply, in the shape of the proof's model (modules/proof/queue-events.ts), so the
 * same requests (queueEventRequestsOf) prove that what was deployed is what was proven before deployment; and what
 * the proof cannot see in a policy — the queue under that key, the mapping that reads it — checked as deployed.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import { LambdaClient, ListEventSourceMappingsCommand } from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand, GetQueueUrlCommand, ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { planQueueEvents, type QueueEventsPlan } from "../../modules/internal";
import type { GrantRecord } from "../../modules/proof";
import type { QueueEventsModel } from "../../modules/proof/queue-events";
import { queueEventsPlanOf } from "../../modules/record/grant-record";
import type { EnvironmentConfig } from "../../stacks/config";
import { eventsContextOfConfig, queuePolicy } from "./deployed-events";
import { parsePolicy } from "./deployed-model";
import { emulatorClientConfig, roleCredentials, type Emulator } from "./emulator";

type ClientConfig = ReturnType<typeof emulatorClientConfig>;

/** What the deployed queue and mapping lack: the queue under the key the alias names, read for the function. */
async function deployedWiringProblems(inA: ClientConfig, plan: QueueEventsPlan, keyArn: string): Promise<string[]> {
  const part = plan.lambdaAccount;
  const sqs = new SQSClient(inA);
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: part.queue.name }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
  const key = Attributes?.KmsMasterKeyId ?? "";
  const problems: string[] = [];
  if (key !== keyArn && !keyArn.endsWith(`/${key}`) && key !== part.key.alias)
    problems.push(`the queue ${part.queue.name} is encrypted with ${key || "no key"}, not ${part.key.alias}`);
  const { EventSourceMappings } = await new LambdaClient(inA).send(
    new ListEventSourceMappingsCommand({ EventSourceArn: part.queue.arn }),
  );
  const reading = (EventSourceMappings ?? []).filter(
    (m) => m.FunctionArn === part.functionArn && (m.FunctionResponseTypes ?? []).includes("ReportBatchItemFailures"),
  );
  if (reading.length !== 1)
    problems.push(`${reading.length} mappings read the queue ${part.queue.name} for ${part.functionArn}, not one`);
  return problems;
}

/**
 * Fetches back the deployed policies of a grant's events on the SQS path, as its record names them, acting in the
 * Lambda account through `deployRoleArn`; undefined when the grant declares no events there.
 */
export async function queueEventsModelFromEmulator(
  emulator: Emulator,
  record: GrantRecord,
  deployRoleArn: (accountId: string) => string,
): Promise<QueueEventsModel | undefined> {
  const plan = queueEventsPlanOf(record);
  if (!plan) return undefined;
  const inA = emulatorClientConfig(
    emulator.endpoint,
    await roleCredentials(emulator.endpoint, deployRoleArn(record.lambda.accountId), "proof"),
  );
  const kms = new KMSClient(inA);
  const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: plan.lambdaAccount.key.alias }));
  const keyArn = KeyMetadata?.Arn ?? "";
  const { Policy } = await kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: "default" }));
  return {
    plan,
    queuePolicy: await queuePolicy(new SQSClient(inA), plan.lambdaAccount.queue),
    keyArn,
    keyPolicy: parsePolicy(Policy, `the policy of ${plan.lambdaAccount.key.alias}`),
    problems: await deployedWiringProblems(inA, plan, keyArn),
  };
}

/** The events of an environment's grant on the SQS path, as its declaration plans them; undefined otherwise. */
export function queueEventsPlanOfConfig(config: EnvironmentConfig): QueueEventsPlan | undefined {
  const ctx = eventsContextOfConfig(config);
  return ctx?.events.delivery === "sqs" ? planQueueEvents(ctx) : undefined;
}

/**
 * What of a grant's events on the SQS path is left in the Lambda account after destroy, looked up by the names the
 * declaration plans: the queue and its dead-letter queue, the key's alias, the mapping, the alarm.
 */
export async function queueEventLeftovers(config: EnvironmentConfig, inA: ClientConfig): Promise<string[]> {
  const plan = queueEventsPlanOfConfig(config);
  if (!plan) return [];
  const part = plan.lambdaAccount;
  const queues = await new SQSClient(inA).send(new ListQueuesCommand({ QueueNamePrefix: part.queue.name }));
  const { Aliases } = await new KMSClient(inA).send(new ListAliasesCommand({}));
  const { EventSourceMappings } = await new LambdaClient(inA).send(
    new ListEventSourceMappingsCommand({ EventSourceArn: part.queue.arn }),
  );
  const { MetricAlarms } = await new CloudWatchClient(inA).send(
    new DescribeAlarmsCommand({ AlarmNamePrefix: part.queue.name }),
  );
  return [
    ...(queues.QueueUrls ?? []).map((url) => `queue ${url}`),
    ...(Aliases ?? []).filter((a) => a.AliasName === part.key.alias).map((a) => `key alias ${a.AliasName}`),
    ...(EventSourceMappings ?? []).map((m) => `event source mapping ${m.UUID} on ${part.queue.name}`),
    ...(MetricAlarms ?? []).map((a) => `alarm ${a.AlarmName}`),
  ];
}
