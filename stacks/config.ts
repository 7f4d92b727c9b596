/** The typed, validated shape of an environment: both accounts, how each is reached, and the grant. */
import { parseArn } from "../modules/internal";
import { z } from "zod";
import { claimProblems, environmentClaims, sharedEnvironmentClaims } from "./claims";
import {
  accessPointChoiceSchema,
  alarmSettingsSchema,
  bucketSettingsSchema,
  checkGrantees,
  checkQueueOverlaps,
  eventSettingsProblems,
  granteeNameSchema,
  ConfigurationError,
  functionEnvironmentProblems,
  grantEnvironment,
  grantSchema,
  HANDLER_ENVIRONMENT,
  lambdaRoleArnOf,
  lambdaSettingsSchema,
  parseOrThrow,
  partitionOf,
  partitionProblem,
  planGrant,
  planSharedBucket,
  roleArnSchema,
  sameAccountProblem,
  showValue,
} from "../modules/internal";
import { stateBucketProblems, statePartitionProblem, stateSchema } from "./state";

export const TARGETS = ["aws", "local-emulator"] as const;
/**
 * `combined`: one stack `<env>` with both accounts' providers. `split`: two stacks, `<env>-lambda` and `<env>-bucket`,
 * each with only its own account's provider, for teams that own one account each.
 */
export const LAYOUTS = ["combined", "split"] as const;

const deployRole = { deployRoleArn: roleArnSchema };
const targetSchema = z.enum(TARGETS, { error: `is not a target (${TARGETS.join(", ")})` });
const layoutSchema = z.enum(LAYOUTS, { error: `is not a layout (${LAYOUTS.join(", ")})` });

/**
 * What is wrong with a deploy role ARN for the side it deploys: another account, or another partition than the side's
 * region is in (the provider could not assume it).
 */
function deployRoleProblem(
  deployRoleArn: string,
  side: { readonly accountId: string; readonly region: string },
  label: string,
): string | undefined {
  const { partition, account } = parseArn(deployRoleArn) ?? { partition: "", account: "" };
  if (account !== side.accountId) return `is in account ${account}, not in ${label} ${side.accountId}`;
  const expected = partitionOf(side.region).partition;
  return partition === expected
    ? undefined
    : `is in partition ${partition}, but region ${side.region} is in partition ${expected} (arn:${expected}:iam::...)`;
}

