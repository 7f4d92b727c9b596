/**
 * The security rules every stack is checked against at synth. Each rule reads the stack's Terraform JSON — exactly
 * what would be deployed, overrides included — as Terraform will apply it: every resource that sets a policy or a
 * setting on a bucket, key or role, however it names its target, with escapes undone and references resolved. None of
 * the general-purpose scanners understands a cross-account grant; these rules do (key use through S3 only, trust
 * guarded across accounts, listing limited by prefix, uploads pinned to the bucket's key).
 */
import { matchesWildcard } from "../core/policy-document";
import {
  accessPointsOn,
  BUCKET_SETTING_TYPES,
  bucketSettingSources,
  bucketsOf,
  keySettingSources,
  keysOf,
  keyTargetOf,
  outsideAccessPointPolicies,
  type BucketSettingSources,
  type SettingSource,
} from "../core/stack-settings";
import {
  accountInArn,
  awsPrincipalsOf,
  conditionKeysOf,
  type ReadStatement,
  type StackJson,
  type StackView,
  type SynthResource,
} from "../core/stack-view";
import { UPLOAD_ENCRYPTION_CASES, uploadConditionContext } from "../policy/upload-encryption";
import { alarmViolations } from "./alarm-rule";
import { BUCKET_HYGIENE_RULES, isAccessLogBucket } from "./bucket-hygiene-rules";
import { denyApplies } from "./deny-match";
import { stackPolicies, viewOf, type StackPolicy } from "./stack-policies";
import { literalArgumentProblems } from "./literal-arguments";
import { undeclaredEventKeys, unnamedBusSenders, unsourcedServiceGrants } from "./event-rules";
import { managedKeyDestinations, notificationEntryProblems } from "./notification-rules";

export type { StackJson } from "../core/stack-view";

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

const first = (value: unknown): Readonly<Record<string, unknown>> | undefined =>
  (Array.isArray(value) ? value[0] : value) as Readonly<Record<string, unknown>> | undefined;
const sid = (s: ReadStatement) => s.Sid ?? "(no Sid)";

/** A boolean argument as Terraform reads it (a JSON boolean, or the string "true"/"false"). */
function boolOf(view: StackView, value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  const text = view.valueOf(value);
  return text === "true" ? true : text === "false" ? false : undefined;
}

/** Whether an Allow statement's actions take in `action` (IAM's wildcards, NotAction included). */
function allowsAction(s: ReadStatement, action: string): boolean {
  if (s.NotAction) return !s.NotAction.some((a) => matchesWildcard(a, action, true));
  return (s.Action ?? []).some((a) => matchesWildcard(a, action, true));
}

/** An account root or ID a principal names: `arn:aws:iam::123456789012:root` or `123456789012`. */
const rootAccount = (principal: string): string | undefined =>
  /^arn:aws[\w-]*:iam::(\d{12}):root$/.exec(principal)?.[1] ?? (/^\d{12}$/.test(principal) ? principal : undefined);

/**
 * The key administration statement: kms:* for an account root, unconditioned — the key's own account when the stack
 * says which (its provider assumes a role in it or allows only it); otherwise any single account root.
 */
function isKeyAdministration(s: ReadStatement, keyAccount: string | undefined): boolean {
  const principals = awsPrincipalsOf(s);
  const [only] = principals;
  if (s.Condition !== undefined || principals.length !== 1 || only === undefined) return false;
  if (!(s.Action ?? []).some((a) => a === "kms:*" || a === "*")) return false;
  const root = rootAccount(only);
  return root !== undefined && (keyAccount === undefined || root === keyAccount);
}

/**
 * A key policy statement for AWS services alone, bound to the resource that calls them (both aws:SourceArn and
 * aws:SourceAccount): S3 encrypting its notifications on a grant's queue. A service calls KMS from its own account, so
 * kms:CallerAccount cannot bind it; its source does.
 */
