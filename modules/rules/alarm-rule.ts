/**
 * CAS-MON-1: a grant whose alarms are on has them in the final Terraform JSON. The grant records say what was declared
 * (alarms on, the topic they notify); the alarms, filters and metrics are looked up by what they watch, as Terraform
 * will apply them.
 */
import { accessDeniedFilterPattern } from "../declaration/alarm-settings";
import {
  eventsPlanOf,
  queueEventsPlanOf,
  GRANT_RECORD_KEY,
  type GrantRecord,
  type GrantRecords,
} from "../record/grant-record";
import type { StackJson, StackView, SynthResource } from "../core/stack-view";
import { viewOf } from "./stack-policies";

type Found = [string, SynthResource];

const list = (value: unknown): unknown[] =>
  value === undefined || value === null ? [] : ([] as unknown[]).concat(value);
const first = (value: unknown): Readonly<Record<string, unknown>> | undefined =>
  (Array.isArray(value) ? value[0] : value) as Readonly<Record<string, unknown>> | undefined;

/** The grant records of the stack (see grant-record.ts). */
export const recordsIn = (stack: StackJson): readonly GrantRecord[] =>
  (stack["//"]?.[GRANT_RECORD_KEY] as GrantRecords | undefined)?.grants ?? [];

/** The alarms a grant's half deploys through `provider`, watching `namespace`/`metric` with exactly `dimensions`. */
function alarmsOn(
  view: StackView,
  provider: string,
  namespace: string,
  metric: string,
  dimensions: Readonly<Record<string, string>>,
): Found[] {
  return view.resources("aws_cloudwatch_metric_alarm").filter(([, a]) => {
    const dims = (a.dimensions ?? {}) as Record<string, unknown>;
    return (
      a.provider === provider &&
      view.valueOf(a.namespace) === namespace &&
      view.valueOf(a.metric_name) === metric &&
      Object.keys(dims).length === Object.keys(dimensions).length &&
      Object.entries(dimensions).every(([k, v]) => view.valueOf(dims[k]) === v)
    );
  });
}

/** What is wrong with `alarm` for a half whose alarms notify `topicArn`: not notifying it when it fires. */
function notificationProblem(view: StackView, alarm: Found | undefined, topicArn: string | undefined): string[] {
  if (!alarm || topicArn === undefined) return [];
  const [id, a] = alarm;
  const actions = list(a.alarm_actions).map((v) => view.valueOf(v));
  return actions.includes(topicArn) && a.actions_enabled !== false
    ? []
    : [`aws_cloudwatch_metric_alarm.${id} does not notify ${topicArn}`];
}

/** What the Lambda account's half of a grant with alarms on lacks: the access-denied filter and alarm, the Errors alarm. */
function lambdaAlarmProblems(view: StackView, record: GrantRecord, functionName: string): string[] {
  const logGroup = `/aws/lambda/${functionName}`;
  const pattern = accessDeniedFilterPattern();
  const topic = record.alarms?.topicArn;
  const filters = view
    .resources("aws_cloudwatch_log_metric_filter")
    .filter(
      ([, f]) =>
        f.provider === record.provider &&
        view.valueOf(f.log_group_name) === logGroup &&
        view.valueOf(f.pattern) === pattern,
    );
  const problems: string[] = [];
  if (filters.length === 0)
    problems.push(`no CloudWatch Logs metric filter on ${logGroup} with the pattern ${pattern}`);
  const metrics = filters.flatMap(([, f]) => list(f.metric_transformation) as Array<Readonly<Record<string, unknown>>>);
  const named = metrics.map((m) => ({ namespace: view.valueOf(m.namespace) ?? "", name: view.valueOf(m.name) ?? "" }));
  const denied = named.flatMap((m) => alarmsOn(view, record.provider, m.namespace, m.name, {}))[0];
  if (filters.length > 0 && !denied)
    problems.push(
      `no alarm on the metric of its access-denied filter (${named.map((m) => `${m.namespace}/${m.name}`).join(", ")})`,
    );
  const errors = alarmsOn(view, record.provider, "AWS/Lambda", "Errors", { FunctionName: functionName })[0];
  if (!errors) problems.push(`no alarm on AWS/Lambda Errors of ${functionName}`);
  return [...problems, ...notificationProblem(view, denied, topic), ...notificationProblem(view, errors, topic)];
}

