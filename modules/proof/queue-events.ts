/**
 * The proof of a grant's events on the SQS path: every hop the simulator can judge, allowed and denied, against what
 * the stacks would deploy. The names and ARNs come from the grant's record (planned again, see queueEventsPlanOf);
 * the policies from every resource of the stacks that sets them — the queue (its own policy and every queue policy on
 * it), the key its alias names (its policy and every KMS grant on it) and the grantee's role (every policy on it).
 * What the proof expects comes from the record, never from those policies. The stacks must also hold what no policy
 * shows: the queue encrypted with that key, and the mapping that has Lambda read the queue for the function.
 */
import { policyDocument, type PolicyDocument } from "../core/policy-document";
import { partitionOf } from "../core/regions";
import { keyTargetOf, sameKey } from "../core/stack-settings";
import type { QueueEventsPlan } from "../policy/plan-queue-events";
import { queueEventsPlanOf, type GrantRecord } from "../record/grant-record";
import { EventRequests, queuePolicyOf, resourcesIn, type Place } from "./events";
import { aliasedKey, keyPolicyOf, type ModelRole, type ProofView } from "./model";
import { session } from "./request-builder";
import type { ProofRequest } from "./simulate";

/** The policies every hop of a grant's events on the SQS path is judged by. */
export interface QueueEventsModel {
  readonly plan: QueueEventsPlan;
  readonly queuePolicy: PolicyDocument;
  readonly keyArn: string;
  readonly keyPolicy: PolicyDocument;
  /** Resources the proof could not read as Terraform applies them, or found missing. */
  readonly problems: readonly string[];
}

/** What the stacks must hold beside the policies: the queue under the planned key, read for the function. */
function wiringProblems(
  views: readonly ProofView[],
  plan: QueueEventsPlan,
  A: Place,
  key: ReturnType<typeof aliasedKey>,
) {
  const part = plan.lambdaAccount;
  const queues = resourcesIn(views, "aws_sqs_queue", A).filter(
    ({ pv, r }) => pv.view.valueOf(r.name) === part.queue.name,
  );
  const problems: string[] = [];
  if (queues.length !== 1)
    problems.push(
      `the grant's queue ${part.queue.name} is created ${queues.length} times in the stacks given, not once`,
    );
  for (const { pv, r, address } of queues) {
    if (!key || !sameKey(keyTargetOf(pv.view, r.kms_master_key_id), key.target))
      problems.push(`${address} is not encrypted with the key ${part.key.alias} names, whose policy lets S3 in`);
  }
  const mappings = resourcesIn(views, "aws_lambda_event_source_mapping", A).filter(
    ({ pv, r }) =>
      pv.view.valueOf(r.event_source_arn) === part.queue.arn &&
      [part.functionArn, part.functionArn.split(":").pop()].includes(pv.view.valueOf(r.function_name)),
  );
  if (mappings.length === 0)
    problems.push(`no event source mapping reads the grant's queue ${part.queue.name} for ${part.functionArn}`);
  return problems;
}

/** The policies of a grant's events on the SQS path in the stacks given, or undefined when it declares none there. */
export function queueEventsModel(views: readonly ProofView[], record: GrantRecord): QueueEventsModel | undefined {
  const plan = queueEventsPlanOf(record);
  if (!plan) return undefined;
  const A = { accountId: record.lambda.accountId, region: record.lambda.region };
  const problems: string[] = [];
  const key = aliasedKey(views, plan.lambdaAccount.key.alias, A.accountId);
  problems.push(...wiringProblems(views, plan, A, key));
  const keyPolicy = key ? keyPolicyOf(views, key, plan.lambdaAccount.key.alias, problems) : policyDocument([]);
  const keyArn = key
    ? (("literal" in key.target
        ? key.target.literal
        : key.pv.view.attribute("aws_kms_key", key.target.stackKey, "arn")) ?? "")
    : "";
  return { plan, queuePolicy: queuePolicyOf(views, plan.lambdaAccount.queue, A), keyArn, keyPolicy, problems };
}

/** S3 as the caller: the service principal, sending for a bucket of an account. */
const s3 = { principal: "s3.amazonaws.com", name: "s3.amazonaws.com" };
const from = (bucketArn: string, account: string) => ({ "aws:SourceArn": bucketArn, "aws:SourceAccount": account });

