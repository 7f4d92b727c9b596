/**
 * Every shipped stack gets its grants' alarms, each through the provider of the account that owns what it watches:
 * for every function a stack creates, the access-denied metric filter on its log group, an alarm on it and one on
 * its Errors, through the function's provider; for every prefix a bucket's grants give, request metrics and a
 * 4xxErrors alarm, through the bucket's provider. The environments' topics are wired; the switch removes them all.
 */
import { Testing, type TerraformStack } from "cdktf";
import { GRANT_RECORD_KEY, type GrantRecords } from "../../modules/record/grant-record";
import { accessDeniedFilterPattern } from "../../modules/internal";
import type { EnvironmentConfig, SharedEnvironmentConfig } from "../../stacks/config";
import { environmentStacks } from "../../stacks/cross-account-stack";
import { environments, sharedEnvironments } from "../../stacks/environments";
import { sharedEnvironmentStacks } from "../../stacks/shared-bucket-stack";
import { allResources, resourcesOf, type SynthJson, type SynthResource } from "../support/synth";

const ALARM_TYPES = ["aws_cloudwatch_log_metric_filter", "aws_cloudwatch_metric_alarm", "aws_s3_bucket_metric"];

function synthesized(
  single: Readonly<Record<string, EnvironmentConfig>>,
  shared: Readonly<Record<string, SharedEnvironmentConfig>>,
): Record<string, SynthJson & { "//"?: Record<string, GrantRecords> }> {
  const app = Testing.app();
  const stacks: TerraformStack[] = [
    ...Object.entries(single).flatMap(([name, config]) => environmentStacks(app, name, config, {})),
    ...Object.entries(shared).flatMap(([name, config]) => sharedEnvironmentStacks(app, name, config, {})),
  ];
  // The records are read from the stack as it would deploy (Testing.synth drops the `//` comments).
  return Object.fromEntries(
    stacks.map((s) => [
      s.node.id,
      {
        ...(JSON.parse(Testing.synth(s)) as SynthJson),
        "//": (s.toTerraform() as { "//": Record<string, GrantRecords> })["//"],
      },
    ]),
  );
}

const shipped = synthesized(environments, sharedEnvironments);
const alarms = (json: SynthJson) => Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm"));
const alarmOn = (
  json: SynthJson,
  provider: unknown,
  namespace: string,
  metric: string,
  dimensions: Record<string, string>,
): SynthResource | undefined =>
  alarms(json).find(
    (a) =>
      a.provider === provider &&
      a.namespace === namespace &&
      a.metric_name === metric &&
      JSON.stringify(a.dimensions ?? {}) === JSON.stringify(dimensions),
  );

describe.each(Object.keys(shipped))("%s", (stackName) => {
  const json = shipped[stackName];

  test("every function it creates has its access-denied filter and alarm and its Errors alarm, through the function's provider", () => {
    const functions = Object.values(resourcesOf(json, "aws_lambda_function"));
    const missing = functions.flatMap((fn) => {
      const name = String(fn.function_name);
      const group = Object.entries(resourcesOf(json, "aws_cloudwatch_log_group")).find(
        ([, g]) => g.name === `/aws/lambda/${name}`,
      );
      const filter = Object.values(resourcesOf(json, "aws_cloudwatch_log_metric_filter")).find(
        (f) =>
          group && f.log_group_name === `\${aws_cloudwatch_log_group.${group[0]}.name}` && f.provider === fn.provider,
      );
      const metric = filter?.metric_transformation as { name: string; namespace: string } | undefined;
      return [
        ...(filter?.pattern === accessDeniedFilterPattern()
          ? []
          : [`${name}: no access-denied filter through ${String(fn.provider)}`]),
        ...(metric && alarmOn(json, fn.provider, metric.namespace, metric.name, {})
          ? []
          : [`${name}: no access-denied alarm`]),
        ...(alarmOn(json, fn.provider, "AWS/Lambda", "Errors", { FunctionName: name })
          ? []
          : [`${name}: no Errors alarm`]),
      ];
    });
    expect(missing).toEqual([]);
  });

  test("every prefix its bucket's grants give has request metrics and a 4xxErrors alarm, through the bucket account's provider", () => {
    const bucketHalves = (json["//"]?.[GRANT_RECORD_KEY]?.grants ?? []).filter((r) => r.half === "bucket");
    const missing = bucketHalves.flatMap((r) =>
      r.grant.prefixes.flatMap(({ prefix }) => {
        const metric = Object.values(resourcesOf(json, "aws_s3_bucket_metric")).find(
          (m) => (m.filter as { prefix?: string }).prefix === prefix && m.provider === r.provider,
        );
        if (!metric) return [`${r.bucket.bucketName} ${prefix}: no request metrics through ${r.provider}`];
        return alarmOn(json, r.provider, "AWS/S3", "4xxErrors", {
          BucketName: r.bucket.bucketName,
          FilterId: String(metric.name),
        })
          ? []
          : [`${r.bucket.bucketName} ${prefix}: no 4xxErrors alarm`];
      }),
    );
    expect(missing).toEqual([]);
  });

  test("it has alarms, and every one of their resources goes through one of its aliased providers", () => {
    const own = allResources(json).filter(([type]) => ALARM_TYPES.includes(type));
    expect(own.length).toBeGreaterThan(0);
    const aliases = (json.provider?.aws ?? []).map((p) => `aws.${String(p.alias)}`);
    expect(own.filter(([, , r]) => !aliases.includes(String(r.provider)))).toEqual([]);
  });
});