function isSourceBoundService(s: ReadStatement): boolean {
  if (s.Principal === undefined || s.Principal === "*") return false;
  const kinds = Object.keys(s.Principal);
  // Each source key given in full: no wildcard in an ARN, twelve digits for an account.
  const valuesOf = (key: string) =>
    Object.entries(s.Condition ?? {}).flatMap(([operator, entries]) =>
      operator.startsWith("ForAnyValue:") || operator.endsWith("IfExists")
        ? []
        : Object.entries(entries).flatMap(([k, values]) => (k.toLowerCase() === key ? values : [])),
    );
  const arns = valuesOf("aws:sourcearn");
  const accounts = valuesOf("aws:sourceaccount");
  return (
    kinds.length === 1 &&
    kinds[0] === "Service" &&
    arns.length > 0 &&
    arns.every((a) => !/[*?]/.test(a)) &&
    accounts.length > 0 &&
    accounts.every((a) => /^\d{12}$/.test(a))
  );
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
const delegatesToAccessPoints = (s: ReadStatement): boolean =>
  conditionKeysOf(s).some((k) => k === "s3:dataaccesspointaccount" || k === "s3:dataaccesspointarn");

/** Each bucket the stack creates, with every source of each of its settings. */
function createdBuckets(
  stack: StackJson,
): Array<{ address: string; name: string; bucket: SynthResource; sources: BucketSettingSources }> {
  const view = viewOf(stack);
  return [...bucketsOf(view)].flatMap(([name, { created }]) =>
    created
      ? [
          {
            address: `aws_s3_bucket.${created[0]}`,
            name,
            bucket: created[1],
            sources: bucketSettingSources(view, name),
          },
        ]
      : [],
  );
}

/** A rule over each bucket the stack creates: `problems` lists what is wrong with it, each reported on the bucket. */
const bucketRule = (
  id: string,
  title: string,
  rationale: string,
  problems: (
    view: StackView,
    bucket: { name: string; bucket: SynthResource; sources: BucketSettingSources },
  ) => string[],
): SecurityRule => ({
  id,
  title,
  rationale,
  check: (stack) =>
    createdBuckets(stack).flatMap((b) =>
      problems(viewOf(stack), b).map((message) => ({ resource: b.address, message })),
    ),
});

/** `what` of a setting source, prefixed with the resource when it is not the bucket's own argument. */
const from = (s: SettingSource, what: string) =>
  s.inline ? `${what} (its ${s.argument} argument)` : `${what} (${s.address})`;

function publicAccessProblems(view: StackView, { sources }: { sources: BucketSettingSources }): string[] {
  if (sources.publicAccessBlock.length === 0) return ["has no public access block"];
  const settings = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
  return sources.publicAccessBlock.flatMap((s) => {
    const off = settings.filter((name) => boolOf(view, s.resource[name]) !== true);
    return off.length ? [from(s, `public access block leaves ${off.join(", ")} off`)] : [];
  });
}

/** An ACL that grants anything beyond the bucket owner: a canned ACL other than private, or grants to others. */
function aclProblem(view: StackView, s: SettingSource): string | undefined {
  if (s.inline && s.argument === "grant") return from(s, "grants ACL permissions");
  const canned = view.valueOf(s.inline ? s.resource.acl : s.resource.acl);
  if (canned !== undefined && canned !== "private") return from(s, `has the ACL ${canned}`);
  const policy = first(s.resource.access_control_policy);
  if (!policy) return undefined;
  const owner = view.valueOf(first(policy.owner)?.id);
  const others = ([] as unknown[])
    .concat(policy.grant ?? [])
    .filter((g) => view.valueOf(first((g as Record<string, unknown>).grantee)?.id) !== owner);
  return others.length > 0
    ? from(s, `grants ACL permissions to ${others.length} grantee(s) other than the owner`)
    : undefined;
}

function ownershipProblems(view: StackView, { sources }: { sources: BucketSettingSources }): string[] {
  const owners = sources.ownership.map((s) => ({ s, value: view.valueOf(first(s.resource.rule)?.object_ownership) }));
  const problems = owners
    .filter(({ value }) => value !== "BucketOwnerEnforced")
    .map(({ s, value }) => from(s, `object ownership is ${value ?? "not set"}, not BucketOwnerEnforced`));
  if (owners.length === 0) problems.push("object ownership is not set, not BucketOwnerEnforced");
  return [...problems, ...sources.acl.flatMap((s) => aclProblem(view, s) ?? [])];
}

function versioningProblems(view: StackView, { sources }: { sources: BucketSettingSources }): string[] {
  if (sources.versioning.length === 0) return ["versioning is not configured"];
  return sources.versioning.flatMap((s) => {
    const block = first(s.resource[s.argument]);
    const enabled = s.inline ? boolOf(view, block?.enabled) === true : view.valueOf(block?.status) === "Enabled";
    const status = s.inline ? `enabled = ${String(block?.enabled)}` : (view.valueOf(block?.status) ?? "not set");
    return enabled ? [] : [from(s, `versioning is ${status}`)];
  });
}

/** The encryption rules of one source (the standalone resource's `rule`, or the inline block's). */
const encryptionRules = (s: SettingSource): Array<Readonly<Record<string, unknown>>> =>
  (s.inline
    ? ([] as unknown[]).concat(first(s.resource[s.argument])?.rule ?? [])
    : ([] as unknown[]).concat(s.resource.rule ?? [])) as Array<Readonly<Record<string, unknown>>>;

function encryptionProblems(view: StackView, { sources }: { sources: BucketSettingSources }): string[] {
  if (sources.encryption.length === 0) return ["has no default encryption"];
  return sources.encryption.flatMap((s) => {
    const rules = encryptionRules(s);
    const byDefault = rules.map((r) => first(r.apply_server_side_encryption_by_default)).find((d) => d !== undefined);
    if (!byDefault) return [from(s, "has no default encryption")];
    const algorithm = view.valueOf(byDefault.sse_algorithm);
    if (algorithm !== "aws:kms" && algorithm !== "aws:kms:dsse")
      return [from(s, `default encryption is ${algorithm ?? "not set"}, not SSE-KMS`)];
    const key = view.valueOf(byDefault.kms_master_key_id) ?? "";
    if (!key || key.includes("alias/aws/"))
      return [from(s, `default encryption uses ${key || "the AWS managed key"}, not a customer-managed key`)];
    return rules.some((r) => boolOf(view, r.bucket_key_enabled) === true) ? [] : [from(s, "bucket key is not enabled")];
  });
}

/** A bucket policy the stack writes (for a bucket it creates or one outside it), with what the rules need to judge it. */
interface BucketPolicyInStack {
  /** Where a violation is reported: the bucket, or the policy when the bucket is not in the stack. */
  readonly resource: string;
  readonly bucketArn: string;
  /** The policy's statements; undefined when a bucket the stack creates has no policy. */
  readonly statements: readonly ReadStatement[] | undefined;
  /** The bucket's default KMS key, as the stack names it; undefined when the stack does not say. */
  readonly keyArn: string | undefined;
}

/** The key a bucket's default encryption names, when there is one customer-managed key. */
function defaultKeyOf(view: StackView, sources: BucketSettingSources): string | undefined {
  const keys = sources.encryption.flatMap((s) =>
    encryptionRules(s).map((r) => view.valueOf(first(r.apply_server_side_encryption_by_default)?.kms_master_key_id)),
  );
  const [key] = keys;
  return keys.length === 1 && key && !key.includes("alias/aws/") ? key : undefined;
}

/** Every bucket policy of the stack: each source of each bucket's policy, and a created bucket without one. */
function bucketPolicies(stack: StackJson): BucketPolicyInStack[] {
  const view = viewOf(stack);
  const policies = stackPolicies(stack).filter((p) => p.kind === "bucket");
  return [...bucketsOf(view)].flatMap(([name, { created }]): BucketPolicyInStack[] => {
    const sources = bucketSettingSources(view, name);
    const bucketArn = `arn:${view.partitionOf(created?.[1] ?? sources.policy[0]?.resource ?? {})}:s3:::${name}`;
    const keyArn = defaultKeyOf(view, sources);
    const resourceOf = (s: SettingSource) => (created ? `aws_s3_bucket.${created[0]}` : s.address);
    if (created && sources.policy.length === 0)
      return [{ resource: `aws_s3_bucket.${created[0]}`, bucketArn, statements: undefined, keyArn }];
    return sources.policy.flatMap((s) => {
      const policy = policies.find((p) => p.resource === s.address && p.argument === s.argument);
      return policy && !policy.problem
        ? [{ resource: resourceOf(s), bucketArn, statements: policy.statements, keyArn }]
        : [];
    });
  });
}

/** Stands for a key that is not the bucket's, in the upload cases the rule judges. */
const OTHER_KEY_ARN = "arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000000";

/**
 * What a policy gets wrong about upload encryption, judged on every case of UPLOAD_ENCRYPTION_CASES for an object
 * under `objects`: the uploads it lets through that must be denied, and those it refuses that must pass. Cases that
 * name the bucket's key are skipped when the stack does not say which key that is.
 */
function uploadEncryptionProblem(
  statements: readonly ReadStatement[] | undefined,
  objects: string,
  keyArn: string | undefined,
): string | undefined {
  const letThrough: string[] = [];
  const refused: string[] = [];
  for (const upload of UPLOAD_ENCRYPTION_CASES) {
    if (upload.namesBucketKey && keyArn === undefined) continue;
    const context = uploadConditionContext(upload.headers(keyArn ?? OTHER_KEY_ARN, OTHER_KEY_ARN));
    const request = { action: "s3:PutObject", resource: `${objects}/security-rule-probe`, context };
    const denied = (statements ?? []).some((s) => denyApplies(s, request) === true);
    if (upload.expected === "Denied" && !denied) letThrough.push(upload.description);
    if (upload.expected === "Allowed" && denied) refused.push(upload.description);
  }
  const problems = [
    ...(letThrough.length > 0 ? [`lets through uploads with ${letThrough.join(", ")}`] : []),
    ...(refused.length > 0 ? [`refuses uploads with ${refused.join(", ")}, which keep the bucket's key`] : []),
  ];
  return problems.length > 0 ? problems.join("; and ") : undefined;
}

/** Whether a Deny statement refuses every S3 request without TLS, on the bucket and its objects, for everyone. */
function deniesInsecureTransport(s: ReadStatement, bucketArn: string): boolean {
  const covers = (resource: string) => (s.Resource ?? []).some((r) => matchesWildcard(r, resource));
  const condition = Object.entries(s.Condition ?? {});
  return (
    s.Effect === "Deny" &&
    s.NotAction === undefined &&
    s.NotResource === undefined &&
    awsPrincipalsOf(s).includes("*") &&
    (s.Action ?? []).some((a) => matchesWildcard(a, "s3:*", true) && a.toLowerCase().endsWith("*")) &&
    covers(bucketArn) &&
    covers(`${bucketArn}/any-object`) &&
    condition.length === 1 &&
    condition[0]![0] === "Bool" &&
    Object.keys(condition[0]![1]).length === 1 &&
    (condition[0]![1]["aws:SecureTransport"] ?? []).join() === "false"
  );
}

/** Access point policies, each with its access point's ARN and the bucket's default key. */
function accessPointPolicies(
  stack: StackJson,
): Array<{ resource: string; arn: string; statements: readonly ReadStatement[]; keyArn: string | undefined }> {
  const view = viewOf(stack);
  const policies = stackPolicies(stack);
  const read = (s: SettingSource) =>
    policies.find((p) => p.resource === s.address && p.argument === s.argument && !p.problem)?.statements;
  const onBuckets = [...bucketsOf(view)].flatMap(([name]) => {
    const keyArn = defaultKeyOf(view, bucketSettingSources(view, name));
    return accessPointsOn(view, name).flatMap((ap) =>
      ap.policy.flatMap((s) => {
        const statements = read(s);
        return statements && ap.arn ? [{ resource: s.address, arn: ap.arn, statements, keyArn }] : [];
      }),
    );
  });
  const outside = outsideAccessPointPolicies(view).flatMap((s) => {
    const statements = read(s);
    const arn = view.valueOf(s.resource.access_point_arn);
    return statements && arn ? [{ resource: s.address, arn, statements, keyArn: undefined }] : [];
  });
  return [...onBuckets, ...outside];
}

/** The account of the resource a policy is written by, from its provider (see StackView.placeOf). */
const accountOfPolicy = (stack: StackJson, p: StackPolicy) => viewOf(stack).placeOf(p.target).accountId;

/** The readable policies of the stack, optionally of some kinds. */
const readable = (stack: StackJson, kinds?: readonly string[]) =>
  stackPolicies(stack).filter((p) => !p.problem && (kinds === undefined || kinds.includes(p.kind)));

/** Every setting a bucket, key or access point receives from two resources (or a resource and an inline argument). */
function duplicateSettings(stack: StackJson): RuleViolation[] {
  const view = viewOf(stack);
  const report = (what: string, sources: readonly SettingSource[]): RuleViolation[] => {
    const unique = [...new Map(sources.map((s) => [`${s.address} ${s.argument}`, s])).values()];
    if (unique.length < 2) return [];
    const names = unique.map((s) => (s.inline ? `${s.address} (its ${s.argument} argument)` : s.address)).join(" and ");
    const message = `${names} all set ${what}: Terraform applies each over the other, so what AWS keeps depends on the order of apply; keep one`;
    return [...new Set(unique.map((s) => s.address))].map((resource) => ({ resource, message }));
  };
  const buckets = [...bucketsOf(view)].flatMap(([name]) => {
    const sources = bucketSettingSources(view, name);
    return (Object.keys(BUCKET_SETTING_TYPES) as Array<keyof BucketSettingSources>).flatMap((setting) =>
      report(`the ${setting} of bucket ${name}`, sources[setting]),
    );
  });
  const keys = keysOf(view).flatMap(({ target, name }) =>
    report(`the key policy of ${name}`, keySettingSources(view, target).policy),
  );
  const points = [...bucketsOf(view)].flatMap(([name]) =>
    accessPointsOn(view, name).flatMap((ap) => report(`the policy of access point ${ap.address}`, ap.policy)),
  );
  return [...buckets, ...keys, ...points];
}

/** Every KMS grant of the stack, as a violation: a grant gives key use with no kms:ViaService or kms:CallerAccount. */
function kmsGrantViolations(stack: StackJson): RuleViolation[] {
  const view = viewOf(stack);
  return view.resources("aws_kms_grant").map(([id, g]) => {
    const target = keyTargetOf(view, g.key_id);
    const key = !target ? "a key" : "stackKey" in target ? `aws_kms_key.${target.stackKey}` : target.literal;
    const operations = ([] as unknown[])
      .concat(g.operations ?? [])
      .map((o) => view.valueOf(o) ?? "?")
      .join(", ");
    return {
      resource: `aws_kms_grant.${id}`,
      message: `KMS grant gives ${view.valueOf(g.grantee_principal) ?? "a principal"} ${operations} on ${key} outside its key policy, with no kms:ViaService or kms:CallerAccount`,
    };
  });
}

export const SECURITY_RULES: readonly SecurityRule[] = [
  bucketRule(
    "CAS-S3-1",
    "Block public access (all four settings)",
    "a grant must never be widened into public access by an ACL or a policy",
    publicAccessProblems,
  ),
  bucketRule(
    "CAS-S3-2",
    "Object ownership: BucketOwnerEnforced, no ACL grants",
    "ACLs disabled: the bucket account owns every object, whoever uploads it, and no ACL opens the bucket",
    ownershipProblems,
  ),
  bucketRule("CAS-S3-3", "Versioning enabled", "an overwrite or delete by a grantee can be undone", (view, b) =>
    // A log bucket (the target of a logging configuration) is judged by CAS-S3-10.
    isAccessLogBucket(view.json, b.name) ? [] : versioningProblems(view, b),
  ),
  bucketRule(
    "CAS-S3-4",
    "Default encryption: SSE-KMS with a customer-managed key and a bucket key",
    "the bucket account controls who can decrypt, and a bucket key keeps KMS calls and cost down",
    // A log bucket is SSE-S3 by necessity: judged by CAS-S3-10.
    (view, b) => (isAccessLogBucket(view.json, b.name) ? [] : encryptionProblems(view, b)),
  ),
  {
    id: "CAS-S3-5",
    title: "Deny requests without TLS",
    rationale: "credentials and data never cross the network in clear",
    check: (stack) =>
      bucketPolicies(stack).flatMap(({ resource, bucketArn, statements }) =>
        statements?.some((s) => deniesInsecureTransport(s, bucketArn))
          ? []
          : [
              {
                resource,
                message:
                  "bucket policy has no Deny of s3:* on the bucket and its objects when aws:SecureTransport is false",
              },
            ],
      ),
  },
  {
    id: "CAS-S3-6",
    title: "Uploads only under the bucket's key",
    rationale:
      "an upload may take the bucket's default encryption or name the bucket's key; SSE-S3, DSSE, SSE-C, aws:kms without a key ID (aws/s3) or another key would store objects the bucket account's key does not protect",
    check: (stack) => [
      ...bucketPolicies(stack).flatMap(({ resource, bucketArn, statements, keyArn }) => {
        if (isAccessLogBucket(stack, bucketArn)) return []; // no grant, no KMS key: judged by CAS-S3-10
        const problem = uploadEncryptionProblem(statements, bucketArn, keyArn);
        return problem ? [{ resource, message: `bucket policy ${problem}` }] : [];
      }),
      ...accessPointPolicies(stack).flatMap(({ resource, arn, statements, keyArn }) => {
        const problem = uploadEncryptionProblem(statements, `${arn}/object`, keyArn);
        return problem ? [{ resource, message: `access point policy ${problem}` }] : [];
      }),
    ],
  },
  {
    id: "CAS-S3-7",
    title: "ListBucket limited by s3:prefix",
    rationale: "a grantee sees only the key names under its prefixes",
    check: (stack) =>
      readable(stack).flatMap(({ resource, statements }) =>
        statements.flatMap((s, statement) =>
          s.Effect === "Allow" &&
          allowsAction(s, "s3:ListBucket") &&
          !conditionKeysOf(s).includes("s3:prefix") &&
          !delegatesToAccessPoints(s)
            ? [
                {
                  resource,
                  statement,
                  message: `statement ${sid(s)} allows s3:ListBucket without an s3:prefix condition`,
                },
              ]
            : [],
        ),
      ),
  },
  ...BUCKET_HYGIENE_RULES,
  {
    id: "CAS-KMS-1",
    title: "Key rotation enabled",
    rationale: "key material is replaced yearly without re-encrypting objects",
    check: (stack) =>
      viewOf(stack)
        .resources("aws_kms_key")
        .filter(([, r]) => boolOf(viewOf(stack), r.enable_key_rotation) !== true)
        .map(([id]) => ({ resource: `aws_kms_key.${id}`, message: "key rotation is not enabled" })),
  },
  {
    id: "CAS-KMS-2",
    title: "Key use limited by kms:ViaService and kms:CallerAccount",
    rationale:
      "a grantee can use the key only through S3, from its own account, never call KMS directly; a service only for the resource that calls it (aws:SourceArn and aws:SourceAccount)",
    check: (stack) => [
      ...readable(stack, ["key"]).flatMap((p) =>
        p.statements.flatMap((s, statement) =>
          s.Effect === "Allow" &&
          !isKeyAdministration(s, accountOfPolicy(stack, p)) &&
          !isSourceBoundService(s) &&
          !(conditionKeysOf(s).includes("kms:viaservice") && conditionKeysOf(s).includes("kms:calleraccount"))
            ? [
                {
                  resource: p.resource,
                  statement,
                  message: `key policy statement ${sid(s)} lacks kms:ViaService or kms:CallerAccount`,
                },
              ]
            : [],
        ),
      ),
      ...kmsGrantViolations(stack),
    ],
  },
  {
    id: "CAS-IAM-1",
    title: "No wildcard actions for a grantee",
    rationale: "s3:*, s3:PutBucketAc? or a NotAction hands a grantee bucket and key administration",
    check: (stack) =>
      readable(stack).flatMap((p) =>
        p.statements.flatMap((s, statement) => {
          if (s.Effect !== "Allow" || (p.kind === "key" && isKeyAdministration(s, accountOfPolicy(stack, p))))
            return [];
          if (s.NotAction)
            return [
              {
                resource: p.resource,
                statement,
                message: `statement ${sid(s)} allows every action but ${s.NotAction.join(", ")} (NotAction)`,
              },
            ];
          const wild = (s.Action ?? []).filter((a) => a.includes("*") || a.includes("?"));
          return wild.length
            ? [{ resource: p.resource, statement, message: `statement ${sid(s)} allows ${wild.join(", ")}` }]
            : [];
        }),
      ),
  },
  {
    id: "CAS-IAM-2",
    title: "No public principal without a restricting condition",
    rationale: 'Principal "*" (or a NotPrincipal) in an Allow is anyone on the internet unless a condition narrows it',
    check: (stack) =>
      readable(stack).flatMap(({ resource, statements }) =>
        statements.flatMap((s, statement) =>
          s.Effect === "Allow" &&
          (awsPrincipalsOf(s).includes("*") || s.NotPrincipal !== undefined) &&
          !conditionKeysOf(s).some((k) => RESTRICTING_KEYS.includes(k))
            ? [
                {
                  resource,
                  statement,
                  message: `statement ${sid(s)} allows ${s.NotPrincipal ? "everyone but its NotPrincipal" : 'Principal "*"'} without an organization, account, ARN or VPC condition`,
                },
              ]
            : [],
        ),
      ),
  },
  {
    id: "CAS-IAM-3",
    title: "Cross-account trust guarded by sts:ExternalId or aws:PrincipalOrgID",
    rationale:
      "another account's role may assume ours only with a shared secret or from our organization (confused deputy)",
    check: (stack) =>
      readable(stack, ["trust"]).flatMap((p) => {
        const account = accountOfPolicy(stack, p);
        return p.statements.flatMap((s, statement) =>
          s.Effect === "Allow" &&
          (s.NotPrincipal !== undefined ||
            awsPrincipalsOf(s).some(
              (principal) => account === undefined || (rootAccount(principal) ?? accountInArn(principal)) !== account,
            )) &&
          !conditionKeysOf(s).some((k) => k === "sts:externalid" || k === "aws:principalorgid")
            ? [
                {
                  resource: p.resource,
                  statement,
                  message: `trust statement ${sid(s)} lets another account assume the role without sts:ExternalId or aws:PrincipalOrgID`,
                },
              ]
            : [],
        );
      }),
  },
  {
    id: "CAS-EVT-1",
    title: "Service principals only with their source",
    rationale:
      "a queue, bus, key, role or function that lets an AWS service in without aws:SourceArn or aws:SourceAccount (source_arn for a Lambda permission) lets that service act for any account's resource (the confused deputy)",
    check: unsourcedServiceGrants,
  },
  {
    id: "CAS-EVT-2",
    title: "Another account puts events on a bus only from named rules",
    rationale:
      "an event bus policy that lets another account in without aws:SourceArn accepts any event any principal of that account sends",
    check: unnamedBusSenders,
  },
  {
    id: "CAS-EVT-3",
    title: "Event rules of a granted bucket match only the declared event prefixes",
    rationale:
      "a rule on a bucket's S3 events forwards key names: one matching keys outside the grant's event prefixes tells the grantee of objects it was not granted",
    check: undeclaredEventKeys,
  },
  {
    id: "CAS-EVT-4",
    title: "No queue or topic that a service sends to on an AWS-managed key",
    rationale:
      "no service may use an AWS-managed key (alias/aws/sqs, alias/aws/sns) for another's resource: S3's notifications to a queue under one are lost without an error",
    check: managedKeyDestinations,
  },
  {
    id: "CAS-EVT-5",
    title: "Notification entries apart, and on a granted bucket only the declared ones",
    rationale:
      "S3 refuses a configuration whose entries overlap; an entry no one declared on a granted bucket sends its key names to another party",
    check: notificationEntryProblems,
  },
  {
    id: "CAS-MON-1",
    title: "Alarms on every grant while its alarms are on",
    rationale:
      "a grant that stops working (a key policy edited by hand, a role recreated, a prefix renamed) fails with AccessDenied, and without an alarm the first to notice is a user",
    check: alarmViolations,
  },
  {
    id: "CAS-LOG-1",
    title: "Log retention set",
    rationale: "function logs are kept as long as needed and no longer",
    check: (stack) =>
      viewOf(stack)
        .resources("aws_cloudwatch_log_group")
        .filter(([, r]) => typeof r.retention_in_days !== "number" || r.retention_in_days <= 0)
        .map(([id]) => ({
          resource: `aws_cloudwatch_log_group.${id}`,
          message: "log group keeps logs forever (no retention_in_days)",
        })),
  },
  {
    id: "CAS-TF-1",
    title: "What the rules read is what Terraform applies",
    rationale:
      "Terraform evaluates ${...} and %{...} in every string: a policy or setting holding an expression is judged here as text and applied as something else",
    check: (stack) => [
      ...stackPolicies(stack).flatMap((p) =>
        p.problem ? [{ resource: p.resource, message: `${p.argument}: ${p.problem}` }] : [],
      ),
      ...literalArgumentProblems(viewOf(stack)),
    ],
  },
  {
    id: "CAS-TF-2",
    title: "One resource per setting",
    rationale:
      "two resources that set the same policy or setting overwrite each other at every apply, and the rules cannot know which one AWS keeps",
    check: duplicateSettings,
  },
];
