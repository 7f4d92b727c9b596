/**
 * Many consumers on one bucket. Every consumer is an ordinary grant (its own account, role, prefixes and preset);
 * what they share is the bucket account's side, whose policies AWS caps in size: a bucket policy at 20,480 characters,
 * a key policy at 32,768. `planSharedBucket` plans every consumer's grant, merges the resource-policy statements that
 * differ only in whom they name into one statement with a principal list, and measures each policy against its limit:
 *
 * - bucket policy: when the merged grants do not fit (or `accessPoints: "always"`), every consumer gets an S3 access
 *   point of its own whose policy carries its grant, and the bucket policy only delegates to the bucket account's own
 *   access points (`s3:DataAccessPointAccount`), a statement whose size does not grow with the consumers;
 * - key policy: the grantees are named role by role while that fits; past the limit they are named by account (the
 *   key then trusts each consumer account's IAM to pick its roles, the standard cross-account KMS delegation, while
 *   the bucket or access point policies still name every role);
 * - whatever still cannot fit is a synth error naming the policy and by how much.
 */
import { Construct, type ITerraformDependable, type TerraformProvider } from "./cdktf";
import { libraryConstruct } from "./compatibility";
import { z } from "zod";
import { unique } from "./actions";
import {
  accessPointPolicy,
  addBucketSide,
  bucketPolicyDocument,
  partitionProblem,
  bucketSettingsSchema,
  keyPolicyDocument,
  sameAccountProblem,
  type BucketHalf,
  type BucketSettings,
  type BucketSide,
  type ValidBucketSettings,
} from "./bucket-side";
import { grantSchema, planGrant, type GrantDeclaration, type GrantPlan } from "./grant";
import { addLambdaHalf, checkCode, type LambdaSettings, type LambdaSide } from "./lambda-half";
import { lambdaSettingsSchema, type LambdaConsumer } from "./lambda-consumer";
import { grantRoleBudget, KEY_ARN_PLACEHOLDER, overBudget, policySize, POLICY_LIMITS, type BudgetedPolicy } from "./policy-budget";
import { accountRootArn, bucketArn, type PolicyStatement } from "./policy-document";
import { ConfigurationError, parseOrThrow, partitionOf } from "./schema";

export const ACCESS_POINT_CHOICES = ["auto", "always", "never"] as const;
/**
 * `auto`: access points only when the merged grants do not fit the bucket policy. `always`: every consumer through
 * its access point. `never`: the bucket policy only; over its limit is an error.
 */
export type AccessPointChoice = (typeof ACCESS_POINT_CHOICES)[number];

/**
 * A consumer's name; it also names the consumer's access point, so S3's access point naming rules apply: 3-50
 * lowercase letters, digits and hyphens, beginning and ending with a letter or digit, and not ending with -s3alias or
 * -ext-s3alias (reserved for access point aliases).
 */
export const consumerNameSchema = z
  .string({ error: "must be a string" })
  .regex(/^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$/, {
    message: "is not a consumer name (3-50 lowercase letters, digits and hyphens; it also names the consumer's access point)",
  })
  .refine((name) => !/-(ext-)?s3alias$/.test(name), {
    message: "is not a consumer name: it names the consumer's access point, and access point names must not end with -s3alias or -ext-s3alias",
  });

/** One consumer of a shared bucket: a Lambda function in its account, and its grant. */
export interface ConsumerDeclaration<L = LambdaSettings> {
  /** Unique among the bucket's consumers; names the consumer's access point and its Terraform resources. */
  readonly name: string;
  readonly lambda: L;
  readonly grant: GrantDeclaration;
}

/** Many consumers' grants on one bucket (account B). */
export interface SharedBucketDeclaration<L = LambdaSettings> {
  readonly bucket: BucketSettings;
  readonly consumers: ReadonlyArray<ConsumerDeclaration<L>>;
  /** @default "auto" */
  readonly accessPoints?: AccessPointChoice;
  /**
   * Where the declaration comes from in your configuration (e.g. `sharedEnvironments.lake`): error messages name its
   * fields from there.
   * @default the construct's id
   */
  readonly configPath?: string;
}

