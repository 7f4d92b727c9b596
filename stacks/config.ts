/** The typed, validated shape of an environment: both accounts, how each is reached, and the grant. */
import { z } from "zod";
import {
  bucketSettingsSchema,
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

export const environmentSchema = z
  .strictObject({
    /** `aws` deploys to real accounts; `local-emulator` to an AWS emulator reached through AWS_ENDPOINT_URL. */
    target: z.enum(TARGETS, { error: `is not a target (${TARGETS.join(", ")})` }),
    layout: z.enum(LAYOUTS, { error: `is not a layout (${LAYOUTS.join(", ")})` }).optional(),
    lambda: lambdaSettingsSchema.extend(deployRole),
    bucket: bucketSettingsSchema.safeExtend(deployRole),
    grant: grantSchema,
  })
  .superRefine((env, ctx) => {
    const same = sameAccountProblem(env.lambda.accountId, env.bucket.accountId);
    if (same) ctx.addIssue({ code: "custom", path: ["bucket", "accountId"], input: env.bucket.accountId, message: same });
    for (const side of ["lambda", "bucket"] as const) {
      const arn = env[side].deployRoleArn;
      const account = arn.split(":")[4];
      if (account !== env[side].accountId) {
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
