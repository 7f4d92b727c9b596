/**
 * The security rules every stack is checked against at synth. Each rule reads the stack's Terraform JSON — exactly
 * what would be deployed, overrides included — and returns the resources that break it. None of the general-purpose
 * scanners understands a cross-account grant; these rules do (key use through S3 only, trust guarded across accounts,
 * listing limited by prefix, uploads pinned to the bucket's key).
 */
import { accessDeniedFilterPattern } from "../alarm-settings";
import { GRANT_RECORD_KEY, type GrantRecord, type GrantRecords } from "../grant-record";
import type { PolicyDocument, PolicyStatement } from "../policy-document";
import { partitionOf } from "../regions";
import { UPLOAD_ENCRYPTION_CASES, uploadConditionContext } from "../upload-encryption";
import { BUCKET_HYGIENE_RULES, isAccessLogBucket } from "./bucket-hygiene-rules";
import { denyApplies } from "./deny-match";

export interface StackJson {
  readonly provider?: { readonly aws?: ReadonlyArray<{ alias?: string; region?: string; assume_role?: ReadonlyArray<{ role_arn?: string }> }> };
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>> | undefined;
  /** Terraform's comment key: the grant records of the library's constructs are under GRANT_RECORD_KEY. */
  readonly "//"?: { readonly [GRANT_RECORD_KEY]?: GrantRecords | undefined } | undefined;
}

/** A resource that breaks a rule, as `type.logicalId`, and what is wrong with it. */
export interface RuleViolation {
  readonly resource: string;
  readonly message: string;
  /** The index of the offending statement, when the resource is a policy. */
  readonly statement?: number | undefined;
}

export interface SecurityRule {
  /** Stable ID used in reports and suppressions, e.g. CAS-S3-1. */
  readonly id: string;
  readonly title: string;
  /** Why the rule exists, in one line. */
  readonly rationale: string;
  readonly check: (stack: StackJson) => RuleViolation[];
}

type Resource = Readonly<Record<string, unknown>>;

function resources(stack: StackJson, type: string): Array<[string, Resource]> {
  return Object.entries(stack.resource?.[type] ?? {});
}

/** The resources of `type` that configure bucket `bucketId` (by reference or by its literal name). */
function forBucket(stack: StackJson, type: string, bucketId: string, bucket: Resource): Resource[] {
  const refs = [`\${aws_s3_bucket.${bucketId}.id}`, `\${aws_s3_bucket.${bucketId}.bucket}`, bucket.bucket];
  return resources(stack, type)
    .filter(([, r]) => refs.includes(r.bucket))
    .map(([, r]) => r);
}

function parsePolicy(text: unknown): PolicyDocument | undefined {
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text) as PolicyDocument;
  } catch {
    return undefined;
  }
}

const list = <T>(value: T | readonly T[] | undefined): T[] => (value === undefined ? [] : ([] as T[]).concat(value));
const first = (value: unknown): Resource | undefined => (Array.isArray(value) ? value[0] : (value as Resource | undefined));
const conditionKeys = (s: PolicyStatement): string[] =>
  Object.values(s.Condition ?? {}).flatMap((block) => Object.keys(block).map((k) => k.toLowerCase()));
const awsPrincipals = (s: PolicyStatement): string[] =>
  s.Principal === "*" ? ["*"] : list(s.Principal?.AWS as string | readonly string[] | undefined);

