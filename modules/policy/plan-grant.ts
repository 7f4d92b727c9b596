/**
 * One grant declaration, both halves. `planGrant` turns a grant into every policy document of both accounts: the
 * identity policy of the Lambda role (A), the bucket policy and key policy (B), and in assume-role mode the S3 access
 * role's trust and identity policies (B). All of them come from the same statements, so they cannot disagree.
 */
import { accountOf } from "../core/arn";
import { actionsFor, STS_ASSUME_ROLE_ACTIONS, S3_LIST_BUCKET_ACTIONS, unique } from "./actions";
import {
  accountRootArn,
  bucketArn as toBucketArn,
  policyDocument,
  roleArn,
  type PolicyDocument,
  type PolicyPrincipal,
  type PolicyStatement,
} from "../core/policy-document";
import { partitionOf } from "../core/regions";
import { planEvents, type EventsPlan } from "./plan-events";
import { planQueueEvents, type QueueEventsPlan } from "./plan-queue-events";

export { ACCESS_MODES, type AccessMode } from "../contract";
export { PRINCIPAL_STYLES, type GrantDeclaration, type PrefixGrant, type PrincipalStyle } from "../declaration/grant";
import type { GrantDeclaration, PrincipalStyle } from "../declaration/grant";

/** Everything about both accounts that the policies need; all of it known at synth time except the key ARN. */
export interface GrantContext {
  readonly grant: GrantDeclaration;
  readonly lambdaAccountId: string;
  /** ARN of the grantee's execution role in the Lambda account, path included (`…:role/service-role/worker`). */
  readonly lambdaRoleArn: string;
  readonly bucketAccountId: string;
  /** Region of the bucket and its key (kms:ViaService names it). */
  readonly bucketRegion: string;
  readonly bucketName: string;
  /**
   * Alias of the bucket's KMS key. The grantee's identity policy names the key by its alias (kms:ResourceAliases)
   * rather than its ARN, which is known only after the bucket account's apply: each account's half can then be
   * planned, proven and deployed from the declaration alone.
   */
  readonly keyAlias: string;
  /**
   * ARN of an S3 access point of the bucket (in the bucket account and region) that carries this grant: the grantee's
   * policies then name the access point, and its policy, not the bucket policy, holds the grant's statements.
   * @default the grant goes through the bucket policy
   */
  readonly accessPointArn?: string | undefined;
  /** Region of the grantee's function: its events' bus and rule are there (needed with grant.events). */
  readonly lambdaRegion?: string | undefined;
  /** The function the grant's events invoke (needed with grant.events). */
  readonly functionName?: string | undefined;
}

/** Every policy document of both accounts for one grant. */
export interface GrantPlan {
  readonly lambdaRoleArn: string;
  /** How the bucket account's policies name the grantee. */
  readonly principalStyle: PrincipalStyle;
  /** The principal S3 and KMS see: the Lambda role, or the S3 access role in assume-role mode. */
  readonly principalArn: string;
  /** The S3 access role (assume-role mode only). */
  readonly accessRoleArn?: string | undefined;
  /** Identity policy for the Lambda role in A. */
  readonly lambdaRolePolicy: PolicyDocument;
  /** Statements the grant adds to the bucket policy in B (none in assume-role mode: B's own role needs none). */
  readonly bucketPolicyStatements: readonly PolicyStatement[];
  /** Statements the grant adds to the key policy in B. */
  readonly keyPolicyStatements: readonly PolicyStatement[];
  /** Trust policy of the S3 access role (assume-role mode only). */
  readonly accessRoleTrustPolicy?: PolicyDocument | undefined;
  /** Identity policy of the S3 access role (assume-role mode only). */
  readonly accessRolePolicy?: PolicyDocument | undefined;
  /** The access point carrying the grant, and the statements of its policy (see GrantContext.accessPointArn). */
  readonly accessPoint?: { readonly arn: string; readonly policyStatements: readonly PolicyStatement[] };
  /** The grant's object events, both accounts (see planEvents), when the grant declares events through EventBridge. */
  readonly events?: EventsPlan | undefined;
  /** The grant's object events, both accounts (see planQueueEvents), when the grant declares events through SQS. */
  readonly queueEvents?: QueueEventsPlan | undefined;
}

interface DataStatements {
  /** S3 statements without principal; `withPrincipal` adds one for a bucket policy. */
  readonly s3: readonly PolicyStatement[];
  readonly kmsActions: readonly string[];
  readonly kmsConditions: PolicyStatement["Condition"];
}