interface ConsumerFields {
  readonly name: string;
  readonly lambda: { readonly accountId: string; readonly roleName: string; readonly region: string; readonly functionName: string };
  readonly grant: { readonly accessRoleName?: string };
}

/**
 * The checks across consumers, shared with the environment config: unique names, roles, functions and access roles,
 * and no consumer in the bucket's own account.
 */
export function checkConsumers(
  consumers: readonly ConsumerFields[],
  bucket: { readonly accountId: string; readonly region: string },
  ctx: z.RefinementCtx,
): void {
  const seen = new Map<string, number>();
  const once = (what: string, value: string, path: Array<string | number>, i: number, message: (j: number) => string) => {
    const key = `${what}\n${value}`;
    const j = seen.get(key);
    if (j === undefined) seen.set(key, i);
    else ctx.addIssue({ code: "custom", path, input: value, message: message(j) });
  };
  consumers.forEach((c, i) => {
    const at = (...rest: Array<string | number>) => ["consumers", i, ...rest];
    once("name", c.name, at("name"), i, (j) => `is also the name of consumers[${j}]: consumer names must be unique`);
    // IAM role names are case-insensitive: Reader and reader are one role.
    once("role", `${c.lambda.accountId}/${c.lambda.roleName.toLowerCase()}`, at("lambda", "roleName"), i, (j) => `is also the role of consumers[${j}] in account ${c.lambda.accountId} (IAM role names are case-insensitive): give each consumer its own role`);
    once("function", `${c.lambda.accountId}/${c.lambda.region}/${c.lambda.functionName}`, at("lambda", "functionName"), i, (j) => `is also the function of consumers[${j}] in the same account and region`);
    if (c.grant.accessRoleName !== undefined) {
      once("access role", c.grant.accessRoleName.toLowerCase(), at("grant", "accessRoleName"), i, (j) => `is also the access role of consumers[${j}] (IAM role names are case-insensitive): each consumer needs its own access role`);
    }
    const same = sameAccountProblem(c.lambda.accountId, bucket.accountId);
    if (same) ctx.addIssue({ code: "custom", path: at("lambda", "accountId"), input: c.lambda.accountId, message: `is the bucket's account ${bucket.accountId}: this module wires cross-account access` });
    const partition = partitionProblem(c.lambda.region, bucket.region);
    if (partition) {
      ctx.addIssue({ code: "custom", path: at("lambda", "region"), input: c.lambda.region, message: `is in partition ${partitionOf(c.lambda.region).partition}, the bucket's region ${bucket.region} in ${partitionOf(bucket.region).partition}: a role of one partition cannot be granted access in another` });
    }
  });
}

export const accessPointChoiceSchema = z.enum(ACCESS_POINT_CHOICES, {
  error: `is not an access point choice (${ACCESS_POINT_CHOICES.join(", ")})`,
});

export const consumerSchema = z.strictObject({ name: consumerNameSchema, lambda: lambdaSettingsSchema, grant: grantSchema });

export const sharedBucketSchema = z
  .strictObject({
    bucket: bucketSettingsSchema,
    accessPoints: accessPointChoiceSchema.optional(),
    consumers: z.array(consumerSchema, { error: "must be a list of { name, lambda, grant }" }).min(1, { message: "is empty: a shared bucket needs at least one consumer" }),
  })
  .superRefine((s, ctx) => checkConsumers(s.consumers, s.bucket, ctx));

type ValidShared = z.output<typeof sharedBucketSchema>;
type ValidConsumer = ValidShared["consumers"][number];

/** The condition keys that only say who the principal is: statements differing only in them merge into lists. */
const PRINCIPAL_KEYS = ["aws:PrincipalArn", "kms:CallerAccount"];

const asList = (v: string | readonly string[] | undefined): string[] => (v === undefined ? [] : ([] as string[]).concat(v));
const oneOrList = (values: readonly string[]): string | string[] => (values.length === 1 ? values[0] : [...values]);