/** Every policy document of the stack with where it is: identity (role policies), bucket, key and trust policies. */
function policies(stack: StackJson): Array<{ kind: "identity" | "bucket" | "key" | "trust"; resource: string; doc: PolicyDocument }> {
  const out: Array<{ kind: "identity" | "bucket" | "key" | "trust"; resource: string; doc: PolicyDocument }> = [];
  const add = (kind: "identity" | "bucket" | "key" | "trust", type: string, argument: string) => {
    for (const [id, r] of resources(stack, type)) {
      const doc = parsePolicy(r[argument]);
      if (doc) out.push({ kind, resource: `${type}.${id}`, doc });
    }
  };
  add("identity", "aws_iam_role_policy", "policy");
  add("identity", "aws_iam_policy", "policy");
  add("bucket", "aws_s3_bucket_policy", "policy");
  add("bucket", "aws_s3_access_point", "policy");
  add("bucket", "aws_s3control_access_point_policy", "policy");
  add("key", "aws_kms_key", "policy");
  add("key", "aws_kms_key_policy", "policy");
  add("trust", "aws_iam_role", "assume_role_policy");
  return out;
}

/** The account a resource is deployed into, from its provider's assume_role, when the stack says. */
function accountOf(stack: StackJson, resource: Resource): string | undefined {
  const alias = String(resource.provider ?? "").replace(/^aws\./, "");
  const provider = stack.provider?.aws?.find((p) => p.alias === alias);
  return provider?.assume_role?.[0]?.role_arn?.split(":")[4];
}

/**
 * The key administration statement: an account root, unconditioned — the key's own account when the stack says which
 * (its provider assumes a role in it); otherwise any single account root.
 */
function isKeyAdministration(s: PolicyStatement, keyAccount: string | undefined): boolean {
  const principals = awsPrincipals(s);
  const [only] = principals;
  if (s.Condition !== undefined || principals.length !== 1 || only === undefined) return false;
  const root = /^arn:aws[\w-]*:iam::(\d{12}):root$/.exec(only)?.[1] ?? (/^\d{12}$/.test(only) ? only : undefined);
  return root !== undefined && (keyAccount === undefined || root === keyAccount);
}

const RESTRICTING_KEYS = [
  "aws:principalorgid",
  "aws:principalaccount",
  "aws:principalarn",
  "aws:sourcevpce",
  "aws:sourcevpc",
  "aws:sourceaccount",
  "aws:sourcearn",
  "aws:sourceorgid",
  // A bucket policy delegating to the access points of one account: each access point's policy then names whom it lets in.
  "s3:dataaccesspointaccount",
  "s3:dataaccesspointarn",
];

/** A bucket policy statement that delegates to access points: they carry the grant, and their policies are checked. */
const delegatesToAccessPoints = (s: PolicyStatement): boolean =>
  conditionKeys(s).some((k) => k === "s3:dataaccesspointaccount" || k === "s3:dataaccesspointarn");

const bucketRule = (
  id: string,
  title: string,
  rationale: string,
  problem: (stack: StackJson, bucketId: string, bucket: Resource) => string | undefined,
): SecurityRule => ({
  id,
  title,
  rationale,
  check: (stack) =>
    resources(stack, "aws_s3_bucket").flatMap(([bucketId, bucket]) => {
      const message = problem(stack, bucketId, bucket);
      return message ? [{ resource: `aws_s3_bucket.${bucketId}`, message }] : [];
    }),
});

/** The partition a resource is deployed into, from its provider's region (aws when the stack does not say). */
function partitionOfResource(stack: StackJson, resource: Resource): string {
  const alias = String(resource.provider ?? "").replace(/^aws\./, "");
  const region = stack.provider?.aws?.find((p) => (p.alias ?? "") === alias)?.region;
  return partitionOf(region ?? "us-east-1").partition;
}

/** A bucket policy the stack writes, for a bucket it creates or one outside it, with what the rules need to judge it. */
interface BucketPolicyInStack {
  /** Where a violation is reported: the bucket, or the policy when the bucket is not in the stack. */
  readonly resource: string;
  readonly bucketArn: string;
  /** Undefined when a bucket the stack creates has no policy. */
  readonly doc: PolicyDocument | undefined;
  /** The bucket's default KMS key as the stack names it; undefined when the stack does not say. */
  readonly keyArn: string | undefined;
}

/**
 * The bucket's default encryption key, as its encryption configuration names it (an ARN or a reference); undefined
 * when there is none or it is an AWS managed key (CAS-S3-4 reports those).
 */
