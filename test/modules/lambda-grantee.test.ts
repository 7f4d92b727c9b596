import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import {
  CrossAccountS3Access,
  LAMBDA_RESERVED_VARIABLES,
  LAMBDA_RUNTIME_VARIABLES,
  LambdaAccountGrant,
  LambdaGrantee,
  SharedBucketAccess,
  SharedLambdaAccountGrant,
  type GrantDeclaration,
  type LambdaGranteeProps,
} from "../../modules/internal";
import { loadConfig } from "../../lambda/src/config";
import {
  accessProps,
  allResources,
  configurationError,
  idAt,
  onlyResource,
  policyOf,
  resourceAt,
  synthJson,
  twoAccountStack,
  type SynthJson,
} from "../support/synth";

type Overrides = Partial<Omit<LambdaGranteeProps, "provider">>;

function granteeProps(stack: ReturnType<typeof twoAccountStack>, overrides: Overrides = {}): LambdaGranteeProps {
  return {
    provider: stack.lambdaProvider,
    accountId: "111111111111",
    region: "us-east-1",
    functionName: "consumer-fn",
    roleName: "consumer-role",
    ...overrides,
  };
}

function synthGrantee(overrides: Overrides = {}): { json: SynthJson; grantee: LambdaGrantee } {
  const stack = twoAccountStack();
  const grantee = new LambdaGrantee(stack.stack, "consumer", granteeProps(stack, overrides));
  return { json: synthJson(stack.stack), grantee };
}

