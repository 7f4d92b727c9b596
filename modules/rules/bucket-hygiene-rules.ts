/**
 * The security rules on what a bucket keeps and what it records, over the stack's Terraform JSON like every rule:
 *
 * - CAS-S3-8: S3 server access logs on, into another bucket whose policy lets S3's log delivery write them;
 * - CAS-S3-9: a lifecycle that aborts incomplete multipart uploads and, on a versioned bucket, expires noncurrent
 *   versions;
 * - CAS-S3-10: a log bucket's own baseline.
 *
 * A log bucket is known by its role — it is the `target_bucket` of an `aws_s3_bucket_logging` of the stack, by
 * reference or by name — not by a name or a tag. S3 delivers server access logs only to a bucket whose default
 * encryption is SSE-S3, which the data buckets' rules (a customer-managed KMS key, versioning, uploads pinned to that
 * key) would refuse: those rules leave a log bucket to CAS-S3-10 (`isAccessLogBucket`), which asks for SSE-S3, a
 * retention, and a policy that lets only S3's log delivery write, for named buckets of its account. The rules every
 * bucket gets (public access blocks, BucketOwnerEnforced, TLS only) still apply to it.
 *
 * Each check reads every resource of the kind that configures a bucket: S3 keeps one logging and one lifecycle
 * configuration per bucket, so two in the stack are reported (whichever Terraform applies last wins).
 */
import { GRANT_RECORD_KEY, type GrantRecords } from "../record/grant-record";
import { LOG_DELIVERY_SERVICE } from "../declaration/access-logging";
import { matchesWildcard, type PolicyStatement } from "../core/policy-document";
import { PolicyShapeError, textOf, type StackJson } from "../core/stack-view";
import { TemplateError } from "../core/terraform-text";
import { viewOf } from "./stack-policies";

/** The parts of a stack's Terraform JSON these rules read (a StackJson of security-rules.ts fits it). */
export interface HygieneStackJson {
  readonly provider?: { readonly aws?: ReadonlyArray<{ alias?: string; region?: string }> } | undefined;
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>> | undefined;
  readonly "//"?: { readonly [GRANT_RECORD_KEY]?: GrantRecords | undefined } | undefined;
}

/** A resource that breaks a rule (the shape of security-rules.ts' RuleViolation). */
interface Violation {
  readonly resource: string;
  readonly message: string;
  readonly statement?: number | undefined;
}

type Resource = Readonly<Record<string, unknown>>;

const resources = (stack: HygieneStackJson, type: string): Array<[string, Resource]> =>
  viewOf(stack as StackJson).resources(type);
const list = <T>(value: T | readonly T[] | undefined): T[] =>
  value === undefined || value === null ? [] : ([] as T[]).concat(value);
const first = (value: unknown): Resource | undefined =>
  Array.isArray(value) ? (value[0] as Resource | undefined) : (value as Resource | undefined);
const positive = (value: unknown): boolean => typeof value === "number" && value > 0;

/** The bucket name a resource argument holds, as Terraform will apply it (a literal, or a reference to a bucket of the stack). */
function bucketNameOf(stack: HygieneStackJson, value: unknown): string | undefined {
  const name = viewOf(stack as StackJson).valueOf(value);
  return name === "" ? undefined : name;
}

/** The resources of `type` that configure the bucket `bucket` of the stack, by reference or by its name. */
function forBucket(
  stack: HygieneStackJson,
  type: string,
  _bucketId: string,
  bucket: Resource,
): Array<[string, Resource]> {
  const name = bucketNameOf(stack, bucket.bucket);
  return name === undefined ? [] : resources(stack, type).filter(([, r]) => bucketNameOf(stack, r.bucket) === name);
}

/** The statements of a policy, read as Terraform applies it; undefined when it cannot be (CAS-TF-1 reports that). */
function parsePolicy(stack: HygieneStackJson, text: unknown): { Statement: PolicyStatement[] } | undefined {
  try {
    return { Statement: viewOf(stack as StackJson).policy(text, "policy").statements as unknown as PolicyStatement[] };
  } catch (error) {
    if (error instanceof TemplateError || error instanceof PolicyShapeError) return undefined;
    throw error;
  }
}

/** The names of every bucket some logging configuration of the stack delivers to. */
function logTargets(stack: HygieneStackJson): Set<string> {
  return new Set(
    resources(stack, "aws_s3_bucket_logging").flatMap(([, r]) => list(bucketNameOf(stack, r.target_bucket))),
  );
}