/**
 * Merges resource-policy statements that grant the same actions on the same resources under the same conditions to
 * different principals into one statement with a principal list. Exact, not wider: a merged statement lists the
 * principals' accounts and their role ARNs (aws:PrincipalArn), and a role's account is in its ARN, so it matches
 * precisely the roles its parts matched. Statements naming a public or service principal are kept as they are.
 */
export function mergeByPrincipal(statements: readonly PolicyStatement[]): PolicyStatement[] {
  const groups = new Map<string, { base: PolicyStatement; count: number; principals: string[]; values: Map<string, string[]> }>();
  statements.forEach((statement, i) => {
    const { Sid: _sid, Principal, Condition, ...rest } = statement;
    const mergeable = typeof Principal === "object" && Principal.AWS !== undefined && Principal.Service === undefined;
    const equals: Record<string, string | readonly string[]> = { ...(Condition?.StringEquals ?? {}) };
    const values = new Map<string, string[]>();
    for (const k of PRINCIPAL_KEYS) {
      if (k in equals) {
        values.set(k, asList(equals[k]));
        delete equals[k];
      }
    }
    const { StringEquals: _eq, ...otherOperators } = Condition ?? {};
    const key = mergeable
      ? JSON.stringify([rest, otherOperators, equals, [...values.keys()]])
      : `unmergeable ${i}`;
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { base: statement, count: 1, principals: mergeable ? asList(Principal.AWS) : [], values });
      return;
    }
    group.count += 1;
    group.principals.push(...asList((Principal as { AWS: string | readonly string[] }).AWS));
    for (const [k, v] of values) group.values.get(k)!.push(...v);
  });
  const sidCount = new Map<string, number>();
  return [...groups.values()].map(({ base, count, principals, values }) => {
    const sid = base.Sid ?? "";
    const n = (sidCount.get(sid) ?? 0) + 1;
    sidCount.set(sid, n);
    const named = n === 1 ? base : { ...base, Sid: `${sid}${n}` };
    if (count === 1) return named;
    const equals: Record<string, string | readonly string[]> = { ...(base.Condition?.StringEquals ?? {}) };
    for (const [k, v] of values) equals[k] = oneOrList(unique(v));
    return {
      ...named,
      Principal: { AWS: oneOrList(unique(principals)) },
      Condition: { ...base.Condition, StringEquals: equals },
    };
  });
}

/**
 * The key policy statements naming grantees by account instead of by role: the account root as principal and no
 * aws:PrincipalArn condition, merged. Each consumer account's IAM then decides which of its roles use the key (only
 * the grant's identity policies allow it), still only through S3 in the bucket's region.
 */
function keyStatementsByAccount(statements: readonly PolicyStatement[], partition: string): PolicyStatement[] {
  return mergeByPrincipal(
    statements.map((s) => {
      if (typeof s.Principal !== "object" || s.Principal.AWS === undefined) return s;
      const accounts = unique(asList(s.Principal.AWS).map((arn) => arn.split(":")[4]));
      const { "aws:PrincipalArn": _arn, ...equals } = s.Condition?.StringEquals ?? {};
      return {
        ...s,
        Principal: { AWS: oneOrList(accounts.map((a) => accountRootArn(partition, a))) },
        Condition: { ...s.Condition, StringEquals: equals },
      };
    }),
  );
}

export interface PlannedConsumer {
  readonly name: string;
  readonly lambda: ValidConsumer["lambda"];
  readonly grant: ValidConsumer["grant"];
  readonly plan: GrantPlan;
  /** The consumer's access point, when the grants go through access points. */
  readonly accessPointName?: string;
}

/** Size of one policy against its AWS limit, as measured at synth. */
export interface PolicyMeasure {
  readonly what: string;
  readonly size: number;
  readonly limit: number;
}

export interface SharedBucketPlan {
  readonly bucket: ValidBucketSettings;
  readonly consumers: readonly PlannedConsumer[];
  /** Whether every consumer goes through its own access point. */
  readonly usesAccessPoints: boolean;
  /** How the key policy names the grantees: role by role, or (past its limit) by account. */
  readonly keyPrincipals: "roles" | "accounts";
  /** The bucket side's policies with the grants merged: what the bucket account writes. */
  readonly side: BucketSide;
  /** Every policy the shared bucket writes, measured against its limit (largest first per kind). */
  readonly measures: readonly PolicyMeasure[];
}

