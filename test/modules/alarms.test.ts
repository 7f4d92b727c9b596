/**
 * The alarms of a grant, on by default: in the Lambda account (for a function the library creates) a metric filter on
 * the function's log group selecting the contract's access-denied log line, an alarm on it and an alarm on the
 * function's Errors; in the bucket account request metrics for each granted prefix and an alarm on its 4xxErrors.
 * Each through the provider of the account that owns what it watches; the switch; the topics; the refusals.
 */
import { createHash } from "node:crypto";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Testing, TerraformStack } from "cdktf";
import {
  accessDeniedFilterPattern,
  BucketAccountGrant,
  ConfigurationError,
  CrossAccountS3Access,
  LambdaAccountGrant,
  SharedBucketAccess,
  type AlarmSettings,
  type GrantDeclaration,
} from "../../modules/internal";
import { requestMetricsIds } from "../../modules/declaration/alarm-settings";
import { ACCESS_DENIED_LOG_LINE } from "../../modules/contract";
import {
  accessProps,
  allResources,
  resourcesOf,
  synthJson,
  twoAccountStack,
  type SynthJson,
  type SynthResource,
} from "../support/synth";

const GRANT: GrantDeclaration = {
  mode: "bucket-policy",
  prefixes: [
    { prefix: "incoming/", access: "readWrite" },
    { prefix: "reference/", access: "read" },
  ],
};
const LAMBDA_TOPIC = "arn:aws:sns:us-east-1:111111111111:lambda-alarms";
const BUCKET_TOPIC = "arn:aws:sns:us-east-1:222222222222:data-alarms";
const TOPICS: AlarmSettings = { topicArns: { "111111111111": LAMBDA_TOPIC, "222222222222": BUCKET_TOPIC } };
const ALARM_TYPES = ["aws_cloudwatch_log_metric_filter", "aws_cloudwatch_metric_alarm", "aws_s3_bucket_metric"];

/** One grant, both halves in one stack, with `alarms` and `overrides` of the default sides. */
function grantJson(
  alarms?: AlarmSettings,
  overrides: Parameters<typeof accessProps>[2] = {},
): { json: SynthJson; access: CrossAccountS3Access } {
  const pair = twoAccountStack();
  const access = new CrossAccountS3Access(pair.stack, "access", {
    ...accessProps(pair, GRANT, overrides),
    ...(alarms ? { alarms } : {}),
  });
  return { json: synthJson(pair.stack), access };
}

const alarmsOf = (json: SynthJson) => Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm"));
const alarmNamed = (json: SynthJson, name: string): SynthResource => {
  const found = alarmsOf(json).find((a) => a.alarm_name === name);
  if (!found)
    throw new Error(
      `no alarm ${name}: ${alarmsOf(json)
        .map((a) => a.alarm_name)
        .join(", ")}`,
    );
  return found;
};

