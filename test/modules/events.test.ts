/**
 * A grant's object events: both accounts' EventBridge resources from the one declaration, the names each half must
 * agree on, the declarations refused at synth, and the rules that judge the events as Terraform applies them.
 */
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import type { TerraformStack } from "cdktf";
import {
  BucketAccountGrant,
  CrossAccountS3Access,
  HANDLER_ENVIRONMENT,
  LambdaAccountGrant,
  SharedBucketAccess,
  type GrantDeclaration,
} from "../../modules/internal";
import {
  accessProps,
  configurationError,
  onlyResource,
  policyOf,
  resourceAt,
  resourcesOf,
  synthJson,
  twoAccountStack,
  type SynthJson,
  type SynthResource,
  ruleFindings,
  constructAt,
} from "../support/synth";

/** An existing bucket and key, with the statements their policies hold today. */
const EXISTING = {
  keyArn: "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  bucketPolicyStatements: [],
  keyPolicyStatements: [
    { Effect: "Allow" as const, Principal: { AWS: "arn:aws:iam::222222222222:root" }, Action: "kms:*", Resource: "*" },
  ],
};

const EVENT_GRANT: GrantDeclaration = {
  mode: "bucket-policy",
  prefixes: [
    { prefix: "incoming/", access: "readWrite" },
    { prefix: "reference/", access: "read" },
    { prefix: "outgoing/", access: "write" },
  ],
  events: { prefixes: ["incoming/"] },
};

function synthGrant(grant: GrantDeclaration): SynthJson {
  const stack = twoAccountStack();
  new CrossAccountS3Access(stack.stack, "access", accessProps(stack, grant));
  return synthJson(stack.stack);
}

const pattern = (rule: SynthResource) => JSON.parse(String(rule.event_pattern)) as Record<string, unknown>;