/**
 * Whether the bucket (by name or ARN) is a log bucket: the target of a logging configuration of the stack. The data
 * buckets' rules leave it to CAS-S3-10.
 */
export function isAccessLogBucket(stack: HygieneStackJson, bucketNameOrArn: unknown): boolean {
  if (typeof bucketNameOrArn !== "string") return false;
  const name = bucketNameOf(stack, bucketNameOrArn) ?? bucketNameOrArn;
  return logTargets(stack).has(name.replace(/^arn:[\w-]+:s3:::/, ""));
}

/** The partition a resource is deployed into, from its provider's region (aws when the stack does not say). */
const partitionOfResource = (stack: HygieneStackJson, resource: Resource): string =>
  viewOf(stack as StackJson).partitionOf(resource);

/** The values a statement's conditions give `key` (any operator), or undefined when no condition names it. */
function conditionValues(s: PolicyStatement, key: string): string[] | undefined {
  const blocks = Object.values(s.Condition ?? {});
  const named = blocks.flatMap((block) => Object.entries(block).filter(([k]) => k.toLowerCase() === key.toLowerCase()));
  return named.length === 0 ? undefined : named.flatMap(([, v]) => list(v));
}

const servicePrincipals = (s: PolicyStatement): string[] =>
  typeof s.Principal === "object" ? list(s.Principal.Service) : [];

/** An Allow of S3's log delivery: the service principal, and nothing else. */
const isLogDelivery = (s: PolicyStatement): boolean =>
  s.Effect === "Allow" &&
  typeof s.Principal === "object" &&
  s.Principal.AWS === undefined &&
  servicePrincipals(s).every((p) => p === LOG_DELIVERY_SERVICE) &&
  servicePrincipals(s).length > 0;

/**
 * Whether a log bucket's policy lets S3 deliver the logs of `source` under `prefix`: an Allow of the log delivery
 * service, an action matching s3:PutObject, a resource matching a log object under the prefix, and, where it names
 * them, the source bucket's ARN and nothing that excludes it.
 */
function deliveryAllowed(
  doc: { Statement: PolicyStatement[] } | undefined,
  partition: string,
  target: string,
  prefix: string,
  source: string,
): boolean {
  const logObject = `arn:${partition}:s3:::${target}/${prefix}2026-01-01-00-00-00-0123456789ABCDEF`;
  const sourceArn = `arn:${partition}:s3:::${source}`;
  return (doc?.Statement ?? []).some(
    (s) =>
      isLogDelivery(s) &&
      list(s.Action).some((a) => matchesWildcard(a, "s3:PutObject", true)) &&
      list(s.Resource).some((r) => matchesWildcard(r, logObject)) &&
      (conditionValues(s, "aws:SourceArn") ?? [sourceArn]).some((arn) => matchesWildcard(arn, sourceArn)),
  );
}

/** Whether the stack's grant records say the bucket's access logging was turned off in its declaration. */
function loggingTurnedOff(stack: HygieneStackJson, address: string): boolean {
  const records = (stack["//"]?.[GRANT_RECORD_KEY]?.grants ?? []).filter(
    (r) => r.half === "bucket" && r.resources.bucket === address,
  );
  return (
    records.some((r) => r.accessLogging?.enabled === false) && !records.some((r) => r.accessLogging?.enabled === true)
  );
}

