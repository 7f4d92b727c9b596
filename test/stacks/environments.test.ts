import { Testing } from "cdktf";
import { ConfigurationError } from "../../modules/internal";
import { synthesize } from "../../scripts/lib/toolchain";
import { selectEnvironments, validateEnvironments, type EnvironmentConfig } from "../../stacks/config";
import {
  BUCKET_PROVIDER_ALIAS,
  CrossAccountStack,
  environmentStacks,
  LAMBDA_PROVIDER_ALIAS,
} from "../../stacks/cross-account-stack";
import { environments, sharedEnvironments } from "../../stacks/environments";
import { sharedEnvironmentStacks } from "../../stacks/shared-bucket-stack";
import { allResources, environmentJson, policyOf, resourceAt, statement, type SynthJson } from "../support/synth";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function synthEnvironment(name: string, config: EnvironmentConfig = environments[name]): SynthJson {
  const app = Testing.app();
  const stack = new CrossAccountStack(app, name, config, {});
  return JSON.parse(Testing.synth(stack)) as SynthJson;
}

const COMBINED = Object.keys(environments).filter((name) => environments[name].layout !== "split");
const synthesized = Object.fromEntries(COMBINED.map((name) => [name, synthEnvironment(name)]));

describe.each(COMBINED)("stack %s", (name) => {
  const json = synthesized[name];
  const config = environments[name];

  test("has exactly two AWS providers, aliased per account, each assuming that account's deploy role", () => {
    const providers = json.provider?.aws ?? [];
    expect(providers.map((p) => [p.alias, p.region, p.assume_role])).toEqual([
      [
        LAMBDA_PROVIDER_ALIAS,
        config.lambda.region,
        [{ role_arn: config.lambda.deployRoleArn, session_name: `cdktf-${name}-lambda` }],
      ],
      [
        BUCKET_PROVIDER_ALIAS,
        config.bucket.region,
        [{ role_arn: config.bucket.deployRoleArn, session_name: `cdktf-${name}-bucket` }],
      ],
    ]);
  });

  test("emulator settings only where the target is the local emulator, and no endpoint baked in", () => {
    const local = config.target === "local-emulator";
    for (const provider of json.provider?.aws ?? []) {
      expect(provider.s3_use_path_style).toBe(local ? true : undefined);
      expect(provider.skip_credentials_validation).toBe(local ? true : undefined);
      expect(provider.endpoints).toBeUndefined();
      expect(provider.access_key).toBeUndefined();
    }
    const fn = resourceAt(json, "aws_lambda_function", "access/lambda/function");
    expect((fn.environment as { variables: Record<string, string> }).variables.S3_FORCE_PATH_STYLE).toBe(
      local ? "true" : undefined,
    );
  });

  test("every resource of the Lambda account uses its alias, every other resource the bucket account's", () => {
    const sides = allResources(json).map(([type, id, r]) => [type, id, r.provider]);
    expect(sides).toEqual(
      allResources(json).map(([type, id]) => [
        type,
        id,
        id.startsWith("access_lambda") ? `aws.${LAMBDA_PROVIDER_ALIAS}` : `aws.${BUCKET_PROVIDER_ALIAS}`,
      ]),
    );
  });

  test("deploys the reproducible archive built by npm run build:lambda, hashed by Terraform", () => {
    const fn = resourceAt(json, "aws_lambda_function", "access/lambda/function");
    expect(fn.filename).toMatch(/^assets\/[\w-]+\/[0-9A-F]+\/function\.zip$/);
    expect(fn.source_code_hash).toBe(`\${filebase64sha256("${String(fn.filename)}")}`);
    expect(fn).toMatchObject({ runtime: "nodejs22.x", handler: "index.handler", architectures: ["arm64"] });
  });

  test("outputs the names the pipeline and the demo read", () => {
    const expected = ["bucket_name", "kms_key_arn", "lambda_function_name", "lambda_role_arn"];
    if (config.grant.mode === "assume-role") expected.push("s3_access_role_arn");
    expect(Object.keys(json.output ?? {}).sort()).toEqual(expected.sort());
  });
});

