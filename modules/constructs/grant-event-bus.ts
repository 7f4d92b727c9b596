/**
 * The Lambda account's part of a grant's events: an event bus of the grant's own, whose policy lets only the bucket
 * account's forwarding rule put events on it; a rule on it, pinned to the bucket account, that invokes the function,
 * with retries and a dead-letter queue; and the function's permission for that rule alone.
 */
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchEventBusPolicy } from "@cdktf/provider-aws/lib/cloudwatch-event-bus-policy";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import type { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Construct, type ITerraformDependable, type TerraformProvider } from "../core/cdktf";
import { renderPolicy } from "../core/policy-document";
import type { EventsPlan } from "../policy/plan-events";
import { literalConfig } from "../core/terraform-text";
import { deliveringTarget, type EventDeadLetters } from "./event-dead-letters";

export interface GrantEventBusProps {
  /** The aliased provider of the Lambda account. */
  readonly provider: TerraformProvider;
  readonly lambdaAccountId: string;
  readonly bucketName: string;
  /** The grant's events, as planned (see planEvents). */
  readonly plan: EventsPlan;
  /** The function, when it is in this stack: the target and the permission wait for it. */
  readonly function?: ITerraformDependable | undefined;
  /** Whether the alarms on undelivered events are on, and the topic they notify. */
  readonly alarms: { readonly enabled: boolean; readonly topicArn?: string | undefined };
}

export class GrantEventBus extends Construct {
  public readonly bus: CloudwatchEventBus;
  /** The bus's whole policy: the bucket account's rule, and nothing else, may put events on it. */
  public readonly busPolicy: CloudwatchEventBusPolicy;
  /** The rule on the bus that invokes the function. */
  public readonly rule: CloudwatchEventRule;
  public readonly target: CloudwatchEventTarget;
  /** The function's permission: EventBridge may invoke it for this rule only. */
  public readonly permission: LambdaPermission;
  public readonly deadLetters: EventDeadLetters;

  constructor(scope: Construct, id: string, props: GrantEventBusProps) {
    super(scope, id);
    const { provider, plan } = props;
    const part = plan.lambdaAccount;
    const waitFor = props.function ? [props.function] : [];
    this.bus = new CloudwatchEventBus(this, "bus", literalConfig({ provider, name: part.bus.name }));
    this.busPolicy = new CloudwatchEventBusPolicy(
      this,
      "bus-policy",
      literalConfig({ provider, eventBusName: this.bus.name, policy: renderPolicy(part.bus.policy) }),
    );
    this.rule = new CloudwatchEventRule(
      this,
      "rule",
      literalConfig({
        provider,
        name: part.rule.name,
        eventBusName: this.bus.name,
        description: `Invokes ${part.functionArn.split(":").pop()!} for new objects of s3://${props.bucketName} under ${plan.prefixes.join(", ")}`,
        eventPattern: JSON.stringify(part.pattern),
      }),
    );
    this.permission = new LambdaPermission(
      this,
      "permission",
      literalConfig({
        provider,
        statementId: `invoke-from-${part.rule.name}`,
        action: "lambda:InvokeFunction",
        functionName: part.functionArn,
        principal: "events.amazonaws.com",
        sourceArn: part.rule.arn,
        sourceAccount: props.lambdaAccountId,
        dependsOn: [this.rule, ...waitFor],
      }),
    );
    ({ deadLetters: this.deadLetters, target: this.target } = deliveringTarget(this, {
      provider,
      queue: part.deadLetterQueue,
      rule: { name: part.rule.name, busName: part.bus.name },
      what: `New objects of s3://${props.bucketName}`,
      alarms: props.alarms,
      ruleName: this.rule.name,
      eventBusName: this.bus.name,
      targetId: "function",
      arn: part.functionArn,
      dependsOn: [this.permission],
    }));
  }
}