/** The statement that lets the bucket account's own access points carry the grants (AWS's delegation pattern). */
function delegateToAccessPoints(partition: string, bucketName: string, accountId: string, actions: readonly string[]): PolicyStatement {
  const bucket = bucketArn(partition, bucketName);
  return {
    Sid: "DelegateToOwnAccessPoints",
    Effect: "Allow",
    Principal: { AWS: "*" },
    Action: unique(actions),
    Resource: [bucket, `${bucket}/*`],
    Condition: { StringEquals: { "s3:DataAccessPointAccount": accountId } },
  };
}

function accessPointArn(partition: string, region: string, accountId: string, name: string): string {
  return `arn:${partition}:s3:${region}:${accountId}:accesspoint/${name}`;
}

/** Plans every consumer's grant and the bucket side's merged policies, within AWS's limits; `id` prefixes errors. */
export function planSharedBucket(id: string, declaration: SharedBucketDeclaration): SharedBucketPlan {
  const b = declaration.bucket;
  const shared = parseOrThrow(
    sharedBucketSchema,
    {
      // Only the data fields: a provider or build settings passed along with them are not part of the declaration.
      bucket: { accountId: b.accountId, region: b.region, bucketName: b.bucketName, keyAlias: b.keyAlias, forceDestroy: b.forceDestroy, existing: b.existing },
      accessPoints: declaration.accessPoints,
      consumers: declaration.consumers,
    },
    id,
  );
  const { bucket } = shared;
  const { partition } = partitionOf(bucket.region);
  const choice = shared.accessPoints ?? "auto";
  const keyArn = bucket.existing?.keyArn ?? KEY_ARN_PLACEHOLDER;
  const planAll = (viaAccessPoints: boolean): PlannedConsumer[] =>
    shared.consumers.map((c) => {
      const accessPointName = viaAccessPoints ? c.name : undefined;
      const plan = planGrant({
        grant: c.grant,
        consumerAccountId: c.lambda.accountId,
        consumerRoleName: c.lambda.roleName,
        ownerAccountId: bucket.accountId,
        ownerRegion: bucket.region,
        bucketName: bucket.bucketName,
        keyAlias: bucket.keyAlias,
        accessPointArn: accessPointName ? accessPointArn(partition, bucket.region, bucket.accountId, accessPointName) : undefined,
      });
      return { name: c.name, lambda: c.lambda, grant: c.grant, plan, ...(accessPointName ? { accessPointName } : {}) };
    });
  const bucketPolicyOf = (statements: readonly PolicyStatement[]) => bucketPolicyDocument(id, bucket, keyArn, statements);

  let consumers = planAll(choice === "always");
  let bucketStatements = mergeByPrincipal(consumers.flatMap((c) => c.plan.bucketPolicyStatements));
  const fitsBucketPolicy = policySize(bucketPolicyOf(bucketStatements)) <= POLICY_LIMITS.bucketPolicy;
  const usesAccessPoints = choice === "always" || (choice === "auto" && !fitsBucketPolicy);
  if (usesAccessPoints) {
    if (choice === "auto") consumers = planAll(true);
    const actions = consumers.flatMap((c) => c.plan.accessPoint!.policyStatements.flatMap((s) => asList(s.Action)));
    bucketStatements = [delegateToAccessPoints(partition, bucket.bucketName, bucket.accountId, actions)];
  }

  const keyByRole = mergeByPrincipal(consumers.flatMap((c) => c.plan.keyPolicyStatements));
  const keyPolicyOf = (statements: readonly PolicyStatement[]) => keyPolicyDocument(id, bucket, statements);
  const byRoleFits = policySize(keyPolicyOf(keyByRole)) <= POLICY_LIMITS.keyPolicy;
  const keyStatements = byRoleFits ? keyByRole : keyStatementsByAccount(keyByRole, partition);

  const side: BucketSide = {
    bucketPolicyStatements: bucketStatements,
    keyPolicyStatements: keyStatements,
    accessRoles: consumers.flatMap((c, i) =>
      c.plan.accessRoleTrustPolicy && c.plan.accessRolePolicy
        ? [{ id: `access-role-${c.name}`, roleName: c.grant.accessRoleName!, trustPolicy: c.plan.accessRoleTrustPolicy, policy: c.plan.accessRolePolicy, consumer: c.name, grantField: `consumers[${i}].grant` }]
        : [],
    ),
    accessPoints: consumers.flatMap((c) =>
      c.accessPointName && c.plan.accessPoint
        ? [{ id: `access-point-${c.name}`, name: c.accessPointName, arn: c.plan.accessPoint.arn, statements: c.plan.accessPoint.policyStatements }]
        : [],
    ),
    roleArnConsumers: consumers.filter((c) => c.plan.principalStyle === "role-arn").map((c) => c.name),
  };

  const budget: BudgetedPolicy[] = [
    {
      what: `${id}: the bucket policy of ${bucket.bucketName} (${consumers.length} consumers)`,
      docs: [bucketPolicyOf(bucketStatements)],
      limit: POLICY_LIMITS.bucketPolicy,
      advice:
        choice === "never"
          ? 'set accessPoints to "auto" or "always" to carry the grants in per-consumer access points'
          : "shorten the existing bucket policy statements",
    },
    {
      what: `${id}: the key policy of ${bucket.keyAlias} (${consumers.length} consumers, named by ${byRoleFits ? "role" : "account"})`,
      docs: [keyPolicyOf(keyStatements)],
      limit: POLICY_LIMITS.keyPolicy,
      advice: "spread the consumers over fewer accounts, or give some of them another bucket and key",
    },
    ...side.accessPoints.map((ap) => ({
      what: `${id}: the policy of access point ${ap.name}`,
      docs: [accessPointPolicy(ap.arn, keyArn, ap.statements)],
      limit: POLICY_LIMITS.accessPointPolicy,
      advice: "grant fewer or shorter prefixes (a shared parent prefix covers its children)",
    })),
    ...consumers.flatMap((c, i) => grantRoleBudget(`${id}.consumers[${i}] (${c.name})`, c.lambda, c.grant.accessRoleName, c.plan)),
  ];
  const problems = overBudget(budget);
  if (problems.length > 0) throw new ConfigurationError(problems);

  const measures = budget.map((b) => ({ what: b.what, size: b.docs.reduce((t, d) => t + policySize(d), 0), limit: b.limit }));
  return { bucket, consumers, usesAccessPoints, keyPrincipals: byRoleFits ? "roles" : "accounts", side, measures };
}

