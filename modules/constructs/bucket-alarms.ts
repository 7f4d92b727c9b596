/**
 * The bucket account's alarms for the granted prefixes of a bucket: an S3 request metrics configuration filtered to
 * each prefix, and an alarm on each one's AWS/S3 4xxErrors (dimensions BucketName and FilterId). Every resource goes
 * through the bucket account's provider.
 */
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { S3BucketMetric } from "@cdktf/provider-aws/lib/s3-bucket-metric";
import { ALARM_EVALUATION, requestMetricsIds } from "../declaration/alarm-settings";
import { Construct, type TerraformProvider } from "../core/cdktf";
import { notifying } from "./lambda-alarms";
import { literalConfig } from "../core/terraform-text";

export interface BucketAlarmsProps {
  /** The aliased provider of the bucket account. */
  readonly provider: TerraformProvider;
  /** The bucket's name. */
  readonly bucketName: string;
  /** The bucket as its configurations name it: a reference when the bucket is in the stack, else its name. */
  readonly bucket: string;
  /** The granted prefixes of every grant on the bucket, each once. */
  readonly prefixes: readonly string[];
  /** The SNS topic the alarms notify, when they fire and when they are OK again. @default none */
  readonly topicArn?: string | undefined;
}

export class BucketAlarms extends Construct {
  /** The S3 request metrics configuration of each granted prefix, by prefix. */
  public readonly requestMetrics: ReadonlyMap<string, S3BucketMetric>;
  /** The alarm on each granted prefix's 4xxErrors, by prefix. */
  public readonly clientErrorsAlarms: ReadonlyMap<string, CloudwatchMetricAlarm>;

  constructor(scope: Construct, id: string, props: BucketAlarmsProps) {
    super(scope, id);
    const { provider, bucketName } = props;
    const metrics = new Map<string, S3BucketMetric>();
    const alarms = new Map<string, CloudwatchMetricAlarm>();
    for (const [prefix, filterId] of requestMetricsIds(props.prefixes)) {
      const metric = new S3BucketMetric(
        this,
        `request-metrics-${filterId}`,
        literalConfig({ provider, bucket: props.bucket, name: filterId, filter: { prefix } }),
      );
      metrics.set(prefix, metric);
      alarms.set(
        prefix,
        new CloudwatchMetricAlarm(
          this,
          `client-errors-${filterId}`,
          literalConfig({
            provider,
            alarmName: `${bucketName}-${filterId}-4xx-errors`,
            alarmDescription:
              `Requests under s3://${bucketName}/${prefix} were answered with a 4xx error (AWS/S3 4xxErrors, filter ${filterId}): ` +
              "403 when a policy of the grant (bucket policy, key policy, the grantee's role) no longer allows what it declares; " +
              "a 404 for a missing key counts too.",
            namespace: "AWS/S3",
            metricName: "4xxErrors",
            dimensions: { BucketName: bucketName, FilterId: filterId },
            ...ALARM_EVALUATION,
            ...notifying(props.topicArn),
            dependsOn: [metric],
          }),
        ),
      );
    }
    this.requestMetrics = metrics;
    this.clientErrorsAlarms = alarms;
  }
}