describe("on by default, each in the account that owns what it watches", () => {
  const { json, access } = grantJson();

  test("the Lambda account: a metric filter on the function's log group selecting the contract's field and value", () => {
    const [filter, ...more] = Object.values(resourcesOf(json, "aws_cloudwatch_log_metric_filter"));
    expect(more).toEqual([]);
    expect(filter).toEqual({
      provider: "aws.lambda_account",
      name: "access-denied",
      log_group_name: `\${aws_cloudwatch_log_group.${access.lambdaAccount.grantee.logGroup!.friendlyUniqueId}.name}`,
      pattern: `{ $.${ACCESS_DENIED_LOG_LINE.field} = "${ACCESS_DENIED_LOG_LINE.value}" }`,
      metric_transformation: {
        name: "AccessDenied-consumer",
        namespace: "CrossAccountS3Lambda",
        value: "1",
        unit: "Count",
      },
    });
    expect(filter.pattern).toBe(accessDeniedFilterPattern());
    expect(access.lambdaAccount.grantee.logGroup!.name).toBeDefined();
  });

  test("the Lambda account: an alarm on the filter's metric and one on the function's Errors", () => {
    const judged = {
      statistic: "Sum",
      period: 300,
      evaluation_periods: 1,
      threshold: 1,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      treat_missing_data: "notBreaching",
    };
    expect(alarmNamed(json, "consumer-access-denied")).toMatchObject({
      provider: "aws.lambda_account",
      namespace: "CrossAccountS3Lambda",
      metric_name: "AccessDenied-consumer",
      ...judged,
    });
    expect(alarmNamed(json, "consumer-access-denied").dimensions).toBeUndefined();
    expect(alarmNamed(json, "consumer-errors")).toMatchObject({
      provider: "aws.lambda_account",
      namespace: "AWS/Lambda",
      metric_name: "Errors",
      dimensions: { FunctionName: "consumer" },
      ...judged,
    });
  });

  test("the bucket account: request metrics filtered to each granted prefix, and an alarm on each one's 4xxErrors", () => {
    const metrics = Object.values(resourcesOf(json, "aws_s3_bucket_metric"));
    const bucketRef = `\${aws_s3_bucket.${access.bucketAccount.bucket!.bucket.friendlyUniqueId}.id}`;
    expect(metrics).toEqual([
      { provider: "aws.bucket_account", bucket: bucketRef, name: "grant-incoming", filter: { prefix: "incoming/" } },
      { provider: "aws.bucket_account", bucket: bucketRef, name: "grant-reference", filter: { prefix: "reference/" } },
    ]);
    for (const [prefix, filterId] of [
      ["incoming/", "grant-incoming"],
      ["reference/", "grant-reference"],
    ] as const) {
      const alarm = alarmNamed(json, `shared-data-${filterId}-4xx-errors`);
      expect(alarm).toMatchObject({
        provider: "aws.bucket_account",
        namespace: "AWS/S3",
        metric_name: "4xxErrors",
        dimensions: { BucketName: "shared-data", FilterId: filterId },
      });
      expect(alarm.alarm_description).toContain(`s3://shared-data/${prefix}`);
    }
  });

  test("every alarm resource goes through its half's provider, and notifies no one without a topic", () => {
    const byProvider = allResources(json)
      .filter(([type]) => ALARM_TYPES.includes(type))
      .map(([type, , r]) => `${r.provider} ${type}`)
      .sort();
    expect(byProvider).toEqual([
      "aws.bucket_account aws_cloudwatch_metric_alarm",
      "aws.bucket_account aws_cloudwatch_metric_alarm",
      "aws.bucket_account aws_s3_bucket_metric",
      "aws.bucket_account aws_s3_bucket_metric",
      "aws.lambda_account aws_cloudwatch_log_metric_filter",
      "aws.lambda_account aws_cloudwatch_metric_alarm",
      "aws.lambda_account aws_cloudwatch_metric_alarm",
    ]);
    expect(alarmsOf(json).filter((a) => a.alarm_actions !== undefined || a.ok_actions !== undefined)).toEqual([]);
  });

  test("the constructs expose them", () => {
    expect(access.lambdaAccount.alarms?.errorsAlarm.alarmNameInput).toBe("consumer-errors");
    expect([...access.bucketAccount.alarms!.requestMetrics.keys()]).toEqual(["incoming/", "reference/"]);
  });
});

test("each account's alarms notify its own topic, when they fire and when they are OK again", () => {
  const { json } = grantJson(TOPICS);
  for (const a of alarmsOf(json)) {
    const topic = a.provider === "aws.lambda_account" ? LAMBDA_TOPIC : BUCKET_TOPIC;
    expect({ alarm: a.alarm_name, actions: a.alarm_actions, ok: a.ok_actions }).toEqual({
      alarm: a.alarm_name,
      actions: [topic],
      ok: [topic],
    });
  }
  expect(alarmsOf(json)).toHaveLength(4);
});

test("a topic for one account only: the other account's alarms notify no one", () => {
  const { json } = grantJson({ topicArns: { "222222222222": BUCKET_TOPIC } });
  expect(
    alarmsOf(json)
      .map((a) => `${String(a.alarm_name)} ${JSON.stringify(a.alarm_actions ?? [])}`)
      .sort(),
  ).toEqual([
    "consumer-access-denied []",
    "consumer-errors []",
    `shared-data-grant-incoming-4xx-errors ["${BUCKET_TOPIC}"]`,
    `shared-data-grant-reference-4xx-errors ["${BUCKET_TOPIC}"]`,
  ]);
});