/** What is wrong with the server access logging of a bucket (a log bucket needs none, but may have one). */
function loggingProblems(stack: HygieneStackJson, bucketId: string, bucket: Resource): string[] {
  const configs = forBucket(stack, "aws_s3_bucket_logging", bucketId, bucket);
  if (configs.length === 0) {
    // A log bucket's own requests are S3's deliveries: it is not logged in turn.
    return loggingTurnedOff(stack, `aws_s3_bucket.${bucketId}`) || isAccessLogBucket(stack, bucket.bucket)
      ? []
      : ["has no server access logging (aws_s3_bucket_logging): no record says who touched which object"];
  }
  const problems =
    configs.length > 1
      ? [
          `has ${configs.length} logging configurations (${configs.map(([id]) => `aws_s3_bucket_logging.${id}`).join(", ")}): S3 keeps one, whichever is applied last`,
        ]
      : [];
  for (const [id, config] of configs) {
    const target = bucketNameOf(stack, config.target_bucket);
    const prefix = bucketNameOf(stack, config.target_prefix) ?? "";
    if (typeof config.target_bucket !== "string" || config.target_bucket === "") {
      problems.push(`aws_s3_bucket_logging.${id} names no target bucket`);
    } else if (target === bucketNameOf(stack, bucket.bucket)) {
      problems.push(
        `aws_s3_bucket_logging.${id} delivers its logs into the bucket itself: each delivery would be logged in turn`,
      );
    } else if (target !== undefined) {
      const targetBucket = resources(stack, "aws_s3_bucket").find(([, b]) => bucketNameOf(stack, b.bucket) === target);
      if (!targetBucket) continue; // a log bucket managed elsewhere: its policy is its owner's
      const partition = partitionOfResource(stack, bucket);
      const policies = forBucket(stack, "aws_s3_bucket_policy", targetBucket[0], targetBucket[1]).map(([, p]) =>
        parsePolicy(stack, p.policy),
      );
      if (!policies.some((doc) => deliveryAllowed(doc, partition, target, prefix, String(bucket.bucket)))) {
        problems.push(
          `aws_s3_bucket_logging.${id} delivers to ${target}, whose policy does not let ${LOG_DELIVERY_SERVICE} put objects under ${prefix || "its root"} for this bucket: S3 would drop the logs`,
        );
      }
    }
  }
  return problems;
}

/** Whether a lifecycle rule applies to every object: enabled, with no filter or an empty one (a prefix "" at most). */
function coversWholeBucket(rule: Resource): boolean {
  if (rule.status !== "Enabled") return false;
  if (typeof rule.prefix === "string" && rule.prefix !== "") return false;
  const filter = first(rule.filter);
  const narrows = ([key, value]: [string, unknown]) =>
    value !== undefined &&
    value !== null &&
    !(Array.isArray(value) && value.length === 0) &&
    !(key === "prefix" && value === "");
  return filter === undefined || !Object.entries(filter).some(narrows);
}

/** The enabled whole-bucket rules of every lifecycle configuration of the bucket, by configuration. */
function lifecycles(
  stack: HygieneStackJson,
  bucketId: string,
  bucket: Resource,
): Array<{ id: string; rules: Resource[] }> {
  return forBucket(stack, "aws_s3_bucket_lifecycle_configuration", bucketId, bucket).map(([id, r]) => ({
    id,
    rules: list(r.rule as Resource | readonly Resource[] | undefined).filter(coversWholeBucket),
  }));
}

/** What the lifecycle of a bucket lacks: the abort of incomplete multipart uploads and, versioned, noncurrent expiry. */
function lifecycleProblems(stack: HygieneStackJson, bucketId: string, bucket: Resource): string[] {
  const configs = lifecycles(stack, bucketId, bucket);
  const versioned = forBucket(stack, "aws_s3_bucket_versioning", bucketId, bucket).some(([, v]) =>
    ["Enabled", "Suspended"].includes(String(first(v.versioning_configuration)?.status)),
  );
  const kept = versioned
    ? "incomplete multipart uploads and noncurrent versions are"
    : "incomplete multipart uploads are";
  if (configs.length === 0) return [`has no lifecycle configuration: ${kept} kept, and billed, forever`];
  const problems =
    configs.length > 1
      ? [
          `has ${configs.length} lifecycle configurations (${configs.map(({ id }) => `aws_s3_bucket_lifecycle_configuration.${id}`).join(", ")}): S3 keeps one, whichever is applied last`,
        ]
      : [];
  for (const { id, rules } of configs) {
    if (!rules.some((r) => positive(first(r.abort_incomplete_multipart_upload)?.days_after_initiation))) {
      problems.push(
        `aws_s3_bucket_lifecycle_configuration.${id} has no enabled rule on the whole bucket that aborts incomplete multipart uploads`,
      );
    }
    if (versioned && !rules.some((r) => positive(first(r.noncurrent_version_expiration)?.noncurrent_days))) {
      problems.push(
        `aws_s3_bucket_lifecycle_configuration.${id} has no enabled rule on the whole bucket that expires noncurrent versions, and the bucket is versioned`,
      );
    }
  }
  return problems;
}