/** Builds the S3 and KMS statements a grantee in `granteeAccountId` needs for the grant. */
function dataStatements(ctx: GrantContext, granteeAccountId: string): DataStatements {
  const { partition, dnsSuffix } = partitionOf(ctx.bucketRegion);
  // Through an access point, objects are `<access point ARN>/object/<key>` and listing is on the access point itself.
  const bucket = ctx.accessPointArn ?? toBucketArn(partition, ctx.bucketName);
  const objects = ctx.accessPointArn ? `${ctx.accessPointArn}/object` : bucket;

  // Collect, per action, the object ARNs it applies to; then merge actions that share the same resources.
  const resourcesByAction = new Map<string, string[]>();
  const listPrefixes: string[] = [];
  const kmsActions: string[] = [];
  for (const p of ctx.grant.prefixes) {
    const actions = actionsFor(p.access, p.delete ?? false);
    for (const action of actions.object) {
      resourcesByAction.set(action, [...(resourcesByAction.get(action) ?? []), `${objects}/${p.prefix}*`]);
    }
    if (actions.list) listPrefixes.push(`${p.prefix}*`);
    kmsActions.push(...actions.kms);
  }
  const groups = new Map<string, { resources: string[]; actions: string[] }>();
  for (const [action, resources] of resourcesByAction) {
    const sorted = unique(resources);
    const key = sorted.join("\n");
    const group = groups.get(key) ?? { resources: sorted, actions: [] };
    group.actions.push(action);
    groups.set(key, group);
  }
  const s3: PolicyStatement[] = [...groups.values()]
    .map(({ actions, resources }) => ({ actions: unique(actions), resources }))
    .sort((a, b) => a.actions.join().localeCompare(b.actions.join()))
    .map(({ actions, resources }) => ({
      Sid: actions.map((a) => a.replace(/^s3:/, "")).join(""),
      Effect: "Allow" as const,
      Action: actions,
      Resource: resources,
    }));
  if (listPrefixes.length > 0) {
    s3.push({
      Sid: "ListGrantedPrefixes",
      Effect: "Allow",
      Action: [...S3_LIST_BUCKET_ACTIONS],
      Resource: bucket,
      Condition: { StringLike: { "s3:prefix": unique(listPrefixes) } },
    });
  }
  return {
    s3,
    kmsActions: unique(kmsActions),
    // Key use only through S3 in the bucket's region, by the grantee's account. (A further limit to this bucket's
    // encryption context, kms:EncryptionContext:aws:s3:arn, is left out: the access proof's simulator cannot
    // evaluate that key, and every condition shipped here is one the proof evaluates.)
    kmsConditions: {
      StringEquals: {
        "kms:ViaService": `s3.${ctx.bucketRegion}.${dnsSuffix}`,
        "kms:CallerAccount": granteeAccountId,
      },
    },
  };
}

type Conditions = NonNullable<PolicyStatement["Condition"]>;

