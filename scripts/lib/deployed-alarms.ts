/**
 * The alarms of a grant as deployed in the emulator, read back from each account with that account's deploy role:
 * the function's metric filters and alarms in the Lambda account, the bucket's request metrics configurations and
 * alarms in the bucket account, and what of them shows up in the other account (nothing should).
 */
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, DescribeMetricFiltersCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetBucketMetricsConfigurationCommand, S3Client } from "@aws-sdk/client-s3";
import { requestMetricsIds } from "../../modules/declaration/alarm-settings";
import type { EnvironmentConfig } from "../../stacks/config";
import { emulatorClientConfig, roleCredentials, type Emulator } from "./emulator";
import { deployRoleArn } from "./local-run";

/**
 * One alarm as `name namespace/metric dimension=value,...`, dimensions sorted by name: Terraform holds them as a map,
 * and the provider sends them in no fixed order.
 */
const describeAlarm = (a: MetricAlarm) => {
  const dimensions = [...(a.Dimensions ?? [])].sort((x, y) => (x.Name ?? "").localeCompare(y.Name ?? ""));
  return `${a.AlarmName} ${a.Namespace}/${a.MetricName}${dimensions.map((d, i) => `${i === 0 ? " " : ","}${d.Name}=${d.Value}`).join("")}`;
};

export interface DeployedAlarms {
  /** The function's log group's metric filters, as `name pattern namespace/metric`. */
  readonly metricFilters: string[];
  /** The alarms in the Lambda account named after the function. */
  readonly lambdaAlarms: string[];
  /** The bucket's request metrics configurations of the granted prefixes, as `id prefix`. */
  readonly requestMetrics: string[];
  /** The alarms in the bucket account named after the bucket. */
  readonly bucketAlarms: string[];
  /** Alarms of one account's names found in the other account. */
  readonly misplaced: string[];
  /** The topics each alarm notifies, by alarm name. */
  readonly actions: Readonly<Record<string, readonly string[]>>;
}

/** Reads the grant's alarms back from both accounts. */
export async function deployedAlarms(
  emulator: Emulator,
  config: EnvironmentConfig,
  bucketName: string,
): Promise<DeployedAlarms> {
  const functionName = config.lambda.functionName!;
  const inAccount = async (accountId: string) =>
    emulatorClientConfig(
      emulator.endpoint,
      await roleCredentials(emulator.endpoint, deployRoleArn(accountId), "alarms"),
    );
  const [inA, inB] = [await inAccount(config.lambda.accountId), await inAccount(config.bucket.accountId)];
  const [cwA, cwB] = [new CloudWatchClient(inA), new CloudWatchClient(inB)];
  const logs = new CloudWatchLogsClient(inA);
  const s3 = new S3Client(inB);
  try {
    const alarmsIn = async (cw: CloudWatchClient, prefix: string) =>
      (await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix }))).MetricAlarms ?? [];
    const filters =
      (await logs.send(new DescribeMetricFiltersCommand({ logGroupName: `/aws/lambda/${functionName}` })))
        .metricFilters ?? [];
    const requestMetrics: string[] = [];
    for (const [prefix, id] of requestMetricsIds(config.grant.prefixes.map((p) => p.prefix))) {
      const { MetricsConfiguration: c } = await s3.send(
        new GetBucketMetricsConfigurationCommand({ Bucket: bucketName, Id: id }),
      );
      requestMetrics.push(
        `${c?.Id} ${c?.Filter?.Prefix ?? `(no prefix filter: ${JSON.stringify(c?.Filter)})`}${c?.Filter?.Prefix === prefix ? "" : ` (wanted ${prefix})`}`,
      );
    }
    const [lambdaAlarms, bucketAlarms] = [await alarmsIn(cwA, functionName), await alarmsIn(cwB, bucketName)];
    const misplaced = [...(await alarmsIn(cwB, functionName)), ...(await alarmsIn(cwA, bucketName))].map(describeAlarm);
    return {
      metricFilters: filters.map(
        (f) =>
          `${f.filterName} ${f.filterPattern} ${f.metricTransformations?.map((m) => `${m.metricNamespace}/${m.metricName}`).join(",")}`,
      ),
      lambdaAlarms: lambdaAlarms.map(describeAlarm).sort(),
      requestMetrics,
      bucketAlarms: bucketAlarms.map(describeAlarm).sort(),
      misplaced,
      actions: Object.fromEntries(
        [...lambdaAlarms, ...bucketAlarms].map((a) => [String(a.AlarmName), a.AlarmActions ?? []] as const),
      ),
    };
  } finally {
    for (const client of [cwA, cwB, logs, s3]) client.destroy();
  }
}