/** What a log bucket lacks of its baseline: SSE-S3, a retention. (Its policy is judged statement by statement.) */
function logBucketProblems(stack: HygieneStackJson, bucketId: string, bucket: Resource): string[] {
  const problems: string[] = [];
  const encryption = forBucket(stack, "aws_s3_bucket_server_side_encryption_configuration", bucketId, bucket);
  if (encryption.length === 0) problems.push("has no default encryption: give it SSE-S3 (AES256)");
  for (const [id, config] of encryption) {
    const algorithm = first(first(config.rule)?.apply_server_side_encryption_by_default)?.sse_algorithm;
    if (algorithm !== "AES256") {
      problems.push(
        `aws_s3_bucket_server_side_encryption_configuration.${id} sets ${textOf(algorithm ?? "no algorithm")}: S3 delivers server access logs only to a bucket whose default encryption is SSE-S3 (AES256)`,
      );
    }
  }
  const configs = lifecycles(stack, bucketId, bucket);
  if (configs.length === 0 || configs.some(({ rules }) => !rules.some((r) => positive(first(r.expiration)?.days)))) {
    problems.push(
      "keeps its logs forever: no enabled lifecycle rule on the whole bucket expires them after a number of days",
    );
  }
  return problems;
}

/** The statements of a log bucket's policies that let in anyone but S3's log delivery for named buckets of the account. */
function logPolicyViolations(stack: HygieneStackJson, bucketId: string, bucket: Resource): Violation[] {
  return forBucket(stack, "aws_s3_bucket_policy", bucketId, bucket).flatMap(([id, p]) =>
    (parsePolicy(stack, p.policy)?.Statement ?? []).flatMap((s, statement): Violation[] => {
      if (s.Effect !== "Allow") return [];
      const resource = `aws_s3_bucket_policy.${id}`;
      const sid = s.Sid ?? "(no Sid)";
      if (!isLogDelivery(s)) {
        return [
          {
            resource,
            statement,
            message: `statement ${sid} of the log bucket ${String(bucket.bucket)} allows another principal than ${LOG_DELIVERY_SERVICE}: a log bucket takes only S3's log deliveries`,
          },
        ];
      }
      const missing = ["aws:SourceArn", "aws:SourceAccount"].filter((key) => conditionValues(s, key) === undefined);
      return missing.length === 0
        ? []
        : [
            {
              resource,
              statement,
              message: `statement ${sid} lets ${LOG_DELIVERY_SERVICE} write into ${String(bucket.bucket)} without ${missing.join(" and ")}: any bucket, of any account, could deliver its logs there`,
            },
          ];
    }),
  );
}

/** CAS-S3-8, CAS-S3-9 and CAS-S3-10 (see the file's comment); SECURITY_RULES holds them after the others. */
export const BUCKET_HYGIENE_RULES: ReadonlyArray<{
  readonly id: string;
  readonly title: string;
  readonly rationale: string;
  readonly check: (stack: HygieneStackJson) => Violation[];
}> = [
  {
    id: "CAS-S3-8",
    title: "Server access logging on",
    rationale:
      "a bucket other accounts use needs a record of who touched which object and when; S3 server access logs are it, delivered to a log bucket whose policy lets S3 write them",
    check: (stack) =>
      resources(stack, "aws_s3_bucket").flatMap(([id, bucket]) => {
        const problems = loggingProblems(stack, id, bucket);
        return problems.length > 0 ? [{ resource: `aws_s3_bucket.${id}`, message: problems.join("; ") }] : [];
      }),
  },
  {
    id: "CAS-S3-9",
    title: "Lifecycle aborts incomplete multipart uploads and expires noncurrent versions",
    rationale:
      "the parts of uploads never completed and the versions overwrites and deletes leave behind are otherwise kept, and billed, forever",
    check: (stack) =>
      resources(stack, "aws_s3_bucket").flatMap(([id, bucket]) => {
        const problems = lifecycleProblems(stack, id, bucket);
        return problems.length > 0 ? [{ resource: `aws_s3_bucket.${id}`, message: problems.join("; ") }] : [];
      }),
  },
  {
    id: "CAS-S3-10",
    title: "Log bucket: SSE-S3, a retention, only S3's log delivery writes",
    rationale:
      "S3 delivers server access logs only to an SSE-S3 bucket; logs are kept as long as needed and no longer; and only S3, on behalf of named buckets of the account, may write them",
    check: (stack) =>
      resources(stack, "aws_s3_bucket")
        .filter(([, bucket]) => isAccessLogBucket(stack, bucket.bucket))
        .flatMap(([id, bucket]) => {
          const problems = logBucketProblems(stack, id, bucket);
          return [
            ...(problems.length > 0
              ? [{ resource: `aws_s3_bucket.${id}`, message: `log bucket ${problems.join("; ")}` }]
              : []),
            ...logPolicyViolations(stack, id, bucket),
          ];
        }),
  },
];