/** What the bucket account's half of a grant with alarms on lacks: request metrics and a 4xxErrors alarm per prefix. */
function bucketAlarmProblems(view: StackView, record: GrantRecord): string[] {
  const { bucketName } = record.bucket;
  return record.grant.prefixes.flatMap(({ prefix }) => {
    const metric = view.resources("aws_s3_bucket_metric").find(([, m]) => {
      const filter = first(m.filter);
      return (
        m.provider === record.provider &&
        view.valueOf(m.bucket) === bucketName &&
        view.valueOf(filter?.prefix) === prefix &&
        filter?.tags === undefined &&
        filter?.access_point === undefined
      );
    });
    if (!metric) return [`no S3 request metrics of ${bucketName} filtered to the prefix ${prefix}`];
    const filterId = view.valueOf(metric[1].name) ?? "";
    const alarm = alarmsOn(view, record.provider, "AWS/S3", "4xxErrors", {
      BucketName: bucketName,
      FilterId: filterId,
    })[0];
    if (!alarm)
      return [`no alarm on AWS/S3 4xxErrors of ${bucketName} for the request metrics ${filterId} (${prefix})`];
    return notificationProblem(view, alarm, record.alarms?.topicArn);
  });
}

/** What a half lacks of the alarm on the depth of the dead-letter queue `queue`, in its own account. */
function depthAlarmProblems(view: StackView, record: GrantRecord, queue: string): string[] {
  const depth = alarmsOn(view, record.provider, "AWS/SQS", "ApproximateNumberOfMessagesVisible", {
    QueueName: queue,
  })[0];
  return [
    ...(depth ? [] : [`no alarm on AWS/SQS ApproximateNumberOfMessagesVisible of the dead-letter queue ${queue}`]),
    ...notificationProblem(view, depth, record.alarms?.topicArn),
  ];
}

/**
 * What a half of a grant with events and alarms on lacks: in its own account, an alarm on the depth of its rule's
 * dead-letter queue and one on the rule's failed invocations; on the SQS path, in the Lambda account, an alarm on the
 * depth of the queue's dead-letter queue.
 */
function eventAlarmProblems(view: StackView, record: GrantRecord): string[] {
  const plan = eventsPlanOf(record);
  if (!plan) {
    const queued = queueEventsPlanOf(record);
    return queued && record.half === "lambda"
      ? depthAlarmProblems(view, record, queued.lambdaAccount.deadLetterQueue.name)
      : [];
  }
  const part = record.half === "lambda" ? plan.lambdaAccount : plan.bucketAccount;
  const busName = record.half === "lambda" ? plan.lambdaAccount.bus.name : undefined;
  const failures = alarmsOn(view, record.provider, "AWS/Events", "FailedInvocations", {
    RuleName: part.rule.name,
    ...(busName ? { EventBusName: busName } : {}),
  })[0];
  return [
    ...depthAlarmProblems(view, record, part.deadLetterQueue.name),
    ...(failures ? [] : [`no alarm on AWS/Events FailedInvocations of the rule ${part.rule.name}`]),
    ...notificationProblem(view, failures, record.alarms?.topicArn),
  ];
}

/** The violations of CAS-MON-1 in the stack. */
export function alarmViolations(stack: StackJson): Array<{ resource: string; message: string }> {
  const view = viewOf(stack);
  return recordsIn(stack).flatMap((record) => {
    // A record written before alarms existed says nothing about them; one with the alarms off asks for none.
    if (record.alarms?.enabled !== true) return [];
    const lambda = record.half === "lambda";
    const events = eventAlarmProblems(view, record);
    if (lambda && record.lambda.functionName === undefined && events.length === 0) return [];
    const problems = [
      ...(lambda
        ? record.lambda.functionName === undefined
          ? []
          : lambdaAlarmProblems(view, record, record.lambda.functionName)
        : bucketAlarmProblems(view, record)),
      ...events,
    ];
    const resource = lambda
      ? (record.resources.function ?? record.resources.eventRule)
      : (record.resources.bucket ?? record.resources.bucketPolicy);
    if (problems.length === 0 || resource === undefined) return [];
    const half = lambda ? "Lambda account's" : "bucket account's";
    return [
      {
        resource,
        message: `the ${half} half of the grant ${record.configPath ?? record.construct} has its alarms on, but ${problems.join("; ")}`,
      },
    ];
  });
}
