/** Stacks of a shared-bucket environment: many grantees' grants on one bucket (see modules/patterns/shared-bucket.ts). */
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import {
  ConfigurationError,
  parseOrThrow,
  showValue,
  planSharedBucket,
  SharedBucketAccess,
  SharedLambdaAccountGrant,
  SharedBucketAccountGrants,
  type SharedBucketDeclaration,
  type SharedBucketPlan,
} from "../modules/internal";
import { sharedEnvironmentSchema, sharedStackNamesOf, type SharedEnvironmentConfig } from "./config";
import {
  BUCKET_PROVIDER_ALIAS,
  bucketSettings,
  withSecurityRules,
  deployProvider,
  lambdaSettingsFor,
  lambdaSide,
  type CrossAccountStackOptions,
} from "./cross-account-stack";
import { remoteState } from "./state";

type ValidShared = ReturnType<typeof sharedEnvironmentSchema.parse>;
type ValidGrantee = ValidShared["grantees"][number];

/** Alias of the provider of a grantee account and region (one per pair, shared by its grantees). */
export function granteeProviderAlias(lambda: { readonly accountId: string; readonly region: string }): string {
  return `lambda_${lambda.accountId}_${lambda.region.replace(/-/g, "_")}`;
}

/** Terraform output names for a grantee: `<grantee>_<what>`, with hyphens as underscores. */
export function granteeOutput(grantee: string, what: string): string {
  return `${grantee.replace(/-/g, "_")}_${what}`;
}

/**
 * The declaration of a shared-bucket environment. Given the plan, each grantee's Lambda settings are as its stack
 * gives them (see lambdaSide: the target's variables depend on whether the grantee goes through an access point).
 */
function declarationOf(name: string, env: ValidShared, plan?: SharedBucketPlan): SharedBucketDeclaration {
  return {
    configPath: `sharedEnvironments.${name}`,
    bucket: bucketSettings(env),
    accessPoints: env.accessPoints,
    alarms: env.alarms,
    grantees: env.grantees.map(({ name: grantee, grant, lambda }) => ({
      name: grantee,
      grant,
      lambda: lambdaSettingsFor({ target: env.target, lambda }, plan !== undefined && viaAccessPoint(plan, grantee)),
    })),
  };
}

/**
 * The declaration every stack of a split environment is built from, and its plan: planned once to know who goes
 * through an access point, then again with each grantee's settings as its stack gives them (a grantee's half must be
 * given the declared settings). Whether a grantee goes through an access point does not depend on those variables.
 */
function splitDeclaration(
  name: string,
  env: ValidShared,
): { declaration: SharedBucketDeclaration; plan: SharedBucketPlan } {
  const first = planSharedBucket(`sharedEnvironments.${name}`, declarationOf(name, env));
  const declaration = declarationOf(name, env, first);
  return { declaration, plan: planSharedBucket(`sharedEnvironments.${name}`, declaration) };
}

function bucketOutputs(stack: TerraformStack, grants: SharedBucketAccountGrants): void {
  new TerraformOutput(stack, "bucket_name", { value: grants.bucketName });
  new TerraformOutput(stack, "kms_key_arn", { value: grants.kmsKeyArn });
  for (const [grantee, role] of grants.half.accessRoles) {
    new TerraformOutput(stack, granteeOutput(grantee, "s3_access_role_arn"), { value: role.role.arn });
  }
  for (const [name, ap] of grants.half.accessPoints) {
    new TerraformOutput(stack, granteeOutput(name, "access_point_arn"), { value: ap.arn });
  }
}

function granteeOutputs(stack: TerraformStack, name: string, grantee: SharedLambdaAccountGrant): void {
  new TerraformOutput(stack, granteeOutput(name, "lambda_role_arn"), {
    value: grantee.grantee.role?.arn ?? grantee.grantee.roleArn,
  });
  if (grantee.grantee.function)
    new TerraformOutput(stack, granteeOutput(name, "lambda_function_name"), {
      value: grantee.grantee.function.functionName,
    });
}

/** Whether a grantee goes through its access point in the plan. */
const viaAccessPoint = (plan: SharedBucketPlan, grantee: string): boolean =>
  plan.grantees.some((g) => g.name === grantee && g.accessPointName !== undefined);

/** Combined layout: the bucket account's provider, one provider per grantee account and region, every grant. */
export class SharedBucketStack extends TerraformStack {
  public readonly access: SharedBucketAccess;