/** S3 sending the bucket's notifications to the queue, and making the data keys to encrypt them: for the bucket only. */
function senderHops(b: EventRequests, m: QueueEventsModel, record: GrantRecord, outsider: string): void {
  const A = record.lambda.accountId;
  const B = record.bucket.accountId;
  const bucket = `arn:${record.partition}:s3:::${record.bucket.bucketName}`;
  const other = `arn:${record.partition}:s3:::not-the-granted-bucket`;
  const { queue } = m.plan.lambdaAccount;
  const onQueue = { resource: queue.arn, account: A, kind: "queue policy" as const, policy: m.queuePolicy };
  b.add(s3, "sqs:SendMessage", onQueue, from(bucket, B), "Allowed", "S3 sends the bucket's events to the queue");
  b.add(s3, "sqs:SendMessage", onQueue, from(other, B), "Denied", "S3 may not send another bucket's events");
  b.add(s3, "sqs:SendMessage", onQueue, from(bucket, outsider), "Denied", "S3 may not send for another account");
  const onKey = { resource: m.keyArn, account: A, kind: "key policy" as const, policy: m.keyPolicy };
  const encrypt = "kms:GenerateDataKey";
  b.add(s3, encrypt, onKey, from(bucket, B), "Allowed", "S3 encrypts the bucket's events with the queue's key");
  b.add(s3, encrypt, onKey, from(other, B), "Denied", "S3 may not use the key for another bucket");
  b.add(s3, encrypt, onKey, from(bucket, outsider), "Denied", "S3 may not use the key for another account");
}

/** The grantee's role reading the queue through Lambda's mapping, and decrypting its messages through SQS only. */
function readerHops(b: EventRequests, m: QueueEventsModel, record: GrantRecord, policies: ModelRole["policies"]) {
  const A = record.lambda.accountId;
  const roleName = record.lambda.roleArn.slice(record.lambda.roleArn.lastIndexOf("/") + 1);
  const reader = { principal: session(record.partition, A, roleName, "lambda"), name: roleName, policies };
  const { queue, key } = m.plan.lambdaAccount;
  const onQueue = { resource: queue.arn, account: A, kind: "queue policy" as const, policy: m.queuePolicy };
  const self = { "aws:PrincipalArn": record.lambda.roleArn, "aws:PrincipalAccount": A };
  for (const action of ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]) {
    b.add(reader, action, onQueue, self, "Allowed", `Lambda reads the grant's queue for the function (${action})`);
  }
  b.add(reader, "sqs:SendMessage", onQueue, self, "Denied", "the function may not put events on its own queue");
  const onKey = { resource: m.keyArn, account: A, kind: "key policy" as const, policy: m.keyPolicy };
  const kms = (via?: string) => ({
    ...self,
    "kms:CallerAccount": A,
    "kms:ResourceAliases": [key.alias],
    ...(via ? { "kms:ViaService": via } : {}),
  });
  const sqs = `sqs.${record.lambda.region}.${partitionOf(record.lambda.region).dnsSuffix}`;
  b.add(reader, "kms:Decrypt", onKey, kms(sqs), "Allowed", "the function's role decrypts the queue's messages");
  b.add(reader, "kms:Decrypt", onKey, kms(), "Denied", "the role may use the key through SQS only, not call KMS");
}

/** Another account's role, with every permission of its own, sending to the queue: denied. */
function outsiderHop(b: EventRequests, m: QueueEventsModel, record: GrantRecord, outsider: string): void {
  const stranger = {
    principal: session(record.partition, outsider, "any-role", "outsider"),
    name: `any-role@${outsider}`,
    policies: { administrator: policyDocument([{ Effect: "Allow", Action: "*", Resource: "*" }]) },
  };
  const { queue } = m.plan.lambdaAccount;
  const onQueue = {
    resource: queue.arn,
    account: record.lambda.accountId,
    kind: "queue policy" as const,
    policy: m.queuePolicy,
  };
  const context = {
    "aws:PrincipalArn": `arn:${record.partition}:iam::${outsider}:role/any-role`,
    "aws:PrincipalAccount": outsider,
  };
  b.add(stranger, "sqs:SendMessage", onQueue, context, "Denied", "another account may not send to the grant's queue");
}

/**
 * Every request that proves a grant's events on the SQS path against `model` (from the stacks, or fetched back from
 * the accounts after deployment), allowed and denied; `rolePolicies` are the grantee role's policies.
 */
export function queueEventRequestsOf(
  model: QueueEventsModel,
  record: GrantRecord,
  outsider: string,
  rolePolicies: ModelRole["policies"],
): ProofRequest[] {
  const b = new EventRequests();
  senderHops(b, model, record, outsider);
  readerHops(b, model, record, rolePolicies);
  outsiderHop(b, model, record, outsider);
  return b.requests;
}

/** Every request that proves a grant's events on the SQS path in the stacks given; none when it declares none. */
export function queueEventRequests(
  views: readonly ProofView[],
  record: GrantRecord,
  outsider: string,
  rolePolicies: ModelRole["policies"],
) {
  const model = queueEventsModel(views, record);
  if (!model) return { requests: [], problems: [] };
  return { requests: queueEventRequestsOf(model, record, outsider, rolePolicies), problems: model.problems };
}