describe("a grant with events, both halves in one stack", () => {
  const json = synthGrant(EVENT_GRANT);
  const sourceRule = resourceAt(json, "aws_cloudwatch_event_rule", "access/bucket-events/rule");
  const targetRule = resourceAt(json, "aws_cloudwatch_event_rule", "access/lambda-events/rule");
  const bus = onlyResource(json, "aws_cloudwatch_event_bus");
  const sourceRuleArn = `arn:aws:events:us-east-1:222222222222:rule/${String(sourceRule.name)}`;
  const busArn = `arn:aws:events:us-east-1:111111111111:event-bus/${String(bus.name)}`;

  test("the bucket account turns EventBridge on once, after the bucket policy", () => {
    const notification = onlyResource(json, "aws_s3_bucket_notification");
    expect(notification).toMatchObject({ eventbridge: true, provider: "aws.bucket_account" });
    expect(notification.depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_policy\./)]);
    expect(Object.keys(notification).sort()).toEqual(["bucket", "depends_on", "eventbridge", "provider"]);
  });

  test("both rules match Object Created of this bucket, from the bucket account, under the event prefixes only", () => {
    const expected = {
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      account: ["222222222222"],
      detail: { bucket: { name: ["shared-data"] }, object: { key: [{ prefix: "incoming/" }] } },
    };
    expect(pattern(sourceRule)).toEqual(expected);
    expect(pattern(targetRule)).toEqual(expected);
    expect(sourceRule.event_bus_name).toBeUndefined();
    expect(sourceRule.provider).toBe("aws.bucket_account");
    expect(targetRule.provider).toBe("aws.lambda_account");
  });

  test("the bucket account's rule sends to the grant's bus only, through a role only that rule may assume", () => {
    const target = resourceAt(json, "aws_cloudwatch_event_target", "access/bucket-events/target");
    expect(target.arn).toBe(busArn);
    expect(target.retry_policy).toEqual({ maximum_event_age_in_seconds: 86400, maximum_retry_attempts: 185 });
    const role = resourceAt(json, "aws_iam_role", "access/bucket-events/role");
    expect(policyOf(role, "assume_role_policy").Statement).toEqual([
      {
        Sid: "EventBridgeRuleAssumesRole",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": "222222222222" },
          ArnEquals: { "aws:SourceArn": sourceRuleArn },
        },
      },
    ]);
    const rolePolicy = resourceAt(json, "aws_iam_role_policy", "access/bucket-events/role-policy");
    expect(policyOf(rolePolicy).Statement).toEqual([
      { Sid: "PutEventsOnGrantBus", Effect: "Allow", Action: "events:PutEvents", Resource: busArn },
    ]);
  });

  test("the grant's bus admits the bucket account's rule and nothing else", () => {
    const policy = policyOf(onlyResource(json, "aws_cloudwatch_event_bus_policy"));
    expect(policy.Statement).toEqual([
      {
        Sid: "BucketAccountRuleSends",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::222222222222:root" },
        Action: "events:PutEvents",
        Resource: busArn,
        Condition: { ArnEquals: { "aws:SourceArn": sourceRuleArn } },
      },
    ]);
  });

  test("the function may be invoked by the grant's rule alone, which targets it with retries and a dead-letter queue", () => {
    const permission = onlyResource(json, "aws_lambda_permission");
    const ruleArn = `arn:aws:events:us-east-1:111111111111:rule/${String(bus.name)}/${String(targetRule.name)}`;
    expect(permission).toMatchObject({
      action: "lambda:InvokeFunction",
      principal: "events.amazonaws.com",
      function_name: "arn:aws:lambda:us-east-1:111111111111:function:consumer",
      source_arn: ruleArn,
      source_account: "111111111111",
    });
    const target = resourceAt(json, "aws_cloudwatch_event_target", "access/lambda-events/target");
    expect(target).toMatchObject({ arn: "arn:aws:lambda:us-east-1:111111111111:function:consumer" });
    expect(target.role_arn).toBeUndefined();
    expect(String((target.dead_letter_config as { arn: string }).arn)).toMatch(/^\$\{aws_sqs_queue\./);
    const dlq = policyOf(resourceAt(json, "aws_sqs_queue", "access/lambda-events/dead-letters/queue"));
    expect(dlq.Statement[0]?.Condition).toEqual({ ArnEquals: { "aws:SourceArn": ruleArn } });
  });

  test("each account alarms on its dead-letter queue's depth and its rule's failed invocations", () => {
    const alarms = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm"));
    const on = (metric: string, provider: string) =>
      alarms.filter((a) => a.metric_name === metric && a.provider === provider).length;
    for (const provider of ["aws.lambda_account", "aws.bucket_account"]) {
      expect(on("ApproximateNumberOfMessagesVisible", provider)).toBe(1);
      expect(on("FailedInvocations", provider)).toBe(1);
    }
  });

  test("the function is told the event filter, in the contract's encoding", () => {
    const fn = onlyResource(json, "aws_lambda_function") as { environment?: { variables?: Record<string, string> } };
    expect(fn.environment?.variables?.[HANDLER_ENVIRONMENT.eventFilter]).toBe('{"prefixes":["incoming/"]}');
  });

  test("a suffix becomes a wildcard under each prefix", () => {
    const withSuffix = synthGrant({
      ...EVENT_GRANT,
      events: { prefixes: ["incoming/", "reference/"], suffix: ".csv" },
    });
    const rule = resourceAt(withSuffix, "aws_cloudwatch_event_rule", "access/bucket-events/rule");
    expect((pattern(rule).detail as { object: unknown }).object).toEqual({
      key: [{ wildcard: "incoming/*.csv" }, { wildcard: "reference/*.csv" }],
    });
  });

  test("with removals, both rules match Object Deleted too, and the function is told so", () => {
    const removals = synthGrant({ ...EVENT_GRANT, events: { prefixes: ["incoming/"], removed: true } });
    for (const path of ["access/bucket-events/rule", "access/lambda-events/rule"]) {
      expect(pattern(resourceAt(removals, "aws_cloudwatch_event_rule", path))["detail-type"]).toEqual([
        "Object Created",
        "Object Deleted",
      ]);
    }
    const fn = onlyResource(removals, "aws_lambda_function") as {
      environment?: { variables?: Record<string, string> };
    };
    expect(fn.environment?.variables?.[HANDLER_ENVIRONMENT.eventFilter]).toBe(
      '{"prefixes":["incoming/"],"removed":true}',
    );
  });

  test("a grant without events creates none of it", () => {
    const plain = synthGrant({ ...EVENT_GRANT, events: undefined });
    for (const type of [
      "aws_s3_bucket_notification",
      "aws_cloudwatch_event_rule",
      "aws_lambda_permission",
      "aws_sqs_queue",
    ])
      expect(resourcesOf(plain, type)).toEqual({});
  });
});

