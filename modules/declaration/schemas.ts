/**
 * Every zod schema of the library, in one internal module: the declarations the constructs and the environment config
 * validate, and the checks across their fields. The public types are plain interfaces in the modules that use them
 * (zod stays out of the package's declarations); the assertions at the end keep each schema's output assignable to
 * its interface.
 */
import { parseArn } from "../core/arn";
import { z } from "zod";
import { ACCESS_POINT_CHOICES } from "./access-point-choice";
import type { AccessLoggingSettings } from "./access-logging";
import type { AlarmSettings } from "./alarm-settings";
import type { BucketLifecycleSettings } from "./bucket-lifecycle";
import type { BucketSettings, ExistingResources } from "./bucket-settings";
import {
  ACCESS_MODES,
  ACCESS_PRESETS,
  EVENT_SUFFIX_PATTERN,
  HANDLER_ENVIRONMENT,
  type AccessPreset,
} from "../contract";
import { EVENT_DELIVERIES, PRINCIPAL_STYLES, type GrantDeclaration } from "./grant";
import { queueOverlapProblems, queueRegionProblem } from "./notification-overlap";
import { LAMBDA_RESERVED_VARIABLES, lambdaRoleArnOf, type LambdaSettings } from "./lambda-settings";
import {
  accountRootArn,
  matchesWildcard,
  policyCharacterProblem,
  POLICY_CHARACTERS,
  roleArnParts,
  type PolicyStatement,
} from "../core/policy-document";
import { partitionOf } from "../core/regions";
import {
  accountIdSchema,
  bucketNameSchema,
  externalIdSchema,
  functionNameSchema,
  keyAliasSchema,
  logRetentionSchema,
  prefixSchema,
  regionSchema,
  roleArnSchema,
  roleNameSchema,
  rolePathSchema,
} from "./field-schemas";

/** A whole number in [min, max]; anything else (a string, NaN, Infinity, a fraction) gets the one `message`. */
const wholeNumber = (min: number, max: number, message: string) =>
  z.number({ error: message }).int({ message }).min(min, { message }).max(max, { message });

/** The variables the grant writes into the function's environment: the team's own may not set them. */
const GRANT_VARIABLES: readonly string[] = [
  HANDLER_ENVIRONMENT.bucketName,
  HANDLER_ENVIRONMENT.bucketRegion,
  HANDLER_ENVIRONMENT.accessMode,
  HANDLER_ENVIRONMENT.grantedPrefixes,
  HANDLER_ENVIRONMENT.accessRoleArn,
  HANDLER_ENVIRONMENT.externalId,
  HANDLER_ENVIRONMENT.accessPointArn,
  HANDLER_ENVIRONMENT.eventFilter,
];

/** Settings that only a function this library creates uses. */
const FUNCTION_FIELDS = [
  "functionName",
  "logRetentionDays",
  "memorySize",
  "timeoutSeconds",
  "environment",
  "layers",
  "vpc",
  "reservedConcurrentExecutions",
  "description",
] as const;

