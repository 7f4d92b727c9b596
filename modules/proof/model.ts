/**
 * The access model of one bucket: every policy document the synthesized stacks would deploy that decides a request
 * on it — the grantees' identity policies (inline, customer-managed and AWS-managed), the S3 access roles' trust and
 * policies, the bucket policy, the key policy (and the KMS grants on the key) and the access points' policies — with
 * the concrete ARNs they name. The grant records are the declaration only: the model finds the resources that govern
 * the declared bucket, key and roles itself, in every stack given, however they name their target, and reads each
 * resource's account and region from its provider's block. The one value known only after apply, the KMS key's ID,
 * gets a single stand-in.
 */
import { accountOf } from "../core/arn";
import { CrossAccountS3Error } from "../core/errors";
import type { GrantRecord } from "../record/grant-record";
import type { PolicyDocument, PolicyStatement } from "../core/policy-document";
import {
  accessPointsOn,
  bucketSettingSources,
  keySettingSources,
  keyTargetOf,
  roleSources,
  sameKey,
  type KeyTarget,
  type SettingSource,
} from "../core/stack-settings";
import {
  KEY_ID_STAND_IN,
  PolicyShapeError,
  StackView,
  type ProviderPlace,
  type SynthResource,
} from "../core/stack-view";
import { TemplateError } from "../core/terraform-text";
import { KNOWN_MANAGED_POLICIES } from "./managed-policies";
import type { SynthesizedStack } from "./load";

export { KEY_ID_STAND_IN } from "../core/stack-view";

export interface ModelRole {
  /** The role's ARN, path included. */
  readonly arn: string;
  readonly name: string;
  readonly accountId: string;
  /** The trust policy; undefined for a role the stacks do not create. */
  readonly trustPolicy?: PolicyDocument | undefined;
  /** Every identity policy seen, by a name that says where it comes from. */
  readonly policies: Readonly<Record<string, PolicyDocument>>;
  /** Whether the stacks create the role; if not, its policies outside them were not seen. */
  readonly created: boolean;
}

/** An S3 access point on the bucket: requests through it are judged by its policy, then by the bucket policy. */
export interface ModelAccessPoint {
  readonly arn: string;
  readonly name: string;
  readonly accountId: string;
  readonly region: string;
  readonly policy: PolicyDocument;
}

export interface AccessModel {
  /** The bucket's name, for reports. */
  readonly name: string;
  readonly partition: string;
  readonly bucketAccountId: string;
  readonly bucketRegion: string;
  /** Every role the grants on the bucket name, by ARN. */
  readonly roles: Readonly<Record<string, ModelRole>>;
  readonly bucket: {
    readonly name: string;
    readonly arn: string;
    readonly accountId: string;
    readonly policy: PolicyDocument;
  };
  readonly key: {
    readonly arn: string;
    readonly accountId: string;
    readonly aliases: readonly string[];
    readonly policy: PolicyDocument;
  };
  /** The bucket's access points by ARN. */
  readonly accessPoints: Readonly<Record<string, ModelAccessPoint>>;
  /** What the model could not see, in words, for the report. */
  readonly unseen: readonly string[];
  /**
   * What the stacks do that the proof refuses to judge as a verdict: two resources setting one policy, a key or a
   * bucket deployed where the declaration does not say. Each is a mismatch of every grant on the bucket.
   */
  readonly problems?: readonly string[] | undefined;
}

/** The model cannot be built as the stacks stand: a reference it cannot resolve, a policy it cannot see. */
export class ModelError extends CrossAccountS3Error {
  constructor(message: string) {
    super(message);
  }
}

export interface ModelOptions {
  /** Documents of managed policies the stacks attach but do not define, by ARN (AWS-managed ones included). */
  readonly managedPolicies?: Readonly<Record<string, PolicyDocument>> | undefined;
}

/** One half of a grant, with the stack that recorded it. */
export interface RecordedHalf {
  readonly record: GrantRecord;
  readonly stack: SynthesizedStack;
}