test("the split layouts keep each account's alarms in its own stack", () => {
  expect(Object.keys(resourcesOf(shipped["staging-bucket"], "aws_cloudwatch_log_metric_filter"))).toEqual([]);
  expect(Object.keys(resourcesOf(shipped["staging-lambda"], "aws_s3_bucket_metric"))).toEqual([]);
  expect(
    alarms(shipped["staging-lambda"])
      .map((a) => a.alarm_name)
      .sort(),
  ).toEqual([
    "s3-events-444455556666-d6bd86007e-dlq-depth",
    "s3-events-444455556666-d6bd86007e-failed-invocations",
    "staging-report-builder-access-denied",
    "staging-report-builder-errors",
  ]);
  expect(
    alarms(shipped["staging-bucket"])
      .map((a) => a.alarm_name)
      .sort(),
  ).toEqual([
    "s3-events-111122223333-d6bd86007e-dlq-depth",
    "s3-events-111122223333-d6bd86007e-failed-invocations",
    "staging-shared-reports-444455556666-grant-reference-4xx-errors",
    "staging-shared-reports-444455556666-grant-reports-4xx-errors",
  ]);
});

test("the environments' topics are wired: each account's alarms notify its own topic, and only those", () => {
  const actions = (stack: string) =>
    alarms(shipped[stack])
      .map(
        (a) => `${String(a.alarm_name)} ${JSON.stringify(a.alarm_actions ?? [])} ${JSON.stringify(a.ok_actions ?? [])}`,
      )
      .sort();
  const ingest = '["arn:aws:sns:eu-west-1:777788889999:prod-ingest-alarms"]';
  const data = '["arn:aws:sns:eu-west-1:999988887777:prod-data-alarms"]';
  expect(actions("prod")).toEqual([
    `prod-ingest-access-denied ${ingest} ${ingest}`,
    `prod-ingest-errors ${ingest} ${ingest}`,
    `prod-shared-ingest-999988887777-grant-ingest-4xx-errors ${data} ${data}`,
  ]);
  const lake = '["arn:aws:sns:eu-west-1:999988887777:platform-lake-alarms"]';
  expect(actions("platform-bucket").every((line) => line.endsWith(`${lake} ${lake}`))).toBe(true);
  // orders/ (two grantees), reference/ and partners/drop/: one alarm each; and the two rules forwarding orders/
  // events (one per grantee watching it): a dead-letter and a failed-invocations alarm each.
  expect(actions("platform-bucket")).toHaveLength(3 + 2 * 2);
  const alarmCount = { "platform-orders-etl": 4, "platform-finance-reports": 4, "platform-partner-drop": 2 };
  for (const [grantee, count] of Object.entries(alarmCount)) {
    expect(actions(grantee)).toHaveLength(count);
    expect(actions(grantee).every((line) => line.endsWith("[] []"))).toBe(true);
  }
  expect(actions("local").every((line) => line.endsWith("[] []"))).toBe(true);
});

test("the switch off, in every environment, removes every alarm, metric filter and request metrics and nothing else", () => {
  const off = <T extends { alarms?: unknown }>(all: Readonly<Record<string, T>>) =>
    Object.fromEntries(Object.entries(all).map(([name, env]) => [name, { ...env, alarms: { enabled: false } }]));
  const quiet = synthesized(off(environments), off(sharedEnvironments));
  for (const [stack, json] of Object.entries(quiet)) {
    const types = (j: SynthJson) => Object.keys(j.resource).sort();
    expect({ stack, types: types(json) }).toEqual({
      stack,
      types: types(shipped[stack]).filter((t) => !ALARM_TYPES.includes(t)),
    });
  }
});