/** The fields of the Lambda account's side of a grant, each checked alone (see lambdaSettingsSchema). */
const lambdaSettingsFields = z.strictObject({
  accountId: accountIdSchema,
  region: regionSchema,
  roleName: roleNameSchema.optional(),
  rolePath: rolePathSchema.optional(),
  existingRoleArn: roleArnSchema.optional(),
  createFunction: z.boolean({ error: "must be true or false" }).optional(),
  functionName: functionNameSchema.optional(),
  logRetentionDays: logRetentionSchema.optional(),
  memorySize: wholeNumber(128, 10240, "must be 128-10240 MB").optional(),
  timeoutSeconds: wholeNumber(1, 900, "must be 1-900 seconds").optional(),
  environment: z
    .record(z.string(), z.string({ error: "must be a string" }), {
      error: "must be a map of variable names to strings",
    })
    .optional(),
  layers: z
    .array(
      z
        .string({ error: "must be a string" })
        .regex(/^arn:aws(-cn|-us-gov)?:lambda:[a-z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:\d+$/, {
          message: "is not a Lambda layer version ARN",
        })
        .max(140, { message: "is longer than 140 characters (Lambda's limit for a layer version ARN)" }),
      { error: "must be a list of layer version ARNs" },
    )
    .max(5, { message: "has more than 5 layers (Lambda's limit)" })
    .optional(),
  vpc: z
    .strictObject({
      subnetIds: z
        .array(
          z.string({ error: "must be a string" }).regex(/^subnet-[0-9a-f]{8,17}$/, { message: "is not a subnet ID" }),
        )
        .min(1, { message: "is empty" })
        .max(16, { message: "has more than 16 subnets (Lambda's limit)" }),
      securityGroupIds: z
        .array(
          z
            .string({ error: "must be a string" })
            .regex(/^sg-[0-9a-f]{8,17}$/, { message: "is not a security group ID" }),
        )
        .min(1, { message: "is empty" })
        .max(5, { message: "has more than 5 security groups (Lambda's limit)" }),
    })
    .optional(),
  reservedConcurrentExecutions: wholeNumber(0, 100000, "must be a whole number from 0 to 100000").optional(),
  description: z
    .string({ error: "must be a string" })
    .max(256, { message: "is longer than 256 characters" })
    .optional(),
});

type LambdaFields = z.infer<typeof lambdaSettingsFields>;
/** Reports one problem of a declaration: the field's path, the value found there, and what is wrong with it. */
type Report = (path: Array<string | number>, input: unknown, message: string) => void;

/** A role to create or an existing one of the Lambda account, not both, and a path only for a created one. */
function checkRole(s: LambdaFields, report: Report): void {
  if (s.roleName === undefined && s.existingRoleArn === undefined) {
    report(
      ["roleName"],
      undefined,
      "is required: name the role to create, or give the ARN of an existing one (existingRoleArn)",
    );
  }
  if (s.roleName !== undefined && s.existingRoleArn !== undefined) {
    report(
      ["existingRoleArn"],
      s.existingRoleArn,
      "is given with roleName: name a role to create, or an existing one, not both",
    );
  }
  if (s.existingRoleArn !== undefined) {
    if (s.rolePath !== undefined)
      report(
        ["rolePath"],
        s.rolePath,
        "applies only to a role this library creates (an existing role's path is in its ARN)",
      );
    const { partition, account } = parseArn(s.existingRoleArn) ?? { partition: "", account: "" };
    const expected = partitionOf(s.region).partition;
    if (account !== s.accountId || partition !== expected) {
      report(
        ["existingRoleArn"],
        s.existingRoleArn,
        `is not a role of the Lambda account ${s.accountId} (partition ${expected})`,
      );
    }
  }
}

/** A function's settings only when this library creates the function, and then its name. */
function checkFunctionFields(s: LambdaFields, report: Report): void {
  if (s.createFunction === false) {
    // A function name may still name the team's own function, for a grant's events (see eventSettingsProblems).
    for (const field of FUNCTION_FIELDS.filter((f) => f !== "functionName")) {
      if (s[field] !== undefined)
        report([field], s[field], "applies only to a function this library creates, and createFunction is false");
    }
  } else if (s.functionName === undefined) {
    report(["functionName"], undefined, "is required: name the function to create, or set createFunction to false");
  }
}

/** Lambda attaches only layers of the function's own region (and so of its partition). */
function checkLayers(s: LambdaFields, report: Report): void {
  const { partition } = partitionOf(s.region);
  s.layers?.forEach((layer, i) => {
    const { partition: layerPartition, region: layerRegion } = parseArn(layer) ?? { partition: "", region: "" };
    if (layerPartition !== partition) {
      report(["layers", i], layer, `is in partition ${layerPartition}, not the function's partition ${partition}`);
    } else if (layerRegion !== s.region) {
      report(
        ["layers", i],
        layer,
        `is in region ${layerRegion}, not the function's region ${s.region}: Lambda only attaches layers of the function's own region`,
      );
    }
  });
}

/** Variable names Lambda takes, none the grant writes, none Lambda reserves. */
function checkEnvironment(s: LambdaFields, report: Report): void {
  for (const [name, value] of Object.entries(s.environment ?? {})) {
    // Lambda's pattern for a variable's name: [a-zA-Z]([a-zA-Z0-9_])+
    if (!/^[a-zA-Z][a-zA-Z0-9_]+$/.test(name)) {
      report(
        ["environment", name],
        value,
        "is not an environment variable name (a letter, then at least one more letter, digit or _)",
      );
    }
    if (GRANT_VARIABLES.includes(name))
      report(["environment"], s.environment, `sets ${name}, which the grant writes (see HANDLER_ENVIRONMENT)`);
    if (LAMBDA_RESERVED_VARIABLES.includes(name)) {
      report(
        ["environment", name],
        value,
        "is a variable Lambda reserves: the runtime sets it, and Lambda refuses a function configuration that sets it",
      );
    }
  }
}

/**
 * The Lambda account's side of a grant as data (shared with the environment config, and all the bucket account's half
 * needs of it): where the grantee is, its role, and the function this library creates for it.
 */
export const lambdaSettingsSchema = lambdaSettingsFields.superRefine((s, ctx) => {
  const report: Report = (path, input, message) => ctx.addIssue({ code: "custom", path, input, message });
  checkRole(s, report);
  checkFunctionFields(s, report);
  checkLayers(s, report);
  checkEnvironment(s, report);
});

/** Every string in a JSON-like value (keys included), with where it is. */
function stringsOf(
  value: unknown,
  path: Array<string | number> = [],
): Array<{ path: Array<string | number>; text: string }> {
  if (typeof value === "string") return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsOf(v, [...path, i]));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => [{ path: [...path, k], text: k }, ...stringsOf(v, [...path, k])]);
  }
  return [];
}

/**
 * A statement of an existing policy: its Sid and Effect are checked here, and that it holds only characters a policy
 * document may hold; the rest is kept as given.
 */