/** A stack read as Terraform applies it, for the proof: every value must be known. */
export interface ProofView {
  readonly stack: SynthesizedStack;
  readonly view: StackView;
  /** Its grant records: the declarations of the halves it holds. */
  readonly records: readonly GrantRecord[];
  /** What the view had to take from a declaration because a provider block does not say it. */
  readonly notes: readonly string[];
}

/**
 * The views of the stacks given, one each, in the strict reading (see StackView). A provider that a grant's half
 * deploys through and whose block does not say its account or region is taken to be where the half declares (noted
 * for the report); one that says is compared with the declaration by the proof.
 */
export function proofViews(
  stacks: readonly SynthesizedStack[],
  recordsOf: (stack: SynthesizedStack) => readonly GrantRecord[],
): ProofView[] {
  return stacks.map((stack) => {
    const view = new StackView(stack.json, stack.source, "strict");
    const records = recordsOf(stack);
    const notes = records.flatMap((r) => view.assume(r.provider, declaredPlace(r)) ?? []);
    return { stack, view, records, notes: [...new Set(notes)] };
  });
}

/** Where a half's record declares its resources are: the Lambda account's or the bucket account's account and region. */
export const declaredPlace = (r: GrantRecord): { accountId: string; region: string } =>
  r.half === "lambda"
    ? { accountId: r.lambda.accountId, region: r.lambda.region }
    : { accountId: r.bucket.accountId, region: r.bucket.region };

/** A policy argument, read as Terraform applies it; what cannot be read is a ModelError naming where. */
export function readPolicy(pv: ProofView, value: unknown, where: string): PolicyDocument {
  try {
    return pv.view.policy(value, `${pv.stack.source}: ${where}`).raw;
  } catch (error) {
    if (error instanceof TemplateError) {
      throw new ModelError(
        `${pv.stack.source}: ${where} holds ${error.expression}, which Terraform evaluates and the proof cannot resolve`,
      );
    }
    if (error instanceof PolicyShapeError) throw new ModelError(error.message);
    throw error;
  }
}

/** The value of a setting source's policy argument (an inline_policy block's `policy`, or the argument itself). */
function sourcePolicy(pv: ProofView, s: SettingSource): PolicyDocument {
  return readPolicy(pv, s.resource[s.argument], `${s.address}.${s.argument}`);
}

/** Where a half's provider deploys, compared with what its record declares: each difference in words. */
export function placeProblems(
  place: ProviderPlace,
  declared: { accountId: string; region: string },
  what: string,
): string[] {
  const problems = [...place.problems];
  if (place.region !== undefined && place.region !== declared.region) {
    problems.push(
      `${what} declares region ${declared.region}, but its provider ${place.address} deploys into ${place.region}`,
    );
  }
  if (place.accountId !== undefined && place.accountId !== declared.accountId) {
    problems.push(
      `${what} declares account ${declared.accountId}, but its provider ${place.address} reaches account ${place.accountId} (${place.accountSource})`,
    );
  }
  return problems;
}

/** Sources found in several views, with the view each is in. */
type Found<T> = Array<{ pv: ProofView; item: T }>;

/** Two or more resources setting one thing, in words; none when there is at most one. */
function duplicates<T extends { address: string }>(found: Found<T>, what: string): string[] {
  if (found.length < 2) return [];
  return [
    `${found.map(({ pv, item }) => `${pv.stack.name}: ${item.address}`).join(" and ")} all set ${what}: Terraform applies each over the other`,
  ];
}

/** The managed policy documents the stacks define, by ARN. */
function definedManagedPolicies(views: readonly ProofView[]): Map<string, PolicyDocument> {
  const managed = new Map<string, PolicyDocument>();
  for (const pv of views) {
    for (const [id, p] of pv.view.resources("aws_iam_policy")) {
      const arn = pv.view.attribute("aws_iam_policy", id, "arn");
      if (arn) managed.set(arn, readPolicy(pv, p.policy, `aws_iam_policy.${id}.policy`));
    }
  }
  return managed;
}

