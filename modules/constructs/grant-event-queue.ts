/**
 * The Lambda account's part of a grant's events on the SQS path: a queue of the grant's own, encrypted with a
 * customer-managed key of the Lambda account (S3 cannot send to a queue under the AWS-managed `alias/aws/sqs`), whose
 * policy lets S3 send for this bucket of the bucket account only; a dead-letter queue for messages the function fails
 * on five times; the function's permission to read the queue; and the event source mapping that invokes the function
 * with batches, retrying only the messages it reports as failed.
 */
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Construct, type ITerraformDependable, type TerraformProvider } from "../core/cdktf";
import { renderPolicy } from "../core/policy-document";
import { literalConfig } from "../core/terraform-text";
import { DEAD_LETTER_RETENTION_SECONDS } from "../policy/plan-events";
import { QUEUE_MAX_RECEIVE_COUNT, QUEUE_VISIBILITY_FACTOR, type QueueEventsPlan } from "../policy/plan-queue-events";
import { deadLetterDepthAlarm } from "./event-dead-letters";

export interface GrantEventQueueProps {
  /** The aliased provider of the Lambda account. */
  readonly provider: TerraformProvider;
  readonly bucketName: string;
  /** The grant's events, as planned (see planQueueEvents). */
  readonly plan: QueueEventsPlan;
  /** The grantee's role, by name: it reads the queue. */
  readonly roleName: string;
  /** The function's timeout: the queue hides a message it hands out for six times as long. */
  readonly functionTimeoutSeconds: number;
  /** The function, when it is in this stack: the mapping waits for it. */
  readonly function?: ITerraformDependable | undefined;
  /** Days KMS waits before deleting the queue's key after destroy (7-30). @default 30 */
  readonly deletionWindowInDays?: number | undefined;
  /** Whether the alarm on undelivered events is on, and the topic it notifies. */
  readonly alarms: { readonly enabled: boolean; readonly topicArn?: string | undefined };
}

export class GrantEventQueue extends Construct {
  public readonly key: KmsKey;
  public readonly alias: KmsAlias;
  public readonly queue: SqsQueue;
  public readonly deadLetterQueue: SqsQueue;
  /** The grantee's role may receive and delete the queue's messages and decrypt them. */
  public readonly rolePolicy: IamRolePolicy;
  /** Lambda reads the queue in batches and invokes the function, retrying only the messages it reports failed. */
  public readonly mapping: LambdaEventSourceMapping;
  /** Fires when a message waits in the dead-letter queue: the function failed on it five times. */
  public readonly depthAlarm?: CloudwatchMetricAlarm | undefined;

  constructor(scope: Construct, id: string, props: GrantEventQueueProps) {
    super(scope, id);
    const { provider, plan } = props;
    const part = plan.lambdaAccount;
    const what = `new objects of s3://${props.bucketName} under ${plan.prefixes.join(", ")}`;
    this.key = new KmsKey(
      this,
      "key",
      literalConfig({
        provider,
        description: `Encrypts the queue ${part.queue.name} of ${what}`,
        enableKeyRotation: true,
        deletionWindowInDays: props.deletionWindowInDays ?? 30,
        policy: renderPolicy(part.key.policy),
      }),
    );
    this.alias = new KmsAlias(
      this,
      "alias",
      literalConfig({ provider, name: part.key.alias, targetKeyId: this.key.keyId }),
    );
    this.deadLetterQueue = new SqsQueue(
      this,
      "dead-letter-queue",
      literalConfig({
        provider,
        name: part.deadLetterQueue.name,
        sqsManagedSseEnabled: true,
        messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
      }),
    );
    this.queue = new SqsQueue(
      this,
      "queue",
      literalConfig({
        provider,
        name: part.queue.name,
        kmsMasterKeyId: this.key.arn,
        visibilityTimeoutSeconds: QUEUE_VISIBILITY_FACTOR * props.functionTimeoutSeconds,
        redrivePolicy: JSON.stringify({
          deadLetterTargetArn: part.deadLetterQueue.arn,
          maxReceiveCount: QUEUE_MAX_RECEIVE_COUNT,
        }),
        policy: renderPolicy(part.queue.policy),
        dependsOn: [this.deadLetterQueue, this.alias],
      }),
    );
    this.rolePolicy = new IamRolePolicy(
      this,
      "role-policy",
      literalConfig({
        provider,
        name: "read-event-queue",
        role: props.roleName,
        policy: renderPolicy(part.rolePolicy),
      }),
    );
    this.mapping = new LambdaEventSourceMapping(
      this,
      "mapping",
      literalConfig({
        provider,
        eventSourceArn: this.queue.arn,
        functionName: part.functionArn,
        functionResponseTypes: ["ReportBatchItemFailures"],
        dependsOn: [this.rolePolicy, ...(props.function ? [props.function] : [])],
      }),
    );
    if (!props.alarms.enabled) return;
    this.depthAlarm = deadLetterDepthAlarm(this, {
      provider,
      queue: this.deadLetterQueue,
      queueName: part.deadLetterQueue.name,
      description: `The function failed ${QUEUE_MAX_RECEIVE_COUNT} times on events of ${what}: they wait in the dead-letter queue ${part.deadLetterQueue.name} (up to 14 days).`,
      topicArn: props.alarms.topicArn,
    });
  }
}
