/**
 * The proof of a grant's events: every hop the simulator can judge, allowed and denied, against what the stacks would
 * deploy. The names and ARNs come from the grant's record (planned again, see eventsPlanOf); the policies from every
 * resource of the stacks that sets them — the bucket account's sending role (its trust and every policy on it), the
 * grant's bus (every bus policy and bus permission on it), the function (every Lambda permission on it, as Lambda
 * stores each one) and both dead-letter queues (every queue policy on them). What the proof expects comes from the
 * record, never from those policies.
 */
import { accountRootArn, policyDocument, type PolicyDocument, type PolicyStatement } from "../core/policy-document";
import type { SynthResource } from "../core/stack-view";
import type { EventsPlan, NamedResource } from "../policy/plan-events";
import { eventsPlanOf, type GrantRecord } from "../record/grant-record";
import { modelRole, readPolicy, type ModelRole, type ProofView } from "./model";
import { session } from "./request-builder";
import type { Expected, ProofRequest, ResourcePolicyKind } from "./simulate";

/** Where a resource deploys, as the proof needs it: an account and a region. */
export interface Place {
  readonly accountId: string;
  readonly region: string;
}

/** The policies every hop of a grant's events is judged by. */
export interface EventsModel {
  readonly plan: EventsPlan;
  readonly senderRole: ModelRole;
  readonly busPolicy: PolicyDocument;
  readonly functionPolicy: PolicyDocument;
  readonly deadLetterPolicies: { readonly bucketAccount: PolicyDocument; readonly lambdaAccount: PolicyDocument };
  /** Resources the proof could not read as Terraform applies them. */
  readonly problems: readonly string[];
}

/** The resources of `type` in every view deploying into `place` (a provider that does not say is taken to). */
export function resourcesIn(views: readonly ProofView[], type: string, place: Place) {
  return views.flatMap((pv) =>
    pv.view
      .resources(type)
      .filter(([, r]) => {
        const where = pv.view.placeOf(r);
        return (
          (where.accountId ?? place.accountId) === place.accountId && (where.region ?? place.region) === place.region
        );
      })
      .map(([id, r]) => ({ pv, id, r, address: `${pv.stack.name}: ${type}.${id}` })),
  );
}

/** The bus's policy as EventBridge holds it: every bus policy's statements, and every bus permission as a statement. */
function busPolicyOf(views: readonly ProofView[], bus: NamedResource, place: Place, partition: string): PolicyDocument {
  const named = (pv: ProofView, r: SynthResource) => (pv.view.valueOf(r.event_bus_name) ?? "default") === bus.name;
  const policies = resourcesIn(views, "aws_cloudwatch_event_bus_policy", place)
    .filter(({ pv, r }) => named(pv, r))
    .flatMap(({ pv, id, r }) => readPolicy(pv, r.policy, `aws_cloudwatch_event_bus_policy.${id}.policy`).Statement);
  const permissions = resourcesIn(views, "aws_cloudwatch_event_permission", place)
    .filter(({ pv, r }) => named(pv, r))
    .map(({ pv, r }): PolicyStatement => {
      const principal = pv.view.valueOf(r.principal) ?? "";
      const condition = ([] as unknown[]).concat(r.condition ?? [])[0] as Record<string, unknown> | undefined;
      const org = condition ? pv.view.valueOf(condition.value) : undefined;
      return {
        Sid: pv.view.valueOf(r.statement_id),
        Effect: "Allow",
        Principal: principal === "*" ? "*" : { AWS: accountRootArn(partition, principal) },
        Action: pv.view.valueOf(r.action) ?? "events:PutEvents",
        Resource: bus.arn,
        ...(org ? { Condition: { StringEquals: { "aws:PrincipalOrgID": org } } } : {}),
      };
    });
  return policyDocument([...policies, ...permissions]);
}