/** A role, as the stacks hold it (created), or as far as they show it (an existing role: the policies they attach). */
export function modelRole(
  views: readonly ProofView[],
  arn: string,
  options: ModelOptions,
  managed: ReadonlyMap<string, PolicyDocument>,
): ModelRole & { problems: string[] } {
  const accountId = accountOf(arn) ?? "";
  const name = arn.slice(arn.lastIndexOf("/") + 1);
  const policies: Record<string, PolicyDocument> = {};
  const problems: string[] = [];
  const created: Found<SettingSource> = [];
  for (const pv of views) {
    const sources = roleSources(pv.view, accountId, name);
    for (const role of sources.created) {
      if (pv.view.attribute("aws_iam_role", role.id, "arn") === arn) created.push({ pv, item: role });
      else
        problems.push(
          `${pv.stack.name}: ${role.address} creates a role ${name} in account ${accountId} with another path than the declared ${arn}`,
        );
    }
    for (const s of sources.inline) policies[inlinePolicyName(pv, s)] = inlinePolicy(pv, s);
    for (const s of sources.attachments) {
      if (s.policyArn === undefined)
        throw new ModelError(`${pv.stack.source}: ${s.address} attaches a policy whose ARN the stacks do not say`);
      const doc =
        managed.get(s.policyArn) ??
        options.managedPolicies?.[s.policyArn] ??
        KNOWN_MANAGED_POLICIES[s.policyArn.replace(/^arn:aws[\w-]*:/, "arn:aws:")];
      if (!doc) {
        throw new ModelError(
          `${pv.stack.source}: ${s.address} attaches ${s.policyArn} to role ${name}, a managed policy the stacks do not define: give its document (--managed-policy ${s.policyArn}=FILE, or managedPolicies)`,
        );
      }
      policies[`managed ${s.policyArn}`] = doc;
    }
  }
  problems.push(
    ...duplicates(
      created.map(({ pv, item }) => ({ pv, item })),
      `the role ${arn}`,
    ),
  );
  const [role] = created;
  const trustPolicy = role ? sourcePolicy(role.pv, role.item) : undefined;
  return { arn, name, accountId, trustPolicy, policies, created: role !== undefined, problems };
}

/** An inline policy's name as IAM shows it (the resource's id when it has none); `inline <name>` for a role's block. */
function inlinePolicyName(pv: ProofView, s: SettingSource): string {
  const block = /^inline_policy\[(\d+)\]$/.exec(s.argument);
  if (!block) return pv.view.valueOf(s.resource.name) ?? s.id;
  const inline = ([] as unknown[]).concat(s.resource.inline_policy ?? [])[Number(block[1])] as
    { name?: unknown } | undefined;
  return `inline ${pv.view.valueOf(inline?.name) ?? block[1]}`;
}

/** An inline policy: an aws_iam_role_policy's `policy`, or the `policy` of a role's inline_policy block. */
function inlinePolicy(pv: ProofView, s: SettingSource): PolicyDocument {
  const block = /^inline_policy\[(\d+)\]$/.exec(s.argument);
  if (!block) return sourcePolicy(pv, s);
  const inline = ([] as unknown[]).concat(s.resource.inline_policy ?? [])[Number(block[1])] as
    { policy?: unknown } | undefined;
  return readPolicy(pv, inline?.policy, `${s.address}.${s.argument}.policy`);
}

/** The key an alias of `accountId` targets, in the first stack that creates the alias. */
export function aliasedKey(
  views: readonly ProofView[],
  alias: string,
  accountId: string,
): { pv: ProofView; target: NonNullable<KeyTarget> } | undefined {
  for (const pv of views) {
    for (const [, a] of pv.view.resources("aws_kms_alias")) {
      if (pv.view.valueOf(a.name) !== alias || pv.view.placeOf(a).accountId !== accountId) continue;
      const target = keyTargetOf(pv.view, a.target_key_id);
      if (target) return { pv, target };
    }
  }
  return undefined;
}

