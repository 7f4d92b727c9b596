/**
 * A grant's object events, planned from the declaration alone: the names and ARNs of every EventBridge resource of
 * both accounts, their event patterns, and every policy on the way (the bucket account's sending role, the Lambda
 * account's bus policy, the dead-letter queues' policies). Both halves render this one plan, so the rule ARN the bus
 * policy admits is the rule the bucket account creates.
 *
 * The way: S3 sends every event of the bucket to the bucket account's default bus (EventBridge turned on for the
 * bucket); a rule there matches `Object Created` of this bucket under the event prefixes and forwards them, through a
 * role of the bucket account, to an event bus of the grant's own in the Lambda account; a rule on that bus, pinned to
 * the bucket account, invokes the function.
 */
import { createHash } from "node:crypto";
import { accountRootArn, policyDocument, roleArn, type PolicyDocument } from "../core/policy-document";
import { partitionOf } from "../core/regions";
import type { EventDeclaration } from "../declaration/grant";

/** What the events of one grant need to know of both accounts; all of it known at synth. */
export interface EventsContext {
  readonly events: EventDeclaration;
  readonly lambdaAccountId: string;
  readonly lambdaRegion: string;
  /** The grantee's execution role, path included: with the bucket, it names the grant. */
  readonly lambdaRoleArn: string;
  readonly functionName: string;
  readonly bucketAccountId: string;
  readonly bucketRegion: string;
  readonly bucketName: string;
}

/** An EventBridge resource's name and ARN. */
export interface NamedResource {
  readonly name: string;
  readonly arn: string;
}

/** EventBridge's retries towards a target before the event goes to the dead-letter queue: its own maximums. */
export const EVENT_RETRY_POLICY = { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 } as const;

/** A dead-letter queue keeps an undelivered event this long (SQS's maximum, 14 days). */
export const DEAD_LETTER_RETENTION_SECONDS = 1_209_600;

/** The events of one grant, both accounts. */
export interface EventsPlan {
  /** The event prefixes, and the suffix, as declared. */
  readonly prefixes: readonly string[];
  readonly suffix?: string | undefined;
  /** Whether `Object Deleted` events are forwarded too. */
  readonly removed: boolean;
  /** Account B: the rule on the default bus that forwards the grant's events, and the role it sends them with. */
  readonly bucketAccount: {
    readonly rule: NamedResource;
    readonly pattern: EventPattern;
    readonly role: NamedResource & { readonly trustPolicy: PolicyDocument; readonly policy: PolicyDocument };
    readonly deadLetterQueue: NamedResource & { readonly policy: PolicyDocument };
  };
  /** Account A: the grant's bus and its policy, the rule on it that invokes the function, and the function. */
  readonly lambdaAccount: {
    readonly bus: NamedResource & { readonly policy: PolicyDocument };
    readonly rule: NamedResource;
    readonly pattern: EventPattern;
    readonly functionArn: string;
    readonly deadLetterQueue: NamedResource & { readonly policy: PolicyDocument };
  };
}

/** An EventBridge event pattern, as this library writes it. */
export interface EventPattern {
  readonly source: readonly ["aws.s3"];
  /** `Object Created`, and `Object Deleted` when the grant declares removals. */
  readonly "detail-type": readonly string[];
  readonly account: readonly [string];
  readonly detail: {
    readonly bucket: { readonly name: readonly [string] };
    readonly object: { readonly key: ReadonlyArray<{ readonly prefix: string } | { readonly wildcard: string }> };
  };
}

/**
 * The pattern both rules match: S3's `Object Created` events of the bucket, from the bucket account, whose key is
 * under one of the prefixes (and ends with the suffix). Prefixes and suffix hold neither `*` nor `\` (the declaration
 * refuses them), so a wildcard needs no escapes.
 */
export function objectCreatedPattern(
  bucketAccountId: string,
  bucketName: string,
  events: EventDeclaration,
): EventPattern {
  return {
    source: ["aws.s3"],
    "detail-type": events.removed ? ["Object Created", "Object Deleted"] : ["Object Created"],
    account: [bucketAccountId],
    detail: {
      bucket: { name: [bucketName] },
      object: {
        key: events.prefixes.map((prefix) =>
          events.suffix === undefined ? { prefix } : { wildcard: `${prefix}*${events.suffix}` },
        ),
      },
    },
  };
}

/**
 * A short, stable digest of what names the grant's events: bucket, grantee role, function's region and name; a path
 * other than EventBridge names itself first (`path`), so its names never meet EventBridge's.
 */
export function eventsDigestOf(ctx: EventsContext, path?: string): string {
  const text = [...(path ? [path] : []), ctx.bucketName, ctx.lambdaRoleArn, ctx.lambdaRegion, ctx.functionName];
  return createHash("sha256").update(text.join("\n")).digest("hex").slice(0, 10);
}

