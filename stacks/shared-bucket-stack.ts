/** Stacks of a shared-bucket environment: many consumers' grants on one bucket (see modules/shared-bucket.ts). */
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import {
  ConfigurationError,
  parseOrThrow,
  showValue,
  planSharedBucket,
  SharedBucketAccess,
  SharedBucketConsumer,
  SharedBucketGrants,
  type SharedBucketDeclaration,
  type SharedBucketPlan,
} from "../modules";
import { sharedEnvironmentSchema, sharedStackNamesOf, type SharedEnvironmentConfig } from "./config";
import {
  BUCKET_PROVIDER_ALIAS,
  bucketSettings,
  checkedStack,
  deployProvider,
  lambdaSide,
  type CrossAccountStackOptions,
} from "./cross-account-stack";

type ValidShared = ReturnType<typeof sharedEnvironmentSchema.parse>;
type ValidConsumer = ValidShared["consumers"][number];

/** Alias of the provider of a consumer account and region (one per pair, shared by its consumers). */
export function consumerProviderAlias(lambda: { readonly accountId: string; readonly region: string }): string {
  return `lambda_${lambda.accountId}_${lambda.region.replace(/-/g, "_")}`;
}

/** Terraform output names for a consumer: `<consumer>_<what>`, with hyphens as underscores. */
export function consumerOutput(consumer: string, what: string): string {
  return `${consumer.replace(/-/g, "_")}_${what}`;
}

function declarationOf(name: string, env: ValidShared): SharedBucketDeclaration {
  return {
    configPath: `sharedEnvironments.${name}`,
    bucket: bucketSettings(env),
    accessPoints: env.accessPoints,
    consumers: env.consumers.map(({ name, grant, lambda: { deployRoleArn: _d, ...lambda } }) => ({ name, grant, lambda })),
  };
}

function bucketOutputs(stack: TerraformStack, grants: SharedBucketGrants): void {
  new TerraformOutput(stack, "bucket_name", { value: grants.bucketName });
  new TerraformOutput(stack, "kms_key_arn", { value: grants.kmsKeyArn });
  for (const [consumer, role] of grants.half.accessRoles) {
    new TerraformOutput(stack, consumerOutput(consumer, "s3_access_role_arn"), { value: role.role.arn });
  }
  for (const [name, ap] of grants.half.accessPoints) {
    new TerraformOutput(stack, consumerOutput(name, "access_point_arn"), { value: ap.arn });
  }
}

function consumerOutputs(stack: TerraformStack, name: string, consumer: SharedBucketConsumer): void {
  new TerraformOutput(stack, consumerOutput(name, "lambda_role_arn"), { value: consumer.consumer.role.arn });
  new TerraformOutput(stack, consumerOutput(name, "lambda_function_name"), { value: consumer.consumer.function.functionName });
}

/** Combined layout: the bucket account's provider, one provider per consumer account and region, every grant. */
export class SharedBucketStack extends TerraformStack {
  public readonly access: SharedBucketAccess;

  constructor(scope: Construct, name: string, config: SharedEnvironmentConfig, options: CrossAccountStackOptions) {
    super(scope, name);
    const env = parseOrThrow(sharedEnvironmentSchema, config, `sharedEnvironments.${name}`);
    const providers = new Map<string, AwsProvider>();
    const providerOf = (c: ValidConsumer) => {
      const alias = consumerProviderAlias(c.lambda);
      if (!providers.has(alias)) providers.set(alias, deployProvider(this, name, env.target, alias, c.lambda));
      return providers.get(alias)!;
    };
    this.access = new SharedBucketAccess(this, "shared", {
      bucket: { ...bucketSettings(env), provider: deployProvider(this, name, env.target, BUCKET_PROVIDER_ALIAS, env.bucket, "bucket") },
      accessPoints: env.accessPoints,
      configPath: `sharedEnvironments.${name}`,
      consumers: env.consumers.map((c) => ({
        name: c.name,
        grant: c.grant,
        lambda: lambdaSide({ target: env.target, lambda: c.lambda }, providerOf(c), options),
      })),
    });
    bucketOutputs(this, this.access.bucket);
    for (const [consumerName, consumer] of this.access.consumers) consumerOutputs(this, consumerName, consumer);
    checkedStack(this);
  }
}

/** Split layout, the bucket account: every consumer's grant on its side, with only that account's provider. */
export class SharedBucketAccountStack extends TerraformStack {
  public readonly grants: SharedBucketGrants;

  /** `environment` names the declaration in messages (`sharedEnvironments.<environment>`); the stack's name by default. */
  constructor(scope: Construct, name: string, config: SharedEnvironmentConfig, planned?: SharedBucketPlan, environment = name) {
    super(scope, name);
    const env = parseOrThrow(sharedEnvironmentSchema, config, `sharedEnvironments.${environment}`);
    const provider = deployProvider(this, name, env.target, BUCKET_PROVIDER_ALIAS, env.bucket, "bucket");
    this.grants = new SharedBucketGrants(this, "shared", { ...declarationOf(environment, env), bucket: { ...bucketSettings(env), provider } }, { planned });
    bucketOutputs(this, this.grants);
    checkedStack(this);
  }
}

/** Split layout, one consumer: its Lambda side alone, with only its account's provider. */
export class SharedConsumerStack extends TerraformStack {
  public readonly access: SharedBucketConsumer;

  constructor(
    scope: Construct,
    name: string,
    config: SharedEnvironmentConfig,
    consumer: string,
    options: CrossAccountStackOptions,
    planned?: SharedBucketPlan,
    /** Names the declaration in messages (`sharedEnvironments.<environment>`); the stack's name by default. */
    environment = name,
  ) {
    super(scope, name);
    const env = parseOrThrow(sharedEnvironmentSchema, config, `sharedEnvironments.${environment}`);
    const c = env.consumers.find((x) => x.name === consumer);
    if (!c) {
      throw new ConfigurationError([
        `consumer ${showValue(consumer)} is not a consumer of sharedEnvironments.${environment} (${env.consumers.map((x) => x.name).join(", ")})`,
      ]);
    }
    const provider = deployProvider(this, name, env.target, consumerProviderAlias(c.lambda), c.lambda, "lambda");
    this.access = new SharedBucketConsumer(this, "shared", {
      shared: declarationOf(environment, env),
      consumer,
      lambda: lambdaSide({ target: env.target, lambda: c.lambda }, provider, options),
      planned,
    });
    consumerOutputs(this, consumer, this.access);
    checkedStack(this);
  }
}

/** The stacks of one shared-bucket environment: one combined stack, or the bucket's half and one per consumer. */
export function sharedEnvironmentStacks(
  scope: Construct,
  name: string,
  config: SharedEnvironmentConfig,
  options: CrossAccountStackOptions,
): TerraformStack[] {
  if (config.layout !== "split") return [new SharedBucketStack(scope, name, config, options)];
  const env = parseOrThrow(sharedEnvironmentSchema, config, `sharedEnvironments.${name}`);
  // Planned once for every stack of the environment: each consumer's half needs the whole declaration's plan.
  const planned = planSharedBucket(`sharedEnvironments.${name}`, declarationOf(name, env));
  const [bucketName, ...consumerNames] = sharedStackNamesOf(name, config);
  return [
    new SharedBucketAccountStack(scope, bucketName, config, planned, name),
    ...env.consumers.map((c, i) => new SharedConsumerStack(scope, consumerNames[i], config, c.name, options, planned, name)),
  ];
}
