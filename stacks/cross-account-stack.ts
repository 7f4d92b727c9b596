import { AwsProvider, type AwsProviderConfig } from "@cdktf/provider-aws/lib/provider";
import { Aspects, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import {
  BucketAccountGrant,
  CrossAccountS3Access,
  LambdaAccountGrant,
  parseOrThrow,
  SecurityRules,
  type BucketAccountHalf,
  type LambdaAccountHalf,
  type LambdaCode,
  type LambdaAccountOptions,
} from "../modules/internal";
import { environmentSchema, stackNamesOf, targetVariables, type EnvironmentConfig } from "./config";
import { remoteState } from "./state";

/** Provider aliases of every stack: the Lambda account (A) and the bucket account (B). */
export const LAMBDA_PROVIDER_ALIAS = "lambda_account";
export const BUCKET_PROVIDER_ALIAS = "bucket_account";

export interface CrossAccountStackOptions {
  /** The functions' code. @default the prebuilt handler (lambda/function.zip, built by npm run build:lambda) */
  readonly code?: LambdaCode;
}

type ValidEnvironment = ReturnType<typeof environmentSchema.parse>;

/** An aliased provider reaching one account by assume_role into its deploy role. */
export function deployProvider(
  stack: TerraformStack,
  stackName: string,
  target: ValidEnvironment["target"],
  alias: string,
  account: { readonly region: string; readonly deployRoleArn: string },
  session: string = alias,
): AwsProvider {
  return new AwsProvider(stack, alias, {
    alias,
    region: account.region,
    assumeRole: [{ roleArn: account.deployRoleArn, sessionName: `cdktf-${stackName}-${session}`.slice(0, 64) }],
    defaultTags: [{ tags: { "managed-by": "cdktf", environment: stackName } }],
    ...(target === "local-emulator" ? LOCAL_EMULATOR_SETTINGS : {}),
  });
}

/** The aliased provider of one account, reaching it by assume_role into that account's deploy role. */
function accountProvider(
  stack: TerraformStack,
  stackName: string,
  env: ValidEnvironment,
  side: "lambda" | "bucket",
): AwsProvider {
  return deployProvider(
    stack,
    stackName,
    env.target,
    side === "lambda" ? LAMBDA_PROVIDER_ALIAS : BUCKET_PROVIDER_ALIAS,
    env[side],
    side,
  );
}

/**
 * A Lambda side from an environment's settings. `viaAccessPoint`: the grantee reaches the bucket through an access
 * point, whose requests the SDK sends to the access point's own host name, which path-style addressing (an emulator's
 * way) cannot express; the handler refuses the two together.
 */
export function lambdaSide(
  env: Pick<ValidEnvironment, "target" | "lambda">,
  provider: AwsProvider,
  options: CrossAccountStackOptions,
  viaAccessPoint = false,
): LambdaAccountOptions {
  return { ...lambdaSettingsFor(env, viaAccessPoint), provider, ...(options.code ? { code: options.code } : {}) };
}

/** The Lambda settings of an environment as its stacks declare them: the target's variables under the team's own. */
export function lambdaSettingsFor(
  env: Pick<ValidEnvironment, "target" | "lambda">,
  viaAccessPoint = false,
): Omit<ValidEnvironment["lambda"], "deployRoleArn"> {
  const { deployRoleArn: _deployRole, ...lambda } = env.lambda;
  const local = targetVariables(env.target, viaAccessPoint);
  return {
    ...lambda,
    ...(lambda.createFunction !== false ? { environment: { ...local, ...(lambda.environment ?? {}) } } : {}),
  };
}

export function bucketSettings(env: Pick<ValidEnvironment, "bucket">) {
  const { deployRoleArn: _deployRole, ...bucket } = env.bucket;
  return bucket;
}

/** The Lambda account's outputs: the grantee's role ARN and, when created, its function's name. */
function lambdaOutputs(stack: TerraformStack, half: LambdaAccountHalf): void {
  new TerraformOutput(stack, "lambda_role_arn", { value: half.grantee.role?.arn ?? half.grantee.roleArn });
  if (half.grantee.function)
    new TerraformOutput(stack, "lambda_function_name", { value: half.grantee.function.functionName });
}

/** The bucket account's outputs: the bucket, its key and, in assume-role mode, the S3 access role. */
function bucketOutputs(stack: TerraformStack, half: BucketAccountHalf): void {
  new TerraformOutput(stack, "bucket_name", { value: half.bucketName });
  new TerraformOutput(stack, "kms_key_arn", { value: half.kmsKeyArn });
  if (half.accessRole) new TerraformOutput(stack, "s3_access_role_arn", { value: half.accessRole.role.arn });
}

export function withSecurityRules(stack: TerraformStack): void {
  // Every stack is checked against the project's security rules at synth; a violation fails synth.
  Aspects.of(stack).add(new SecurityRules());
}

/**
 * One environment: two aliased AWS providers, each reaching its account by assume_role into that account's deploy
 * role, and the cross-account grant between them.
 */
export class CrossAccountStack extends TerraformStack {
  public readonly access: CrossAccountS3Access;

  constructor(scope: Construct, name: string, config: EnvironmentConfig, options: CrossAccountStackOptions) {
    super(scope, name);
    const env = parseOrThrow(environmentSchema, config, `environments.${name}`);
    remoteState(this, name, env.target, env.state);
    const lambdaProvider = accountProvider(this, name, env, "lambda");
    const bucketProvider = accountProvider(this, name, env, "bucket");
    this.access = new CrossAccountS3Access(this, "access", {
      lambda: lambdaSide(env, lambdaProvider, options),
      bucket: { ...bucketSettings(env), provider: bucketProvider },
      grant: env.grant,
      alarms: env.alarms,
      configPath: `environments.${name}`,
    });

    lambdaOutputs(this, this.access.lambdaAccount);
    bucketOutputs(this, this.access.bucketAccount);
    withSecurityRules(this);
  }
}

/** Split layout, account A: the Lambda account's half alone, with only that account's provider. */
export class LambdaAccountStack extends TerraformStack {
  public readonly access: LambdaAccountGrant;

  /** `environment` names the declaration in messages (`environments.<environment>`); the stack's own name by default. */
  constructor(
    scope: Construct,
    name: string,
    config: EnvironmentConfig,
    options: CrossAccountStackOptions,
    environment = name,
  ) {
    super(scope, name);
    const env = parseOrThrow(environmentSchema, config, `environments.${environment}`);
    remoteState(this, name, env.target, env.state);
    this.access = new LambdaAccountGrant(this, "access", {
      lambda: lambdaSide(env, accountProvider(this, name, env, "lambda"), options),
      bucket: bucketSettings(env),
      grant: env.grant,
      alarms: env.alarms,
      configPath: `environments.${environment}`,
    });
    lambdaOutputs(this, this.access);
    withSecurityRules(this);
  }
}

/** Split layout, account B: the bucket account's half alone, with only that account's provider. */
export class BucketAccountStack extends TerraformStack {
  public readonly access: BucketAccountGrant;

  /** `environment` names the declaration in messages (`environments.<environment>`); the stack's own name by default. */
  constructor(scope: Construct, name: string, config: EnvironmentConfig, environment = name) {
    super(scope, name);
    const env = parseOrThrow(environmentSchema, config, `environments.${environment}`);
    remoteState(this, name, env.target, env.state);
    const { deployRoleArn: _deployRole, ...lambda } = env.lambda;
    this.access = new BucketAccountGrant(this, "access", {
      lambda,
      bucket: { ...bucketSettings(env), provider: accountProvider(this, name, env, "bucket") },
      grant: env.grant,
      alarms: env.alarms,
      configPath: `environments.${environment}`,
    });
    bucketOutputs(this, this.access);
    withSecurityRules(this);
  }
}

/** The stacks of one environment: one combined stack, or the two halves of the split layout. */
export function environmentStacks(
  scope: Construct,
  name: string,
  config: EnvironmentConfig,
  options: CrossAccountStackOptions,
): TerraformStack[] {
  if (config.layout !== "split") return [new CrossAccountStack(scope, name, config, options)];
  const [lambdaName, bucketName] = stackNamesOf(name, config);
  const lambdaStack = new LambdaAccountStack(scope, lambdaName, config, options, name);
  const bucketStack = new BucketAccountStack(scope, bucketName, config, name);
  // On the SQS path S3 checks, when the bucket's notification configuration is saved, that it may send to the
  // grant's queue: the Lambda account's half must be applied first (cdktf deploy orders the two by this).
  if (config.grant.events?.delivery === "sqs") bucketStack.addDependency(lambdaStack);
  return [lambdaStack, bucketStack];
}

/**
 * An AWS emulator: endpoints come from the standard AWS_ENDPOINT_URL variable (nothing is baked in), S3 is reached
 * path-style, and the emulator's credentials are not checked against real AWS.
 */
const LOCAL_EMULATOR_SETTINGS: Partial<AwsProviderConfig> = {
  s3UsePathStyle: true,
  skipCredentialsValidation: true,
  skipMetadataApiCheck: "true",
  skipRegionValidation: true,
};