const statementSchema = z
  .looseObject({
    // Bucket and key policies take any text as a Sid (KMS's default key policy says "Enable IAM User Permissions");
    // its characters are checked below with every other string of the statement.
    Sid: z.string({ error: "must be a string" }).optional(),
    Effect: z.enum(["Allow", "Deny"], { error: "is not Allow or Deny" }),
  })
  .superRefine((statement, ctx) => {
    for (const { path, text } of stringsOf(statement)) {
      const problem = policyCharacterProblem(text);
      if (problem) {
        ctx.addIssue({
          code: "custom",
          path,
          input: text,
          message: `contains ${problem}, which a policy document may not hold (allowed: ${POLICY_CHARACTERS})`,
        });
      }
    }
  })
  .transform((statement) => statement as unknown as PolicyStatement);

/** The bucket and key a grant attaches to, with the statements their policies hold today. */
/** One entry of an existing bucket's notification configuration, whose destination is a `service` ARN. */
const notificationEntrySchema = (service: "sqs" | "sns" | "lambda") =>
  z.strictObject({
    id: z
      .string({ error: "must be a string" })
      .min(1)
      .max(255, { message: "is longer than 255 characters" })
      .optional(),
    arn: z
      .string({ error: "must be a string" })
      .regex(new RegExp(`^arn:aws(-cn|-us-gov)?:${service}:[a-z0-9-]+:\\d{12}:\\S+$`), {
        message: `is not ${service === "sqs" ? "an SQS queue" : service === "sns" ? "an SNS topic" : "a Lambda function"} ARN`,
      }),
    events: z
      .array(
        z.string({ error: "must be a string" }).regex(/^s3:[A-Za-z]+(:[A-Za-z*]+)?$/, {
          message: "is not an S3 event name (e.g. s3:ObjectCreated:*)",
        }),
      )
      .min(1, { message: "is empty: an entry names at least one event" }),
    filterPrefix: z.string({ error: "must be a string" }).max(1024).optional(),
    filterSuffix: z.string({ error: "must be a string" }).max(1024).optional(),
  });

/** An existing bucket's notification configuration as it is today (ExistingNotification). */
const existingNotificationSchema = z.strictObject({
  eventBridge: z.boolean({ error: "must be true or false" }).optional(),
  queues: z.array(notificationEntrySchema("sqs"), { error: "must be a list of entries" }).optional(),
  topics: z.array(notificationEntrySchema("sns"), { error: "must be a list of entries" }).optional(),
  lambdaFunctions: z.array(notificationEntrySchema("lambda"), { error: "must be a list of entries" }).optional(),
});

export const existingResourcesSchema = z.strictObject({
  /** ARN of the key that encrypts the bucket; `keyAlias` must name an alias of it. */
  keyArn: z
    .string({ error: "must be a string" })
    .regex(/^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:key\/(mrk-)?[0-9a-f-]{32,36}$/, {
      message: "is not a KMS key ARN",
    }),
  /** Every statement of the bucket's current policy ([] when it has none). */
  bucketPolicyStatements: z.array(statementSchema, {
    error: "must be the list of the bucket policy's current statements ([] for none)",
  }),
  /** Every statement of the key's current policy: a key policy is replaced whole, and one without them locks the key. */
  keyPolicyStatements: z
    .array(statementSchema, { error: "must be the list of the key policy's current statements" })
    .min(1, { message: "is empty: give the key policy's current statements (a key policy is replaced whole)" }),
  notification: existingNotificationSchema.optional(),
});

/** Server access logging of a bucket this library creates (AccessLoggingSettings). */
export const accessLoggingSettingsSchema = z
  .strictObject({
    enabled: z.boolean({ error: "must be true or false" }).optional(),
    bucketName: bucketNameSchema.optional(),
    retentionDays: wholeNumber(1, 36500, "must be a whole number of days from 1 to 36500").optional(),
    versioning: z.boolean({ error: "must be true or false" }).optional(),
    existingTargetBucket: bucketNameSchema.optional(),
    prefix: prefixSchema.optional(),
  })
  .superRefine((s, ctx) => {
    const issue = (path: string, input: unknown, message: string) =>
      ctx.addIssue({ code: "custom", path: [path], input, message });
    for (const field of ["bucketName", "retentionDays", "versioning", "existingTargetBucket", "prefix"] as const) {
      if (s.enabled === false && s[field] !== undefined)
        issue(field, s[field], "applies only while access logging is on, and enabled is false");
    }
    if (s.existingTargetBucket !== undefined) {
      for (const field of ["bucketName", "retentionDays", "versioning"] as const) {
        if (s[field] !== undefined)
          issue(
            field,
            s[field],
            "applies only to a log bucket this library creates, and existingTargetBucket names one managed elsewhere",
          );
      }
    }
  });

/** The lifecycle of a bucket this library creates (BucketLifecycleSettings). */
export const bucketLifecycleSchema = z.strictObject({
  abortIncompleteMultipartUploadDays: wholeNumber(1, 365, "must be a whole number of days from 1 to 365").optional(),
  noncurrentVersionExpirationDays: wholeNumber(1, 36500, "must be a whole number of days from 1 to 36500").optional(),
});

