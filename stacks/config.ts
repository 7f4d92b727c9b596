/** The typed, validated shape of an environment: both accounts, how each is reached, and the grant. */
import { z } from "zod";
import {
  accessPointChoiceSchema,
  bucketSettingsSchema,
  checkConsumers,
  consumerNameSchema,
  ConfigurationError,
  grantSchema,
  lambdaSettingsSchema,
  parseOrThrow,
  roleArnSchema,
  sameAccountProblem,
  showValue,
} from "../modules";

export const TARGETS = ["aws", "local-emulator"] as const;
/**
 * `combined`: one stack `<env>` with both accounts' providers. `split`: two stacks, `<env>-lambda` and `<env>-bucket`,
 * each with only its own account's provider, for teams that own one account each.
 */
export const LAYOUTS = ["combined", "split"] as const;

const deployRole = { deployRoleArn: roleArnSchema };
const targetSchema = z.enum(TARGETS, { error: `is not a target (${TARGETS.join(", ")})` });
const layoutSchema = z.enum(LAYOUTS, { error: `is not a layout (${LAYOUTS.join(", ")})` });

/** The account a deploy role ARN is in, when it is not `accountId`. */
const otherAccountOf = (deployRoleArn: string, accountId: string): string | undefined => {
  const account = deployRoleArn.split(":")[4];
  return account === accountId ? undefined : account;
};

export const environmentSchema = z
  .strictObject({
    /** `aws` deploys to real accounts; `local-emulator` to an AWS emulator reached through AWS_ENDPOINT_URL. */
    target: targetSchema,
    layout: layoutSchema.optional(),
    lambda: lambdaSettingsSchema.extend(deployRole),
    bucket: bucketSettingsSchema.safeExtend(deployRole),
    grant: grantSchema,
  })
  .superRefine((env, ctx) => {
    const same = sameAccountProblem(env.lambda.accountId, env.bucket.accountId);
    if (same) ctx.addIssue({ code: "custom", path: ["bucket", "accountId"], input: env.bucket.accountId, message: same });
    for (const side of ["lambda", "bucket"] as const) {
      const arn = env[side].deployRoleArn;
      const account = otherAccountOf(arn, env[side].accountId);
      if (account !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [side, "deployRoleArn"],
          input: arn,
          message: `is in account ${account}, not in ${side}.accountId ${env[side].accountId}`,
        });
      }
    }
  });

export type EnvironmentConfig = z.input<typeof environmentSchema>;

/** Environment names double as stack names (`cdktf deploy <name>`). */
const environmentNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, { message: "is not a valid environment name (lowercase letters, digits, hyphens)" });

/** Validates every environment; throws a ConfigurationError naming `environments.<name>.<field>` and the value. */
export function validateEnvironments(
  environments: Readonly<Record<string, EnvironmentConfig>>,
): Record<string, z.output<typeof environmentSchema>> {
  const out: Record<string, z.output<typeof environmentSchema>> = {};
  for (const [name, config] of Object.entries(environments)) {
    parseOrThrow(environmentNameSchema, name, `environments[${JSON.stringify(name)}]`);
    out[name] = parseOrThrow(environmentSchema, config, `environments.${name}`);
  }
  return out;
}

/**
 * Picks the environments to synthesize from a comma-separated list (the ENVIRONMENTS variable); all when empty.
 * An unknown name is an error that lists the known ones.
 */
export function selectEnvironments(known: readonly string[], selection: string | undefined): string[] {
  const wanted = (selection ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (wanted.length === 0) return [...known];
  const unknown = wanted.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      unknown.map((name) => `ENVIRONMENTS ${showValue(name)} is not a known environment (${known.join(", ")})`),
    );
  }
  return wanted;
}

/** The stack names an environment synthesizes to: itself, or its two halves in the split layout. */
export function stackNamesOf(name: string, config: Pick<EnvironmentConfig, "layout">): string[] {
  return config.layout === "split" ? [`${name}-lambda`, `${name}-bucket`] : [name];
}

