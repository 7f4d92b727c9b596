/**
 * The Lambda account's alarms for a function this library creates: a CloudWatch Logs metric filter on the function's
 * log group counting the log lines of invocations AWS refused (the contract's ACCESS_DENIED_LOG_LINE), an alarm on
 * that count, and an alarm on the function's AWS/Lambda Errors. Every resource goes through the Lambda account's
 * provider.
 */
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import {
  accessDeniedFilterPattern,
  accessDeniedMetricName,
  ACCESS_DENIED_METRIC_NAMESPACE,
  ALARM_EVALUATION,
} from "../declaration/alarm-settings";
import { Construct, type TerraformProvider } from "../core/cdktf";
import { literalConfig } from "../core/terraform-text";

export interface LambdaAlarmsProps {
  /** The aliased provider of the Lambda account. */
  readonly provider: TerraformProvider;
  /** The function's name. */
  readonly functionName: string;
  /** The name of the function's log group (a reference when the group is in the stack, so the filter waits for it). */
  readonly logGroupName: string;
  /** The SNS topic the alarms notify, when they fire and when they are OK again. @default none */
  readonly topicArn?: string | undefined;
}

/** The alarm and OK actions of an alarm: the topic, when there is one. */
export function notifying(topicArn: string | undefined): { alarmActions?: string[]; okActions?: string[] } {
  return topicArn === undefined ? {} : { alarmActions: [topicArn], okActions: [topicArn] };
}

export class LambdaAlarms extends Construct {
  /** Counts the function's log lines of invocations AWS refused. */
  public readonly accessDeniedFilter: CloudwatchLogMetricFilter;
  /** Fires when AWS refused at least one of the function's calls in 5 minutes. */
  public readonly accessDeniedAlarm: CloudwatchMetricAlarm;
  /** Fires when at least one invocation of the function failed in 5 minutes. */
  public readonly errorsAlarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: LambdaAlarmsProps) {
    super(scope, id);
    const { provider, functionName } = props;
    const metricName = accessDeniedMetricName(functionName);
    this.accessDeniedFilter = new CloudwatchLogMetricFilter(
      this,
      "access-denied-filter",
      literalConfig({
        provider,
        name: "access-denied",
        logGroupName: props.logGroupName,
        pattern: accessDeniedFilterPattern(),
        metricTransformation: {
          name: metricName,
          namespace: ACCESS_DENIED_METRIC_NAMESPACE,
          value: "1",
          unit: "Count",
        },
      }),
    );
    this.accessDeniedAlarm = new CloudwatchMetricAlarm(
      this,
      "access-denied-alarm",
      literalConfig({
        provider,
        alarmName: `${functionName}-access-denied`,
        alarmDescription:
          `AWS refused calls of the Lambda function ${functionName} to the granted bucket (AccessDenied from S3, STS or KMS): ` +
          "a policy of the grant no longer allows what it declares. Each refused invocation's log line names what to check.",
        namespace: ACCESS_DENIED_METRIC_NAMESPACE,
        metricName,
        ...ALARM_EVALUATION,
        ...notifying(props.topicArn),
        dependsOn: [this.accessDeniedFilter],
      }),
    );
    this.errorsAlarm = new CloudwatchMetricAlarm(
      this,
      "errors-alarm",
      literalConfig({
        provider,
        alarmName: `${functionName}-errors`,
        alarmDescription: `Invocations of the Lambda function ${functionName} failed (AWS/Lambda Errors): see the function's log lines, each names its errorType.`,
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: functionName },
        ...ALARM_EVALUATION,
        ...notifying(props.topicArn),
      }),
    );
  }
}
