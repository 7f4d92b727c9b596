/**
 * A grant's object events on the SQS path: the bucket account's queue entries and the Lambda account's queue, key and
 * event source mapping from the one declaration, the order S3 needs, the declarations refused at synth, and the rules
 * that judge queues and notification entries as Terraform applies them.
 */
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import type { TerraformStack } from "cdktf";
import {
  BucketAccountGrant,
  CrossAccountS3Access,
  HANDLER_ENVIRONMENT,
  LambdaAccountGrant,
  SECURITY_RULES,
  SharedBucketAccess,
  type StackJson,
  filtersOverlap,
  planQueueEvents,
  type GrantDeclaration,
} from "../../modules/internal";
import {
  accessProps,
  configurationError,
  onlyResource,
  policyOf,
  resourcesOf,
  synthJson,
  twoAccountStack,
  type SynthJson,
  ruleFindings,
  constructAt,
} from "../support/synth";

const QUEUE_GRANT: GrantDeclaration = {
  mode: "bucket-policy",
  prefixes: [
    { prefix: "incoming/", access: "readWrite" },
    { prefix: "reference/", access: "read" },
  ],
  events: { delivery: "sqs", prefixes: ["incoming/", "reference/"], suffix: ".csv" },
};

function synthGrant(grant: GrantDeclaration, options: Parameters<typeof accessProps>[2] = {}): SynthJson {
  const stack = twoAccountStack();
  new CrossAccountS3Access(stack.stack, "access", accessProps(stack, grant, options));
  return synthJson(stack.stack);
}

const plan = planQueueEvents({
  events: QUEUE_GRANT.events!,
  lambdaAccountId: "111111111111",
  lambdaRegion: "us-east-1",
  lambdaRoleArn: "arn:aws:iam::111111111111:role/consumer-role",
  functionName: "consumer",
  bucketAccountId: "222222222222",
  bucketRegion: "us-east-1",
  bucketName: "shared-data",
});

describe("a grant with events on the SQS path, both halves in one stack", () => {
  const json = synthGrant(QUEUE_GRANT);
  const queues = Object.values(resourcesOf(json, "aws_sqs_queue"));
  const queue = queues.find((q) => q.name === plan.lambdaAccount.queue.name)!;

  test("the bucket account's one configuration sends each event prefix to the grant's queue, after the queue exists", () => {
    const notification = onlyResource(json, "aws_s3_bucket_notification");
    expect(notification.eventbridge).toBeUndefined();
    expect(notification.queue).toEqual(
      ["incoming/", "reference/"].map((prefix, i) => ({
        id: `${plan.lambdaAccount.queue.name}-${i}`,
        queue_arn: plan.lambdaAccount.queue.arn,
        events: ["s3:ObjectCreated:*"],
        filter_prefix: prefix,
        filter_suffix: ".csv",
      })),
    );
    expect(notification.depends_on).toEqual([
      expect.stringMatching(/^aws_s3_bucket_policy\./),
      expect.stringMatching(/^aws_sqs_queue\.access_lambda-queue-events_queue_/),
    ]);
    expect(Object.keys(resourcesOf(json, "aws_cloudwatch_event_rule"))).toHaveLength(0);
  });

  test("the queue: under a key of the Lambda account, S3 may send for this bucket of the bucket account only", () => {
    expect(queue.kms_master_key_id).toMatch(/^\$\{aws_kms_key\.access_lambda-queue-events_key_\w+\.arn\}$/);
    expect(queue.visibility_timeout_seconds).toBe(6 * 30);
    expect(JSON.parse(String(queue.redrive_policy))).toEqual({
      deadLetterTargetArn: plan.lambdaAccount.deadLetterQueue.arn,
      maxReceiveCount: 5,
    });
    expect(policyOf(queue).Statement).toEqual([
      {
        Sid: "S3SendsBucketEvents",
        Effect: "Allow",
        Principal: { Service: "s3.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: plan.lambdaAccount.queue.arn,
        Condition: {
          StringEquals: { "aws:SourceAccount": "222222222222" },
          ArnEquals: { "aws:SourceArn": "arn:aws:s3:::shared-data" },
        },
      },
    ]);
  });

  test("the key: S3 makes data keys only for this bucket; the function's role decrypts only through SQS", () => {
    const keys = Object.values(resourcesOf(json, "aws_kms_key")).filter((k) => k.provider === "aws.lambda_account");
    expect(keys).toHaveLength(1);
    expect(keys[0].enable_key_rotation).toBe(true);
    expect(policyOf(keys[0]).Statement[1]).toMatchObject({
      Principal: { Service: "s3.amazonaws.com" },
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Condition: {
        StringEquals: { "aws:SourceAccount": "222222222222" },
        ArnEquals: { "aws:SourceArn": "arn:aws:s3:::shared-data" },
      },
    });
    const read = Object.values(resourcesOf(json, "aws_iam_role_policy")).find((p) => p.name === "read-event-queue")!;
    expect(policyOf(read).Statement).toEqual(plan.lambdaAccount.rolePolicy.Statement);
    expect(plan.lambdaAccount.rolePolicy.Statement[1]).toMatchObject({
      Action: "kms:Decrypt",
      Condition: { StringEquals: { "kms:ViaService": "sqs.us-east-1.amazonaws.com" } },
    });
  });

  test("Lambda reads the queue for the function, retrying only the messages it reports failed", () => {
    const mapping = onlyResource(json, "aws_lambda_event_source_mapping");
    expect(mapping).toMatchObject({
      function_name: "arn:aws:lambda:us-east-1:111111111111:function:consumer",
      function_response_types: ["ReportBatchItemFailures"],
    });
    expect(mapping.event_source_arn).toMatch(/^\$\{aws_sqs_queue\.access_lambda-queue-events_queue_\w+\.arn\}$/);
    expect(mapping.depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\.access_lambda-queue-events_role-policy_/)]),
    );
  });

  test("the function is told the event filter; an alarm watches the dead-letter queue", () => {
    const fn = onlyResource(json, "aws_lambda_function") as { environment?: { variables?: Record<string, string> } };
    expect(JSON.parse(fn.environment!.variables![HANDLER_ENVIRONMENT.eventFilter])).toEqual({
      prefixes: ["incoming/", "reference/"],
      suffix: ".csv",
    });
    const alarms = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm")).map((a) => a.alarm_name);
    expect(alarms).toContain(`${plan.lambdaAccount.deadLetterQueue.name}-depth`);
  });

  test("with removals, each entry asks for deletions too", () => {
    const removed = synthGrant({ ...QUEUE_GRANT, events: { ...QUEUE_GRANT.events!, removed: true } });
    const notification = onlyResource(removed, "aws_s3_bucket_notification") as { queue: Array<{ events: string[] }> };
    expect(notification.queue.map((q) => q.events)).toEqual([
      ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
      ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
    ]);
  });
});

