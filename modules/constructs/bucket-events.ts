/**
 * The bucket account's part of a grant's events: a rule on the default event bus matching the grant's `Object Created`
 * events, which forwards them to the grant's bus in the Lambda account through a role that may put events on that bus
 * only, with retries and a dead-letter queue. (S3 itself needs no permission to send to its own account's default
 * bus; the bucket's notification configuration turns that on, see SecureBucket's events.)
 */
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import type { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct, type TerraformProvider } from "../core/cdktf";
import { renderPolicy } from "../core/policy-document";
import type { EventsPlan } from "../policy/plan-events";
import { literalConfig } from "../core/terraform-text";
import { deliveringTarget, type EventDeadLetters } from "./event-dead-letters";

export interface BucketEventsProps {
  /** The aliased provider of the bucket account. */
  readonly provider: TerraformProvider;
  readonly bucketName: string;
  /** The grant's events, as planned (see planEvents). */
  readonly plan: EventsPlan;
  /** Whether the alarms on undelivered events are on, and the topic they notify. */
  readonly alarms: { readonly enabled: boolean; readonly topicArn?: string | undefined };
}

export class BucketEvents extends Construct {
  /** The rule on the bucket account's default bus. */
  public readonly rule: CloudwatchEventRule;
  /** Its target: the grant's bus in the Lambda account. */
  public readonly target: CloudwatchEventTarget;
  /** The role EventBridge sends with, and its one permission. */
  public readonly role: IamRole;
  public readonly rolePolicy: IamRolePolicy;
  public readonly deadLetters: EventDeadLetters;

  constructor(scope: Construct, id: string, props: BucketEventsProps) {
    super(scope, id);
    const { provider, plan } = props;
    const part = plan.bucketAccount;
    this.rule = new CloudwatchEventRule(
      this,
      "rule",
      literalConfig({
        provider,
        name: part.rule.name,
        description: `Forwards new objects of s3://${props.bucketName} under ${plan.prefixes.join(", ")} to the Lambda account`,
        eventPattern: JSON.stringify(part.pattern),
      }),
    );
    this.role = new IamRole(
      this,
      "role",
      literalConfig({
        provider,
        name: part.role.name,
        description: `Sends the events of rule ${part.rule.name} to one event bus in the Lambda account`,
        assumeRolePolicy: renderPolicy(part.role.trustPolicy),
      }),
    );
    this.rolePolicy = new IamRolePolicy(
      this,
      "role-policy",
      literalConfig({
        provider,
        name: "put-events-on-grant-bus",
        role: this.role.name,
        policy: renderPolicy(part.role.policy),
      }),
    );
    ({ deadLetters: this.deadLetters, target: this.target } = deliveringTarget(this, {
      provider,
      queue: part.deadLetterQueue,
      rule: { name: part.rule.name },
      what: `New objects of s3://${props.bucketName}`,
      alarms: props.alarms,
      ruleName: this.rule.name,
      targetId: "grant-bus",
      arn: plan.lambdaAccount.bus.arn,
      roleArn: this.role.arn,
      dependsOn: [this.rolePolicy],
    }));
  }
}