/** The data settings of the bucket side (account B); shared with the environment config. */
export const bucketSettingsSchema = z
  .strictObject({
    accountId: accountIdSchema,
    region: regionSchema,
    bucketName: bucketNameSchema,
    keyAlias: keyAliasSchema,
    forceDestroy: z.boolean({ error: "must be true or false" }).optional(),
    accessLogging: accessLoggingSettingsSchema.optional(),
    lifecycle: bucketLifecycleSchema.optional(),
    /**
     * The bucket and its key exist and are managed elsewhere: only their policies are written, with the statements
     * they hold today kept (see existing-resources.ts). `keyAlias` must name an alias of the existing key.
     */
    existing: existingResourcesSchema.optional(),
  })
  .superRefine((b, ctx) => {
    accessLoggingProblems(b, ctx);
    if (!b.existing) return;
    if (b.forceDestroy !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["forceDestroy"],
        input: b.forceDestroy,
        message: "applies only to a bucket this stack creates, not to an existing one",
      });
    }
    if (b.lifecycle !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["lifecycle"],
        input: b.lifecycle,
        message: "applies only to a bucket this stack creates: an existing bucket's lifecycle is its owner's",
      });
    }
    const { partition, region, account } = parseArn(b.existing.keyArn) ?? { partition: "", region: "", account: "" };
    const wellFormed = existingResourcesSchema.shape.keyArn.safeParse(b.existing.keyArn).success;
    if (
      wellFormed &&
      (account !== b.accountId || region !== b.region || partition !== partitionOf(b.region).partition)
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["existing", "keyArn"],
        input: b.existing.keyArn,
        message: `is not a key of the bucket's account and region (${b.accountId}, ${b.region}, partition ${partitionOf(b.region).partition})`,
      });
    }
    // An empty list is already refused by the schema; the lockout is about the statements given.
    const lockout =
      b.existing.keyPolicyStatements.length === 0
        ? undefined
        : keyLockoutProblem(b.existing.keyPolicyStatements, partitionOf(b.region).partition, b.accountId);
    if (lockout)
      ctx.addIssue({
        code: "custom",
        path: ["existing", "keyPolicyStatements"],
        input: b.existing.keyPolicyStatements,
        message: lockout,
      });
  });

/**
 * Access logging across the bucket side's fields: never for an existing bucket (the library would take over the
 * owner's logging setting, and destroy would turn it off), and never into the bucket itself (each delivery would be
 * logged in turn).
 */