/** The plan of one consumer, or an error naming the consumers there are. */
function consumerOf(id: string, plan: SharedBucketPlan, name: string): PlannedConsumer {
  const found = plan.consumers.find((c) => c.name === name);
  if (!found) {
    throw new ConfigurationError([
      `${id}.consumer ${JSON.stringify(name)} is not a consumer of the shared bucket (${plan.consumers.map((c) => c.name).join(", ")})`,
    ]);
  }
  return found;
}

/** Account B's half of a shared bucket: the bucket, key, access roles, access points and their merged policies. */
export interface SharedBucketGrantsProps extends SharedBucketDeclaration {
  readonly bucket: BucketSettings & { readonly provider: TerraformProvider };
}

export class SharedBucketGrants extends Construct {
  public readonly plan: SharedBucketPlan;
  public readonly bucketName: string;
  public readonly kmsKeyArn: string;

  /** The bucket half: bucket and key (when created), access roles by consumer, access points. */
  public readonly half: BucketHalf;

  /**
   * `internal` is for SharedBucketAccess: the plan it already made, and the consumers' roles in the same stack (with
   * the role-arn principal style, B's policies naming them wait for them).
   */
  constructor(
    scope: Construct,
    id: string,
    props: SharedBucketGrantsProps,
    internal: { readonly planned?: SharedBucketPlan; readonly consumerRoles?: ReadonlyMap<string, ITerraformDependable> } = {},
  ) {
    super(scope, id);
    libraryConstruct(this, props.configPath ?? id, { "bucket.provider": props.bucket.provider });
    this.plan = internal.planned ?? planSharedBucket(props.configPath ?? id, props);
    this.half = addBucketSide(this, props.configPath ?? id, props.bucket.provider, this.plan.bucket, this.plan.side, internal.consumerRoles);
    this.bucketName = this.half.bucketName;
    this.kmsKeyArn = this.half.kmsKeyArn;
  }
}