describe("split halves", () => {
  test("the Lambda account's bus admits the rule the bucket account's half creates", () => {
    const lambdaSide = twoAccountStack();
    const props = accessProps(lambdaSide, EVENT_GRANT);
    const { provider: _bucketProvider, ...bucket } = props.bucket;
    new LambdaAccountGrant(lambdaSide.stack, "lambda-half", { ...props, bucket });
    const bucketSide = twoAccountStack();
    const bucketProps = accessProps(bucketSide, EVENT_GRANT);
    const { provider: _p, ...lambda } = bucketProps.lambda;
    new BucketAccountGrant(bucketSide.stack, "bucket-half", { ...bucketProps, lambda });
    const a = synthJson(lambdaSide.stack);
    const b = synthJson(bucketSide.stack);
    const rule = onlyResource(b, "aws_cloudwatch_event_rule");
    const busPolicy = policyOf(onlyResource(a, "aws_cloudwatch_event_bus_policy"));
    expect(busPolicy.Statement[0]?.Condition).toEqual({
      ArnEquals: { "aws:SourceArn": `arn:aws:events:us-east-1:222222222222:rule/${String(rule.name)}` },
    });
    const target = onlyResource(b, "aws_cloudwatch_event_target");
    expect(target.arn).toBe(busPolicy.Statement[0]?.Resource);
    expect(resourcesOf(a, "aws_s3_bucket_notification")).toEqual({});
    expect(resourcesOf(b, "aws_lambda_permission")).toEqual({});
  });
});

describe("a shared bucket whose two grantees watch one prefix", () => {
  const stack = twoAccountStack();
  const grant: GrantDeclaration = {
    mode: "bucket-policy",
    prefixes: [{ prefix: "incoming/", access: "read" }],
    events: { prefixes: ["incoming/"] },
  };
  const lambda = (n: number) => ({
    provider: stack.lambdaProvider,
    accountId: "111111111111",
    region: "us-east-1",
    functionName: `reader-${n}`,
    roleName: `reader-${n}`,
  });
  new SharedBucketAccess(stack.stack, "shared", {
    bucket: { ...accessProps(stack, grant).bucket },
    grantees: [
      { name: "one", lambda: lambda(1), grant },
      { name: "two", lambda: lambda(2), grant },
    ],
  });
  const json = synthJson(stack.stack);

  test("one notification configuration, a rule and a bus for each grantee", () => {
    expect(Object.keys(resourcesOf(json, "aws_s3_bucket_notification"))).toHaveLength(1);
    const rules = Object.values(resourcesOf(json, "aws_cloudwatch_event_rule"));
    expect(rules).toHaveLength(4);
    expect(new Set(rules.map((r) => `${String(r.provider)} ${String(r.name)}`)).size).toBe(4);
    expect(Object.keys(resourcesOf(json, "aws_cloudwatch_event_bus"))).toHaveLength(2);
    const functions = Object.values(resourcesOf(json, "aws_lambda_permission")).map((p) => p.function_name);
    expect(functions.sort()).toEqual([
      "arn:aws:lambda:us-east-1:111111111111:function:reader-1",
      "arn:aws:lambda:us-east-1:111111111111:function:reader-2",
    ]);
  });
});

