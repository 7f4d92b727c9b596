import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LambdaConsumer, type LambdaConsumerProps } from "../../modules";
import {
  allResources,
  BUNDLE_DIR,
  policyOf,
  resourceAt,
  synthJson,
  twoAccountStack,
  type SynthJson,
  idAt,
  configurationError,
} from "../support/synth";

type Overrides = Partial<Omit<LambdaConsumerProps, "provider">>;

function consumerProps(stack: ReturnType<typeof twoAccountStack>, overrides: Overrides = {}): LambdaConsumerProps {
  return {
    provider: stack.lambdaProvider,
    accountId: "111111111111",
    region: "us-east-1",
    functionName: "consumer-fn",
    roleName: "consumer-role",
    bundleDir: BUNDLE_DIR,
    ...overrides,
  };
}

function synthConsumer(overrides: Overrides = {}): { json: SynthJson; consumer: LambdaConsumer } {
  const stack = twoAccountStack();
  const consumer = new LambdaConsumer(stack.stack, "consumer", consumerProps(stack, overrides));
  return { json: synthJson(stack.stack), consumer };
}

describe("LambdaConsumer with its defaults", () => {
  const { json, consumer } = synthConsumer();

  test("creates exactly a role, its logging policy, a log group and the function", () => {
    expect(allResources(json).map(([type, id]) => [type, id])).toEqual([
      ["aws_cloudwatch_log_group", idAt(json, "aws_cloudwatch_log_group", "consumer/log-group")],
      ["aws_iam_role", idAt(json, "aws_iam_role", "consumer/role")],
      ["aws_iam_role_policy", idAt(json, "aws_iam_role_policy", "consumer/logging")],
      ["aws_lambda_function", idAt(json, "aws_lambda_function", "consumer/function")],
    ]);
  });

  test("every resource uses the given provider alias", () => {
    expect(allResources(json).map(([type, , r]) => [type, r.provider])).toEqual([
      ["aws_cloudwatch_log_group", "aws.lambda_account"],
      ["aws_iam_role", "aws.lambda_account"],
      ["aws_iam_role_policy", "aws.lambda_account"],
      ["aws_lambda_function", "aws.lambda_account"],
    ]);
  });

  test("the role trusts only the Lambda service, and only on behalf of its own account", () => {
    const role = resourceAt(json, "aws_iam_role", "consumer/role");
    expect(role.name).toBe("consumer-role");
    expect(role.description).toBe("Execution role of the Lambda function consumer-fn");
    expect(policyOf(role, "assume_role_policy")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "LambdaServiceAssumesRole",
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": "111111111111" } },
        },
      ],
    });
  });

  test("the logging policy allows writing to the function's own log group and nothing else", () => {
    const logging = resourceAt(json, "aws_iam_role_policy", "consumer/logging");
    expect(logging.name).toBe("write-own-logs");
    expect(logging.role).toBe(`\${aws_iam_role.${idAt(json, "aws_iam_role", "consumer/role")}.name}`);
    const doc = policyOf(logging);
    expect(doc).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "WriteOwnLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/consumer-fn:*",
        },
      ],
    });
    const actions = doc.Statement.flatMap((s) => s.Action);
    const resources = doc.Statement.flatMap((s) => s.Resource);
    expect(actions).not.toContain("logs:CreateLogGroup");
    expect(resources.filter((r) => r === "*" || r?.includes(":*:") || r?.endsWith("log-group:*"))).toEqual([]);
  });

  test("the log group is the function's, kept 30 days", () => {
    expect(resourceAt(json, "aws_cloudwatch_log_group", "consumer/log-group")).toEqual({
      name: "/aws/lambda/consumer-fn",
      retention_in_days: 30,
      provider: "aws.lambda_account",
    });
  });

  test("the function runs the bundle on nodejs22.x arm64 with 256 MB, 30 s and an empty environment", () => {
    const fn = resourceAt(json, "aws_lambda_function", "consumer/function");
    expect(fn).toMatchObject({
      function_name: "consumer-fn",
      runtime: "nodejs22.x",
      handler: "index.handler",
      architectures: ["arm64"],
      memory_size: 256,
      timeout: 30,
      environment: { variables: {} },
      role: `\${aws_iam_role.${idAt(json, "aws_iam_role", "consumer/role")}.arn}`,
    });
  });

  test("the code is an archive asset, and its hash is taken from that same archive", () => {
    const fn = resourceAt(json, "aws_lambda_function", "consumer/function");
    expect(fn.filename).toMatch(/^assets\/consumer_bundle_[0-9A-F]{8}\/[0-9A-F]{32}\/archive\.zip$/);
    expect(fn.source_code_hash).toBe(`\${filebase64sha256("${String(fn.filename)}")}`);
  });

  test("the function waits for its log group and its logging permission", () => {
    const fn = resourceAt(json, "aws_lambda_function", "consumer/function");
    expect(fn.depends_on).toEqual([
      `aws_cloudwatch_log_group.${idAt(json, "aws_cloudwatch_log_group", "consumer/log-group")}`,
      `aws_iam_role_policy.${idAt(json, "aws_iam_role_policy", "consumer/logging")}`,
    ]);
  });

  test("roleArn is computed from the config, not a token", () => {
    expect(consumer.roleArn).toBe("arn:aws:iam::111111111111:role/consumer-role");
  });
});