const defaultKeyOf = (stack: StackJson, bucketId: string, bucket: Resource): string | undefined => {
  const rule = first(forBucket(stack, "aws_s3_bucket_server_side_encryption_configuration", bucketId, bucket)[0]?.rule);
  const key = first(rule?.apply_server_side_encryption_by_default)?.kms_master_key_id;
  return typeof key === "string" && key !== "" && !key.includes("alias/aws/") ? key : undefined;
};

function bucketPolicies(stack: StackJson): BucketPolicyInStack[] {
  const attached = new Set<Resource>();
  const created = resources(stack, "aws_s3_bucket").map(([id, bucket]): BucketPolicyInStack => {
    const policy = forBucket(stack, "aws_s3_bucket_policy", id, bucket)[0];
    if (policy) attached.add(policy);
    return {
      resource: `aws_s3_bucket.${id}`,
      bucketArn: `arn:${partitionOfResource(stack, bucket)}:s3:::${String(bucket.bucket)}`,
      doc: parsePolicy(policy?.policy),
      keyArn: defaultKeyOf(stack, id, bucket),
    };
  });
  const outside = resources(stack, "aws_s3_bucket_policy")
    .filter(([, r]) => !attached.has(r) && typeof r.bucket === "string" && !r.bucket.includes("${"))
    .map(([id, r]): BucketPolicyInStack => ({
      resource: `aws_s3_bucket_policy.${id}`,
      bucketArn: `arn:${partitionOfResource(stack, r)}:s3:::${String(r.bucket)}`,
      doc: parsePolicy(r.policy),
      keyArn: undefined,
    }));
  return [...created, ...outside];
}

/** Stands for a key that is not the bucket's, in the upload cases the rule judges. */
const OTHER_KEY_ARN = "arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000000";

/**
 * What a policy gets wrong about upload encryption, judged on every case of UPLOAD_ENCRYPTION_CASES for an object
 * under `objects`: the uploads it lets through that must be denied, and those it refuses that must pass. Cases that
 * name the bucket's key are skipped when the stack does not say which key that is.
 */
function uploadEncryptionProblem(doc: PolicyDocument | undefined, objects: string, keyArn: string | undefined): string | undefined {
  const letThrough: string[] = [];
  const refused: string[] = [];
  for (const upload of UPLOAD_ENCRYPTION_CASES) {
    if (upload.namesBucketKey && keyArn === undefined) continue;
    const context = uploadConditionContext(upload.headers(keyArn ?? OTHER_KEY_ARN, OTHER_KEY_ARN));
    const request = { action: "s3:PutObject", resource: `${objects}/security-rule-probe`, context };
    const denied = (doc?.Statement ?? []).some((s) => denyApplies(s, request) === true);
    if (upload.expected === "Denied" && !denied) letThrough.push(upload.description);
    if (upload.expected === "Allowed" && denied) refused.push(upload.description);
  }
  const problems = [
    ...(letThrough.length > 0 ? [`lets through uploads with ${letThrough.join(", ")}`] : []),
    ...(refused.length > 0 ? [`refuses uploads with ${refused.join(", ")}, which keep the bucket's key`] : []),
  ];
  return problems.length > 0 ? problems.join("; and ") : undefined;
}

/**
 * The literal a resource argument holds: the value itself, or, for a reference to a resource of the stack
 * (`${aws_s3_bucket.x.id}`), that resource's argument (a bucket's `id` is its `bucket`).
 */
function literalOf(stack: StackJson, value: unknown): unknown {
  const ref = typeof value === "string" ? /^\$\{([\w-]+)\.([\w-]+)\.(\w+)\}$/.exec(value) : null;
  if (!ref) return value;
  const [, type = "", id = "", attribute = ""] = ref;
  const target = stack.resource?.[type]?.[id];
  return target?.[type === "aws_s3_bucket" && attribute === "id" ? "bucket" : attribute];
}