function accessLoggingProblems(
  b: {
    readonly bucketName: string;
    readonly existing?: unknown;
    readonly accessLogging?:
      | {
          readonly enabled?: boolean | undefined;
          readonly bucketName?: string | undefined;
          readonly existingTargetBucket?: string | undefined;
        }
      | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  const logging = b.accessLogging;
  if (logging === undefined) return;
  const onlyOff =
    logging.enabled === false &&
    Object.entries(logging).every(([field, value]) => field === "enabled" || value === undefined);
  if (b.existing !== undefined && !onlyOff) {
    ctx.addIssue({
      code: "custom",
      path: ["accessLogging"],
      input: logging,
      message:
        "applies only to a bucket this stack creates: an existing bucket's logging is its owner's (leave accessLogging out; it is off there)",
    });
    return;
  }
  for (const field of ["bucketName", "existingTargetBucket"] as const) {
    if (logging[field] === b.bucketName) {
      ctx.addIssue({
        code: "custom",
        path: ["accessLogging", field],
        input: logging[field],
        message: "is the bucket itself: S3 would log each delivery of its own logs; name another bucket",
      });
    }
  }
}

/**
 * KMS refuses a key policy that would lock its account out (PutKeyPolicy's lockout safety check), and a key whose
 * policy no longer lets its account administer it can only be recovered through AWS Support. Since the key policy
 * is written whole, the existing statements must keep an unconditioned Allow of kms:PutKeyPolicy for the bucket
 * account's root (which delegates key administration to the account's IAM, the deploy role included), and no Deny
 * may take it away.
 */
function keyLockoutProblem(
  statements: readonly PolicyStatement[],
  partition: string,
  accountId: string,
): string | undefined {
  const root = accountRootArn(partition, accountId);
  const namesRoot = (s: PolicyStatement, orAnyone: boolean) => {
    const principals = s.Principal === "*" ? ["*"] : ([] as string[]).concat(s.Principal?.AWS ?? []);
    return principals.some((p) => p === root || p === accountId || (orAnyone && p === "*"));
  };
  const putKeyPolicy = (s: PolicyStatement) =>
    ([] as string[]).concat(s.Action ?? []).some((a) => matchesWildcard(a, "kms:PutKeyPolicy", true));
  const administers = statements.some(
    (s) => s.Effect === "Allow" && s.Condition === undefined && namesRoot(s, false) && putKeyPolicy(s),
  );
  const denied = statements.find(
    (s) => s.Effect === "Deny" && s.Condition === undefined && namesRoot(s, true) && putKeyPolicy(s),
  );
  if (administers && !denied) return undefined;
  return (
    `${denied ? `denies kms:PutKeyPolicy to the bucket account (statement ${denied.Sid ?? "without Sid"})` : `has no statement letting the bucket account (${root}) administer the key`}: ` +
    `KMS refuses a key policy that locks out its own account; keep an Allow of kms:* (or kms:PutKeyPolicy) for ${root} without conditions`
  );
}

/**
 * Refuses a grant whose two sides are in different partitions (aws, aws-cn, aws-us-gov): no IAM principal of one
 * partition can be granted access in another. Shared by the constructs and the environment config.
 */
export function partitionProblem(lambdaRegion: string, bucketRegion: string): string | undefined {
  const [lambda, bucket] = [partitionOf(lambdaRegion).partition, partitionOf(bucketRegion).partition];
  return lambda === bucket
    ? undefined
    : `is in partition ${bucket}, the Lambda function's region ${lambdaRegion} in partition ${lambda}: ` +
        "a role of one partition cannot be granted access in another (put both sides in one partition)";
}

/** Refuses a grant whose two sides are the same account; shared by the constructs and the environment config. */
export function sameAccountProblem(lambdaAccountId: string, bucketAccountId: string): string | undefined {
  return lambdaAccountId === bucketAccountId
    ? `is ${bucketAccountId}, the same account as lambda.accountId: this module wires cross-account access ` +
        "(for one account, give the role an identity policy and leave the bucket policy alone)"
    : undefined;
}

/** Which new objects invoke the grantee's function (EventDeclaration). */
const eventsSchema = z.strictObject(
  {
    delivery: z
      .enum(EVENT_DELIVERIES, { error: `is not an event delivery (${EVENT_DELIVERIES.join(", ")})` })
      .optional(),
    prefixes: z
      .array(prefixSchema, { error: "must be a list of key prefixes" })
      .min(1, { message: "is empty: name the prefixes whose new objects invoke the function, or leave events out" }),
    suffix: z
      .string({ error: "must be a string" })
      .regex(EVENT_SUFFIX_PATTERN, {
        message: "is not a key suffix (1-255 of S3's safe key characters: letters, digits and !-_.'())",
      })
      .optional(),
    removed: z.boolean({ error: "must be true or false" }).optional(),
  },
  { error: "must be { prefixes, suffix?, removed?, delivery? }" },
);

export const grantSchema = z
  .strictObject({
    mode: z.enum(ACCESS_MODES, { error: `is not an access mode (${ACCESS_MODES.join(", ")})` }),
    prefixes: z
      .array(
        z.strictObject({
          prefix: prefixSchema,
          access: z.enum(ACCESS_PRESETS, { error: `is not an access preset (${ACCESS_PRESETS.join(", ")})` }),
          delete: z.boolean({ error: "must be true or false" }).optional(),
        }),
        { error: "must be a list of { prefix, access, delete? }" },
      )
      .min(1, { message: "is empty: a grant needs at least one prefix" }),
    accessRoleName: roleNameSchema.optional(),
    accessRolePath: rolePathSchema.optional(),
    externalId: externalIdSchema.optional(),
    principalStyle: z
      .enum(PRINCIPAL_STYLES, { error: `is not a principal style (${PRINCIPAL_STYLES.join(", ")})` })
      .optional(),
    principalOrgId: z
      .string({ error: "must be a string" })
      .regex(/^o-[a-z0-9]{10,32}$/, {
        message: "is not an AWS Organization ID (o- and 10-32 lowercase letters or digits)",
      })
      .optional(),
    sourceVpce: z
      .array(
        z.string({ error: "must be a string" }).regex(/^vpce-[0-9a-f]{8}([0-9a-f]{9})?$/, {
          message: "is not a VPC endpoint ID (vpce- and 8 or 17 hex digits)",
        }),
        { error: "must be a list of VPC endpoint IDs" },
      )
      .min(1, { message: "is empty: name at least one VPC endpoint, or leave sourceVpce out" })
      .optional(),
    events: eventsSchema.optional(),
  })
  .superRefine((grant, ctx) => {
    if (grant.mode === "assume-role" && grant.accessRoleName === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["accessRoleName"],
        input: grant.accessRoleName,
        message: "is required in assume-role mode: name the S3 access role to create in the bucket account",
      });
    }
    if (grant.mode === "bucket-policy") {
      for (const field of ["accessRoleName", "accessRolePath", "externalId"] as const) {
        if (grant[field] !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: [field],
            input: grant[field],
            message: 'is only used in assume-role mode; remove it or set mode "assume-role"',
          });
        }
      }
    }
    const seen = new Set<string>();
    grant.prefixes.forEach((p, i) => {
      if (seen.has(p.prefix)) {
        ctx.addIssue({
          code: "custom",
          path: ["prefixes", i, "prefix"],
          input: p.prefix,
          message: "is granted twice; merge the two entries",
        });
      }
      seen.add(p.prefix);
    });
    for (const problem of overlapProblems(grant.prefixes)) ctx.addIssue({ code: "custom", ...problem });
    for (const problem of eventPrefixProblems(grant)) ctx.addIssue({ code: "custom", ...problem });
  });

/**
 * Event prefixes the grantee could not read the objects of (none of the grant's `read` or `readWrite` prefixes holds
 * them), and event prefixes given twice or under another one (the pattern would match those keys twice over).
 */