test("the switch off: no alarm, metric filter or request metrics in either account, and the records say so", () => {
  const { json, access } = grantJson({ enabled: false });
  expect(Object.keys(json.resource).filter((t) => ALARM_TYPES.includes(t))).toEqual([]);
  expect(access.lambdaAccount.alarms).toBeUndefined();
  expect(access.bucketAccount.alarms).toBeUndefined();
  // The rest of the grant is as it was.
  expect(Object.keys(resourcesOf(json, "aws_lambda_function"))).toHaveLength(1);
  expect(Object.keys(resourcesOf(json, "aws_s3_bucket"))).toHaveLength(2); // the bucket and its access log bucket
});

test("a function the library does not create gets no Lambda alarms; the bucket account's stay", () => {
  const { json, access } = grantJson(undefined, { lambda: { createFunction: false, functionName: undefined } });
  expect(resourcesOf(json, "aws_cloudwatch_log_metric_filter")).toEqual({});
  expect(alarmsOf(json).map((a) => a.provider)).toEqual(["aws.bucket_account", "aws.bucket_account"]);
  expect(access.lambdaAccount.alarms).toBeUndefined();
});

test("the function's own code gets the same filter: the line it must log is the contract's", () => {
  const { json } = grantJson(undefined, {
    lambda: {
      code: { archive: `${__dirname}/../../lambda/function.zip`, runtime: "python3.12", handler: "app.handler" },
    },
  });
  expect(Object.values(resourcesOf(json, "aws_cloudwatch_log_metric_filter")).map((f) => f.pattern)).toEqual([
    accessDeniedFilterPattern(),
  ]);
});

describe("each half alone creates its own account's alarms, from the same declaration", () => {
  const lambdaSide = {
    accountId: "111111111111",
    region: "us-east-1",
    functionName: "consumer",
    roleName: "consumer-role",
  };
  const bucketSide = {
    accountId: "222222222222",
    region: "us-east-1",
    bucketName: "shared-data",
    keyAlias: "alias/shared-data",
  };

  function stackWith(alias: string, build: (stack: TerraformStack, provider: AwsProvider) => void): SynthJson {
    const stack = new TerraformStack(Testing.app(), "half");
    build(stack, new AwsProvider(stack, "aws", { alias, region: "us-east-1" }));
    return synthJson(stack);
  }

  test("LambdaAccountGrant: the function's filter and alarms, notifying the Lambda account's topic", () => {
    const json = stackWith(
      "workloads",
      (stack, provider) =>
        new LambdaAccountGrant(stack, "grant", {
          lambda: { ...lambdaSide, provider },
          bucket: bucketSide,
          grant: GRANT,
          alarms: TOPICS,
        }),
    );
    expect(resourcesOf(json, "aws_s3_bucket_metric")).toEqual({});
    expect(alarmsOf(json).map((a) => [a.alarm_name, a.provider, a.alarm_actions])).toEqual([
      ["consumer-access-denied", "aws.workloads", [LAMBDA_TOPIC]],
      ["consumer-errors", "aws.workloads", [LAMBDA_TOPIC]],
    ]);
  });

  test("BucketAccountGrant: the prefixes' request metrics and alarms, notifying the bucket account's topic", () => {
    const json = stackWith(
      "datalake",
      (stack, provider) =>
        new BucketAccountGrant(stack, "grant", {
          lambda: lambdaSide,
          bucket: { ...bucketSide, provider },
          grant: GRANT,
          alarms: TOPICS,
        }),
    );
    expect(resourcesOf(json, "aws_cloudwatch_log_metric_filter")).toEqual({});
    expect(alarmsOf(json).map((a) => [a.alarm_name, a.provider, a.alarm_actions])).toEqual([
      ["shared-data-grant-incoming-4xx-errors", "aws.datalake", [BUCKET_TOPIC]],
      ["shared-data-grant-reference-4xx-errors", "aws.datalake", [BUCKET_TOPIC]],
    ]);
  });
});