/** The alarms of the stack that a grant's half deploys through `provider`, watching `namespace`/`metric` with exactly `dimensions`. */
function alarmsOn(stack: StackJson, provider: string, namespace: string, metric: string, dimensions: Readonly<Record<string, string>>): Array<[string, Resource]> {
  return resources(stack, "aws_cloudwatch_metric_alarm").filter(([, a]) => {
    const dims = (a.dimensions ?? {}) as Record<string, unknown>;
    return (
      a.provider === provider &&
      a.namespace === namespace &&
      a.metric_name === metric &&
      Object.keys(dims).length === Object.keys(dimensions).length &&
      Object.entries(dimensions).every(([k, v]) => literalOf(stack, dims[k]) === v)
    );
  });
}

/** What is wrong with `alarm` for a half whose alarms notify `topicArn`: not notifying it when it fires. */
function notificationProblem(alarm: [string, Resource] | undefined, topicArn: string | undefined): string[] {
  if (!alarm || topicArn === undefined) return [];
  const [id, a] = alarm;
  return list(a.alarm_actions as string[] | undefined).includes(topicArn) && a.actions_enabled !== false
    ? []
    : [`aws_cloudwatch_metric_alarm.${id} does not notify ${topicArn}`];
}

/** What the Lambda account's half of a grant with alarms on lacks: the access-denied filter and alarm, the Errors alarm. */
function lambdaAlarmProblems(stack: StackJson, record: GrantRecord, functionName: string): string[] {
  const logGroup = `/aws/lambda/${functionName}`;
  const pattern = accessDeniedFilterPattern();
  const topic = record.alarms?.topicArn;
  const filters = resources(stack, "aws_cloudwatch_log_metric_filter").filter(
    ([, f]) => f.provider === record.provider && literalOf(stack, f.log_group_name) === logGroup && f.pattern === pattern,
  );
  const problems: string[] = [];
  if (filters.length === 0) problems.push(`no CloudWatch Logs metric filter on ${logGroup} with the pattern ${pattern}`);
  const metrics = filters.flatMap(([, f]) => list(f.metric_transformation as Resource | readonly Resource[] | undefined));
  const denied = metrics.flatMap((m) => alarmsOn(stack, record.provider, String(m.namespace), String(m.name), {}))[0];
  if (filters.length > 0 && !denied) problems.push(`no alarm on the metric of its access-denied filter (${metrics.map((m) => `${String(m.namespace)}/${String(m.name)}`).join(", ")})`);
  const errors = alarmsOn(stack, record.provider, "AWS/Lambda", "Errors", { FunctionName: functionName })[0];
  if (!errors) problems.push(`no alarm on AWS/Lambda Errors of ${functionName}`);
  return [...problems, ...notificationProblem(denied, topic), ...notificationProblem(errors, topic)];
}

/** What the bucket account's half of a grant with alarms on lacks: request metrics and a 4xxErrors alarm per prefix. */
function bucketAlarmProblems(stack: StackJson, record: GrantRecord): string[] {
  const { bucketName } = record.bucket;
  return record.grant.prefixes.flatMap(({ prefix }) => {
    const metric = resources(stack, "aws_s3_bucket_metric").find(([, m]) => {
      const filter = first(m.filter);
      return (
        m.provider === record.provider &&
        literalOf(stack, m.bucket) === bucketName &&
        filter?.prefix === prefix &&
        filter.tags === undefined &&
        filter.access_point === undefined
      );
    });
    if (!metric) return [`no S3 request metrics of ${bucketName} filtered to the prefix ${prefix}`];
    const filterId = String(metric[1].name);
    const alarm = alarmsOn(stack, record.provider, "AWS/S3", "4xxErrors", { BucketName: bucketName, FilterId: filterId })[0];
    if (!alarm) return [`no alarm on AWS/S3 4xxErrors of ${bucketName} for the request metrics ${filterId} (${prefix})`];
    return notificationProblem(alarm, record.alarms?.topicArn);
  });
}