/** The key a grant's bucket account half declares: the existing key's ARN, or the key its alias targets. */
function declaredKey(
  views: readonly ProofView[],
  record: GrantRecord,
): { pv: ProofView; target: NonNullable<KeyTarget> } | undefined {
  const { bucket } = record;
  const [first] = views;
  if (bucket.existingKeyArn) return first ? { pv: first, target: { literal: bucket.existingKeyArn } } : undefined;
  return aliasedKey(views, bucket.keyAlias, bucket.accountId);
}

/**
 * A KMS grant as the key policy statement it amounts to: its grantee principal may call its operations on the key,
 * under the grant's encryption context constraints (a grant has no kms:ViaService or kms:CallerAccount).
 */
function grantStatement(pv: ProofView, s: SettingSource, index: number): PolicyStatement {
  const g = s.resource;
  const text = (v: unknown, what: string) => {
    const value = pv.view.valueOf(v);
    if (value === undefined) throw new ModelError(`${pv.stack.source}: ${s.address}.${what} is not known before apply`);
    return value;
  };
  const constraints = ([] as unknown[]).concat(g.constraints ?? [])[0] as Record<string, unknown> | undefined;
  const equals = constraints?.encryption_context_equals as Record<string, unknown> | undefined;
  const subset = constraints?.encryption_context_subset as Record<string, unknown> | undefined;
  const context = (block: Record<string, unknown> | undefined) =>
    Object.fromEntries(
      Object.entries(block ?? {}).map(([k, v]) => [`kms:EncryptionContext:${k}`, text(v, `constraints.${k}`)]),
    );
  const condition = { ...context(equals), ...context(subset) };
  return {
    Sid: `KmsGrant${index}`,
    Effect: "Allow",
    Principal: { AWS: text(g.grantee_principal, "grantee_principal") },
    Action: ([] as unknown[]).concat(g.operations ?? []).map((o, i) => `kms:${text(o, `operations[${i}]`)}`),
    Resource: "*",
    ...(Object.keys(condition).length > 0 ? { Condition: { StringEquals: condition } } : {}),
  };
}

/** Where a resource deploys, as its provider block says; a block that says nothing is taken to be `fallback`. */
function placeOrDeclared(
  pv: ProofView,
  r: SynthResource,
  fallback: { accountId: string; region: string },
): { accountId: string; region: string } {
  const place = pv.view.placeOf(r);
  return { accountId: place.accountId ?? fallback.accountId, region: place.region ?? fallback.region };
}

/** The bucket policy of the declared bucket: every source of it in every stack; more than one is a problem. */
function bucketPolicyOf(views: readonly ProofView[], bucketName: string, problems: string[]): PolicyDocument {
  const found: Found<SettingSource> = views.flatMap((pv) =>
    bucketSettingSources(pv.view, bucketName).policy.map((item) => ({ pv, item })),
  );
  problems.push(...duplicates(found, `the policy of bucket ${bucketName}`));
  const [only] = found;
  if (!only)
    throw new ModelError(
      `no stack given writes a policy for bucket ${bucketName}: the grant's bucket account half is not among the outputs`,
    );
  return sourcePolicy(only.pv, only.item);
}

/** The key policy of the declared key, with its KMS grants as statements; more than one policy is a problem. */
export function keyPolicyOf(
  views: readonly ProofView[],
  key: { pv: ProofView; target: NonNullable<KeyTarget> },
  what: string,
  problems: string[],
): PolicyDocument {
  const sources = views
    .filter((pv) => pv === key.pv || "literal" in key.target)
    .map((pv) => ({ pv, sources: keySettingSources(pv.view, key.target) }));
  const found: Found<SettingSource> = sources.flatMap(({ pv, sources: s }) => s.policy.map((item) => ({ pv, item })));
  problems.push(...duplicates(found, `the key policy of ${what}`));
  const [only] = found;
  if (!only) throw new ModelError(`no stack given writes the key policy of ${what}`);
  const policy = sourcePolicy(only.pv, only.item);
  const grants = sources.flatMap(({ pv, sources: s }) => s.grants.map((g, i) => grantStatement(pv, g, i)));
  return { ...policy, Statement: [...policy.Statement, ...grants] };
}