/** Account A's half for one consumer of a shared bucket, planned from the whole declaration (see SharedBucketGrants). */
export interface SharedBucketConsumerProps {
  readonly shared: SharedBucketDeclaration;
  /** The consumer's name in `shared.consumers`. */
  readonly consumer: string;
  /** The consumer's Lambda side, with the provider of its account; its settings must be the declared ones. */
  readonly lambda: LambdaSide;
}

export class SharedBucketConsumer extends Construct {
  public readonly consumer: LambdaConsumer;
  public readonly plan: GrantPlan;

  constructor(scope: Construct, id: string, props: SharedBucketConsumerProps & { readonly planned?: SharedBucketPlan }) {
    super(scope, id);
    libraryConstruct(this, props.shared.configPath ?? id, { "lambda.provider": props.lambda.provider });
    const label = props.shared.configPath ?? id;
    const shared = props.planned ?? planSharedBucket(label, props.shared);
    const planned = consumerOf(label, shared, props.consumer);
    checkCode(label, props.lambda);
    this.plan = planned.plan;
    this.consumer = addLambdaHalf(this, props.lambda, { lambda: planned.lambda, grant: planned.grant, bucket: shared.bucket }, planned.plan);
  }
}

/** Both halves of a shared bucket in one scope: each consumer's Lambda side (with its own provider) and account B's. */
export interface SharedBucketAccessProps {
  readonly bucket: BucketSettings & { readonly provider: TerraformProvider };
  readonly consumers: ReadonlyArray<ConsumerDeclaration<LambdaSide>>;
  /** @default "auto" */
  readonly accessPoints?: AccessPointChoice;
  /** @see SharedBucketDeclaration.configPath @default the construct's id */
  readonly configPath?: string;
}

export class SharedBucketAccess extends Construct {
  public readonly plan: SharedBucketPlan;
  public readonly bucket: SharedBucketGrants;
  public readonly consumers: ReadonlyMap<string, SharedBucketConsumer>;

  constructor(scope: Construct, id: string, props: SharedBucketAccessProps) {
    super(scope, id);
    libraryConstruct(this, props.configPath ?? id, { "bucket.provider": props.bucket.provider });
    const declaration: SharedBucketDeclaration = {
      bucket: props.bucket,
      accessPoints: props.accessPoints,
      consumers: props.consumers.map(({ name, grant, lambda }) => ({ name, grant, lambda: lambdaSettingsOf(lambda as LambdaSide) })),
      ...(props.configPath !== undefined ? { configPath: props.configPath } : {}),
    };
    this.plan = planSharedBucket(props.configPath ?? id, declaration);
    const consumers = new Map<string, SharedBucketConsumer>();
    for (const c of props.consumers) {
      consumers.set(c.name, new SharedBucketConsumer(this, `consumer-${c.name}`, { shared: declaration, consumer: c.name, lambda: c.lambda, planned: this.plan }));
    }
    this.consumers = consumers;
    const roles = new Map([...consumers].map(([name, c]) => [name, c.consumer.role as ITerraformDependable]));
    this.bucket = new SharedBucketGrants(this, "bucket-side", { ...declaration, bucket: props.bucket }, { planned: this.plan, consumerRoles: roles });
  }
}

/** The settings of a Lambda side, without what builds the function (as a declaration holds them). */
function lambdaSettingsOf(lambda: LambdaSettings | LambdaSide): LambdaSettings {
  const { provider: _p, bundleDir: _b, codeArchive: _c, extraEnvironment: _e, ...settings } = lambda as Partial<LambdaSide> & LambdaSettings;
  return settings;
}