/** The grant records of the stack (see grant-record.ts). */
const recordsIn = (stack: StackJson): readonly GrantRecord[] => stack["//"]?.[GRANT_RECORD_KEY]?.grants ?? [];

export const SECURITY_RULES: readonly SecurityRule[] = [
  bucketRule(
    "CAS-S3-1",
    "Block public access (all four settings)",
    "a grant must never be widened into public access by an ACL or a policy",
    (stack, id, bucket) => {
      const blocks = forBucket(stack, "aws_s3_bucket_public_access_block", id, bucket);
      const settings = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
      if (blocks.length === 0) return "has no public access block";
      const off = settings.filter((s) => blocks[0]?.[s] !== true);
      return off.length ? `public access block leaves ${off.join(", ")} off` : undefined;
    },
  ),
  bucketRule(
    "CAS-S3-2",
    "Object ownership: BucketOwnerEnforced",
    "ACLs disabled: the bucket account owns every object, whoever uploads it",
    (stack, id, bucket) => {
      const owner = forBucket(stack, "aws_s3_bucket_ownership_controls", id, bucket).map((r) => first(r.rule)?.object_ownership);
      return owner[0] === "BucketOwnerEnforced" ? undefined : `object ownership is ${String(owner[0] ?? "not set")}, not BucketOwnerEnforced`;
    },
  ),
  bucketRule("CAS-S3-3", "Versioning enabled", "an overwrite or delete by a grantee can be undone", (stack, id, bucket) => {
    if (isAccessLogBucket(stack, bucket.bucket)) return undefined; // judged by CAS-S3-10
    const status = forBucket(stack, "aws_s3_bucket_versioning", id, bucket).map((r) => first(r.versioning_configuration)?.status);
    return status[0] === "Enabled" ? undefined : `versioning is ${String(status[0] ?? "not configured")}`;
  }),
  bucketRule(
    "CAS-S3-4",
    "Default encryption: SSE-KMS with a customer-managed key and a bucket key",
    "the bucket account controls who can decrypt, and a bucket key keeps KMS calls and cost down",
    (stack, id, bucket) => {
      if (isAccessLogBucket(stack, bucket.bucket)) return undefined; // SSE-S3 by necessity: judged by CAS-S3-10
      const rule = forBucket(stack, "aws_s3_bucket_server_side_encryption_configuration", id, bucket).map((r) => first(r.rule))[0];
      const byDefault = first(rule?.apply_server_side_encryption_by_default);
      if (!byDefault) return "has no default encryption";
      if (byDefault.sse_algorithm !== "aws:kms" && byDefault.sse_algorithm !== "aws:kms:dsse") {
        return `default encryption is ${String(byDefault.sse_algorithm)}, not SSE-KMS`;
      }
      const key = String(byDefault.kms_master_key_id ?? "");
      if (!key || key.includes("alias/aws/")) return `default encryption uses ${key || "the AWS managed key"}, not a customer-managed key`;
      return rule?.bucket_key_enabled === true ? undefined : "bucket key is not enabled";
    },
  ),
  {
    id: "CAS-S3-5",
    title: "Deny requests without TLS",
    rationale: "credentials and data never cross the network in clear",
    check: (stack) =>
      bucketPolicies(stack).flatMap(({ resource, doc }) =>
        doc?.Statement.some(
          (s) =>
            s.Effect === "Deny" &&
            awsPrincipals(s).includes("*") &&
            list(s.Action).some((a) => a === "s3:*") &&
            String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false",
        )
          ? []
          : [{ resource, message: "bucket policy has no Deny of s3:* when aws:SecureTransport is false" }],
      ),
  },
  {
    id: "CAS-S3-6",
    title: "Uploads only under the bucket's key",
    rationale:
      "an upload may take the bucket's default encryption or name the bucket's key; SSE-S3, DSSE, SSE-C, aws:kms without a key ID (aws/s3) or another key would store objects the bucket account's key does not protect",
    check: (stack) => [
      ...bucketPolicies(stack).flatMap(({ resource, bucketArn, doc, keyArn }) => {
        if (isAccessLogBucket(stack, bucketArn)) return []; // no grant, no KMS key: judged by CAS-S3-10
        const problem = uploadEncryptionProblem(doc, bucketArn, keyArn);
        return problem ? [{ resource, message: `bucket policy ${problem}` }] : [];
      }),
      ...resources(stack, "aws_s3_access_point").flatMap(([id, ap]) => {
        const doc = parsePolicy(ap.policy);
        if (!doc) return [];
        const region = stack.provider?.aws?.find((p) => (p.alias ?? "") === String(ap.provider ?? "").replace(/^aws\./, ""))?.region ?? "us-east-1";
        const arn = `arn:${partitionOf(region).partition}:s3:${region}:${String(ap.account_id ?? accountOf(stack, ap))}:accesspoint/${String(ap.name)}`;
        const bucket = resources(stack, "aws_s3_bucket").find(([bucketId, b]) =>
          [`\${aws_s3_bucket.${bucketId}.id}`, `\${aws_s3_bucket.${bucketId}.bucket}`, b.bucket].includes(ap.bucket),
        );
        const problem = uploadEncryptionProblem(doc, `${arn}/object`, bucket ? defaultKeyOf(stack, bucket[0], bucket[1]) : undefined);
        return problem ? [{ resource: `aws_s3_access_point.${id}`, message: `access point policy ${problem}` }] : [];
      }),
    ],
  },
  {
    id: "CAS-S3-7",
    title: "ListBucket limited by s3:prefix",
    rationale: "a grantee sees only the key names under its prefixes",
    check: (stack) =>
      policies(stack).flatMap(({ resource, doc }) =>
        doc.Statement.flatMap((s, statement) =>
          s.Effect === "Allow" &&
          list(s.Action).some((a) => a === "s3:ListBucket") &&
          !conditionKeys(s).includes("s3:prefix") &&
          !delegatesToAccessPoints(s)
            ? [{ resource, statement, message: `statement ${s.Sid ?? "(no Sid)"} allows s3:ListBucket without an s3:prefix condition` }]
            : [],
        ),
      ),
  },
  {
    id: "CAS-KMS-1",
    title: "Key rotation enabled",
    rationale: "key material is replaced yearly without re-encrypting objects",
    check: (stack) =>
      resources(stack, "aws_kms_key")
        .filter(([, r]) => r.enable_key_rotation !== true)
        .map(([id]) => ({ resource: `aws_kms_key.${id}`, message: "key rotation is not enabled" })),
  },
  {
    id: "CAS-KMS-2",
    title: "Key use limited by kms:ViaService and kms:CallerAccount",
    rationale: "a grantee can use the key only through S3, from its own account, never call KMS directly",
    check: (stack) =>
      ["aws_kms_key", "aws_kms_key_policy"].flatMap((type) =>
        resources(stack, type).flatMap(([id, r]) => {
          const doc = parsePolicy(r.policy);
          const account = accountOf(stack, r);
          return (doc?.Statement ?? []).flatMap((s, statement) =>
            s.Effect === "Allow" &&
            !isKeyAdministration(s, account) &&
            !(conditionKeys(s).includes("kms:viaservice") && conditionKeys(s).includes("kms:calleraccount"))
              ? [{ resource: `${type}.${id}`, statement, message: `key policy statement ${s.Sid ?? "(no Sid)"} lacks kms:ViaService or kms:CallerAccount` }]
              : [],
          );
        }),
      ),
  },
  {
    id: "CAS-IAM-1",
    title: "No wildcard actions for a grantee",
    rationale: "s3:* or kms:* hands a grantee bucket and key administration",
    check: (stack) =>
      policies(stack).flatMap(({ kind, resource, doc }) => {
        const [type = "", id = ""] = resource.split(".");
        const account = kind === "key" ? accountOf(stack, stack.resource?.[type]?.[id] ?? {}) : undefined;
        return doc.Statement.flatMap((s, statement) =>
          s.Effect === "Allow" && !(kind === "key" && isKeyAdministration(s, account)) && list(s.Action).some((a) => a.includes("*"))
            ? [{ resource, statement, message: `statement ${s.Sid ?? "(no Sid)"} allows ${list(s.Action).filter((a) => a.includes("*")).join(", ")}` }]
            : [],
        );
      }),
  },
  {
    id: "CAS-IAM-2",
    title: "No public principal without a restricting condition",
    rationale: 'Principal "*" in an Allow is anyone on the internet unless a condition narrows it',
    check: (stack) =>
      policies(stack).flatMap(({ resource, doc }) =>
        doc.Statement.flatMap((s, statement) =>
          s.Effect === "Allow" && awsPrincipals(s).includes("*") && !conditionKeys(s).some((k) => RESTRICTING_KEYS.includes(k))
            ? [{ resource, statement, message: `statement ${s.Sid ?? "(no Sid)"} allows Principal "*" without an organization, account, ARN or VPC condition` }]
            : [],
        ),
      ),
  },
  {
    id: "CAS-IAM-3",
    title: "Cross-account trust guarded by sts:ExternalId or aws:PrincipalOrgID",
    rationale: "another account's role may assume ours only with a shared secret or from our organization (confused deputy)",
    check: (stack) =>
      resources(stack, "aws_iam_role").flatMap(([id, r]) => {
        const doc = parsePolicy(r.assume_role_policy);
        const account = accountOf(stack, r);
        return (doc?.Statement ?? []).flatMap((s, statement) =>
          s.Effect === "Allow" &&
          awsPrincipals(s).some((p) => account === undefined || !p.includes(`:${account}:`)) &&
          !conditionKeys(s).some((k) => k === "sts:externalid" || k === "aws:principalorgid")
            ? [{ resource: `aws_iam_role.${id}`, statement, message: `trust statement ${s.Sid ?? "(no Sid)"} lets another account assume the role without sts:ExternalId or aws:PrincipalOrgID` }]
            : [],
        );
      }),
  },
  {
    id: "CAS-MON-1",
    title: "Alarms on every grant while its alarms are on",
    rationale:
      "a grant that stops working (a key policy edited by hand, a role recreated, a prefix renamed) fails with AccessDenied, and without an alarm the first to notice is a user",
    check: (stack) =>
      recordsIn(stack).flatMap((record) => {
        // A record written before alarms existed says nothing about them; one with the alarms off asks for none.
        if (record.alarms?.enabled !== true) return [];
        const lambda = record.half === "lambda";
        if (lambda && record.lambda.functionName === undefined) return [];
        const problems = lambda ? lambdaAlarmProblems(stack, record, record.lambda.functionName!) : bucketAlarmProblems(stack, record);
        const resource = lambda ? record.resources.function : (record.resources.bucket ?? record.resources.bucketPolicy);
        if (problems.length === 0 || resource === undefined) return [];
        const half = lambda ? "Lambda account's" : "bucket account's";
        return [{ resource, message: `the ${half} half of the grant ${record.configPath ?? record.construct} has its alarms on, but ${problems.join("; ")}` }];
      }),
  },
  {
    id: "CAS-LOG-1",
    title: "Log retention set",
    rationale: "function logs are kept as long as needed and no longer",
    check: (stack) =>
      resources(stack, "aws_cloudwatch_log_group")
        .filter(([, r]) => typeof r.retention_in_days !== "number" || r.retention_in_days <= 0)
        .map(([id]) => ({ resource: `aws_cloudwatch_log_group.${id}`, message: "log group keeps logs forever (no retention_in_days)" })),
  },
  ...BUCKET_HYGIENE_RULES,
];