/** The access points on the declared bucket in every stack, each with its one policy. */
function accessPointsOf(
  views: readonly ProofView[],
  bucketName: string,
  declared: { accountId: string; region: string },
  problems: string[],
): Record<string, ModelAccessPoint> {
  const accessPoints: Record<string, ModelAccessPoint> = {};
  for (const pv of views) {
    for (const ap of accessPointsOn(pv.view, bucketName)) {
      if (!ap.arn)
        throw new ModelError(
          `${pv.stack.source}: ${ap.address} is on bucket ${bucketName}, but its provider does not say its account and region`,
        );
      problems.push(
        ...duplicates(
          ap.policy.map((item) => ({ pv, item })),
          `the policy of access point ${ap.arn}`,
        ),
      );
      const place = placeOrDeclared(pv, ap.resource, declared);
      const policy = ap.policy[0] ? sourcePolicy(pv, ap.policy[0]) : { Version: "2012-10-17" as const, Statement: [] };
      accessPoints[ap.arn] = {
        arn: ap.arn,
        name: String(pv.view.valueOf(ap.resource.name)),
        accountId: accountOf(ap.arn) ?? place.accountId,
        region: place.region,
        policy,
      };
    }
  }
  return accessPoints;
}

/** Where the bucket and its key are created, compared with the declaration. */
function bucketPlaceProblems(
  views: readonly ProofView[],
  record: GrantRecord,
  key: { pv: ProofView; target: NonNullable<KeyTarget> } | undefined,
): string[] {
  const declared = { accountId: record.bucket.accountId, region: record.bucket.region };
  const problems: string[] = [];
  for (const pv of views) {
    for (const [id, b] of pv.view.resources("aws_s3_bucket")) {
      if (pv.view.valueOf(b.bucket) === record.bucket.bucketName)
        problems.push(
          ...placeProblems(pv.view.placeOf(b), declared, `bucket ${record.bucket.bucketName} (aws_s3_bucket.${id})`),
        );
    }
    const encryption = bucketSettingSources(pv.view, record.bucket.bucketName).encryption;
    for (const s of encryption) {
      const rules = ([] as unknown[]).concat(
        (s.inline
          ? (([] as unknown[]).concat(s.resource[s.argument] ?? [])[0] as Record<string, unknown> | undefined)?.rule
          : s.resource.rule) ?? [],
      );
      for (const rule of rules as Array<Record<string, unknown>>) {
        const byDefault = ([] as unknown[]).concat(rule.apply_server_side_encryption_by_default ?? [])[0] as
          Record<string, unknown> | undefined;
        const named = keyTargetOf(pv.view, byDefault?.kms_master_key_id);
        if (key && named && !sameKey(named, key.target)) {
          problems.push(
            `${pv.stack.name}: ${s.address} encrypts bucket ${record.bucket.bucketName} with another key than the one behind ${record.bucket.keyAlias}`,
          );
        }
      }
    }
  }
  if (key && "stackKey" in key.target) {
    const r = key.pv.view.resource("aws_kms_key", key.target.stackKey)!;
    problems.push(
      ...placeProblems(
        key.pv.view.placeOf(r),
        declared,
        `key ${record.bucket.keyAlias} (aws_kms_key.${key.target.stackKey})`,
      ),
    );
  }
  return problems;
}

/**
 * Builds the access model of the bucket that `bucketHalves` declare, from every stack given: the grantees' roles and
 * policies may be in other stacks (the split layout, or another app's output).
 */