describe("LambdaConsumer with settings", () => {
  test("every resource uses whichever provider it is given", () => {
    const stack = twoAccountStack();
    new LambdaConsumer(stack.stack, "consumer", consumerProps(stack, {}));
    new LambdaConsumer(stack.stack, "other", { ...consumerProps(stack), provider: stack.bucketProvider, functionName: "f2", roleName: "r2" });
    const json = synthJson(stack.stack);
    const byPrefix = allResources(json).map(([, id, r]) => [id.split("_")[0], r.provider]);
    expect(byPrefix.filter(([prefix]) => prefix === "consumer")).toEqual(
      Array.from({ length: 4 }, () => ["consumer", "aws.lambda_account"]),
    );
    expect(byPrefix.filter(([prefix]) => prefix === "other")).toEqual(
      Array.from({ length: 4 }, () => ["other", "aws.bucket_account"]),
    );
  });

  test("retention, memory, timeout and environment are passed through", () => {
    const { json } = synthConsumer({
      logRetentionDays: 7,
      memorySize: 1024,
      timeoutSeconds: 900,
      environment: { BUCKET_NAME: "shared-data", LOG_LEVEL: "debug" },
    });
    expect(resourceAt(json, "aws_cloudwatch_log_group", "consumer/log-group").retention_in_days).toBe(7);
    const fn = resourceAt(json, "aws_lambda_function", "consumer/function");
    expect([fn.memory_size, fn.timeout]).toEqual([1024, 900]);
    expect(fn.environment).toEqual({ variables: { BUCKET_NAME: "shared-data", LOG_LEVEL: "debug" } });
  });

  test("the limits themselves are accepted", () => {
    const low = synthConsumer({ memorySize: 128, timeoutSeconds: 1, logRetentionDays: 1 }).json;
    const high = synthConsumer({ memorySize: 10240, timeoutSeconds: 900, logRetentionDays: 3653 }).json;
    const fnLow = resourceAt(low, "aws_lambda_function", "consumer/function");
    const fnHigh = resourceAt(high, "aws_lambda_function", "consumer/function");
    expect([fnLow.memory_size, fnLow.timeout, fnHigh.memory_size, fnHigh.timeout]).toEqual([128, 1, 10240, 900]);
  });

  test.each([
    ["us-gov-west-1", "aws-us-gov"],
    ["cn-north-1", "aws-cn"],
    ["eu-central-1", "aws"],
  ])("in %s the role ARN and the log group ARN use partition %s", (region, partition) => {
    const { json, consumer } = synthConsumer({ region });
    expect(consumer.roleArn).toBe(`arn:${partition}:iam::111111111111:role/consumer-role`);
    expect(policyOf(resourceAt(json, "aws_iam_role_policy", "consumer/logging")).Statement[0].Resource).toBe(
      `arn:${partition}:logs:${region}:111111111111:log-group:/aws/lambda/consumer-fn:*`,
    );
  });
});

describe("LambdaConsumer refuses bad input before creating anything", () => {
  const LONG_ROLE = "r".repeat(65);
  const cases: Array<[string, Overrides, string | RegExp]> = [
    [
      "a function name with a space",
      { functionName: "my function" },
      'consumer.functionName "my function" is not a valid Lambda function name (1-64 of letters, digits, hyphens and underscores)',
    ],
    [
      "a role name of 65 characters",
      { roleName: LONG_ROLE },
      `consumer.roleName "${LONG_ROLE}" is not a valid IAM role name (1-64 of letters, digits and + = , . @ _ -)`,
    ],
    ["64 MB of memory", { memorySize: 64 }, /^consumer\.memorySize 64 \S/],
    ["a timeout of 901 s", { timeoutSeconds: 901 }, "consumer.timeoutSeconds 901 must be 1-900 seconds"],
    [
      "a retention CloudWatch does not offer",
      { logRetentionDays: 10 },
      /^consumer\.logRetentionDays 10 is not a CloudWatch Logs retention \(one of 1, 3, 5, /,
    ],
    [
      "a bad account ID",
      { accountId: "11111111111" },
      'consumer.accountId "11111111111" is not an AWS account ID (12 digits)',
    ],
    [
      "a missing bundle folder",
      { bundleDir: "/nonexistent/bundle" },
      'consumer.bundleDir "/nonexistent/bundle" holds no index.js: build the handler first (npm run build:lambda)',
    ],
  ];

  test.each(cases)("%s", (_name, overrides, problem) => {
    const stack = twoAccountStack();
    const error = configurationError(() => new LambdaConsumer(stack.stack, "consumer", consumerProps(stack, overrides)));
    expect(error.problems).toEqual([typeof problem === "string" ? problem : expect.stringMatching(problem)]);
    expect(error.message).toBe(error.problems[0]);
    expect(synthJson(stack.stack).resource).toBeUndefined();
  });

  test("a bundle folder without index.js is refused", () => {
    const empty = mkdtempSync(join(tmpdir(), "empty-bundle-"));
    try {
      const stack = twoAccountStack();
      const error = configurationError(() => new LambdaConsumer(stack.stack, "consumer", consumerProps(stack, { bundleDir: empty })));
      expect(error.problems).toEqual([
        `consumer.bundleDir ${JSON.stringify(empty)} holds no index.js: build the handler first (npm run build:lambda)`,
      ]);
      expect(synthJson(stack.stack).resource).toBeUndefined();
    } finally {
      rmSync(empty, { recursive: true });
    }
  });

  test("several bad settings are reported together", () => {
    const stack = twoAccountStack();
    const error = configurationError(
      () => new LambdaConsumer(stack.stack, "consumer", consumerProps(stack, { functionName: "a b", timeoutSeconds: 901 })),
    );
    expect(error.problems).toEqual([
      'consumer.functionName "a b" is not a valid Lambda function name (1-64 of letters, digits, hyphens and underscores)',
      "consumer.timeoutSeconds 901 must be 1-900 seconds",
    ]);
    expect(synthJson(stack.stack).resource).toBeUndefined();
  });
});