describe("an existing bucket: its notification entries as they are today, written back beside EventBridge", () => {
  const existing = {
    ...EXISTING,
    notification: {
      queues: [
        {
          id: "audit",
          arn: "arn:aws:sqs:us-east-1:222222222222:audit",
          events: ["s3:ObjectRemoved:*"],
          filterPrefix: "archive/",
        },
      ],
      lambdaFunctions: [
        {
          arn: "arn:aws:lambda:us-east-1:222222222222:function:thumbs",
          events: ["s3:ObjectCreated:*"],
          filterSuffix: ".png",
        },
      ],
    },
  };

  test("one configuration: EventBridge on, the queue and function entries kept, after the existing bucket's policy", () => {
    const stack = twoAccountStack();
    new CrossAccountS3Access(stack.stack, "access", accessProps(stack, EVENT_GRANT, { bucket: { existing } }));
    const json = synthJson(stack.stack);
    const notification = onlyResource(json, "aws_s3_bucket_notification");
    expect(notification).toMatchObject({
      bucket: "shared-data",
      eventbridge: true,
      queue: [
        {
          id: "audit",
          queue_arn: "arn:aws:sqs:us-east-1:222222222222:audit",
          events: ["s3:ObjectRemoved:*"],
          filter_prefix: "archive/",
        },
      ],
      lambda_function: [
        {
          lambda_function_arn: "arn:aws:lambda:us-east-1:222222222222:function:thumbs",
          events: ["s3:ObjectCreated:*"],
          filter_suffix: ".png",
        },
      ],
    });
    expect(notification.topic).toBeUndefined();
    expect(notification.depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_policy\./)]);
  });
});

describe("declarations refused at synth, naming the field and the value", () => {
  const refused = (grant: GrantDeclaration, overrides: Parameters<typeof accessProps>[2] = {}) =>
    configurationError(() => {
      const stack = twoAccountStack();
      new CrossAccountS3Access(stack.stack, "access", accessProps(stack, grant, overrides));
    }).message;

  test("an event prefix outside every readable prefix (upload-only, or not granted)", () => {
    expect(refused({ ...EVENT_GRANT, events: { prefixes: ["outgoing/"] } })).toMatch(
      /access\.grant\.events\.prefixes\[0\] "outgoing\/" lies under no prefix the grant lets the grantee read/,
    );
    expect(refused({ ...EVENT_GRANT, events: { prefixes: ["elsewhere/"] } })).toMatch(
      /events\.prefixes\[0\] "elsewhere\/"/,
    );
  });

  test("an event prefix given twice", () => {
    expect(refused({ ...EVENT_GRANT, events: { prefixes: ["incoming/", "incoming/"] } })).toMatch(
      /events\.prefixes\[1\] "incoming\/" is given twice \(also events\.prefixes\[0\]\)/,
    );
  });

  test("an event prefix under another one", () => {
    expect(refused({ ...EVENT_GRANT, events: { prefixes: ["incoming/", "incoming/a/"] } })).toMatch(
      /events\.prefixes\[1\] "incoming\/a\/" lies under events\.prefixes\[0\]/,
    );
  });

  test("a suffix with characters S3 or EventBridge would read otherwise", () => {
    for (const suffix of ["*.csv", "a b", "", "x".repeat(256), 'q"', "\\n"]) {
      expect(refused({ ...EVENT_GRANT, events: { prefixes: ["incoming/"], suffix } })).toMatch(
        /events\.suffix .* is not a key suffix/,
      );
    }
  });

  test("a delivery path that is not offered", () => {
    const events = { prefixes: ["incoming/"], delivery: "sns" } as unknown as GrantDeclaration["events"];
    expect(refused({ ...EVENT_GRANT, events })).toMatch(
      /events\.delivery "sns" is not an event delivery \(eventbridge, sqs\)/,
    );
  });

  test("the team's own function (createFunction: false) is the target by its name; without events the name is refused", () => {
    const stack = twoAccountStack();
    new CrossAccountS3Access(
      stack.stack,
      "access",
      accessProps(stack, EVENT_GRANT, { lambda: { functionName: "teams-own", createFunction: false } }),
    );
    const json = synthJson(stack.stack);
    expect(resourcesOf(json, "aws_lambda_function")).toEqual({});
    expect(onlyResource(json, "aws_lambda_permission").function_name).toBe(
      "arn:aws:lambda:us-east-1:111111111111:function:teams-own",
    );
    expect(
      refused({ ...EVENT_GRANT, events: undefined }, { lambda: { functionName: "teams-own", createFunction: false } }),
    ).toMatch(
      /access\.lambda\.functionName "teams-own" applies only to a function this library creates, or to the team's own function a grant's events invoke/,
    );
  });

  test("no function to invoke, and an existing bucket", () => {
    expect(refused(EVENT_GRANT, { lambda: { functionName: undefined, createFunction: false } })).toMatch(
      /lambda\.functionName .*is required with grant\.events/,
    );
    expect(refused(EVENT_GRANT, { bucket: { existing: EXISTING } })).toMatch(
      /grant\.events .*on an existing bucket needs bucket\.existing\.notification/,
    );
    expect(
      refused(EVENT_GRANT, {
        bucket: {
          existing: {
            ...EXISTING,
            notification: { queues: [{ arn: "arn:aws:sns:us-east-1:222222222222:t", events: ["s3:ObjectCreated:*"] }] },
          },
        },
      }),
    ).toMatch(
      /bucket\.existing\.notification\.queues\[0\]\.arn "arn:aws:sns:us-east-1:222222222222:t" is not an SQS queue ARN/,
    );
  });
});