describe("split halves", () => {
  test("the bucket account's entries name the queue the Lambda account's half creates, with nothing to wait for", () => {
    const bucketSide = twoAccountStack();
    const lambdaSide = twoAccountStack();
    const bucketProps = accessProps(bucketSide, QUEUE_GRANT);
    const { provider: _p, ...lambda } = bucketProps.lambda;
    new BucketAccountGrant(bucketSide.stack, "bucket-half", { ...bucketProps, lambda });
    const lambdaProps = accessProps(lambdaSide, QUEUE_GRANT);
    const { provider: _b, ...bucket } = lambdaProps.bucket;
    new LambdaAccountGrant(lambdaSide.stack, "lambda-half", { ...lambdaProps, bucket });
    const bucketJson = synthJson(bucketSide.stack);
    const lambdaJson = synthJson(lambdaSide.stack);
    const notification = onlyResource(bucketJson, "aws_s3_bucket_notification") as {
      queue: Array<{ queue_arn: string }>;
      depends_on: string[];
    };
    const queue = Object.values(resourcesOf(lambdaJson, "aws_sqs_queue")).find(
      (q) => !String(q.name).endsWith("-dlq"),
    )!;
    expect(notification.queue.map((q) => q.queue_arn)).toEqual([
      `arn:aws:sqs:us-east-1:111111111111:${String(queue.name)}`,
      `arn:aws:sqs:us-east-1:111111111111:${String(queue.name)}`,
    ]);
    expect(notification.depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_policy\./)]);
  });
});

describe("a shared bucket: one grantee on EventBridge, one on its queue, watching one prefix", () => {
  test("one configuration with EventBridge on and the queue grantee's entry", () => {
    const stack = twoAccountStack();
    const grant = (delivery: "eventbridge" | "sqs"): GrantDeclaration => ({
      mode: "bucket-policy",
      prefixes: [{ prefix: "incoming/", access: "read" }],
      events: { delivery, prefixes: ["incoming/"] },
    });
    const lambda = (n: number) => ({
      provider: stack.lambdaProvider,
      accountId: "111111111111",
      region: "us-east-1",
      functionName: `reader-${n}`,
      roleName: `reader-${n}`,
    });
    new SharedBucketAccess(stack.stack, "shared", {
      bucket: { ...accessProps(stack, grant("sqs")).bucket },
      grantees: [
        { name: "one", lambda: lambda(1), grant: grant("eventbridge") },
        { name: "two", lambda: lambda(2), grant: grant("sqs") },
      ],
    });
    const json = synthJson(stack.stack);
    const notification = onlyResource(json, "aws_s3_bucket_notification") as {
      eventbridge: boolean;
      queue: unknown[];
      depends_on: string[];
    };
    expect(notification.eventbridge).toBe(true);
    expect(notification.queue).toHaveLength(1);
    expect(notification.depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^aws_sqs_queue\.shared_consumer-two_lambda-queue-events_queue_/)]),
    );
  });
});