function eventPrefixProblems(
  grant: Pick<GrantDeclaration, "prefixes" | "events">,
): Array<{ path: Array<string | number>; input: string; message: string }> {
  const events = grant.events?.prefixes ?? [];
  const readable = grant.prefixes.filter((p) => p.access === "read" || p.access === "readWrite").map((p) => p.prefix);
  return events.flatMap((prefix, i) => {
    const path = ["events", "prefixes", i];
    const outer = events.findIndex((other, j) => j !== i && prefix.startsWith(other) && (other !== prefix || j < i));
    if (outer >= 0)
      return [
        {
          path,
          input: prefix,
          message:
            events[outer] === prefix
              ? `is given twice (also events.prefixes[${outer}]): give each prefix once`
              : `lies under events.prefixes[${outer}] ${JSON.stringify(events[outer])}: give each prefix once`,
        },
      ];
    if (readable.some((r) => prefix.startsWith(r))) return [];
    const readableText = readable.length > 0 ? readable.map((r) => JSON.stringify(r)).join(", ") : "none";
    return [
      {
        path,
        input: prefix,
        message: `lies under no prefix the grant lets the grantee read (readable: ${readableText}): the function could not read the objects it is told of; grant read on it, or name a readable prefix`,
      },
    ];
  });
}

/** What one prefix entry lets the grantee do: read (get, list), write (upload) and delete. */
function permissionsOf(p: {
  readonly access: AccessPreset;
  readonly delete?: boolean | undefined;
}): Set<"read" | "write" | "delete"> {
  const reads = p.access === "read" || p.access === "readWrite";
  const writes = p.access === "write" || p.access === "readWrite";
  return new Set([
    ...(reads ? (["read"] as const) : []),
    ...(writes ? (["write"] as const) : []),
    ...(p.delete ? (["delete"] as const) : []),
  ]);
}

/** A set of permissions as a grant would declare it: `readWrite + delete`, `read`, `delete only`. */
function describePermissions(permissions: ReadonlySet<string>): string {
  const access =
    permissions.has("read") && permissions.has("write")
      ? "readWrite"
      : permissions.has("read")
        ? "read"
        : permissions.has("write")
          ? "write"
          : "";
  return permissions.has("delete") ? (access ? `${access} + delete` : "delete only") : access;
}

/**
 * Entries whose prefix lies under another entry's that grants more. IAM allows the union of every statement that
 * matches a key, so under `a/b/` a grant of `a/` readWrite and `a/b/` read would let the grantee write: the
 * declaration would say less than AWS grants. An inner prefix that grants more than its outer one is exact (the outer
 * prefix's access plus the inner one's extra) and is accepted.
 */
function overlapProblems(
  prefixes: ReadonlyArray<{
    readonly prefix: string;
    readonly access: AccessPreset;
    readonly delete?: boolean | undefined;
  }>,
): Array<{ path: Array<string | number>; input: string; message: string }> {
  return prefixes.flatMap((inner, j) => {
    const declared = permissionsOf(inner);
    const outers = prefixes
      .map((outer, i) => ({ outer, i }))
      .filter(({ outer, i }) => i !== j && outer.prefix !== inner.prefix && inner.prefix.startsWith(outer.prefix));
    const union = new Set([...declared, ...outers.flatMap(({ outer }) => [...permissionsOf(outer)])]);
    if (union.size === declared.size) return [];
    const wider = outers.filter(({ outer }) => [...permissionsOf(outer)].some((p) => !declared.has(p)));
    const under = wider
      .map(
        ({ outer, i }) =>
          `prefixes[${i}].prefix ${JSON.stringify(outer.prefix)} (${describePermissions(permissionsOf(outer))})`,
      )
      .join(" and ");
    return [
      {
        path: ["prefixes", j, "prefix"],
        input: inner.prefix,
        message:
          `(${describePermissions(declared)}) lies under ${under}: IAM grants the union, so keys under ${JSON.stringify(inner.prefix)} ` +
          `would be ${describePermissions(union)}, not ${describePermissions(declared)}; give the entries the same access, or prefixes that do not overlap`,
      },
    ];
  });
}

/**
 * A grantee's name; it also names the grantee's access point, so S3's access point naming rules apply: 3-50
 * lowercase letters, digits and hyphens, beginning and ending with a letter or digit, and not ending with -s3alias or
 * -ext-s3alias (reserved for access point aliases).
 */
export const granteeNameSchema = z
  .string({ error: "must be a string" })
  .regex(/^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$/, {
    message:
      "is not a grantee name (3-50 lowercase letters, digits and hyphens; it also names the grantee's access point)",
  })
  .refine((name) => !/-(ext-)?s3alias$/.test(name), {
    message:
      "is not a grantee name: it names the grantee's access point, and access point names must not end with -s3alias or -ext-s3alias",
  });

interface GranteeFields {
  readonly name: string;
  readonly lambda: Parameters<typeof lambdaRoleArnOf>[0] & {
    readonly functionName?: string | undefined;
    readonly createFunction?: boolean | undefined;
  };
  readonly grant: { readonly accessRoleName?: string | undefined; readonly events?: unknown };
}

/**
 * A grant with events whose sides cannot carry them: no function to invoke (the events' target is the function
 * `lambda.functionName` names), or an existing bucket without its notification entries (S3 replaces the
 * configuration whole); and, without events, a function name that names nothing (no function is created). Each
 * problem's path is relative to the declaration's root.
 */