  constructor(scope: Construct, name: string, config: SharedEnvironmentConfig, options: CrossAccountStackOptions) {
    super(scope, name);
    const env = parseOrThrow(sharedEnvironmentSchema, config, `sharedEnvironments.${name}`);
    remoteState(this, name, env.target, env.state);
    // Planned first to know who goes through an access point (see lambdaSide); the construct plans the same again.
    const planned = planSharedBucket(`sharedEnvironments.${name}`, declarationOf(name, env));
    const providers = new Map<string, AwsProvider>();
    const providerOf = (c: ValidGrantee) => {
      const alias = granteeProviderAlias(c.lambda);
      if (!providers.has(alias)) providers.set(alias, deployProvider(this, name, env.target, alias, c.lambda));
      return providers.get(alias)!;
    };
    this.access = new SharedBucketAccess(this, "shared", {
      bucket: {
        ...bucketSettings(env),
        provider: deployProvider(this, name, env.target, BUCKET_PROVIDER_ALIAS, env.bucket, "bucket"),
      },
      accessPoints: env.accessPoints,
      alarms: env.alarms,
      configPath: `sharedEnvironments.${name}`,
      grantees: env.grantees.map((c) => ({
        name: c.name,
        grant: c.grant,
        lambda: lambdaSide(
          { target: env.target, lambda: c.lambda },
          providerOf(c),
          options,
          viaAccessPoint(planned, c.name),
        ),
      })),
    });
    bucketOutputs(this, this.access.bucketAccount);
    for (const [granteeName, grantee] of this.access.lambdaAccounts) granteeOutputs(this, granteeName, grantee);
    withSecurityRules(this);
  }
}

/** Split layout, the bucket account: every grantee's grant on its side, with only that account's provider. */
export class SharedBucketAccountStack extends TerraformStack {
  public readonly grants: SharedBucketAccountGrants;

  /** `environment` names the declaration in messages (`sharedEnvironments.<environment>`); the stack's name by default. */
  constructor(
    scope: Construct,
    name: string,
    config: SharedEnvironmentConfig,
    planned?: SharedBucketPlan,
    environment = name,
  ) {
    super(scope, name);
    const env = parseOrThrow(sharedEnvironmentSchema, config, `sharedEnvironments.${environment}`);
    remoteState(this, name, env.target, env.state);
    const provider = deployProvider(this, name, env.target, BUCKET_PROVIDER_ALIAS, env.bucket, "bucket");
    this.grants = new SharedBucketAccountGrants(this, "shared", {
      ...declarationOf(environment, env),
      bucket: { ...bucketSettings(env), provider },
      plan: planned,
    });
    bucketOutputs(this, this.grants);
    withSecurityRules(this);
  }
}

/** Split layout, one grantee: its Lambda side alone, with only its account's provider. */
export class SharedGranteeStack extends TerraformStack {
  public readonly access: SharedLambdaAccountGrant;

  constructor(
    scope: Construct,
    name: string,
    config: SharedEnvironmentConfig,
    grantee: string,
    options: CrossAccountStackOptions,
    planned?: SharedBucketPlan,
    /** Names the declaration in messages (`sharedEnvironments.<environment>`); the stack's name by default. */
    environment = name,
  ) {
    super(scope, name);
    const env = parseOrThrow(sharedEnvironmentSchema, config, `sharedEnvironments.${environment}`);
    remoteState(this, name, env.target, env.state);
    const c = env.grantees.find((x) => x.name === grantee);
    if (!c) {
      throw new ConfigurationError([
        `grantee ${showValue(grantee)} is not a grantee of sharedEnvironments.${environment} (${env.grantees.map((x) => x.name).join(", ")})`,
      ]);
    }
    const provider = deployProvider(this, name, env.target, granteeProviderAlias(c.lambda), c.lambda, "lambda");
    const { declaration: shared, plan } = planned
      ? { declaration: declarationOf(environment, env, planned), plan: planned }
      : splitDeclaration(environment, env);
    this.access = new SharedLambdaAccountGrant(this, "shared", {
      shared,
      granteeName: grantee,
      lambda: lambdaSide({ target: env.target, lambda: c.lambda }, provider, options, viaAccessPoint(plan, grantee)),
      plan,
    });
    granteeOutputs(this, grantee, this.access);
    withSecurityRules(this);
  }
}

/** The stacks of one shared-bucket environment: one combined stack, or the bucket's half and one per grantee. */
export function sharedEnvironmentStacks(
  scope: Construct,
  name: string,
  config: SharedEnvironmentConfig,
  options: CrossAccountStackOptions,
): TerraformStack[] {
  if (config.layout !== "split") return [new SharedBucketStack(scope, name, config, options)];
  const env = parseOrThrow(sharedEnvironmentSchema, config, `sharedEnvironments.${name}`);
  // Planned once for every stack of the environment: each grantee's half needs the whole declaration's plan.
  const { plan: planned } = splitDeclaration(name, env);
  const [bucketName, ...granteeNames] = sharedStackNamesOf(name, config);
  const bucketStack = new SharedBucketAccountStack(scope, bucketName, config, planned, name);
  const granteeStacks = env.grantees.map(
    (c, i) => new SharedGranteeStack(scope, granteeNames[i], config, c.name, options, planned, name),
  );
  // A grantee on the SQS path is applied before the bucket's stack, whose notification configuration names its queue.
  env.grantees.forEach((c, i) => {
    if (c.grant.events?.delivery === "sqs") bucketStack.addDependency(granteeStacks[i]);
  });
  return [bucketStack, ...granteeStacks];
}