describe("the shipped grants", () => {
  test("local: read and write under incoming/, read only under reference/, no delete", () => {
    const doc = policyOf(resourceAt(synthesized.local, "aws_iam_role_policy", "access/lambda-grant-policy"));
    const bucket = "arn:aws:s3:::local-shared-data-222222222222";
    expect(doc.Statement.filter((s) => s.Sid !== "UseBucketKeyThroughS3").map((s) => [s.Action, s.Resource])).toEqual([
      [["s3:AbortMultipartUpload", "s3:PutObject"], [`${bucket}/incoming/*`]],
      [["s3:GetObject"], [`${bucket}/incoming/*`, `${bucket}/reference/*`]],
      [["s3:ListBucket"], bucket],
    ]);
    expect(JSON.stringify(doc)).not.toContain("s3:DeleteObject");
  });

  test("local-assume-role: upload-only under uploads/ through the access role, ExternalId required", () => {
    const json = synthesized["local-assume-role"];
    const trust = policyOf(resourceAt(json, "aws_iam_role", "access/access-role"), "assume_role_policy");
    expect(statement(trust, "TrustLambdaRole").Condition).toEqual({
      StringEquals: {
        "aws:PrincipalArn": "arn:aws:iam::111111111111:role/local-uploader",
        "sts:ExternalId": "local-uploader-7d1f0c",
      },
    });
    const access = policyOf(resourceAt(json, "aws_iam_role_policy", "access/access-role/policy"));
    expect(access.Statement.map((s) => [s.Action, s.Resource])).toEqual([
      [["s3:AbortMultipartUpload", "s3:PutObject"], ["arn:aws:s3:::local-shared-uploads-222222222222/uploads/*"]],
      [["kms:Decrypt", "kms:GenerateDataKey"], "arn:aws:kms:us-east-1:222222222222:key/*"],
    ]);
  });

  test("dev allows delete under reports/ only; prod is assume-role with an ExternalId", () => {
    const dev = policyOf(resourceAt(synthesized.dev, "aws_iam_role_policy", "access/lambda-grant-policy"));
    const deletes = dev.Statement.filter((s) => ([] as string[]).concat(s.Action).includes("s3:DeleteObject"));
    expect(deletes.map((s) => s.Resource)).toEqual([["arn:aws:s3:::dev-shared-reports-444455556666/reports/*"]]);
    expect(environments.prod.grant).toMatchObject({ mode: "assume-role", externalId: expect.any(String) });
  });
});