export function buildModel(
  views: readonly ProofView[],
  bucketHalves: readonly RecordedHalf[],
  options: ModelOptions = {},
): AccessModel {
  const first = bucketHalves[0];
  if (!first) throw new ModelError("no bucket account's half to model");
  const { partition, bucket: declared } = first.record;
  const problems: string[] = [];
  const place = { accountId: declared.accountId, region: declared.region };
  const key = declaredKey(views, first.record);
  if (!key)
    throw new ModelError(
      `no stack given creates the key ${declared.keyAlias} of bucket ${declared.bucketName} in account ${declared.accountId}, and the grant names no existing key`,
    );
  const keyArn =
    "literal" in key.target
      ? key.target.literal
      : (key.pv.view.attribute("aws_kms_key", key.target.stackKey, "arn") ??
        `arn:${partition}:kms:${declared.region}:${declared.accountId}:key/${KEY_ID_STAND_IN}`);
  const aliases = key.pv.view
    .resources("aws_kms_alias")
    .filter(([, a]) => sameKey(keyTargetOf(key.pv.view, a.target_key_id), key.target))
    .map(([, a]) => String(key.pv.view.valueOf(a.name)));
  const bucketPolicy = bucketPolicyOf(views, declared.bucketName, problems);
  const keyPolicy = keyPolicyOf(views, key, declared.keyAlias, problems);
  const accessPoints = accessPointsOf(views, declared.bucketName, place, problems);
  problems.push(...bucketPlaceProblems(views, first.record, key));
  // A grant recorded as going through an access point is proven through it or not at all.
  for (const h of bucketHalves) {
    const recordedPoint = h.record.accessPoint;
    if (recordedPoint && !accessPoints[recordedPoint.arn]) {
      throw new ModelError(
        `${h.stack.source}: the grant's access point ${recordedPoint.name} is not in the stacks (no access point ${recordedPoint.arn} on bucket ${declared.bucketName})`,
      );
    }
  }
  const managed = definedManagedPolicies(views);
  const roles: Record<string, ModelRole> = {};
  const unseen: string[] = [...new Set(views.flatMap((v) => v.notes))];
  for (const h of bucketHalves) {
    for (const arn of [h.record.lambda.roleArn, ...(h.record.accessRoleArn ? [h.record.accessRoleArn] : [])]) {
      if (roles[arn]) continue;
      const { problems: roleProblems, ...role } = modelRole(views, arn, options, managed);
      roles[arn] = role;
      problems.push(...roleProblems);
      if (!role.created) {
        unseen.push(
          `role ${arn} is not created by these stacks: its policies in them were seen (${Object.keys(role.policies).join(", ") || "none"}); any it has elsewhere were not`,
        );
      }
    }
  }
  return {
    name: declared.bucketName,
    partition,
    bucketAccountId: declared.accountId,
    bucketRegion: declared.region,
    roles,
    bucket: {
      name: declared.bucketName,
      arn: `arn:${partition}:s3:::${declared.bucketName}`,
      accountId: declared.accountId,
      policy: bucketPolicy,
    },
    key: {
      arn: keyArn,
      accountId: declared.accountId,
      aliases: aliases.length > 0 ? aliases : [declared.keyAlias],
      policy: keyPolicy,
    },
    accessPoints,
    unseen,
    problems,
  };
}

/** Every action named in every policy of the model, with where it appears (NotAction ones too). */
export function actionsInModel(model: AccessModel): Array<{ action: string; where: string }> {
  const found: Array<{ action: string; where: string }> = [];
  const collect = (doc: PolicyDocument | undefined, where: string) => {
    for (const s of ([] as PolicyStatement[]).concat(doc?.Statement ?? [])) {
      const named = [
        ...([] as string[]).concat(s.Action ?? []),
        ...([] as string[]).concat((s as { NotAction?: string | string[] }).NotAction ?? []),
      ];
      for (const action of named) found.push({ action, where: `${where} ${s.Sid ?? ""}`.trim() });
    }
  };
  for (const role of Object.values(model.roles)) {
    collect(role.trustPolicy, `trust policy of ${role.name}`);
    for (const [name, doc] of Object.entries(role.policies)) collect(doc, `policy ${name} of ${role.name}`);
  }
  collect(model.bucket.policy, "bucket policy");
  collect(model.key.policy, "key policy");
  for (const ap of Object.values(model.accessPoints))
    collect(ap.policy, `policy of access point ${ap.arn.slice(ap.arn.lastIndexOf("/") + 1)}`);
  return found;
}