describe("a shared bucket", () => {
  function shared(alarms?: AlarmSettings) {
    const stack = new TerraformStack(Testing.app(), "shared");
    const bucket = new AwsProvider(stack, "bucket", { alias: "bucket_account", region: "us-east-1" });
    const a = new AwsProvider(stack, "a", { alias: "grantee_a", region: "us-east-1" });
    const b = new AwsProvider(stack, "b", { alias: "grantee_b", region: "eu-west-1" });
    const lambda = (accountId: string, name: string, provider: AwsProvider, region = "us-east-1") => ({
      accountId,
      region,
      functionName: name,
      roleName: name,
      provider,
    });
    new SharedBucketAccess(stack, "lake", {
      bucket: {
        accountId: "222222222222",
        region: "us-east-1",
        bucketName: "lake-222222222222",
        keyAlias: "alias/lake",
        provider: bucket,
      },
      grantees: [
        {
          name: "reporting",
          lambda: lambda("111111111111", "reporting", a),
          grant: { mode: "bucket-policy", prefixes: [{ prefix: "reference/", access: "read" }] },
        },
        {
          name: "billing",
          lambda: lambda("333333333333", "billing", b, "eu-west-1"),
          grant: {
            mode: "bucket-policy",
            prefixes: [
              { prefix: "reference/", access: "read" },
              { prefix: "billing/", access: "readWrite" },
            ],
          },
        },
      ],
      ...(alarms ? { alarms } : {}),
    });
    return synthJson(stack);
  }

  test("one request metrics configuration and alarm per distinct granted prefix; each grantee's alarms in its own account", () => {
    const json = shared({ topicArns: { "333333333333": "arn:aws:sns:eu-west-1:333333333333:billing-alarms" } });
    expect(
      Object.values(resourcesOf(json, "aws_s3_bucket_metric"))
        .map((m) => [(m.filter as { prefix: string }).prefix, m.provider])
        .sort(),
    ).toEqual([
      ["billing/", "aws.bucket_account"],
      ["reference/", "aws.bucket_account"],
    ]);
    expect(
      alarmsOf(json)
        .map((a) => [a.alarm_name, a.provider, a.alarm_actions ?? []])
        .sort(),
    ).toEqual([
      ["billing-access-denied", "aws.grantee_b", ["arn:aws:sns:eu-west-1:333333333333:billing-alarms"]],
      ["billing-errors", "aws.grantee_b", ["arn:aws:sns:eu-west-1:333333333333:billing-alarms"]],
      ["lake-222222222222-grant-billing-4xx-errors", "aws.bucket_account", []],
      ["lake-222222222222-grant-reference-4xx-errors", "aws.bucket_account", []],
      ["reporting-access-denied", "aws.grantee_a", []],
      ["reporting-errors", "aws.grantee_a", []],
    ]);
  });

  test("the switch off removes every one of them", () => {
    expect(Object.keys(shared({ enabled: false }).resource).filter((t) => ALARM_TYPES.includes(t))).toEqual([]);
  });
});