export function eventSettingsProblems(
  lambda: {
    readonly functionName?: string | undefined;
    readonly createFunction?: boolean | undefined;
    readonly region?: string | undefined;
  },
  bucket: { readonly existing?: unknown; readonly region?: string | undefined },
  grant: { readonly events?: unknown },
  at: (...rest: Array<string | number>) => Array<string | number> = (...rest) => rest,
): Array<{ code: "custom"; path: Array<string | number>; input: unknown; message: string }> {
  if (grant.events === undefined) {
    return lambda.createFunction === false && lambda.functionName !== undefined
      ? [
          {
            code: "custom" as const,
            path: at("lambda", "functionName"),
            input: lambda.functionName,
            message:
              "applies only to a function this library creates, or to the team's own function a grant's events invoke (grant.events), and createFunction is false with no events",
          },
        ]
      : [];
  }
  return [
    ...(lambda.functionName === undefined
      ? [
          {
            code: "custom" as const,
            path: at("lambda", "functionName"),
            input: undefined,
            message: "is required with grant.events: the events invoke the function it names",
          },
        ]
      : []),
    ...(bucket.existing !== undefined && (bucket.existing as { notification?: unknown }).notification === undefined
      ? [
          {
            code: "custom" as const,
            path: at("grant", "events"),
            input: grant.events,
            message:
              "on an existing bucket needs bucket.existing.notification: S3 keeps one notification configuration per bucket and a grant with events replaces it whole, so give the entries it holds today ({} when it has none)",
          },
        ]
      : []),
    ...queueRegionProblem(
      grant.events as Parameters<typeof queueRegionProblem>[0],
      lambda.region,
      bucket.region,
      at("grant", "events", "delivery"),
    ),
  ];
}

/** The SQS grants' notification entries that overlap each other's or the existing bucket's (see queueOverlapProblems). */
export function checkQueueOverlaps(
  grants: ReadonlyArray<{ readonly events?: unknown; readonly path: Array<string | number> }>,
  bucket: { readonly existing?: unknown },
  ctx: z.RefinementCtx,
): void {
  type Grants = Parameters<typeof queueOverlapProblems>[0];
  const existing = (bucket.existing as { notification?: Parameters<typeof queueOverlapProblems>[1] } | undefined)
    ?.notification;
  for (const issue of queueOverlapProblems(grants as Grants, existing)) ctx.addIssue(issue);
}

/**
 * The checks across grantees, shared with the environment config: unique names, roles, functions and access roles,
 * and no grantee in the bucket's own account.
 */
export function checkGrantees(
  grantees: readonly GranteeFields[],
  bucket: { readonly accountId: string; readonly region: string; readonly existing?: unknown },
  ctx: z.RefinementCtx,
): void {
  const seen = new Map<string, number>();
  const once = (
    what: string,
    value: string,
    path: Array<string | number>,
    i: number,
    message: (j: number) => string,
  ) => {
    const key = `${what}\n${value}`;
    const j = seen.get(key);
    if (j === undefined) seen.set(key, i);
    else ctx.addIssue({ code: "custom", path, input: value, message: message(j) });
  };
  grantees.forEach((c, i) => {
    const at = (...rest: Array<string | number>) => ["grantees", i, ...rest];
    once("name", c.name, at("name"), i, (j) => `is also the name of grantees[${j}]: grantee names must be unique`);
    // IAM role names are case-insensitive: Reader and reader are one role.
    const role = c.lambda.roleName !== undefined ? at("lambda", "roleName") : at("lambda", "existingRoleArn");
    once(
      "role",
      `${c.lambda.accountId}/${roleArnParts(lambdaRoleArnOf(c.lambda)).name.toLowerCase()}`,
      role,
      i,
      (j) =>
        `is also the role of grantees[${j}] in account ${c.lambda.accountId} (IAM role names are case-insensitive): give each grantee its own role`,
    );
    if (c.lambda.functionName !== undefined) {
      once(
        "function",
        `${c.lambda.accountId}/${c.lambda.region}/${c.lambda.functionName}`,
        at("lambda", "functionName"),
        i,
        (j) => `is also the function of grantees[${j}] in the same account and region`,
      );
    }
    if (c.grant.accessRoleName !== undefined) {
      once(
        "access role",
        c.grant.accessRoleName.toLowerCase(),
        at("grant", "accessRoleName"),
        i,
        (j) =>
          `is also the access role of grantees[${j}] (IAM role names are case-insensitive): each grantee needs its own access role`,
      );
    }
    for (const issue of eventSettingsProblems(c.lambda, bucket, c.grant, at)) ctx.addIssue(issue);
    const same = sameAccountProblem(c.lambda.accountId, bucket.accountId);
    if (same)
      ctx.addIssue({
        code: "custom",
        path: at("lambda", "accountId"),
        input: c.lambda.accountId,
        message: `is the bucket's account ${bucket.accountId}: this module wires cross-account access`,
      });
    const partition = partitionProblem(c.lambda.region, bucket.region);
    if (partition) {
      ctx.addIssue({
        code: "custom",
        path: at("lambda", "region"),
        input: c.lambda.region,
        message: `is in partition ${partitionOf(c.lambda.region).partition}, the bucket's region ${bucket.region} in ${partitionOf(bucket.region).partition}: a role of one partition cannot be granted access in another`,
      });
    }
  });
  const grants = grantees.map((c, i) => ({ events: c.grant.events, path: ["grantees", i, "grant", "events"] }));
  checkQueueOverlaps(grants, bucket, ctx);
}