describe("the split layout: staging-lambda and staging-bucket, one account each", () => {
  const stacks = environmentJson("staging");
  const config = environments.staging;

  test("two stacks, each with only its own account's provider and resources", () => {
    expect(Object.keys(stacks)).toEqual(["staging-lambda", "staging-bucket"]);
    expect(stacks["staging-lambda"].provider?.aws?.map((p) => [p.alias, p.assume_role])).toEqual([
      [LAMBDA_PROVIDER_ALIAS, [{ role_arn: config.lambda.deployRoleArn, session_name: "cdktf-staging-lambda-lambda" }]],
    ]);
    expect(stacks["staging-bucket"].provider?.aws?.map((p) => [p.alias, p.assume_role])).toEqual([
      [BUCKET_PROVIDER_ALIAS, [{ role_arn: config.bucket.deployRoleArn, session_name: "cdktf-staging-bucket-bucket" }]],
    ]);
    expect(Object.keys(stacks["staging-lambda"].resource).sort()).toEqual([
      "aws_cloudwatch_event_bus",
      "aws_cloudwatch_event_bus_policy",
      "aws_cloudwatch_event_rule",
      "aws_cloudwatch_event_target",
      "aws_cloudwatch_log_group",
      "aws_cloudwatch_log_metric_filter",
      "aws_cloudwatch_metric_alarm",
      "aws_iam_role",
      "aws_iam_role_policy",
      "aws_lambda_function",
      "aws_lambda_permission",
      "aws_sqs_queue",
    ]);
    expect(
      allResources(stacks["staging-bucket"]).every(([, , r]) => r.provider === `aws.${BUCKET_PROVIDER_ALIAS}`),
    ).toBe(true);
    expect(
      allResources(stacks["staging-lambda"]).every(([, , r]) => r.provider === `aws.${LAMBDA_PROVIDER_ALIAS}`),
    ).toBe(true);
  });

  test("neither half refers to the other: nothing to pass between the two deployments", () => {
    for (const json of Object.values(stacks)) {
      const references = JSON.stringify(json.resource).match(/\$\{aws_[a-z0-9_]+\.[\w-]+/g) ?? [];
      const types = new Set(Object.keys(json.resource));
      expect(references.filter((r) => !types.has(r.slice(2).split(".")[0]))).toEqual([]);
    }
  });

  test("each half is what the combined layout would deploy for the same declaration", () => {
    const combined = synthEnvironment("staging", { ...config, layout: "combined" });
    const policies = (json: SynthJson) =>
      allResources(json)
        .filter(([type]) =>
          ["aws_iam_role_policy", "aws_s3_bucket_policy", "aws_kms_key", "aws_iam_role"].includes(type),
        )
        .map(([type, , r]) => [type, r.policy ?? r.assume_role_policy, r.name ?? null])
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const types = new Set([
      ...Object.keys(stacks["staging-lambda"].resource),
      ...Object.keys(stacks["staging-bucket"].resource),
    ]);
    const split = policies({
      resource: Object.fromEntries(
        [...types].map((type) => [
          type,
          { ...stacks["staging-lambda"].resource[type], ...stacks["staging-bucket"].resource[type] },
        ]),
      ),
    });
    expect(split).toEqual(policies(combined));
  });

  test("outputs: the role and function from the Lambda account, the bucket and key from the bucket account", () => {
    expect(Object.keys(stacks["staging-lambda"].output ?? {}).sort()).toEqual([
      "lambda_function_name",
      "lambda_role_arn",
    ]);
    expect(Object.keys(stacks["staging-bucket"].output ?? {}).sort()).toEqual(["bucket_name", "kms_key_arn"]);
  });
});

describe("environment config validation", () => {
  const local = environments.local;

  test.each<[string, EnvironmentConfig, string]>([
    [
      "deploy role in the wrong account",
      { ...local, bucket: { ...local.bucket, deployRoleArn: "arn:aws:iam::111111111111:role/deploy" } },
      'environments.broken.bucket.deployRoleArn "arn:aws:iam::111111111111:role/deploy" is in account 111111111111, not in bucket.accountId 222222222222',
    ],
    [
      "same account on both sides",
      {
        ...local,
        bucket: { ...local.bucket, accountId: "111111111111", deployRoleArn: "arn:aws:iam::111111111111:role/d" },
      },
      'environments.broken.bucket.accountId "111111111111" is 111111111111, the same account as lambda.accountId',
    ],
    [
      "deploy role that is not a role ARN",
      { ...local, lambda: { ...local.lambda, deployRoleArn: "arn:aws:iam::111111111111:user/deploy" } },
      'environments.broken.lambda.deployRoleArn "arn:aws:iam::111111111111:user/deploy" is not an IAM role ARN',
    ],
    [
      "unknown target",
      { ...local, target: "staging" as EnvironmentConfig["target"] },
      'environments.broken.target "staging" is not a target (aws, local-emulator)',
    ],
    [
      "account ID with 11 digits",
      { ...local, lambda: { ...local.lambda, accountId: "11111111111" } },
      'environments.broken.lambda.accountId "11111111111" is not an AWS account ID (12 digits)',
    ],
  ])("%s", (_case, config, message) => {
    expect(() => validateEnvironments({ broken: config })).toThrow(message);
    expect(() => synthEnvironment("broken", config)).toThrow(ConfigurationError);
  });

  test("an invalid environment name", () => {
    expect(() => validateEnvironments({ Prod_1: local })).toThrow(
      'environments["Prod_1"] "Prod_1" is not a valid environment name',
    );
  });

  test("the shipped environments are all valid", () => {
    expect(Object.keys(validateEnvironments(environments))).toEqual([
      "local",
      "local-assume-role",
      "local-split",
      "local-split-queue",
      "dev",
      "staging",
      "analytics",
      "prod",
    ]);
  });

  test("selecting an unknown environment names it and lists the known ones", () => {
    expect(() => selectEnvironments(["local", "dev"], "dev,qa")).toThrow(
      'ENVIRONMENTS "qa" is not a known environment (local, dev)',
    );
    expect(selectEnvironments(["local", "dev"], " dev ")).toEqual(["dev"]);
    expect(selectEnvironments(["local", "dev"], undefined)).toEqual(["local", "dev"]);
  });

  test("the app refuses an unknown environment at synth and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "cas-synth-"));
    try {
      expect(() => synthesize(join(dir, "out"), ["qa"])).toThrow(/ENVIRONMENTS "qa" is not a known environment/);
      expect(existsSync(join(dir, "out"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the order the split halves deploy in", () => {
  const dependencies = (stacks: ReturnType<typeof environmentStacks>) =>
    Object.fromEntries(stacks.map((s) => [s.node.id, s.dependencies.map((d) => d.node.id)]));

  test("on the SQS path the bucket account's stack waits for the Lambda account's, whose queue its entries name", () => {
    const stacks = environmentStacks(Testing.app(), "local-split-queue", environments["local-split-queue"], {});
    expect(dependencies(stacks)).toEqual({
      "local-split-queue-lambda": [],
      "local-split-queue-bucket": ["local-split-queue-lambda"],
    });
  });

  test("through EventBridge neither half waits for the other", () => {
    expect(dependencies(environmentStacks(Testing.app(), "local-split", environments["local-split"], {}))).toEqual({
      "local-split-lambda": [],
      "local-split-bucket": [],
    });
  });

  test("on a shared bucket, the bucket's stack waits for each grantee on the SQS path only", () => {
    const shared = sharedEnvironments["local-shared"];
    const stacks = sharedEnvironmentStacks(Testing.app(), "lake", { ...shared, layout: "split" }, {});
    expect(dependencies(stacks)).toEqual({
      "lake-bucket": ["lake-ingest"],
      "lake-reporting": [],
      "lake-billing": [],
      "lake-ingest": [],
    });
  });
});
