/**
 * Many grantees on one bucket. Every grantee is an ordinary grant (its own account, role, prefixes and preset);
 * what they share is the bucket account's side, whose policies AWS caps in size: a bucket policy at 20,480 characters,
 * a key policy at 32,768. `planSharedBucket` plans every grantee's grant, merges the resource-policy statements that
 * differ only in whom they name into one statement with a principal list, and measures each policy against its limit:
 *
 * - bucket policy: when the merged grants do not fit (or `accessPoints: "always"`), every grantee gets an S3 access
 *   point of its own whose policy carries its grant, and the bucket policy only delegates to the bucket account's own
 *   access points (`s3:DataAccessPointAccount`), a statement whose size does not grow with the grantees;
 * - key policy: the grantees are named role by role while that fits; past the limit they are named by account (the
 *   key then trusts each grantee account's IAM to pick its roles, the standard cross-account KMS delegation, while
 *   the bucket or access point policies still name every role);
 * - whatever still cannot fit is a synth error naming the policy and by how much.
 */
import { accountOf } from "../core/arn";
import type { SharedBucketDeclaration } from "../declaration/shared-bucket";
import { MAX_BUCKET_METRICS, type AlarmSettings, type ResolvedAlarms } from "../declaration/alarm-settings";
import { resolveAlarms, type AlarmAccount } from "../declaration/resolve-alarms";
import { unique } from "./actions";
import type { BucketSettings } from "../declaration/bucket-settings";
import {
  accessPointPolicy,
  bucketAccountPlan,
  bucketPolicyDocument,
  keyPolicyDocument,
  type BucketAccountPlan,
} from "./bucket-account";
import type { AccessPointChoice } from "../declaration/access-point-choice";
import { planGrant, type GrantDeclaration, type GrantPlan } from "./plan-grant";
import { lambdaRoleArnOf, type LambdaSettings } from "../declaration/lambda-settings";
import {
  grantRoleBudget,
  KEY_ARN_PLACEHOLDER,
  overBudget,
  policySize,
  POLICY_LIMITS,
  type BudgetedPolicy,
} from "./budget";
import { accountRootArn, bucketArn, type PolicyStatement } from "../core/policy-document";
import { ConfigurationError } from "../core/errors";
import { partitionOf } from "../core/regions";
import { parseOrThrow, schemas } from "../declaration/validate";
export { ACCESS_POINT_CHOICES, type AccessPointChoice } from "../declaration/access-point-choice";

/** A validated shared-bucket declaration. */
export interface ValidShared {
  readonly bucket: BucketSettings;
  readonly accessPoints?: AccessPointChoice | undefined;
  readonly grantees: ReadonlyArray<{
    readonly name: string;
    readonly lambda: LambdaSettings;
    readonly grant: GrantDeclaration;
  }>;
}

export type ValidGrantee = ValidShared["grantees"][number];

/** The condition keys that only say who the principal is: statements differing only in them merge into lists. */
const PRINCIPAL_KEYS = ["aws:PrincipalArn", "kms:CallerAccount"];

const asList = (v: string | readonly string[] | undefined): string[] =>
  v === undefined ? [] : ([] as string[]).concat(v);

const oneOrList = (values: readonly string[]): string | string[] => (values.length === 1 ? values[0]! : [...values]);

/**
 * Merges resource-policy statements that grant the same actions on the same resources under the same conditions to
 * different principals into one statement with a principal list. Exact, not wider: a merged statement lists the
 * principals' accounts and their role ARNs (aws:PrincipalArn), and a role's account is in its ARN, so it matches
 * precisely the roles its parts matched. Statements naming a public or service principal are kept as they are.
 */