/** Merges condition blocks (operator by operator); undefined when there is no condition at all. */
function mergeConditions(...blocks: ReadonlyArray<Conditions | undefined>): Conditions | undefined {
  const out: Record<string, Record<string, string | readonly string[]>> = {};
  for (const block of blocks) {
    for (const [operator, values] of Object.entries(block ?? {}))
      out[operator] = { ...(out[operator] ?? {}), ...values };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function withConditions(statement: PolicyStatement, ...blocks: ReadonlyArray<Conditions | undefined>): PolicyStatement {
  const { Condition, ...rest } = statement;
  const merged = mergeConditions(Condition, ...blocks);
  return merged ? { ...rest, Condition: merged } : rest;
}

/** How the bucket account's policies name a role: the role itself, or its account plus an aws:PrincipalArn match. */
function principalFor(
  style: PrincipalStyle,
  partition: string,
  arn: string,
): { principal: PolicyPrincipal; condition?: Conditions } {
  if (style === "role-arn") return { principal: { AWS: arn } };
  const account = accountOf(arn) ?? "";
  return {
    principal: { AWS: accountRootArn(partition, account) },
    condition: { StringEquals: { "aws:PrincipalArn": arn } },
  };
}

/** A resource-policy copy of an identity statement: the grantee as principal, plus the bucket account's conditions. */
function forResourcePolicy(
  statement: PolicyStatement,
  sidPrefix: string,
  named: { principal: PolicyPrincipal; condition?: Conditions },
  orgCondition: Conditions | undefined,
): PolicyStatement {
  const { Sid, ...rest } = withConditions(statement, named.condition, orgCondition);
  return { Sid: `${sidPrefix}${Sid ?? ""}`, ...rest, Principal: named.principal };
}

/** The grant's events planned, on the path it declares, when it declares any. */
function eventsOf(ctx: GrantContext): Pick<GrantPlan, "events" | "queueEvents"> {
  const { events } = ctx.grant;
  if (!events) return {};
  if (ctx.lambdaRegion === undefined || ctx.functionName === undefined)
    throw new Error("planGrant: a grant with events needs lambdaRegion and functionName in its context");
  const eventsCtx = { ...ctx, events, lambdaRegion: ctx.lambdaRegion, functionName: ctx.functionName };
  return events.delivery === "sqs" ? { queueEvents: planQueueEvents(eventsCtx) } : { events: planEvents(eventsCtx) };
}

/** Computes both accounts' halves of a grant, and its events. The grant is assumed valid (see `grantSchema`). */
export function planGrant(ctx: GrantContext): GrantPlan {
  return { ...planGrantPolicies(ctx), ...eventsOf(ctx) };
}

/** Every policy document of both accounts' halves of a grant. */
function planGrantPolicies(ctx: GrantContext): GrantPlan {
  const { partition } = partitionOf(ctx.bucketRegion);
  const style = ctx.grant.principalStyle ?? "account-and-arn";
  const lambdaRoleArn = ctx.lambdaRoleArn;
  const assumeRole = ctx.grant.mode === "assume-role";
  const accessRoleArn = assumeRole
    ? roleArn(partition, ctx.bucketAccountId, ctx.grant.accessRoleName!, ctx.grant.accessRolePath)
    : undefined;
  const principalArn = accessRoleArn ?? lambdaRoleArn;
  const granteeAccountId = assumeRole ? ctx.bucketAccountId : ctx.lambdaAccountId;
  const orgCondition: Conditions | undefined = ctx.grant.principalOrgId
    ? { StringEquals: { "aws:PrincipalOrgID": ctx.grant.principalOrgId } }
    : undefined;
  const vpceCondition: Conditions | undefined = ctx.grant.sourceVpce
    ? { StringEquals: { "aws:SourceVpce": [...ctx.grant.sourceVpce] } }
    : undefined;

  const data = dataStatements(ctx, granteeAccountId);
  const s3Statements = data.s3.map((st) => withConditions(st, vpceCondition));
  const keyUse: PolicyStatement = {
    Sid: "GranteeUsesKeyThroughS3",
    Effect: "Allow",
    Action: data.kmsActions,
    Resource: "*",
    Condition: data.kmsConditions,
  };
  const kmsStatement = withConditions(
    {
      ...keyUse,
      Sid: "UseBucketKeyThroughS3",
      Resource: `arn:${partition}:kms:${ctx.bucketRegion}:${ctx.bucketAccountId}:key/*`,
    },
    { "ForAnyValue:StringEquals": { "kms:ResourceAliases": ctx.keyAlias } },
  );
  const identityStatements: PolicyStatement[] = [...s3Statements, kmsStatement];
  const grantee = principalFor(style, partition, principalArn);
  const keyPolicyStatements: PolicyStatement[] = [forResourcePolicy(keyUse, "", grantee, orgCondition)];
  const resourceStatements = s3Statements.map((st) => forResourcePolicy(st, "Grant", grantee, orgCondition));
  // Through an access point its policy names the grantee in both modes (the bucket policy only delegates to it).
  const accessPoint = ctx.accessPointArn
    ? { arn: ctx.accessPointArn, policyStatements: resourceStatements }
    : undefined;
  const base = { lambdaRoleArn, principalArn, principalStyle: style, ...(accessPoint ? { accessPoint } : {}) };

  if (!assumeRole) {
    return {
      ...base,
      lambdaRolePolicy: policyDocument(identityStatements),
      bucketPolicyStatements: accessPoint ? [] : resourceStatements,
      keyPolicyStatements,
    };
  }

  const trusted = principalFor(style, partition, lambdaRoleArn);
  const externalIdCondition: Conditions | undefined = ctx.grant.externalId
    ? { StringEquals: { "sts:ExternalId": ctx.grant.externalId } }
    : undefined;
  const trustStatement = withConditions(
    { Sid: "TrustLambdaRole", Effect: "Allow", Principal: trusted.principal, Action: [...STS_ASSUME_ROLE_ACTIONS] },
    trusted.condition,
    externalIdCondition,
    orgCondition,
  );
  return {
    ...base,
    accessRoleArn,
    lambdaRolePolicy: policyDocument([
      { Sid: "AssumeS3AccessRole", Effect: "Allow", Action: [...STS_ASSUME_ROLE_ACTIONS], Resource: accessRoleArn! },
    ]),
    bucketPolicyStatements: [],
    keyPolicyStatements,
    accessRoleTrustPolicy: policyDocument([trustStatement]),
    accessRolePolicy: policyDocument(identityStatements),
  };
}