describe("bad alarm settings are refused before anything is created, naming the field and the value", () => {
  const refusals: Array<[string, AlarmSettings | Record<string, unknown>, Parameters<typeof accessProps>[2], string]> =
    [
      [
        "not an SNS topic",
        { topicArns: { "111111111111": "arn:aws:sqs:us-east-1:111111111111:queue" } },
        {},
        'access.alarms.topicArns.111111111111 "arn:aws:sqs:us-east-1:111111111111:queue" is not an SNS topic ARN',
      ],
      [
        "a FIFO topic",
        { topicArns: { "111111111111": "arn:aws:sns:us-east-1:111111111111:alarms.fifo" } },
        {},
        "alarms cannot notify a FIFO topic",
      ],
      ["a key that is no account ID", { topicArns: { lambda: LAMBDA_TOPIC } }, {}, "access.alarms.topicArns.lambda"],
      [
        "a topic of another account",
        { topicArns: { "111111111111": BUCKET_TOPIC } },
        {},
        `access.alarms.topicArns["111111111111"] "${BUCKET_TOPIC}" is a topic of account 222222222222, not of the Lambda account 111111111111`,
      ],
      [
        "a topic in another region",
        { topicArns: { "222222222222": "arn:aws:sns:eu-west-1:222222222222:data-alarms" } },
        {},
        `access.alarms.topicArns["222222222222"] "arn:aws:sns:eu-west-1:222222222222:data-alarms" is in region eu-west-1, the alarms of the bucket account in us-east-1: an alarm notifies a topic of its own region only`,
      ],
      [
        "a topic in another partition",
        { topicArns: { "111111111111": "arn:aws-cn:sns:us-east-1:111111111111:alarms" } },
        {},
        `access.alarms.topicArns["111111111111"] "arn:aws-cn:sns:us-east-1:111111111111:alarms" is in partition aws-cn, the alarms of the Lambda account in partition aws`,
      ],
      [
        "a topic of an account that is not the grant's",
        { topicArns: { "444444444444": "arn:aws:sns:us-east-1:444444444444:alarms" } },
        {},
        `access.alarms.topicArns["444444444444"] "arn:aws:sns:us-east-1:444444444444:alarms" names an account that is not the grant's (the Lambda account 111111111111, the bucket account 222222222222)`,
      ],
      [
        "a Lambda account topic for a function created elsewhere",
        { topicArns: { "111111111111": LAMBDA_TOPIC } },
        { lambda: { createFunction: false, functionName: undefined } },
        `access.alarms.topicArns["111111111111"] "${LAMBDA_TOPIC}" is for the Lambda account 111111111111, which gets no alarms here: its alarms watch a function this library creates, and lambda.createFunction is false`,
      ],
      [
        "topics while the alarms are off",
        { enabled: false, topicArns: { "222222222222": BUCKET_TOPIC } },
        {},
        `access.alarms.topicArns["222222222222"] "${BUCKET_TOPIC}" is given while access.alarms.enabled is false: there are no alarms to notify`,
      ],
      ["a switch that is not a boolean", { enabled: "yes" }, {}, 'access.alarms.enabled "yes" must be true or false'],
      ["an unknown field", { enable: true }, {}, 'access.alarms has unknown field(s) "enable"'],
    ];

  test.each(refusals)("%s", (_name, alarms, overrides, message) => {
    const attempt = () => {
      const pair = twoAccountStack();
      let error: unknown;
      try {
        new CrossAccountS3Access(pair.stack, "access", { ...accessProps(pair, GRANT, overrides), alarms: alarms });
      } catch (e) {
        error = e;
      }
      return { error, json: synthJson(pair.stack) };
    };
    const { error, json } = attempt();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(message);
    expect(json.resource).toBeUndefined();
  });

  test("every problem at once, and the configuration path in each", () => {
    const pair = twoAccountStack();
    const alarms = {
      topicArns: { "111111111111": BUCKET_TOPIC, "222222222222": "arn:aws:sns:eu-west-1:222222222222:x" },
    };
    expect(
      () =>
        new CrossAccountS3Access(pair.stack, "access", {
          ...accessProps(pair, GRANT),
          alarms,
          configPath: "environments.prod",
        }),
    ).toThrow(
      /environments\.prod\.alarms\.topicArns\["111111111111"\][\s\S]*environments\.prod\.alarms\.topicArns\["222222222222"\]/,
    );
  });

  test("a shared bucket: one topic cannot serve grantees of one account in two regions", () => {
    const stack = new TerraformStack(Testing.app(), "shared");
    const bucket = new AwsProvider(stack, "bucket", { alias: "bucket_account", region: "us-east-1" });
    const a = new AwsProvider(stack, "a", { alias: "a", region: "us-east-1" });
    const b = new AwsProvider(stack, "b", { alias: "b", region: "eu-west-1" });
    const grant: GrantDeclaration = { mode: "bucket-policy", prefixes: [{ prefix: "reference/", access: "read" }] };
    const make = () =>
      new SharedBucketAccess(stack, "lake", {
        bucket: {
          accountId: "222222222222",
          region: "us-east-1",
          bucketName: "lake-222222222222",
          keyAlias: "alias/lake",
          provider: bucket,
        },
        grantees: [
          {
            name: "east",
            lambda: {
              accountId: "111111111111",
              region: "us-east-1",
              functionName: "east",
              roleName: "east",
              provider: a,
            },
            grant,
          },
          {
            name: "west",
            lambda: {
              accountId: "111111111111",
              region: "eu-west-1",
              functionName: "west",
              roleName: "west",
              provider: b,
            },
            grant,
          },
        ],
        alarms: { topicArns: { "111111111111": LAMBDA_TOPIC } },
        configPath: "sharedEnvironments.lake",
      });
    expect(make).toThrow(
      `sharedEnvironments.lake.alarms.topicArns["111111111111"] "${LAMBDA_TOPIC}": the alarms of the account of grantees[0] (east), grantees[1] (west) are in regions eu-west-1, us-east-1, and an alarm notifies a topic of its own region only`,
    );
    expect(synthJson(stack).resource).toBeUndefined();
  });
});