export const accessPointChoiceSchema = z.enum(ACCESS_POINT_CHOICES, {
  error: `is not an access point choice (${ACCESS_POINT_CHOICES.join(", ")})`,
});

export const granteeSchema = z.strictObject({
  name: granteeNameSchema,
  lambda: lambdaSettingsSchema,
  grant: grantSchema,
});

export const sharedBucketSchema = z
  .strictObject({
    bucket: bucketSettingsSchema,
    accessPoints: accessPointChoiceSchema.optional(),
    grantees: z
      .array(granteeSchema, { error: "must be a list of { name, lambda, grant }" })
      .min(1, { message: "is empty: a shared bucket needs at least one grantee" }),
  })
  .superRefine((s, ctx) => checkGrantees(s.grantees, s.bucket, ctx));

export const crossAccountSettingsSchema = z
  .object({ lambda: lambdaSettingsSchema, bucket: bucketSettingsSchema, grant: grantSchema })
  .superRefine((s, ctx) => {
    const problem = sameAccountProblem(s.lambda.accountId, s.bucket.accountId);
    if (problem)
      ctx.addIssue({ code: "custom", path: ["bucket", "accountId"], input: s.bucket.accountId, message: problem });
    for (const issue of eventSettingsProblems(s.lambda, s.bucket, s.grant)) ctx.addIssue(issue);
    checkQueueOverlaps([{ events: s.grant.events, path: ["grant", "events"] }], s.bucket, ctx);
    const partition = partitionProblem(s.lambda.region, s.bucket.region);
    if (partition)
      ctx.addIssue({ code: "custom", path: ["bucket", "region"], input: s.bucket.region, message: partition });
  });

/** A schema's output is assignable to the interface the constructs take (a compile-time check; nothing runs). */
type OutputFits<S extends z.ZodType, T> = z.output<S> extends T ? true : never;
export type SchemaOutputsFitTheirInterfaces = [
  OutputFits<typeof lambdaSettingsSchema, LambdaSettings>,
  OutputFits<typeof existingResourcesSchema, ExistingResources>,
  OutputFits<typeof bucketSettingsSchema, BucketSettings>,
  OutputFits<typeof grantSchema, GrantDeclaration>,
  OutputFits<typeof alarmSettingsSchema, AlarmSettings>,
  OutputFits<typeof accessLoggingSettingsSchema, AccessLoggingSettings>,
  OutputFits<typeof bucketLifecycleSchema, BucketLifecycleSettings>,
];

/**
 * An SNS topic ARN as an alarm action takes it: a standard topic (CloudWatch alarms cannot notify a FIFO topic). Its
 * account and region are checked against the half that uses it (see alarm-settings.ts).
 */
export const alarmTopicArnSchema = z
  .string({ error: "must be a string" })
  .regex(/^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, {
    message:
      "is not an SNS topic ARN (arn:aws:sns:<region>:<12-digit account>:<topic name>, a standard topic: alarms cannot notify a FIFO topic)",
  });

/** The alarms of a grant: the switch, and the topic each account's alarms notify, by account ID. */
export const alarmSettingsSchema = z.strictObject({
  enabled: z.boolean({ error: "must be true or false" }).optional(),
  topicArns: z
    .record(accountIdSchema, alarmTopicArnSchema, { error: "must be a map of account IDs to SNS topic ARNs" })
    .optional(),
});

/** SecureBucket's settings. */
export const secureBucketSettingsSchema = z
  .object({
    bucketName: bucketNameSchema,
    region: regionSchema,
    lifecycle: bucketLifecycleSchema.optional(),
    accessLogs: z.object({ targetBucket: bucketNameSchema, targetPrefix: prefixSchema }).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.accessLogs?.targetBucket === b.bucketName) {
      ctx.addIssue({
        code: "custom",
        path: ["accessLogs", "targetBucket"],
        input: b.accessLogs.targetBucket,
        message: "is the bucket itself: S3 would log each delivery of its own logs; name another bucket",
      });
    }
  });

/** AccessLogBucket's settings. */
export const accessLogBucketSettingsSchema = z.object({
  bucketName: bucketNameSchema,
  region: regionSchema,
  accountId: accountIdSchema,
  retentionDays: wholeNumber(1, 36500, "must be a whole number of days from 1 to 36500"),
  sources: z
    .array(z.object({ bucketName: bucketNameSchema, prefix: prefixSchema }), {
      error: "must be a list of { bucketName, prefix }",
    })
    .min(1, { message: "is empty: a log bucket needs the bucket whose logs it receives" }),
});

/** BucketKey's settings. */
export const bucketKeySettingsSchema = z.object({
  accountId: accountIdSchema,
  region: regionSchema,
  alias: keyAliasSchema,
  deletionWindowInDays: z
    .number()
    .int()
    .min(7, { message: "must be 7-30 days" })
    .max(30, { message: "must be 7-30 days" })
    .optional(),
});

export { roleNameSchema, rolePathSchema } from "./field-schemas";