describe("declarations refused at synth, naming the field and the value", () => {
  test("the function in another region than the bucket", () => {
    const stack = twoAccountStack();
    const props = accessProps(stack, QUEUE_GRANT);
    expect(
      configurationError(
        () =>
          new CrossAccountS3Access(stack.stack, "access", {
            ...props,
            lambda: { ...props.lambda, region: "us-west-2" },
          }),
      ).message,
    ).toMatch(/grant\.events\.delivery "sqs" needs the function in the bucket's region us-east-1, not us-west-2/);
  });

  test("an entry overlapping one the existing bucket holds, with nothing created", () => {
    const stack = twoAccountStack();
    const existing = {
      keyArn: "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      bucketPolicyStatements: [],
      keyPolicyStatements: [
        {
          Effect: "Allow" as const,
          Principal: { AWS: "arn:aws:iam::222222222222:root" },
          Action: "kms:*",
          Resource: "*",
        },
      ],
      notification: {
        lambdaFunctions: [
          {
            arn: "arn:aws:lambda:us-east-1:222222222222:function:csv",
            events: ["s3:ObjectCreated:Put"],
            filterSuffix: ".csv",
          },
        ],
      },
    };
    expect(
      configurationError(
        () =>
          new CrossAccountS3Access(stack.stack, "access", accessProps(stack, QUEUE_GRANT, { bucket: { existing } })),
      ).message,
    ).toMatch(
      /grant\.events\.prefixes\[0\] "incoming\/" \(s3:ObjectCreated:\* ending "\.csv"\) overlaps bucket\.existing\.notification\.lambdaFunctions\[0\]/,
    );
    expect(Object.keys(synthJson(stack.stack).resource ?? {})).toEqual([]);
  });
});

describe("when S3 entries overlap", () => {
  const entry = (events: string[], prefix?: string, suffix?: string) => ({
    label: "e",
    events,
    ...(prefix !== undefined ? { filterPrefix: prefix } : {}),
    ...(suffix !== undefined ? { filterSuffix: suffix } : {}),
  });

  test.each([
    ["one prefix under the other", entry(["s3:ObjectCreated:*"], "a/"), entry(["s3:ObjectCreated:Put"], "a/b/"), true],
    ["no prefix at all", entry(["s3:ObjectCreated:*"]), entry(["s3:ObjectCreated:*"], "a/"), true],
    [
      "suffixes one the other's end",
      entry(["s3:ObjectCreated:*"], "a/", ".csv"),
      entry(["s3:ObjectCreated:*"], "a/", "x.csv"),
      true,
    ],
    ["apart by prefix", entry(["s3:ObjectCreated:*"], "a/"), entry(["s3:ObjectCreated:*"], "b/"), false],
    [
      "apart by suffix",
      entry(["s3:ObjectCreated:*"], "a/", ".csv"),
      entry(["s3:ObjectCreated:*"], "a/", ".json"),
      false,
    ],
    ["apart by event", entry(["s3:ObjectCreated:*"], "a/"), entry(["s3:ObjectRemoved:*"], "a/"), false],
    ["two events of one family", entry(["s3:ObjectCreated:Put"]), entry(["s3:ObjectCreated:Post"]), false],
  ])("%s", (_name, a, b, overlap) => {
    expect(filtersOverlap(a, b)).toBe(overlap);
    expect(filtersOverlap(b, a)).toBe(overlap);
  });
});

const findings = (tamper: (stack: TerraformStack) => void) => ruleFindings(QUEUE_GRANT, tamper);

describe("the rules judge queues and notification entries as Terraform applies them", () => {
  const provider = (stack: TerraformStack, id: string) =>
    stack.node.findAll().find((c) => c.node.id === id && c.node.scope === stack) as never;

  test("the shipped grant passes", () => {
    expect(findings(() => undefined)).toEqual([]);
  });

  test("the grant's queue on the AWS-managed key is refused (CAS-EVT-4)", () => {
    const found = findings((stack) =>
      constructAt(stack, "lambda-queue-events/queue").addOverride("kms_master_key_id", "alias/aws/sqs"),
    );
    expect(found).toEqual(["CAS-EVT-4"]);
  });

  test("a team's queue on the AWS-managed key that a service sends to is refused; one no service sends to is not judged", () => {
    const found = findings((stack) => {
      const policy = (service?: string) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: service ? { Service: service } : { AWS: "arn:aws:iam::111111111111:root" },
              Action: "sqs:SendMessage",
              Resource: "*",
              Condition: { StringEquals: { "aws:SourceAccount": "111111111111" } },
            },
          ],
        });
      new SqsQueue(stack, "fed", {
        provider: provider(stack, "lambda"),
        name: "fed",
        kmsMasterKeyId: "alias/aws/sqs",
        policy: policy("sns.amazonaws.com"),
      });
      new SqsQueue(stack, "own", {
        provider: provider(stack, "lambda"),
        name: "own",
        kmsMasterKeyId: "alias/aws/sqs",
        policy: policy(),
      });
    });
    expect(found).toEqual(["CAS-EVT-4"]);
  });

  test("a topic on the AWS-managed key that a bucket's configuration sends to, through a topic policy, is refused (CAS-EVT-4)", () => {
    const found = findings((stack) => {
      const topic = new SnsTopic(stack, "alerts", {
        provider: provider(stack, "bucket"),
        name: "object-alerts",
        kmsMasterKeyId: "alias/aws/sns",
      });
      new SnsTopicPolicy(stack, "alerts-policy", {
        provider: provider(stack, "bucket"),
        arn: topic.arn,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "s3.amazonaws.com" },
              Action: "sns:Publish",
              Resource: "*",
              Condition: { StringEquals: { "aws:SourceAccount": "222222222222" } },
            },
          ],
        }),
      });
    });
    expect(found).toEqual(["CAS-EVT-4"]);
  });

  test("a second entry on the granted bucket, sending its new objects elsewhere, is refused (CAS-EVT-5)", () => {
    const found = findings((stack) =>
      constructAt(stack, "access/bucket-notification").addOverride("queue.2", {
        id: "exfiltrate",
        queue_arn: "arn:aws:sqs:us-east-1:999999999999:elsewhere",
        events: ["s3:ObjectCreated:*"],
        filter_prefix: "secret/",
      }),
    );
    expect(found).toEqual(["CAS-EVT-5"]);
  });

  test("two overlapping entries of any bucket's configuration are refused (CAS-EVT-5)", () => {
    const found = findings((stack) => {
      new S3BucketNotification(stack, "other", {
        provider: provider(stack, "bucket"),
        bucket: "another-bucket",
        queue: [
          { queueArn: "arn:aws:sqs:us-east-1:222222222222:a", events: ["s3:ObjectCreated:*"], filterPrefix: "x/" },
          { queueArn: "arn:aws:sqs:us-east-1:222222222222:b", events: ["s3:ObjectCreated:Put"], filterPrefix: "x/y/" },
        ],
      });
    });
    expect(found).toEqual(["CAS-EVT-5"]);
  });

  test("the key's S3 statement with a wildcard source is refused (CAS-KMS-2)", () => {
    const found = findings((stack) => {
      constructAt(stack, "lambda-queue-events/key").addOverride(
        "policy",
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "kms:*", Resource: "*" },
            {
              Effect: "Allow",
              Principal: { Service: "s3.amazonaws.com" },
              Action: "kms:GenerateDataKey",
              Resource: "*",
              Condition: {
                StringEquals: { "aws:SourceAccount": "222222222222" },
                ArnLike: { "aws:SourceArn": "arn:aws:s3:::*" },
              },
            },
          ],
        }),
      );
    });
    expect(found).toEqual(["CAS-KMS-2"]);
  });

  test("a grant record edited to declare events outside the readable prefixes is refused (CAS-EVT-3)", () => {
    const pair = twoAccountStack();
    new CrossAccountS3Access(pair.stack, "access", accessProps(pair, QUEUE_GRANT));
    const json = structuredClone(pair.stack.toTerraform()) as StackJson & {
      "//": { "cross-account-s3-lambda": { grants: Array<{ grant: GrantDeclaration }> } };
    };
    const check = SECURITY_RULES.find((r) => r.id === "CAS-EVT-3")!.check;
    expect(check(json)).toEqual([]);
    for (const record of json["//"]["cross-account-s3-lambda"].grants) {
      (record.grant.events as { prefixes: string[] }).prefixes = ["secret/"];
    }
    expect(check(json).map((v) => v.message)).toEqual([
      expect.stringMatching(
        /declares events under secret\/, outside every prefix the grant lets the grantee read \(incoming\/, reference\/\)/,
      ),
      expect.stringMatching(/declares events under secret\//),
    ]);
  });

  test("a missing dead-letter alarm is refused (CAS-MON-1)", () => {
    const found = findings((stack) =>
      constructAt(stack, "lambda-queue-events/depth-alarm").addOverride("metric_name", "NumberOfMessagesSent"),
    );
    expect(found).toEqual(["CAS-MON-1"]);
  });
});