describe("request metrics IDs: one per granted prefix, whatever the prefixes", () => {
  const digest = (prefix: string) => createHash("sha256").update(prefix).digest("hex");
  /** The ID the derivation gives a prefix on its own: `grant-` and the prefix, its other characters as `-`. */
  const plainId = (prefix: string) => `grant-${prefix.replace(/[^A-Za-z0-9._-]/g, "-").replace(/-+$/, "")}`;

  /** Two long prefixes (IDs cut to 55 characters, then 8 hex digits of their SHA-256) whose 8 hex digits agree. */
  function sameShortDigest(): [string, string] {
    const seen = new Map<string, string>();
    for (let i = 0; ; i++) {
      const prefix = `${"p".repeat(60)}/${i}/`;
      const short = digest(prefix).slice(0, 8);
      const other = seen.get(short);
      if (other !== undefined) return [other, prefix];
      seen.set(short, prefix);
    }
  }

  const hashedOfAB = `${plainId("a/b/").slice(0, 55)}-${digest("a/b/").slice(0, 8)}`;
  const cases: Array<[string, string[]]> = [
    // "a/b/" and "a-b/" read alike and are told apart by their digests; a third prefix reads as the first one's ID.
    ["a prefix that reads as another's digested ID", ["a/b/", "a-b/", `${hashedOfAB.slice("grant-".length)}/`]],
    ["two long prefixes whose digests begin alike", sameShortDigest()],
  ];

  test.each(cases)(
    "%s: distinct IDs, and the grant synthesizes with a metric and an alarm for each",
    (_name, prefixes) => {
      const ids = requestMetricsIds(prefixes);
      expect([...ids.keys()]).toEqual(prefixes);
      expect(new Set(ids.values()).size).toBe(prefixes.length);
      for (const id of ids.values()) expect(id).toMatch(/^[A-Za-z0-9._-]{1,64}$/);

      const pair = twoAccountStack();
      const grant: GrantDeclaration = {
        mode: "bucket-policy",
        prefixes: prefixes.map((prefix) => ({ prefix, access: "read" })),
      };
      new CrossAccountS3Access(pair.stack, "access", accessProps(pair, grant));
      const json = synthJson(pair.stack);
      const metrics = Object.values(resourcesOf(json, "aws_s3_bucket_metric"));
      expect(metrics.map((m) => (m.filter as { prefix: string }).prefix).sort()).toEqual([...prefixes].sort());
      expect(new Set(metrics.map((m) => m.name)).size).toBe(prefixes.length);
      expect(
        new Set(
          alarmsOf(json)
            .map((a) => (a.dimensions as { FilterId?: string } | undefined)?.FilterId)
            .filter(Boolean),
        ).size,
      ).toBe(prefixes.length);
    },
  );

  test("IDs that do not collide stay as they were: plain, or cut and followed by 8 hex digits", () => {
    const long = `${"q".repeat(70)}/`;
    expect([...requestMetricsIds(["incoming/", "a/b/", "a-b/", long]).values()]).toEqual([
      "grant-incoming",
      hashedOfAB,
      `${plainId("a-b/").slice(0, 55)}-${digest("a-b/").slice(0, 8)}`,
      `${plainId(long).slice(0, 55)}-${digest(long).slice(0, 8)}`,
    ]);
  });

  test("the prefix that reads as another's digested ID keeps its plain ID; the other takes more of its digest", () => {
    const ids = requestMetricsIds(cases[0][1]);
    expect(ids.get(cases[0][1][2])).toBe(hashedOfAB);
    expect(ids.get("a/b/")).toBe(`${plainId("a/b/").slice(0, 47)}-${digest("a/b/").slice(0, 16)}`);
  });
});