/** Whether a Lambda permission's function_name names the function (its name, ARN or partial ARN, unqualified). */
function namesFunction(value: string | undefined, functionArn: string): boolean {
  if (value === undefined) return false;
  const name = functionArn.slice(functionArn.lastIndexOf(":") + 1);
  const account = functionArn.split(":")[4];
  return value === name || value === functionArn || value === `${account}:function:${name}`;
}

/** One Lambda permission as Lambda stores it in the function's policy. */
function permissionStatement(pv: ProofView, r: SynthResource, functionArn: string, partition: string): PolicyStatement {
  const text = (v: unknown) => pv.view.valueOf(v);
  const principal = text(r.principal) ?? "";
  const sourceArn = text(r.source_arn);
  const sourceAccount = text(r.source_account);
  const org = text(r.principal_org_id);
  const equals = {
    ...(sourceAccount ? { "AWS:SourceAccount": sourceAccount } : {}),
    ...(org ? { "aws:PrincipalOrgID": org } : {}),
  };
  const condition = {
    ...(Object.keys(equals).length > 0 ? { StringEquals: equals } : {}),
    ...(sourceArn ? { ArnLike: { "AWS:SourceArn": sourceArn } } : {}),
  };
  return {
    Sid: text(r.statement_id),
    Effect: "Allow",
    Principal:
      principal === "*"
        ? "*"
        : principal.includes(".")
          ? { Service: principal }
          : { AWS: /^\d{12}$/.test(principal) ? accountRootArn(partition, principal) : principal },
    Action: text(r.action) ?? "",
    Resource: functionArn,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

/** The function's policy: every unqualified Lambda permission of the stacks on it. */
function functionPolicyOf(views: readonly ProofView[], functionArn: string, place: Place, partition: string) {
  return policyDocument(
    resourcesIn(views, "aws_lambda_permission", place)
      .filter(({ pv, r }) => namesFunction(pv.view.valueOf(r.function_name), functionArn) && r.qualifier === undefined)
      .map(({ pv, r }) => permissionStatement(pv, r, functionArn, partition)),
  );
}

/** The queue's policy: every queue policy on it (by its URL's account and name), and its own `policy` argument. */
export function queuePolicyOf(views: readonly ProofView[], queue: NamedResource, place: Place): PolicyDocument {
  const own = resourcesIn(views, "aws_sqs_queue", place)
    .filter(({ pv, r }) => pv.view.valueOf(r.name) === queue.name && typeof r.policy === "string")
    .flatMap(({ pv, id, r }) => readPolicy(pv, r.policy, `aws_sqs_queue.${id}.policy`).Statement);
  const attached = resourcesIn(views, "aws_sqs_queue_policy", place)
    .filter(({ pv, r }) => {
      const url = pv.view.valueOf(r.queue_url) ?? "";
      const [account, name] = url.split("/").slice(-2);
      return name === queue.name && account === place.accountId;
    })
    .flatMap(({ pv, id, r }) => readPolicy(pv, r.policy, `aws_sqs_queue_policy.${id}.policy`).Statement);
  return policyDocument([...own, ...attached]);
}

/** The policies of a grant's events in the stacks given, or undefined when the grant declares none. */
export function eventsModel(views: readonly ProofView[], record: GrantRecord): EventsModel | undefined {
  const plan = eventsPlanOf(record);
  if (!plan) return undefined;
  const B = { accountId: record.bucket.accountId, region: record.bucket.region };
  const A = { accountId: record.lambda.accountId, region: record.lambda.region };
  const { partition } = record;
  const { problems, ...senderRole } = modelRole(views, plan.bucketAccount.role.arn, {}, new Map());
  return {
    plan,
    senderRole,
    busPolicy: busPolicyOf(views, plan.lambdaAccount.bus, A, partition),
    functionPolicy: functionPolicyOf(views, plan.lambdaAccount.functionArn, A, partition),
    deadLetterPolicies: {
      bucketAccount: queuePolicyOf(views, plan.bucketAccount.deadLetterQueue, B),
      lambdaAccount: queuePolicyOf(views, plan.lambdaAccount.deadLetterQueue, A),
    },
    problems,
  };
}

/** Builds the requests of the event hops (see eventRequests). */
export class EventRequests {
  readonly requests: ProofRequest[] = [];

  /** A request by `principal` (a service, or a role session with its policies) on a resource of `account`. */
  add(
    who: { principal: string; name: string; policies?: ModelRole["policies"] | undefined },
    action: string,
    target: { resource: string; account: string; kind: ResourcePolicyKind; policy: PolicyDocument },
    context: ProofRequest["context"],
    expected: Expected,
    intent: string,
  ): void {
    this.requests.push({
      principal: who.principal,
      who: who.name,
      identityPolicies: Object.entries(who.policies ?? {}).map(([name, policy]) => ({ name, policy })),
      action,
      resource: target.resource,
      resourceAccount: target.account,
      resourcePolicyKind: target.kind,
      resourcePolicy: target.policy,
      context,
      expected,
      intent,
    });
  }

  /** A rule of `account` other than the grant's, on a bus of the same name (`rule/<name>`, `rule/<bus>/<name>`). */
  otherRule(rule: NamedResource, account: string): string {
    const parts = rule.arn.split(":");
    const path = parts.slice(5).join(":").split("/");
    path[path.length - 1] = "not-the-grant-rule";
    return [...parts.slice(0, 4), account, path.join("/")].join(":");
  }
}

/** EventBridge as the caller: the service principal. */
const events = { principal: "events.amazonaws.com", name: "events.amazonaws.com" };

/** The context EventBridge sets for a rule `arn` of `account`: the rule as the request's source. */
const as = (arn: string, account: string) => ({ "aws:SourceArn": arn, "aws:SourceAccount": account });

/** EventBridge assuming the bucket account's sending role: only for the grant's rule of that account. */
function senderTrust(b: EventRequests, m: EventsModel, B: string, outsider: string): void {
  const { rule, role } = m.plan.bucketAccount;
  const target = {
    resource: role.arn,
    account: B,
    kind: "trust policy" as const,
    policy: m.senderRole.trustPolicy ?? policyDocument([]),
  };
  b.add(events, "sts:AssumeRole", target, as(rule.arn, B), "Allowed", "the grant's rule sends with its role");
  b.add(
    events,
    "sts:AssumeRole",
    target,
    as(b.otherRule(rule, B), B),
    "Denied",
    "another rule of the bucket account may not use the role",
  );
  b.add(
    events,
    "sts:AssumeRole",
    target,
    as(b.otherRule(rule, outsider), outsider),
    "Denied",
    "a rule of another account may not use the role",
  );
}

/** The sending role putting events on the grant's bus: only there, and the bus admits only the grant's rule. */
function busHop(b: EventRequests, m: EventsModel, record: GrantRecord, outsider: string): void {
  const { rule, role } = m.plan.bucketAccount;
  const { bus } = m.plan.lambdaAccount;
  const A = record.lambda.accountId;
  const B = record.bucket.accountId;
  const sender = {
    principal: session(record.partition, B, role.name, "events"),
    name: role.name,
    policies: m.senderRole.policies,
  };
  const onBus = (resource: string) => ({
    resource,
    account: A,
    kind: "event bus policy" as const,
    policy: m.busPolicy,
  });
  const context = (arn: string, account: string, principal: string) => ({
    "aws:SourceArn": arn,
    "aws:SourceAccount": account,
    "aws:PrincipalArn": principal,
    "aws:PrincipalAccount": account,
  });
  b.add(
    sender,
    "events:PutEvents",
    onBus(bus.arn),
    context(rule.arn, B, role.arn),
    "Allowed",
    "the grant's rule forwards the grant's events to the grant's bus",
  );
  b.add(
    sender,
    "events:PutEvents",
    onBus(bus.arn),
    context(b.otherRule(rule, B), B, role.arn),
    "Denied",
    "the bus admits the grant's rule only, not another rule of the bucket account",
  );
  // In its own account the role's identity policy alone decides: it may put events on the grant's bus only.
  const ownBus = {
    resource: `arn:${record.partition}:events:${record.bucket.region}:${B}:event-bus/default`,
    account: B,
    kind: "event bus policy" as const,
    policy: policyDocument([]),
  };
  b.add(
    sender,
    "events:PutEvents",
    ownBus,
    context(rule.arn, B, role.arn),
    "Denied",
    "the role may put events on the grant's bus only",
  );
  const stranger = {
    principal: session(record.partition, outsider, role.name, "events"),
    name: `${role.name}@${outsider}`,
    policies: { administrator: policyDocument([{ Effect: "Allow", Action: "*", Resource: "*" }]) },
  };
  const strangerRole = role.arn.replace(`::${B}:`, `::${outsider}:`);
  b.add(
    stranger,
    "events:PutEvents",
    onBus(bus.arn),
    context(b.otherRule(rule, outsider), outsider, strangerRole),
    "Denied",
    "another account may not put events on the grant's bus",
  );
}

/** EventBridge invoking the function, and sending undelivered events to each dead-letter queue: for the grant's rules only. */
function serviceHops(b: EventRequests, m: EventsModel, record: GrantRecord, outsider: string): void {
  const A = record.lambda.accountId;
  const B = record.bucket.accountId;
  const fn = {
    resource: m.plan.lambdaAccount.functionArn,
    account: A,
    kind: "function policy" as const,
    policy: m.functionPolicy,
  };
  const { rule } = m.plan.lambdaAccount;
  b.add(events, "lambda:InvokeFunction", fn, as(rule.arn, A), "Allowed", "the grant's rule invokes the function");
  b.add(
    events,
    "lambda:InvokeFunction",
    fn,
    as(b.otherRule(rule, A), A),
    "Denied",
    "another rule may not invoke the function",
  );
  b.add(
    events,
    "lambda:InvokeFunction",
    fn,
    as(b.otherRule(rule, outsider), outsider),
    "Denied",
    "a rule of another account may not invoke the function",
  );
  const queues: Array<[NamedResource, string, PolicyDocument, NamedResource]> = [
    [m.plan.bucketAccount.deadLetterQueue, B, m.deadLetterPolicies.bucketAccount, m.plan.bucketAccount.rule],
    [m.plan.lambdaAccount.deadLetterQueue, A, m.deadLetterPolicies.lambdaAccount, rule],
  ];
  for (const [queue, account, policy, owner] of queues) {
    const target = { resource: queue.arn, account, kind: "queue policy" as const, policy };
    b.add(
      events,
      "sqs:SendMessage",
      target,
      as(owner.arn, account),
      "Allowed",
      `the rule ${owner.name} keeps its undelivered events`,
    );
    b.add(
      events,
      "sqs:SendMessage",
      target,
      as(b.otherRule(owner, account), account),
      "Denied",
      "another rule may not send to the dead-letter queue",
    );
  }
}

/**
 * Every request that proves a grant's events against `model` (from the stacks, see eventsModel, or fetched back from
 * the accounts after deployment), allowed and denied.
 */
export function eventRequestsOf(model: EventsModel, record: GrantRecord, outsider: string): ProofRequest[] {
  const b = new EventRequests();
  senderTrust(b, model, record.bucket.accountId, outsider);
  busHop(b, model, record, outsider);
  serviceHops(b, model, record, outsider);
  return b.requests;
}

/** Every request that proves a grant's events in the stacks given; none when it declares none. */
export function eventRequests(views: readonly ProofView[], record: GrantRecord, outsider: string) {
  const model = eventsModel(views, record);
  if (!model) return { requests: [], problems: [] };
  return { requests: eventRequestsOf(model, record, outsider), problems: model.problems };
}