/** A folder holding a team's own Python function, and its zip (any bytes do for synth). */
const work = mkdtempSync(join(tmpdir(), "grantee-code-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const PYTHON_ZIP = join(work, "ingest.zip");
writeFileSync(PYTHON_ZIP, "PK\u0005\u0006" + "\u0000".repeat(18));
const PYTHON_DIR = join(work, "ingest");
mkdirSync(PYTHON_DIR);
writeFileSync(join(PYTHON_DIR, "app.py"), "def handler(event, context):\n    return event\n");

describe("LambdaGrantee with its defaults", () => {
  const { json, grantee } = synthGrantee();

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
    expect(role.path).toBeUndefined();
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
    expect(policyOf(logging)).toEqual({
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
  });

  test("the log group is the function's, kept 30 days", () => {
    expect(resourceAt(json, "aws_cloudwatch_log_group", "consumer/log-group")).toEqual({
      name: "/aws/lambda/consumer-fn",
      retention_in_days: 30,
      provider: "aws.lambda_account",
    });
  });

  test("the function runs the prebuilt handler on nodejs22.x arm64 with 256 MB, 30 s and an empty environment", () => {
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
    expect(fn.filename).toMatch(/^assets\/consumer_bundle_[0-9A-F]{8}\/[0-9A-F]{32}\/function\.zip$/);
    expect(fn.source_code_hash).toBe(`\${filebase64sha256("${String(fn.filename)}")}`);
  });

  test("the function waits for its log group and its logging permission", () => {
    expect(resourceAt(json, "aws_lambda_function", "consumer/function").depends_on).toEqual([
      `aws_cloudwatch_log_group.${idAt(json, "aws_cloudwatch_log_group", "consumer/log-group")}`,
      `aws_iam_role_policy.${idAt(json, "aws_iam_role_policy", "consumer/logging")}`,
    ]);
  });

  test("roleArn is computed from the settings, not a token", () => {
    expect(grantee.roleArn).toBe("arn:aws:iam::111111111111:role/consumer-role");
  });
});

describe("a role this library creates, under a path", () => {
  test("the role gets the path, and its ARN carries it", () => {
    const { json, grantee } = synthGrantee({ rolePath: "/service-role/" });
    expect(resourceAt(json, "aws_iam_role", "consumer/role").path).toBe("/service-role/");
    expect(grantee.roleArn).toBe("arn:aws:iam::111111111111:role/service-role/consumer-role");
  });
});

describe("an existing role", () => {
  const ARN = "arn:aws:iam::111111111111:role/service-role/ingest-worker";

  test("by ARN, path included: no role and no logging policy are created, the function runs with it", () => {
    const { json, grantee } = synthGrantee({ roleName: undefined, existingRoleArn: ARN });
    expect(allResources(json).map(([type]) => type)).toEqual(["aws_cloudwatch_log_group", "aws_lambda_function"]);
    expect(resourceAt(json, "aws_lambda_function", "consumer/function").role).toBe(ARN);
    expect([grantee.role, grantee.roleArn, grantee.roleName]).toEqual([undefined, ARN, "ingest-worker"]);
  });

  test("as a construct of the stack: its literal name and path give the ARN, and policies reference it", () => {
    const stack = twoAccountStack();
    const team = new IamRole(stack.stack, "team-role", {
      provider: stack.lambdaProvider,
      name: "ingest-worker",
      path: "/service-role/",
      assumeRolePolicy: "{}",
    });
    const grantee = new LambdaGrantee(stack.stack, "consumer", {
      ...granteeProps(stack, { roleName: undefined }),
      existingRole: team,
    });
    new IamRolePolicy(stack.stack, "grant", { provider: stack.lambdaProvider, role: grantee.roleName, policy: "{}" });
    const json = synthJson(stack.stack);
    expect(grantee.roleArn).toBe(ARN);
    // A policy on the grantee's role waits for the team's role, through the reference.
    expect(json.resource.aws_iam_role_policy.grant.role).toBe("${aws_iam_role.team-role.name}");
    expect(Object.keys(json.resource.aws_iam_role)).toEqual(["team-role"]);
  });

  test("as a construct without a literal name, it is refused: its ARN is not known at synth", () => {
    const stack = twoAccountStack();
    const unnamed = new IamRole(stack.stack, "team-role", {
      provider: stack.lambdaProvider,
      namePrefix: "ingest-",
      assumeRolePolicy: "{}",
    });
    const error = configurationError(
      () =>
        new LambdaGrantee(stack.stack, "consumer", {
          ...granteeProps(stack, { roleName: undefined }),
          existingRole: unnamed,
        }),
    );
    expect(error.problems).toEqual([
      "consumer.lambda.existingRole test/team-role has no literal name and path: give the role a name (not a name prefix), or pass its ARN as existingRoleArn",
    ]);
  });
});

describe("the team's own function", () => {
  test("a Python function from its own zip, on x86_64", () => {
    const { json } = synthGrantee({
      code: { archive: PYTHON_ZIP, runtime: "python3.12", handler: "app.handler", architectures: ["x86_64"] },
    });
    const fn = resourceAt(json, "aws_lambda_function", "consumer/function");
    expect(fn).toMatchObject({ runtime: "python3.12", handler: "app.handler", architectures: ["x86_64"] });
    expect(fn.filename).toMatch(/\/ingest\.zip$/);
  });

  test("a folder zipped at synth; the architecture left to Lambda's default", () => {
    const { json } = synthGrantee({ code: { directory: PYTHON_DIR, runtime: "python3.12", handler: "app.handler" } });
    const fn = resourceAt(json, "aws_lambda_function", "consumer/function");
    expect(fn.filename).toMatch(/\/archive\.zip$/);
    expect(fn.architectures).toBeUndefined();
  });

  test("the function settings a Lambda module offers are passed through", () => {
    const { json } = synthGrantee({
      logRetentionDays: 7,
      memorySize: 1024,
      timeoutSeconds: 900,
      environment: { LOG_LEVEL: "debug" },
      layers: ["arn:aws:lambda:us-east-1:111111111111:layer:powertools:3"],
      reservedConcurrentExecutions: 5,
      description: "Ingests partner drops",
      vpc: { subnetIds: ["subnet-0a1b2c3d"], securityGroupIds: ["sg-0a1b2c3d"] },
    });
    expect(resourceAt(json, "aws_cloudwatch_log_group", "consumer/log-group").retention_in_days).toBe(7);
    expect(resourceAt(json, "aws_lambda_function", "consumer/function")).toMatchObject({
      memory_size: 1024,
      timeout: 900,
      environment: { variables: { LOG_LEVEL: "debug" } },
      layers: ["arn:aws:lambda:us-east-1:111111111111:layer:powertools:3"],
      reserved_concurrent_executions: 5,
      description: "Ingests partner drops",
      vpc_config: { subnet_ids: ["subnet-0a1b2c3d"], security_group_ids: ["sg-0a1b2c3d"] },
    });
    // In a VPC, a role created here may manage the function's network interfaces, and nothing more.
    expect(policyOf(resourceAt(json, "aws_iam_role_policy", "consumer/vpc-access")).Statement).toEqual([
      {
        Sid: "ManageOwnNetworkInterfaces",
        Effect: "Allow",
        Action: [
          "ec2:AssignPrivateIpAddresses",
          "ec2:CreateNetworkInterface",
          "ec2:DeleteNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:UnassignPrivateIpAddresses",
        ],
        Resource: "*",
      },
    ]);
  });

  test("Lambda's own limits are accepted up to the limit: a layer ARN of 140 characters, 16 subnets, 5 security groups", () => {
    const layer = `arn:aws:lambda:us-east-1:222222222222:layer:${"l".repeat(94)}:1`;
    expect(layer).toHaveLength(140);
    const subnetIds = Array.from({ length: 16 }, (_, i) => `subnet-${String(i).padStart(8, "0")}`);
    const securityGroupIds = Array.from({ length: 5 }, (_, i) => `sg-${String(i).padStart(8, "0")}`);
    const { json } = synthGrantee({ layers: [layer], vpc: { subnetIds, securityGroupIds } });
    expect(resourceAt(json, "aws_lambda_function", "consumer/function")).toMatchObject({
      layers: [layer],
      vpc_config: { subnet_ids: subnetIds, security_group_ids: securityGroupIds },
    });
  });

  test("the grant's variables sit beside the team's", () => {
    const stack = twoAccountStack();
    new LambdaGrantee(stack.stack, "consumer", {
      ...granteeProps(stack, { environment: { LOG_LEVEL: "debug" } }),
      grantVariables: { BUCKET_NAME: "shared-data" },
    });
    expect(resourceAt(synthJson(stack.stack), "aws_lambda_function", "consumer/function").environment).toEqual({
      variables: { LOG_LEVEL: "debug", BUCKET_NAME: "shared-data" },
    });
  });
});

describe("the function's environment: what Lambda and the prebuilt handler would refuse is refused at synth", () => {
  /** The grant's variables of a bucket-policy grant, as a half writes them. */
  const GRANT_VARIABLES = {
    BUCKET_NAME: "shared-data",
    BUCKET_REGION: "us-east-1",
    ACCESS_MODE: "bucket-policy",
    GRANTED_PREFIXES: '[{"prefix":"in/","access":"read","delete":false}]',
  };
  const ACCESS_POINT = "arn:aws:s3:us-east-1:222222222222:accesspoint/consumer";

  function build(
    environment: Record<string, string>,
    grantVariables: Record<string, string> = GRANT_VARIABLES,
    code?: LambdaGranteeProps["code"],
  ) {
    const stack = twoAccountStack();
    const make = () =>
      new LambdaGrantee(stack.stack, "consumer", {
        ...granteeProps(stack, { environment, ...(code ? { code } : {}) }),
        grantVariables,
      });
    return { stack, make };
  }

  /** The size Lambda measures: the UTF-8 bytes of the compact JSON of every variable. */
  const measured = (variables: Record<string, string>) => Buffer.byteLength(JSON.stringify(variables), "utf8");

  test("an environment of exactly 4,096 bytes with the grant's variables is written; one byte more is refused, naming its size", () => {
    const filler = (n: number) => ({ NOTES: "n".repeat(n) });
    const fits = 4096 - measured({ ...filler(0), ...GRANT_VARIABLES });
    const { stack, make } = build(filler(fits));
    make();
    const written = resourceAt(synthJson(stack.stack), "aws_lambda_function", "consumer/function").environment as {
      variables: Record<string, string>;
    };
    expect(measured(written.variables)).toBe(4096);

    const over = build(filler(fits + 1));
    const error = configurationError(over.make);
    expect(error.problems).toEqual([
      expect.stringMatching(
        /^consumer\.environment with the grant's variables is 4097 bytes as Lambda measures it \(the JSON of every variable; the largest: NOTES 39\d\d, GRANTED_PREFIXES 80, ACCESS_MODE 29\), over Lambda's limit of 4096 bytes/,
      ),
    ]);
    expect(synthJson(over.stack.stack).resource).toBeUndefined();
  });

  test("quotes and non-ASCII letters count as Lambda counts them: escaped, and in UTF-8 bytes", () => {
    const fits = 4096 - measured({ NOTES: "", ...GRANT_VARIABLES });
    // Each quote is written \" (2 bytes) and each é is 2 bytes of UTF-8: half as many fit.
    expect(() => build({ NOTES: '"'.repeat(Math.floor(fits / 2)) }).make()).not.toThrow();
    expect(() => build({ NOTES: '"'.repeat(Math.floor(fits / 2) + 1) }).make()).toThrow(
      /is 409[78] bytes as Lambda measures it/,
    );
    expect(() => build({ NOTES: "é".repeat(Math.floor(fits / 2) + 1) }).make()).toThrow(
      /is 409[78] bytes as Lambda measures it/,
    );
  });

  test("the limit holds for the team's own code too", () => {
    const { make } = build({ NOTES: "n".repeat(4096) }, GRANT_VARIABLES, {
      archive: PYTHON_ZIP,
      runtime: "python3.12",
      handler: "app.handler",
    });
    expect(configurationError(make).problems).toEqual([expect.stringContaining("over Lambda's limit of 4096 bytes")]);
  });

  const HANDLER_REFUSALS: Array<[string, Record<string, string>, Record<string, string>, string]> = [
    [
      "a response cap that is not a number",
      { MAX_RESPONSE_BYTES: "5MB" },
      GRANT_VARIABLES,
      `consumer.environment.MAX_RESPONSE_BYTES "5MB" must be a whole number of bytes from 1024 to 6000000 (below Lambda's 6 MB response limit): the prebuilt handler would refuse it at every cold start`,
    ],
    [
      "a response cap over Lambda's 6 MB",
      { MAX_RESPONSE_BYTES: "6000001" },
      GRANT_VARIABLES,
      'consumer.environment.MAX_RESPONSE_BYTES "6000001" must be a whole number of bytes from 1024 to 6000000',
    ],
    [
      "a presigned URL lifetime of 0 seconds",
      { PRESIGN_MAX_EXPIRES_SECONDS: "0" },
      GRANT_VARIABLES,
      'consumer.environment.PRESIGN_MAX_EXPIRES_SECONDS "0" must be a whole number of seconds from 1 to 604800 (7 days, the SigV4 limit)',
    ],
    [
      "path-style addressing as yes",
      { S3_FORCE_PATH_STYLE: "yes" },
      GRANT_VARIABLES,
      'consumer.environment.S3_FORCE_PATH_STYLE "yes" must be "true" or "false": the prebuilt handler would refuse it at every cold start',
    ],
    [
      "path-style addressing with the grant's access point",
      { S3_FORCE_PATH_STYLE: "true" },
      { ...GRANT_VARIABLES, ACCESS_POINT_ARN: ACCESS_POINT },
      `consumer.environment.S3_FORCE_PATH_STYLE "true" would fail every cold start of the prebuilt handler: the grant goes through the access point ${ACCESS_POINT}, and ACCESS_POINT_ARN cannot be used with S3_FORCE_PATH_STYLE=true`,
    ],
  ];

  test.each(HANDLER_REFUSALS)(
    "the prebuilt handler's setting: %s is refused before anything is created",
    (_name, environment, grantVariables, problem) => {
      const { stack, make } = build(environment, grantVariables);
      expect(configurationError(make).problems).toEqual([expect.stringContaining(problem)]);
      expect(synthJson(stack.stack).resource).toBeUndefined();
    },
  );

  test.each(HANDLER_REFUSALS)(
    "the team's own code may read its variables as it likes: %s is written",
    (_name, environment, grantVariables) => {
      expect(() =>
        build(environment, grantVariables, {
          archive: PYTHON_ZIP,
          runtime: "python3.12",
          handler: "app.handler",
        }).make(),
      ).not.toThrow();
    },
  );

  /**
   * The same judgement as the handler's: for each environment, synth accepts it exactly when the handler's own
   * loadConfig, given what the function is written with and what the Lambda runtime adds, starts.
   */
  const SETTINGS: Array<Record<string, string>> = [
    {},
    { MAX_RESPONSE_BYTES: "" },
    { MAX_RESPONSE_BYTES: "1024" },
    { MAX_RESPONSE_BYTES: "1023" },
    { MAX_RESPONSE_BYTES: "6000000" },
    { MAX_RESPONSE_BYTES: "01024" },
    { MAX_RESPONSE_BYTES: " 1024" },
    { MAX_RESPONSE_BYTES: "1e4" },
    { MAX_RESPONSE_BYTES: "-5" },
    { PRESIGN_MAX_EXPIRES_SECONDS: "1" },
    { PRESIGN_MAX_EXPIRES_SECONDS: "604800" },
    { PRESIGN_MAX_EXPIRES_SECONDS: "604801" },
    { PRESIGN_MAX_EXPIRES_SECONDS: "1.5" },
    { S3_FORCE_PATH_STYLE: "true" },
    { S3_FORCE_PATH_STYLE: "false" },
    { S3_FORCE_PATH_STYLE: "" },
    { S3_FORCE_PATH_STYLE: "TRUE" },
    { S3_FORCE_PATH_STYLE: "1" },
  ];
  const withAccessPoint = { ...GRANT_VARIABLES, ACCESS_POINT_ARN: ACCESS_POINT };
  const judged = SETTINGS.flatMap((environment) => [
    [environment, "to the bucket", GRANT_VARIABLES] as const,
    [environment, "through an access point", withAccessPoint] as const,
  ]);

  test.each(judged)("%j, %s: synth and the handler agree", (environment, _how, grantVariables) => {
    const startsAtColdStart = (() => {
      try {
        loadConfig({
          ...environment,
          ...grantVariables,
          AWS_REGION: "us-east-1",
          AWS_LAMBDA_FUNCTION_NAME: "consumer-fn",
        });
        return true;
      } catch {
        return false;
      }
    })();
    let synthesizes = true;
    try {
      build(environment, grantVariables).make();
    } catch {
      synthesizes = false;
    }
    expect(synthesizes).toBe(startsAtColdStart);
  });
});

describe("every construct that creates a function refuses an environment Lambda would refuse: the grant's prefixes alone", () => {
  /** `n` prefixes of 24 characters, each read only. */
  const grantOf = (n: number): GrantDeclaration => ({
    mode: "bucket-policy",
    prefixes: Array.from({ length: n }, (_, i) => ({
      prefix: `${String(i).padStart(23, "0")}/`,
      access: "read" as const,
    })),
  });
  const written = (json: SynthJson) =>
    (onlyResource(json, "aws_lambda_function").environment as { variables: Record<string, string> }).variables;
  const bytes = (n: number) => {
    const pair = twoAccountStack();
    new CrossAccountS3Access(pair.stack, "access", accessProps(pair, grantOf(n)));
    return Buffer.byteLength(JSON.stringify(written(synthJson(pair.stack))), "utf8");
  };
  // How many such prefixes fit, from what the construct writes: every prefix adds the same bytes.
  const perPrefix = bytes(41) - bytes(40);
  const most = 40 + Math.floor((4096 - bytes(40)) / perPrefix);

  const SHARED_BUCKET = {
    accountId: "222222222222",
    region: "us-east-1",
    bucketName: "shared-data",
    keyAlias: "alias/shared-data",
  };
  const builders: Array<[string, (pair: ReturnType<typeof twoAccountStack>, grant: GrantDeclaration) => unknown]> = [
    ["CrossAccountS3Access", (pair, grant) => new CrossAccountS3Access(pair.stack, "access", accessProps(pair, grant))],
    [
      "LambdaAccountGrant",
      (pair, grant) =>
        new LambdaAccountGrant(pair.stack, "access", { ...accessProps(pair, grant), bucket: SHARED_BUCKET }),
    ],
    [
      "SharedBucketAccess",
      (pair, grant) =>
        new SharedBucketAccess(pair.stack, "access", {
          bucket: { ...SHARED_BUCKET, provider: pair.bucketProvider },
          grantees: [{ name: "consumer", grant, lambda: { ...accessProps(pair, grant).lambda } }],
        }),
    ],
    [
      "SharedLambdaAccountGrant",
      (pair, grant) =>
        new SharedLambdaAccountGrant(pair.stack, "access", {
          shared: {
            bucket: SHARED_BUCKET,
            grantees: [
              {
                name: "consumer",
                grant,
                lambda: {
                  accountId: "111111111111",
                  region: "us-east-1",
                  functionName: "consumer",
                  roleName: "consumer-role",
                },
              },
            ],
          },
          granteeName: "consumer",
          lambda: accessProps(pair, grant).lambda,
        }),
    ],
  ];

  test.each(builders)(
    "%s: as many prefixes as fit in 4,096 bytes are written; one more is refused before anything is created",
    (_name, build) => {
      expect(most).toBeGreaterThan(40);
      const fits = twoAccountStack();
      build(fits, grantOf(most));
      expect(Buffer.byteLength(JSON.stringify(written(synthJson(fits.stack))), "utf8")).toBeLessThanOrEqual(4096);

      const over = twoAccountStack();
      const error = configurationError(() => build(over, grantOf(most + 1)));
      expect(error.problems).toEqual([
        expect.stringMatching(
          /^[\w.-]+\.lambda\.environment with the grant's variables is 4\d{3} bytes as Lambda measures it \(the JSON of every variable; the largest: GRANTED_PREFIXES \d+,.*over Lambda's limit of 4096 bytes/,
        ),
      ]);
      expect(synthJson(over.stack).resource).toBeUndefined();
    },
  );

  test("103 prefixes of 24 characters, within the policies' limits, are refused for the function's environment", () => {
    const pair = twoAccountStack();
    const error = configurationError(
      () => new CrossAccountS3Access(pair.stack, "access", accessProps(pair, grantOf(103))),
    );
    expect(error.problems).toEqual([expect.stringContaining("over Lambda's limit of 4096 bytes")]);
  });
});

describe("no function at all", () => {
  test("only the role is created, for the team's function elsewhere", () => {
    const { json, grantee } = synthGrantee({ functionName: undefined, createFunction: false });
    expect(allResources(json).map(([type]) => type)).toEqual(["aws_iam_role"]);
    expect([grantee.function, grantee.logGroup]).toEqual([undefined, undefined]);
  });

  test("with an existing role, nothing is created", () => {
    const stack = twoAccountStack();
    new LambdaGrantee(
      stack.stack,
      "consumer",
      granteeProps(stack, {
        functionName: undefined,
        roleName: undefined,
        createFunction: false,
        existingRoleArn: "arn:aws:iam::111111111111:role/worker",
      }),
    );
    expect(synthJson(stack.stack).resource).toBeUndefined();
  });
});

describe("LambdaGrantee refuses bad input before creating anything", () => {
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
    ["64 MB of memory", { memorySize: 64 }, "consumer.memorySize 64 must be 128-10240 MB"],
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
      "no role at all",
      { roleName: undefined },
      "consumer.roleName is required: name the role to create, or give the ARN of an existing one (existingRoleArn)",
    ],
    [
      "a role to create and an existing one",
      { existingRoleArn: "arn:aws:iam::111111111111:role/w" },
      'consumer.existingRoleArn "arn:aws:iam::111111111111:role/w" is given with roleName: name a role to create, or an existing one, not both',
    ],
    [
      "an existing role in another account",
      { roleName: undefined, existingRoleArn: "arn:aws:iam::999999999999:role/w" },
      'consumer.existingRoleArn "arn:aws:iam::999999999999:role/w" is not a role of the Lambda account 111111111111 (partition aws)',
    ],
    [
      "a path for an existing role",
      { roleName: undefined, existingRoleArn: "arn:aws:iam::111111111111:role/w", rolePath: "/x/" },
      'consumer.rolePath "/x/" applies only to a role this library creates',
    ],
    ["a path without its slashes", { rolePath: "service-role" }, 'consumer.rolePath "service-role" is not an IAM path'],
    [
      "a function setting without a function",
      { functionName: undefined, createFunction: false, memorySize: 512 },
      "consumer.memorySize 512 applies only to a function this library creates, and createFunction is false",
    ],
    [
      "no function name for a function to create",
      { functionName: undefined },
      "consumer.functionName is required: name the function to create, or set createFunction to false",
    ],
    [
      "a variable the grant writes",
      { environment: { BUCKET_NAME: "other" } },
      'consumer.environment {"BUCKET_NAME":"other"} sets BUCKET_NAME, which the grant writes (see HANDLER_ENVIRONMENT)',
    ],
    [
      "a variable Lambda reserves",
      { environment: { LOG_LEVEL: "debug", AWS_REGION: "eu-west-1" } },
      'consumer.environment.AWS_REGION "eu-west-1" is a variable Lambda reserves: the runtime sets it, and Lambda refuses a function configuration that sets it',
    ],
    [
      "the execution role's credentials",
      { environment: { AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE" } },
      'consumer.environment.AWS_ACCESS_KEY_ID "AKIAIOSFODNN7EXAMPLE" is a variable Lambda reserves',
    ],
    [
      "a variable name of one letter",
      { environment: { X: "1" } },
      'consumer.environment.X "1" is not an environment variable name (a letter, then at least one more letter, digit or _)',
    ],
    [
      "six layers",
      { layers: Array.from({ length: 6 }, (_, i) => `arn:aws:lambda:us-east-1:111111111111:layer:l${i}:1`) },
      /^consumer\.layers .* has more than 5 layers/,
    ],
    [
      "a layer of another region",
      { layers: ["arn:aws:lambda:eu-west-1:111111111111:layer:tools:3"] },
      "consumer.layers[0] \"arn:aws:lambda:eu-west-1:111111111111:layer:tools:3\" is in region eu-west-1, not the function's region us-east-1: Lambda only attaches layers of the function's own region",
    ],
    [
      "a layer of another partition",
      { layers: ["arn:aws-cn:lambda:us-east-1:111111111111:layer:tools:3"] },
      'consumer.layers[0] "arn:aws-cn:lambda:us-east-1:111111111111:layer:tools:3" is in partition aws-cn, not the function\'s partition aws',
    ],
    [
      "a layer ARN of 141 characters",
      { layers: [`arn:aws:lambda:us-east-1:111111111111:layer:${"l".repeat(95)}:1`] },
      /^consumer\.layers\[0\] "arn:aws:lambda:us-east-1:111111111111:layer:l+\.\.\. is longer than 140 characters \(Lambda's limit for a layer version ARN\)$/,
    ],
    [
      "17 subnets",
      {
        vpc: {
          subnetIds: Array.from({ length: 17 }, (_, i) => `subnet-${String(i).padStart(8, "0")}`),
          securityGroupIds: ["sg-00000001"],
        },
      },
      /^consumer\.vpc\.subnetIds \["subnet-00000000",.* has more than 16 subnets \(Lambda's limit\)$/,
    ],
    [
      "6 security groups",
      {
        vpc: {
          subnetIds: ["subnet-00000001"],
          securityGroupIds: Array.from({ length: 6 }, (_, i) => `sg-${String(i).padStart(8, "0")}`),
        },
      },
      /^consumer\.vpc\.securityGroupIds \["sg-00000000",.* has more than 5 security groups \(Lambda's limit\)$/,
    ],
    [
      "a missing code archive",
      { code: { archive: "/nonexistent/fn.zip", runtime: "python3.12", handler: "app.handler" } },
      'consumer.code.archive "/nonexistent/fn.zip" is not a zip file',
    ],
    [
      "a code folder that does not exist",
      { code: { directory: "/nonexistent/fn", runtime: "python3.12", handler: "app.handler" } },
      'consumer.code.directory "/nonexistent/fn" is not a folder',
    ],
    [
      "own code without a runtime",
      { code: { archive: PYTHON_ZIP, handler: "app.handler" } as never },
      "consumer.code.runtime undefined is not a Lambda runtime (e.g. python3.12)",
    ],
    [
      "two architectures",
      {
        code: {
          archive: PYTHON_ZIP,
          runtime: "python3.12",
          handler: "app.handler",
          architectures: ["arm64", "x86_64"],
        },
      },
      'consumer.code.architectures ["arm64","x86_64"] must name one architecture',
    ],
  ];

  test.each(cases)("%s", (_name, overrides, problem) => {
    const stack = twoAccountStack();
    const error = configurationError(() => new LambdaGrantee(stack.stack, "consumer", granteeProps(stack, overrides)));
    expect(error.problems).toEqual([
      typeof problem === "string" ? expect.stringContaining(problem) : expect.stringMatching(problem),
    ]);
    expect(synthJson(stack.stack).resource).toBeUndefined();
  });

  test.each(LAMBDA_RESERVED_VARIABLES.filter((name) => /^[a-zA-Z]/.test(name)))("the reserved variable %s", (name) => {
    const stack = twoAccountStack();
    const error = configurationError(
      () => new LambdaGrantee(stack.stack, "consumer", granteeProps(stack, { environment: { [name]: "x" } })),
    );
    expect(error.problems).toEqual([
      expect.stringContaining(`consumer.environment.${name} "x" is a variable Lambda reserves`),
    ]);
  });

  test("the variables the handler takes from the Lambda runtime are reserved ones", () => {
    expect(LAMBDA_RESERVED_VARIABLES).toEqual(expect.arrayContaining([...LAMBDA_RUNTIME_VARIABLES]));
  });

  test("several bad settings are reported together", () => {
    const stack = twoAccountStack();
    const error = configurationError(
      () =>
        new LambdaGrantee(stack.stack, "consumer", granteeProps(stack, { functionName: "a b", timeoutSeconds: 901 })),
    );
    expect(error.problems).toEqual([
      'consumer.functionName "a b" is not a valid Lambda function name (1-64 of letters, digits, hyphens and underscores)',
      "consumer.timeoutSeconds 901 must be 1-900 seconds",
    ]);
  });
});