export const environmentSchema = z
  .strictObject({
    /** `aws` deploys to real accounts; `local-emulator` to an AWS emulator reached through AWS_ENDPOINT_URL. */
    target: targetSchema,
    layout: layoutSchema.optional(),
    lambda: lambdaSettingsSchema.safeExtend(deployRole),
    bucket: bucketSettingsSchema.safeExtend(deployRole),
    grant: grantSchema,
    /** The grant's alarms in both accounts, and the SNS topic of each account (AlarmSettings). @default on */
    alarms: alarmSettingsSchema.optional(),
    /** Where each stack of the environment keeps its Terraform state (see state.ts). */
    state: stateSchema,
  })
  .superRefine((env, ctx) => {
    const same = sameAccountProblem(env.lambda.accountId, env.bucket.accountId);
    if (same)
      ctx.addIssue({ code: "custom", path: ["bucket", "accountId"], input: env.bucket.accountId, message: same });
    for (const issue of eventSettingsProblems(env.lambda, env.bucket, env.grant)) ctx.addIssue(issue);
    checkQueueOverlaps([{ events: env.grant.events, path: ["grant", "events"] }], env.bucket, ctx);
    const partition = partitionProblem(env.lambda.region, env.bucket.region);
    if (partition)
      ctx.addIssue({ code: "custom", path: ["bucket", "region"], input: env.bucket.region, message: partition });
    for (const side of ["lambda", "bucket"] as const) {
      const arn = env[side].deployRoleArn;
      const problem = deployRoleProblem(arn, env[side], `${side}.accountId`);
      if (problem) ctx.addIssue({ code: "custom", path: [side, "deployRoleArn"], input: arn, message: problem });
    }
    const state = statePartitionProblem(env.state, env.bucket.region);
    if (state) ctx.addIssue({ code: "custom", path: ["state", "region"], input: env.state.region, message: state });
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

const sharedGranteeSchema = z.strictObject({
  name: granteeNameSchema,
  lambda: lambdaSettingsSchema.safeExtend(deployRole),
  grant: grantSchema,
});

/**
 * Many grantees on one bucket: the bucket account's side with every grantee's grant (merged, or through access
 * points), and each grantee's Lambda side. `combined`: one stack with a provider per grantee account and region.
 * `split`: `<env>-bucket` for the bucket account and `<env>-<grantee>` for each grantee.
 */
export const sharedEnvironmentSchema = z
  .strictObject({
    target: targetSchema,
    layout: layoutSchema.optional(),
    bucket: bucketSettingsSchema.safeExtend(deployRole),
    accessPoints: accessPointChoiceSchema.optional(),
    /** The alarms of every grant, and the SNS topic of each account (AlarmSettings). @default on */
    alarms: alarmSettingsSchema.optional(),
    grantees: z
      .array(sharedGranteeSchema, { error: "must be a list of { name, lambda, grant }" })
      .min(1, { message: "is empty: a shared bucket needs at least one grantee" }),
    /** Where each stack of the environment keeps its Terraform state (see state.ts). */
    state: stateSchema,
  })
  .superRefine((env, ctx) => {
    checkGrantees(env.grantees, env.bucket, ctx);
    const deployRoles = new Map<string, string>();
    const sides: Array<{ path: Array<string | number>; side: { accountId: string; region: string }; arn: string }> = [
      { path: ["bucket", "deployRoleArn"], side: env.bucket, arn: env.bucket.deployRoleArn },
      ...env.grantees.map((c, i) => ({
        path: ["grantees", i, "lambda", "deployRoleArn"],
        side: c.lambda,
        arn: c.lambda.deployRoleArn,
      })),
    ];
    for (const { path, side, arn } of sides) {
      const problem = deployRoleProblem(arn, side, "account");
      if (problem) ctx.addIssue({ code: "custom", path, input: arn, message: problem });
    }
    const state = statePartitionProblem(env.state, env.bucket.region);
    if (state) ctx.addIssue({ code: "custom", path: ["state", "region"], input: env.state.region, message: state });
    env.grantees.forEach((c, i) => {
      // One provider per grantee account and region in the combined layout: its grantees share its deploy role.
      const key = `${c.lambda.accountId}/${c.lambda.region}`;
      const first = deployRoles.get(key);
      if (first === undefined) deployRoles.set(key, c.lambda.deployRoleArn);
      else if (first !== c.lambda.deployRoleArn) {
        ctx.addIssue({
          code: "custom",
          path: ["grantees", i, "lambda", "deployRoleArn"],
          input: c.lambda.deployRoleArn,
          message: `differs from ${first}, the deploy role of another grantee in account ${c.lambda.accountId} and ${c.lambda.region}`,
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

/** The stack names of a shared-bucket environment: itself, or the bucket's half and one per grantee when split. */
export function sharedStackNamesOf(
  name: string,
  config: Pick<SharedEnvironmentConfig, "layout" | "grantees">,
): string[] {
  return config.layout === "split" ? [`${name}-bucket`, ...config.grantees.map((c) => `${name}-${c.name}`)] : [name];
}

/** Every environment name, single-grant and shared-bucket; a name used by both is an error. */
export function allEnvironmentNames(
  single: Readonly<Record<string, unknown>>,
  shared: Readonly<Record<string, unknown>>,
): string[] {
  const both = Object.keys(shared).filter((name) => name in single);
  if (both.length > 0) {
    throw new ConfigurationError(
      both.map((name) => `sharedEnvironments[${JSON.stringify(name)}] is also the name of an environment`),
    );
  }
  return [...Object.keys(single), ...Object.keys(shared)];
}

type ValidEnvironment = z.output<typeof environmentSchema>;
type ValidSharedEnvironment = z.output<typeof sharedEnvironmentSchema>;

/** Where a stack name comes from, for messages. */
interface StackOrigin {
  readonly stack: string;
  readonly field: string;
  readonly what: string;
}

function stackOrigins(
  single: Readonly<Record<string, EnvironmentConfig>>,
  shared: Readonly<Record<string, SharedEnvironmentConfig>>,
): StackOrigin[] {
  const split = (root: string) => `${root}.layout "split"`;
  return [
    ...Object.entries(single).flatMap(([name, env]): StackOrigin[] =>
      env.layout === "split"
        ? [
            { stack: `${name}-lambda`, field: split(`environments.${name}`), what: "the Lambda account's stack" },
            { stack: `${name}-bucket`, field: split(`environments.${name}`), what: "the bucket account's stack" },
          ]
        : [{ stack: name, field: `environments[${JSON.stringify(name)}]`, what: "its stack" }],
    ),
    ...Object.entries(shared).flatMap(([name, env]): StackOrigin[] =>
      env.layout === "split"
        ? [
            { stack: `${name}-bucket`, field: split(`sharedEnvironments.${name}`), what: "the bucket account's stack" },
            ...env.grantees.map((c, i) => ({
              stack: `${name}-${c.name}`,
              field: `sharedEnvironments.${name}.grantees[${i}].name ${JSON.stringify(c.name)}`,
              what: "the grantee's stack",
            })),
          ]
        : [{ stack: name, field: `sharedEnvironments[${JSON.stringify(name)}]`, what: "its stack" }],
    ),
  ];
}

/** Stack names two environments (or an environment and a grantee) would both synthesize: cdktf cannot build both. */
function stackNameProblems(
  single: Readonly<Record<string, EnvironmentConfig>>,
  shared: Readonly<Record<string, SharedEnvironmentConfig>>,
): string[] {
  const seen = new Map<string, StackOrigin>();
  const problems: string[] = [];
  for (const origin of stackOrigins(single, shared)) {
    const earlier = seen.get(origin.stack);
    if (!earlier) seen.set(origin.stack, origin);
    else {
      problems.push(
        `${origin.field} gives the stack ${JSON.stringify(origin.stack)} (${origin.what}), which ${earlier.field} gives too (${earlier.what}): rename one of them`,
      );
    }
  }
  return problems;
}

/** Every environment's state setting and every bucket a grant is on, for stateBucketProblems. */
function stateAndBuckets(
  single: Readonly<Record<string, EnvironmentConfig>>,
  shared: Readonly<Record<string, SharedEnvironmentConfig>>,
): Parameters<typeof stateBucketProblems> {
  const all = [
    ...Object.entries(single).map(([name, env]) => [`environments.${name}`, env] as const),
    ...Object.entries(shared).map(([name, env]) => [`sharedEnvironments.${name}`, env] as const),
  ];
  return [
    all.map(([field, env]) => ({ field: `${field}.state`, state: env.state })),
    all.map(([field, env]) => ({
      field: `${field}.bucket.bucketName`,
      bucketName: env.bucket.bucketName,
      region: env.bucket.region,
    })),
  ];
}

/**
 * The variables a stack adds to a function's environment for its target: path-style S3 addressing on an emulator,
 * which serves S3 path-style only, except for a grantee that goes through an access point, whose requests the SDK
 * sends to the access point's own host name, which path-style addressing cannot express (the handler refuses the two
 * together). The team's own `environment` is written over them.
 */
export function targetVariables(target: (typeof TARGETS)[number], viaAccessPoint: boolean): Record<string, string> {
  return target === "local-emulator" && !viaAccessPoint ? { [HANDLER_ENVIRONMENT.forcePathStyle]: "true" } : {};
}

/**
 * What Lambda or the prebuilt handler would refuse in the environment of each function the environments' stacks
 * create, written as the stacks write it (the target's variables, the team's, then the grant's), before any stack
 * exists: the same check each function's construct runs (see functionEnvironmentProblems).
 */
function functionEnvironmentsProblems(
  single: Readonly<Record<string, ValidEnvironment>>,
  shared: Readonly<Record<string, ValidSharedEnvironment>>,
): string[] {
  const problems: string[] = [];
  for (const [name, env] of Object.entries(single)) {
    if (env.lambda.createFunction === false) continue;
    const plan = planGrant({
      grant: env.grant,
      lambdaAccountId: env.lambda.accountId,
      lambdaRoleArn: lambdaRoleArnOf(env.lambda),
      bucketAccountId: env.bucket.accountId,
      bucketRegion: env.bucket.region,
      bucketName: env.bucket.bucketName,
      keyAlias: env.bucket.keyAlias,
      lambdaRegion: env.lambda.region,
      functionName: env.lambda.functionName,
    });
    const variables = {
      ...targetVariables(env.target, false),
      ...(env.lambda.environment ?? {}),
      ...grantEnvironment(env, plan),
    };
    problems.push(...functionEnvironmentProblems(`environments.${name}.lambda.environment`, variables, true));
  }
  for (const [name, env] of Object.entries(shared)) {
    const { deployRoleArn: _bucketDeployRole, ...bucket } = env.bucket;
    const grantees = env.grantees.map(
      ({ name: grantee, grant, lambda: { deployRoleArn: _deployRole, ...lambda } }) => ({
        name: grantee,
        grant,
        lambda,
      }),
    );
    const plan = collecting(problems, () =>
      planSharedBucket(`sharedEnvironments.${name}`, {
        bucket,
        accessPoints: env.accessPoints,
        alarms: env.alarms,
        grantees,
      }),
    );
    plan?.grantees.forEach((g, i) => {
      if (g.lambda.createFunction === false) return;
      const variables = {
        ...targetVariables(env.target, g.accessPointName !== undefined),
        ...(g.lambda.environment ?? {}),
        ...grantEnvironment({ ...g, bucket }, g.plan),
      };
      problems.push(
        ...functionEnvironmentProblems(`sharedEnvironments.${name}.grantees[${i}].lambda.environment`, variables, true),
      );
    });
  }
  return problems;
}

/** Runs `check`, adding the problems of a ConfigurationError it throws to `problems`. */
function collecting<T>(problems: string[], check: () => T): T | undefined {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}

/** Every environment of an app, validated, and the names they are known by. */
export interface ValidApp {
  readonly environments: Readonly<Record<string, ValidEnvironment>>;
  readonly sharedEnvironments: Readonly<Record<string, ValidSharedEnvironment>>;
  readonly names: readonly string[];
}

/**
 * Validates every environment and what they must not share: an environment name, a stack name, a role, bucket,
 * function, KMS alias or access point (see claims.ts). Throws one ConfigurationError listing every problem found.
 */
export function validateApp(
  environments: Readonly<Record<string, EnvironmentConfig>>,
  sharedEnvironments: Readonly<Record<string, SharedEnvironmentConfig>>,
): ValidApp {
  const problems: string[] = [];
  const single: Record<string, ValidEnvironment> = {};
  for (const name of Object.keys(environments)) {
    const valid = collecting(problems, () => validateEnvironments({ [name]: environments[name] })[name]);
    if (valid) single[name] = valid;
  }
  const shared: Record<string, ValidSharedEnvironment> = {};
  for (const name of Object.keys(sharedEnvironments)) {
    const valid = collecting(problems, () => validateSharedEnvironments({ [name]: sharedEnvironments[name] })[name]);
    if (valid) shared[name] = valid;
  }
  const names = collecting(problems, () => allEnvironmentNames(environments, sharedEnvironments)) ?? [];
  if (problems.length === 0) {
    problems.push(...stackNameProblems(environments, sharedEnvironments));
    problems.push(...stateBucketProblems(...stateAndBuckets(environments, sharedEnvironments)));
    problems.push(...functionEnvironmentsProblems(single, shared));
    problems.push(
      ...claimProblems([
        ...Object.entries(environments).flatMap(([name, env]) => environmentClaims(name, env)),
        ...Object.entries(sharedEnvironments).flatMap(([name, env]) => sharedEnvironmentClaims(name, env)),
      ]),
    );
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return { environments: single, sharedEnvironments: shared, names };
}