const sharedConsumerSchema = z.strictObject({
  name: consumerNameSchema,
  lambda: lambdaSettingsSchema.extend(deployRole),
  grant: grantSchema,
});

/**
 * Many consumers on one bucket: the bucket account's side with every consumer's grant (merged, or through access
 * points), and each consumer's Lambda side. `combined`: one stack with a provider per consumer account and region.
 * `split`: `<env>-bucket` for the bucket account and `<env>-<consumer>` for each consumer.
 */
export const sharedEnvironmentSchema = z
  .strictObject({
    target: targetSchema,
    layout: layoutSchema.optional(),
    bucket: bucketSettingsSchema.safeExtend(deployRole),
    accessPoints: accessPointChoiceSchema.optional(),
    consumers: z
      .array(sharedConsumerSchema, { error: "must be a list of { name, lambda, grant }" })
      .min(1, { message: "is empty: a shared bucket needs at least one consumer" }),
  })
  .superRefine((env, ctx) => {
    checkConsumers(env.consumers, env.bucket.accountId, ctx);
    const deployRoles = new Map<string, string>();
    const sides: Array<{ path: Array<string | number>; accountId: string; arn: string }> = [
      { path: ["bucket", "deployRoleArn"], accountId: env.bucket.accountId, arn: env.bucket.deployRoleArn },
      ...env.consumers.map((c, i) => ({ path: ["consumers", i, "lambda", "deployRoleArn"], accountId: c.lambda.accountId, arn: c.lambda.deployRoleArn })),
    ];
    for (const { path, accountId, arn } of sides) {
      const account = otherAccountOf(arn, accountId);
      if (account !== undefined) {
        ctx.addIssue({ code: "custom", path, input: arn, message: `is in account ${account}, not in ${accountId}` });
      }
    }
    env.consumers.forEach((c, i) => {
      // One provider per consumer account and region in the combined layout: its consumers share its deploy role.
      const key = `${c.lambda.accountId}/${c.lambda.region}`;
      const first = deployRoles.get(key);
      if (first === undefined) deployRoles.set(key, c.lambda.deployRoleArn);
      else if (first !== c.lambda.deployRoleArn) {
        ctx.addIssue({
          code: "custom",
          path: ["consumers", i, "lambda", "deployRoleArn"],
          input: c.lambda.deployRoleArn,
          message: `differs from ${first}, the deploy role of another consumer in account ${c.lambda.accountId} and ${c.lambda.region}`,
        });
      }
    });
  });

export type SharedEnvironmentConfig = z.input<typeof sharedEnvironmentSchema>;

/** Validates every shared-bucket environment, naming `sharedEnvironments.<name>.<field>` and the value. */
export function validateSharedEnvironments(
  environments: Readonly<Record<string, SharedEnvironmentConfig>>,
): Record<string, z.output<typeof sharedEnvironmentSchema>> {
  const out: Record<string, z.output<typeof sharedEnvironmentSchema>> = {};
  for (const [name, config] of Object.entries(environments)) {
    parseOrThrow(environmentNameSchema, name, `sharedEnvironments[${JSON.stringify(name)}]`);
    out[name] = parseOrThrow(sharedEnvironmentSchema, config, `sharedEnvironments.${name}`);
  }
  return out;
}

/** The stack names of a shared-bucket environment: itself, or the bucket's half and one per consumer when split. */
export function sharedStackNamesOf(name: string, config: Pick<SharedEnvironmentConfig, "layout" | "consumers">): string[] {
  return config.layout === "split" ? [`${name}-bucket`, ...config.consumers.map((c) => `${name}-${c.name}`)] : [name];
}

/** Every environment name, single-grant and shared-bucket; a name used by both is an error. */
export function allEnvironmentNames(single: Readonly<Record<string, unknown>>, shared: Readonly<Record<string, unknown>>): string[] {
  const both = Object.keys(shared).filter((name) => name in single);
  if (both.length > 0) {
    throw new ConfigurationError(both.map((name) => `sharedEnvironments[${JSON.stringify(name)}] is also the name of an environment`));
  }
  return [...Object.keys(single), ...Object.keys(shared)];
}