export function mergeByPrincipal(statements: readonly PolicyStatement[]): PolicyStatement[] {
  const groups = new Map<
    string,
    { base: PolicyStatement; count: number; principals: string[]; values: Map<string, string[]> }
  >();
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
    const key = mergeable ? JSON.stringify([rest, otherOperators, equals, [...values.keys()]]) : `unmergeable ${i}`;
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
 * aws:PrincipalArn condition, merged. Each grantee account's IAM then decides which of its roles use the key (only
 * the grant's identity policies allow it), still only through S3 in the bucket's region.
 */
function keyStatementsByAccount(statements: readonly PolicyStatement[], partition: string): PolicyStatement[] {
  return mergeByPrincipal(
    statements.map((s) => {
      if (typeof s.Principal !== "object" || s.Principal.AWS === undefined) return s;
      const accounts = unique(asList(s.Principal.AWS).map((arn) => accountOf(arn) ?? ""));
      const { "aws:PrincipalArn": _arn, ...equals } = s.Condition?.StringEquals ?? {};
      return {
        ...s,
        Principal: { AWS: oneOrList(accounts.map((a) => accountRootArn(partition, a))) },
        Condition: { ...s.Condition, StringEquals: equals },
      };
    }),
  );
}

export interface PlannedGrantee {
  readonly name: string;
  readonly lambda: ValidGrantee["lambda"];
  readonly grant: ValidGrantee["grant"];
  readonly plan: GrantPlan;
  /** The grantee's access point, when the grants go through access points. */
  readonly accessPointName?: string | undefined;
}

/** Size of one policy against its AWS limit, as measured at synth. */
export interface PolicyMeasure {
  readonly what: string;
  readonly size: number;
  readonly limit: number;
}

export interface SharedBucketPlan {
  readonly bucket: BucketSettings;
  readonly grantees: readonly PlannedGrantee[];
  /** Whether every grantee goes through its own access point. */
  readonly usesAccessPoints: boolean;
  /** How the key policy names the grantees: role by role, or (past its limit) by account. */
  readonly keyPrincipals: "roles" | "accounts";
  /** The bucket side's policies with the grants merged: what the bucket account writes. */
  readonly side: BucketAccountPlan;
  /** Every policy the shared bucket writes, measured against its limit (largest first per kind). */
  readonly measures: readonly PolicyMeasure[];
  /** The alarm settings, checked against the bucket's and the grantees' accounts. */
  readonly alarms: ResolvedAlarms;
}

/** The statement that lets the bucket account's own access points carry the grants (AWS's delegation pattern). */
function delegateToAccessPoints(
  partition: string,
  bucketName: string,
  accountId: string,
  actions: readonly string[],
): PolicyStatement {
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

/** Every prefix granted on the shared bucket, each once, in the order the grantees declare them. */
export const grantedPrefixes = (grantees: ReadonlyArray<{ readonly grant: GrantDeclaration }>): string[] =>
  unique(grantees.flatMap((g) => g.grant.prefixes.map((p) => p.prefix)));

/**
 * The alarm settings of a shared bucket, checked against its accounts: the bucket's, and each grantee account with
 * the regions of the functions created there. S3 holds at most 1,000 metrics configurations on a bucket: one for
 * each granted prefix.
 */
function sharedAlarms(id: string, settings: AlarmSettings | undefined, shared: ValidShared): ResolvedAlarms {
  const { bucket, grantees } = shared;
  const accounts: AlarmAccount[] = [
    { accountId: bucket.accountId, regions: [bucket.region], what: "the bucket account" },
  ];
  for (const accountId of unique(grantees.map((g) => g.lambda.accountId))) {
    const mine = grantees.map((g, i) => ({ g, i })).filter(({ g }) => g.lambda.accountId === accountId);
    const creating = mine.filter(({ g }) => g.lambda.createFunction !== false);
    accounts.push({
      accountId,
      regions: unique(creating.map(({ g }) => g.lambda.region)),
      what: `the account of ${mine.map(({ g, i }) => `grantees[${i}] (${g.name})`).join(", ")}`,
      ...(creating.length === 0
        ? {
            noAlarms:
              "its alarms watch functions this library creates, and its grantees set lambda.createFunction to false",
          }
        : {}),
    });
  }
  const alarms = resolveAlarms(`${id}.alarms`, settings, accounts);
  const prefixes = grantedPrefixes(grantees);
  if (alarms.enabled && prefixes.length > MAX_BUCKET_METRICS) {
    throw new ConfigurationError([
      `${id}.grantees grant ${prefixes.length} distinct prefixes on ${bucket.bucketName}: the alarms need one S3 request metrics ` +
        `configuration each, and S3 allows ${MAX_BUCKET_METRICS} on a bucket (share parent prefixes, or set ${id}.alarms.enabled to false)`,
    ]);
  }
  return alarms;
}

/** The declaration validated: only its data fields (a provider or build settings passed along are not part of it). */
function validShared(id: string, declaration: SharedBucketDeclaration): ValidShared {
  const b = declaration.bucket;
  const bucket = {
    accountId: b.accountId,
    region: b.region,
    bucketName: b.bucketName,
    keyAlias: b.keyAlias,
    forceDestroy: b.forceDestroy,
    accessLogging: b.accessLogging,
    lifecycle: b.lifecycle,
    existing: b.existing,
  };
  return parseOrThrow(
    schemas().sharedBucketSchema,
    { bucket, accessPoints: declaration.accessPoints, grantees: declaration.grantees },
    id,
  );
}

/** Every grantee's grant planned, each through its own access point or straight on the bucket. */
function planGrantees(shared: ValidShared, viaAccessPoints: boolean): PlannedGrantee[] {
  const { bucket } = shared;
  const { partition } = partitionOf(bucket.region);
  return shared.grantees.map((c) => {
    const accessPointName = viaAccessPoints ? c.name : undefined;
    const plan = planGrant({
      grant: c.grant,
      lambdaAccountId: c.lambda.accountId,
      lambdaRoleArn: lambdaRoleArnOf(c.lambda),
      bucketAccountId: bucket.accountId,
      bucketRegion: bucket.region,
      bucketName: bucket.bucketName,
      keyAlias: bucket.keyAlias,
      accessPointArn: accessPointName
        ? accessPointArn(partition, bucket.region, bucket.accountId, accessPointName)
        : undefined,
      lambdaRegion: c.lambda.region,
      functionName: c.lambda.functionName,
    });
    return { name: c.name, lambda: c.lambda, grant: c.grant, plan, ...(accessPointName ? { accessPointName } : {}) };
  });
}

/**
 * The grantees and the bucket policy's grant statements: merged by principal while they fit (or with "never"); past
 * the limit (or with "always") every grantee through its own access point, and the bucket policy only delegating.
 */
function placeGrants(
  id: string,
  shared: ValidShared,
  keyArn: string,
): { grantees: PlannedGrantee[]; bucketStatements: PolicyStatement[]; usesAccessPoints: boolean } {
  const { bucket } = shared;
  const choice = shared.accessPoints ?? "auto";
  let grantees = planGrantees(shared, choice === "always");
  const merged = mergeByPrincipal(grantees.flatMap((c) => c.plan.bucketPolicyStatements));
  const fits = policySize(bucketPolicyDocument(id, bucket, keyArn, merged)) <= POLICY_LIMITS.bucketPolicy;
  const usesAccessPoints = choice === "always" || (choice === "auto" && !fits);
  if (!usesAccessPoints) return { grantees, bucketStatements: merged, usesAccessPoints };
  if (choice === "auto") grantees = planGrantees(shared, true);
  const actions = grantees.flatMap((c) => c.plan.accessPoint!.policyStatements.flatMap((s) => asList(s.Action)));
  const { partition } = partitionOf(bucket.region);
  return {
    grantees,
    bucketStatements: [delegateToAccessPoints(partition, bucket.bucketName, bucket.accountId, actions)],
    usesAccessPoints,
  };
}

/** The key policy's grant statements: each role named while that fits, past the limit each account. */
function keyGrants(
  id: string,
  bucket: BucketSettings,
  grantees: readonly PlannedGrantee[],
): { statements: PolicyStatement[]; principals: "roles" | "accounts" } {
  const byRole = mergeByPrincipal(grantees.flatMap((c) => c.plan.keyPolicyStatements));
  if (policySize(keyPolicyDocument(id, bucket, byRole)) <= POLICY_LIMITS.keyPolicy)
    return { statements: byRole, principals: "roles" };
  return { statements: keyStatementsByAccount(byRole, partitionOf(bucket.region).partition), principals: "accounts" };
}

/** Every policy the shared bucket writes, against its AWS limit, with what to do when it does not fit. */
function sharedBudget(
  id: string,
  shared: ValidShared,
  grantees: readonly PlannedGrantee[],
  side: BucketAccountPlan,
  keyPrincipals: string,
  keyArn: string,
): BudgetedPolicy[] {
  const { bucket } = shared;
  return [
    {
      what: `${id}: the bucket policy of ${bucket.bucketName} (${grantees.length} grantees)`,
      docs: [bucketPolicyDocument(id, bucket, keyArn, side.bucketPolicyStatements)],
      limit: POLICY_LIMITS.bucketPolicy,
      advice:
        (shared.accessPoints ?? "auto") === "never"
          ? 'set accessPoints to "auto" or "always" to carry the grants in per-grantee access points'
          : "shorten the existing bucket policy statements",
    },
    {
      what: `${id}: the key policy of ${bucket.keyAlias} (${grantees.length} grantees, named by ${keyPrincipals === "roles" ? "role" : "account"})`,
      docs: [keyPolicyDocument(id, bucket, side.keyPolicyStatements)],
      limit: POLICY_LIMITS.keyPolicy,
      advice: "spread the grantees over fewer accounts, or give some of them another bucket and key",
    },
    ...side.accessPoints.map((ap) => ({
      what: `${id}: the policy of access point ${ap.name}`,
      docs: [accessPointPolicy(ap.arn, keyArn, ap.statements)],
      limit: POLICY_LIMITS.accessPointPolicy,
      advice: "grant fewer or shorter prefixes (a shared parent prefix covers its children)",
    })),
    ...grantees.flatMap((c, i) =>
      grantRoleBudget(`${id}.grantees[${i}] (${c.name})`, c.lambda, c.grant.accessRoleName, c.plan),
    ),
  ];
}

/** Plans every grantee's grant and the bucket side's merged policies, within AWS's limits; `id` prefixes errors. */
export function planSharedBucket(id: string, declaration: SharedBucketDeclaration): SharedBucketPlan {
  const shared = validShared(id, declaration);
  const { bucket } = shared;
  const alarms = sharedAlarms(id, declaration.alarms, shared);
  const keyArn = bucket.existing?.keyArn ?? KEY_ARN_PLACEHOLDER;
  const { grantees, bucketStatements, usesAccessPoints } = placeGrants(id, shared, keyArn);
  const key = keyGrants(id, bucket, grantees);
  const side = bucketAccountPlan(
    grantees.map((c, i) => ({
      key: c.name,
      field: `grantees[${i}].grant`,
      grant: c.grant,
      plan: c.plan,
      ids: {
        accessRole: `access-role-${c.name}`,
        accessPoint: `access-point-${c.name}`,
        events: `bucket-events-${c.name}`,
      },
      accessPointName: c.accessPointName,
    })),
    { bucketPolicyStatements: bucketStatements, keyPolicyStatements: key.statements },
  );
  const budget = sharedBudget(id, shared, grantees, side, key.principals, keyArn);
  const problems = overBudget(budget);
  if (problems.length > 0) throw new ConfigurationError(problems);
  const measures = budget.map((b) => ({
    what: b.what,
    size: b.docs.reduce((t, d) => t + policySize(d), 0),
    limit: b.limit,
  }));
  return { bucket, grantees, usesAccessPoints, keyPrincipals: key.principals, side, measures, alarms };
}

/** The plan of one grantee, or an error naming the grantees there are. */
export function granteeOf(id: string, plan: SharedBucketPlan, name: string): PlannedGrantee {
  const found = plan.grantees.find((c) => c.name === name);
  if (!found) {
    throw new ConfigurationError([
      `${id}.grantee ${JSON.stringify(name)} is not a grantee of the shared bucket (${plan.grantees.map((c) => c.name).join(", ")})`,
    ]);
  }
  return found;
}