const findings = (tamper: (stack: TerraformStack) => void) => ruleFindings(EVENT_GRANT, tamper);

describe("the rules judge the events as Terraform applies them", () => {
  const bucketProvider = (stack: TerraformStack) =>
    stack.node.findAll().find((c) => c.node.id === "bucket" && c.node.scope === stack) as never;

  test("the shipped grant passes", () => {
    expect(findings(() => undefined)).toEqual([]);
  });

  test("a second rule on the bucket's events with a wider prefix is refused (CAS-EVT-3)", () => {
    const found = findings((stack) => {
      new CloudwatchEventRule(stack, "wider", {
        provider: bucketProvider(stack),
        name: "wider",
        eventPattern: JSON.stringify({ source: ["aws.s3"], detail: { bucket: { name: ["shared-data"] } } }),
      });
    });
    expect(found).toEqual(["CAS-EVT-3"]);
  });

  test("a second target on the grant's rule, sending its events to another account's bus, is refused (CAS-EVT-3)", () => {
    const found = findings((stack) => {
      new CloudwatchEventTarget(stack, "exfiltrate", {
        provider: bucketProvider(stack),
        rule: "s3-events-111111111111-84684531a1",
        arn: "arn:aws:events:us-east-1:999999999999:event-bus/elsewhere",
      });
    });
    expect(found).toEqual(["CAS-EVT-3"]);
  });

  test("a Lambda permission for a service without source_arn is refused (CAS-EVT-1)", () => {
    const found = findings((stack) => {
      new LambdaPermission(stack, "open", {
        provider: bucketProvider(stack),
        action: "lambda:InvokeFunction",
        functionName: "consumer",
        principal: "events.amazonaws.com",
      });
    });
    expect(found).toEqual(["CAS-EVT-1"]);
  });

  test("a role trusted by EventBridge without its source is refused; one trusted by EC2, which sets no source, is not judged", () => {
    const trust = (service: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
      });
    const found = findings((stack) => {
      new IamRole(stack, "events-role", {
        provider: bucketProvider(stack),
        name: "loose",
        assumeRolePolicy: trust("events.amazonaws.com"),
      });
      new IamRole(stack, "ec2-role", {
        provider: bucketProvider(stack),
        name: "instances",
        assumeRolePolicy: trust("ec2.amazonaws.com"),
      });
    });
    expect(found).toEqual(["CAS-EVT-1"]);
  });

  test("a bus policy without aws:SourceArn, and a second notification configuration, are refused", () => {
    const found = findings((stack) => {
      constructAt(stack, "lambda-events/bus-policy").addOverride(
        "policy",
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: "222222222222" },
              Action: "events:PutEvents",
              Resource: "arn:aws:events:us-east-1:111111111111:event-bus/x",
            },
          ],
        }),
      );
      new S3BucketNotification(stack, "second", { provider: bucketProvider(stack), bucket: "shared-data" });
    });
    expect(found.sort()).toEqual(["CAS-EVT-2", "CAS-TF-2", "CAS-TF-2"]);
  });

  test("a missing dead-letter alarm is refused (CAS-MON-1)", () => {
    const found = findings((stack) => {
      constructAt(stack, "bucket-events/dead-letters/depth-alarm").addOverride("metric_name", "NumberOfMessagesSent");
    });
    expect(found).toEqual(["CAS-MON-1"]);
  });
});