/** A dead-letter queue EventBridge may send a rule's undelivered events to, and only that rule. */
function deadLetterQueue(name: string, region: string, accountId: string, ruleArn: string) {
  const arn = `arn:${partitionOf(region).partition}:sqs:${region}:${accountId}:${name}`;
  return {
    name,
    arn,
    policy: policyDocument([
      {
        Sid: "EventBridgeSendsUndelivered",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: arn,
        Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
      },
    ]),
  };
}

/** A rule's ARN: `rule/<name>` on the default bus, `rule/<bus>/<name>` on another. */
const ruleArnOf = (region: string, accountId: string, name: string, bus?: string): string =>
  `arn:${partitionOf(region).partition}:events:${region}:${accountId}:rule/${bus ? `${bus}/` : ""}${name}`;

/** Account B's part: the forwarding rule on the default bus, its role, and its dead-letter queue. */
function bucketAccountPart(ctx: EventsContext, rule: NamedResource, busArn: string): EventsPlan["bucketAccount"] {
  const { partition } = partitionOf(ctx.bucketRegion);
  const { name } = rule;
  const trustPolicy = policyDocument([
    {
      Sid: "EventBridgeRuleAssumesRole",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sts:AssumeRole",
      Condition: {
        StringEquals: { "aws:SourceAccount": ctx.bucketAccountId },
        ArnEquals: { "aws:SourceArn": rule.arn },
      },
    },
  ]);
  const policy = policyDocument([
    { Sid: "PutEventsOnGrantBus", Effect: "Allow", Action: "events:PutEvents", Resource: busArn },
  ]);
  return {
    rule,
    pattern: objectCreatedPattern(ctx.bucketAccountId, ctx.bucketName, ctx.events),
    role: { name, arn: roleArn(partition, ctx.bucketAccountId, name), trustPolicy, policy },
    deadLetterQueue: deadLetterQueue(`${name}-dlq`, ctx.bucketRegion, ctx.bucketAccountId, rule.arn),
  };
}

/** Account A's part: the grant's bus admitting only B's rule, the rule invoking the function, its dead-letter queue. */
function lambdaAccountPart(
  ctx: EventsContext,
  names: { readonly bus: string; readonly rule: string },
  sourceRuleArn: string,
): EventsPlan["lambdaAccount"] {
  const { partition } = partitionOf(ctx.lambdaRegion);
  const busArn = `arn:${partition}:events:${ctx.lambdaRegion}:${ctx.lambdaAccountId}:event-bus/${names.bus}`;
  const ruleArn = ruleArnOf(ctx.lambdaRegion, ctx.lambdaAccountId, names.rule, names.bus);
  const busPolicy = policyDocument([
    {
      Sid: "BucketAccountRuleSends",
      Effect: "Allow",
      Principal: { AWS: accountRootArn(partition, ctx.bucketAccountId) },
      Action: "events:PutEvents",
      Resource: busArn,
      Condition: { ArnEquals: { "aws:SourceArn": sourceRuleArn } },
    },
  ]);
  return {
    bus: { name: names.bus, arn: busArn, policy: busPolicy },
    rule: { name: names.rule, arn: ruleArn },
    pattern: objectCreatedPattern(ctx.bucketAccountId, ctx.bucketName, ctx.events),
    functionArn: `arn:${partition}:lambda:${ctx.lambdaRegion}:${ctx.lambdaAccountId}:function:${ctx.functionName}`,
    deadLetterQueue: deadLetterQueue(`${names.rule}-dlq`, ctx.lambdaRegion, ctx.lambdaAccountId, ruleArn),
  };
}

/**
 * Every name, ARN, pattern and policy of a grant's events. Names carry the other account's ID and a digest of the
 * grant (bucket, grantee role, function), so the grants of one bucket, and of one account, never share a name.
 */
export function planEvents(ctx: EventsContext): EventsPlan {
  const digest = eventsDigestOf(ctx);
  const sourceName = `s3-events-${ctx.lambdaAccountId}-${digest}`;
  const sourceRule = { name: sourceName, arn: ruleArnOf(ctx.bucketRegion, ctx.bucketAccountId, sourceName) };
  const lambdaAccount = lambdaAccountPart(
    ctx,
    { bus: `s3-events-${ctx.bucketName}-${digest}`, rule: `s3-events-${ctx.bucketAccountId}-${digest}` },
    sourceRule.arn,
  );
  const bucketAccount = bucketAccountPart(ctx, sourceRule, lambdaAccount.bus.arn);
  return {
    prefixes: ctx.events.prefixes,
    ...(ctx.events.suffix !== undefined ? { suffix: ctx.events.suffix } : {}),
    removed: ctx.events.removed === true,
    bucketAccount,
    lambdaAccount,
  };
}
