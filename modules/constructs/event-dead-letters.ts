/**
 * Where a rule's undelivered events go, in the account that owns the rule: an encrypted SQS queue only that rule may
 * send to, and, with the alarms on, alarms on the queue's depth and on the rule's failed invocations; and the rule's
 * target that falls back on it.
 */
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { ALARM_EVALUATION } from "../declaration/alarm-settings";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { Construct, type ITerraformDependable, type TerraformProvider } from "../core/cdktf";
import { renderPolicy, type PolicyDocument } from "../core/policy-document";
import { DEAD_LETTER_RETENTION_SECONDS, EVENT_RETRY_POLICY, type NamedResource } from "../policy/plan-events";
import { literalConfig } from "../core/terraform-text";
import { notifying } from "./lambda-alarms";

export interface EventDeadLettersProps {
  readonly provider: TerraformProvider;
  /** The queue, and the policy that lets only its rule send to it. */
  readonly queue: NamedResource & { readonly policy: PolicyDocument };
  /** The rule whose undelivered events it keeps, and the bus the rule is on (undefined: the default bus). */
  readonly rule: { readonly name: string; readonly busName?: string | undefined };
  /** What the events are, for the alarms' descriptions. */
  readonly what: string;
  /** Whether the alarms are on, and the topic they notify. */
  readonly alarms: { readonly enabled: boolean; readonly topicArn?: string | undefined };
}

export class EventDeadLetters extends Construct {
  /** The queue, with its policy (its own argument: an aws_sqs_queue_policy waits half a minute to be destroyed). */
  public readonly queue: SqsQueue;
  /** Fires when an event waits in the queue: it was not delivered. */
  public readonly depthAlarm?: CloudwatchMetricAlarm | undefined;
  /** Fires when the rule failed to deliver an event to its target. */
  public readonly failedInvocationsAlarm?: CloudwatchMetricAlarm | undefined;

  constructor(scope: Construct, id: string, props: EventDeadLettersProps) {
    super(scope, id);
    const { provider, queue, rule } = props;
    this.queue = new SqsQueue(
      this,
      "queue",
      literalConfig({
        provider,
        name: queue.name,
        sqsManagedSseEnabled: true,
        messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
        policy: renderPolicy(queue.policy),
      }),
    );
    if (!props.alarms.enabled) return;
    this.depthAlarm = deadLetterDepthAlarm(this, {
      provider,
      queue: this.queue,
      queueName: queue.name,
      description: `${props.what} were not delivered: they wait in the dead-letter queue ${queue.name} (up to 14 days).`,
      topicArn: props.alarms.topicArn,
    });
    this.failedInvocationsAlarm = new CloudwatchMetricAlarm(
      this,
      "failed-invocations-alarm",
      literalConfig({
        provider,
        alarmName: `${rule.name}-failed-invocations`,
        alarmDescription: `The EventBridge rule ${rule.name} failed to deliver ${props.what} to its target (AWS/Events FailedInvocations): check the target's policy.`,
        namespace: "AWS/Events",
        metricName: "FailedInvocations",
        dimensions: { RuleName: rule.name, ...(rule.busName ? { EventBusName: rule.busName } : {}) },
        ...ALARM_EVALUATION,
        ...notifying(props.alarms.topicArn),
      }),
    );
  }
}

/**
 * The alarm, built as `depth-alarm` in `scope`, that fires when a message waits in a dead-letter queue: what it holds
 * was not delivered. The rule's queues and the SQS path's queue each have one.
 */
export function deadLetterDepthAlarm(
  scope: Construct,
  props: {
    readonly provider: TerraformProvider;
    readonly queue: SqsQueue;
    readonly queueName: string;
    readonly description: string;
    readonly topicArn?: string | undefined;
  },
): CloudwatchMetricAlarm {
  return new CloudwatchMetricAlarm(
    scope,
    "depth-alarm",
    literalConfig({
      provider: props.provider,
      alarmName: `${props.queueName}-depth`,
      alarmDescription: props.description,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: props.queueName },
      ...ALARM_EVALUATION,
      statistic: "Maximum",
      ...notifying(props.topicArn),
      dependsOn: [props.queue],
    }),
  );
}

/** A rule's one target, as both accounts' parts of a grant's events give it (see deliveringTarget). */
export interface DeliveringTargetProps extends EventDeadLettersProps {
  /** The rule, as the target names it (a reference, so the target waits for the rule). */
  readonly ruleName: string;
  /** The rule's bus, as the target names it (a reference when the bus is in the stack). @default the default bus */
  readonly eventBusName?: string | undefined;
  readonly targetId: string;
  readonly arn: string;
  /** The role the target sends with; none for a target whose own policy lets the rule in. */
  readonly roleArn?: string | undefined;
  /** What the target must wait for besides its dead-letter queue (the role's policy, the function's permission). */
  readonly dependsOn: readonly ITerraformDependable[];
}

/**
 * A rule's target with EventBridge's retries at their maximums and, past them, a dead-letter queue of the rule's own
 * (see EventDeadLetters), built as `dead-letters` and `target` in `scope`.
 */
export function deliveringTarget(
  scope: Construct,
  props: DeliveringTargetProps,
): { deadLetters: EventDeadLetters; target: CloudwatchEventTarget } {
  const { ruleName, eventBusName, targetId, arn, roleArn, dependsOn, ...deadLetterProps } = props;
  const deadLetters = new EventDeadLetters(scope, "dead-letters", deadLetterProps);
  const target = new CloudwatchEventTarget(
    scope,
    "target",
    literalConfig({
      provider: props.provider,
      rule: ruleName,
      ...(eventBusName !== undefined ? { eventBusName } : {}),
      targetId,
      arn,
      ...(roleArn !== undefined ? { roleArn } : {}),
      retryPolicy: { ...EVENT_RETRY_POLICY },
      deadLetterConfig: { arn: deadLetters.queue.arn },
      dependsOn: [...dependsOn, deadLetters.queue],
    }),
  );
  return { deadLetters, target };
}
