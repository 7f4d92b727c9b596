/**
 * What configures what in a synthesized stack: every resource (or inline argument) that sets a policy or a setting on
 * a bucket, a key, an access point or a role, found by what it names — a reference or a literal name or ARN — never by
 * a record's pointer or by taking the first of its kind. The security rules judge each of them, and report two that
 * set the same thing; the access proof models a grant from them.
 */
import { accountInArn, KEY_ID_STAND_IN, type StackView, type SynthResource } from "./stack-view";
import { referenceOf, templateParts } from "./terraform-text";

/** A resource, or an inline argument of one, that sets something. */
export interface SettingSource {
  /** `type.id` of the resource. */
  readonly address: string;
  readonly type: string;
  readonly id: string;
  readonly resource: SynthResource;
  /** The argument holding the setting (`policy`, `rule`, ...). */
  readonly argument: string;
  /** Set when the setting is an argument of the bucket or key resource itself (legacy inline form). */
  readonly inline: boolean;
}

/** The settings of a bucket Terraform manages through this stack, one list per setting. */
export interface BucketSettingSources {
  readonly policy: SettingSource[];
  readonly publicAccessBlock: SettingSource[];
  readonly ownership: SettingSource[];
  readonly versioning: SettingSource[];
  readonly encryption: SettingSource[];
  readonly acl: SettingSource[];
  readonly lifecycle: SettingSource[];
  readonly logging: SettingSource[];
  /** The notification configuration: S3 keeps one per bucket, replaced whole. */
  readonly notification: SettingSource[];
}

/** Each bucket setting: the standalone resource type that sets it, and the legacy inline arguments of aws_s3_bucket. */
export const BUCKET_SETTING_TYPES: Readonly<
  Record<keyof BucketSettingSources, { type: string; argument: string; inline: readonly string[] }>
> = {
  policy: { type: "aws_s3_bucket_policy", argument: "policy", inline: ["policy"] },
  publicAccessBlock: { type: "aws_s3_bucket_public_access_block", argument: "block_public_acls", inline: [] },
  ownership: { type: "aws_s3_bucket_ownership_controls", argument: "rule", inline: [] },
  versioning: { type: "aws_s3_bucket_versioning", argument: "versioning_configuration", inline: ["versioning"] },
  encryption: {
    type: "aws_s3_bucket_server_side_encryption_configuration",
    argument: "rule",
    inline: ["server_side_encryption_configuration"],
  },
  acl: { type: "aws_s3_bucket_acl", argument: "acl", inline: ["acl", "grant"] },
  lifecycle: { type: "aws_s3_bucket_lifecycle_configuration", argument: "rule", inline: ["lifecycle_rule"] },
  logging: { type: "aws_s3_bucket_logging", argument: "target_bucket", inline: ["logging"] },
  notification: { type: "aws_s3_bucket_notification", argument: "bucket", inline: [] },
};

const present = (value: unknown): boolean =>
  value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);

const source = (
  type: string,
  id: string,
  resource: SynthResource,
  argument: string,
  inline: boolean,
): SettingSource => ({
  address: `${type}.${id}`,
  type,
  id,
  resource,
  argument,
  inline,
});

/** The bucket names of the stack: those it creates, and those its settings name (an existing bucket's). */
export function bucketsOf(view: StackView): Map<string, { created?: [string, SynthResource] }> {
  const buckets = new Map<string, { created?: [string, SynthResource] }>();
  for (const [id, b] of view.resources("aws_s3_bucket")) {
    const name = view.valueOf(b.bucket);
    if (name !== undefined) buckets.set(name, { created: [id, b] });
  }
  for (const { type } of Object.values(BUCKET_SETTING_TYPES)) {
    for (const [, r] of view.resources(type)) {
      const name = view.valueOf(r.bucket);
      if (name !== undefined && !buckets.has(name)) buckets.set(name, {});
    }
  }
  return buckets;
}

/** Every source of every setting of the bucket `bucketName` in the stack. */
export function bucketSettingSources(view: StackView, bucketName: string): BucketSettingSources {
  const out = Object.fromEntries(
    Object.keys(BUCKET_SETTING_TYPES).map((k) => [k, [] as SettingSource[]]),
  ) as unknown as Record<keyof BucketSettingSources, SettingSource[]>;
  for (const [setting, { type, argument, inline }] of Object.entries(BUCKET_SETTING_TYPES) as Array<
    [keyof BucketSettingSources, (typeof BUCKET_SETTING_TYPES)[keyof BucketSettingSources]]
  >) {
    for (const [id, r] of view.resources(type)) {
      if (view.valueOf(r.bucket) === bucketName) out[setting].push(source(type, id, r, argument, false));
    }
    for (const [id, b] of view.resources("aws_s3_bucket")) {
      if (view.valueOf(b.bucket) !== bucketName) continue;
      for (const arg of inline) if (present(b[arg])) out[setting].push(source("aws_s3_bucket", id, b, arg, true));
    }
  }
  return out;
}

/** How a resource argument names a KMS key: a key resource of the stack, or a literal key ID or ARN. */
export type KeyTarget = { readonly stackKey: string } | { readonly literal: string } | undefined;

/** The key an argument (`key_id`, `target_key_id`, `kms_master_key_id`) names. */
export function keyTargetOf(view: StackView, value: unknown): KeyTarget {
  if (typeof value !== "string") return undefined;
  const parts = templateParts(value);
  const [only] = parts;
  if (parts.length === 1 && only?.kind === "interpolation") {
    const ref = referenceOf(only.expression);
    if (ref?.type === "aws_kms_key" && view.resource("aws_kms_key", ref.id)) return { stackKey: ref.id };
    if (ref?.type === "aws_kms_alias") {
      const alias = view.resource("aws_kms_alias", ref.id);
      return alias ? keyTargetOf(view, alias.target_key_id) : undefined;
    }
  }
  const text = view.valueOf(value);
  return text === undefined || text.includes(KEY_ID_STAND_IN) ? undefined : { literal: text };
}

/** Whether two key targets name the same key (a literal ID matches an ARN ending in it). */
export function sameKey(a: KeyTarget, b: KeyTarget): boolean {
  if (!a || !b) return false;
  if ("stackKey" in a || "stackKey" in b) return "stackKey" in a && "stackKey" in b && a.stackKey === b.stackKey;
  const id = (t: string) => t.slice(t.lastIndexOf("/") + 1);
  return (
    a.literal === b.literal ||
    (id(a.literal) === id(b.literal) && !a.literal.includes(":alias/") && !b.literal.includes(":alias/"))
  );
}

/** The key policy sources and KMS grants on one key. */
export interface KeySettingSources {
  readonly policy: SettingSource[];
  readonly grants: SettingSource[];
}

/** Every key policy (the key's own argument, aws_kms_key_policy) and every KMS grant on the key `target`. */
export function keySettingSources(view: StackView, target: KeyTarget): KeySettingSources {
  const policy: SettingSource[] = [];
  if (target && "stackKey" in target) {
    const key = view.resource("aws_kms_key", target.stackKey);
    if (key && present(key.policy)) policy.push(source("aws_kms_key", target.stackKey, key, "policy", true));
  }
  for (const [id, r] of view.resources("aws_kms_key_policy")) {
    if (sameKey(keyTargetOf(view, r.key_id), target)) policy.push(source("aws_kms_key_policy", id, r, "policy", false));
  }
  const grants = view
    .resources("aws_kms_grant")
    .filter(([, r]) => sameKey(keyTargetOf(view, r.key_id), target))
    .map(([id, r]) => source("aws_kms_grant", id, r, "grantee_principal", false));
  return { policy, grants };
}

/** Every key the stack creates or writes a policy for, as key targets with a name for messages. */
export function keysOf(view: StackView): Array<{ target: NonNullable<KeyTarget>; name: string }> {
  const keys: Array<{ target: NonNullable<KeyTarget>; name: string }> = view
    .resources("aws_kms_key")
    .map(([id]) => ({ target: { stackKey: id }, name: `aws_kms_key.${id}` }));
  for (const [, r] of [...view.resources("aws_kms_key_policy"), ...view.resources("aws_kms_grant")]) {
    const target = keyTargetOf(view, r.key_id);
    if (target && !keys.some((k) => sameKey(k.target, target)))
      keys.push({ target, name: "literal" in target ? target.literal : `aws_kms_key.${target.stackKey}` });
  }
  return keys;
}

/** An access point on a bucket, with every source of its policy. */
export interface AccessPointSources {
  readonly address: string;
  readonly id: string;
  readonly resource: SynthResource;
  /** Its ARN, when the stack says where it is. */
  readonly arn: string | undefined;
  readonly policy: SettingSource[];
}

/** Every access point of the stack on the bucket `bucketName`, and the sources of each one's policy. */
export function accessPointsOn(view: StackView, bucketName: string): AccessPointSources[] {
  return view
    .resources("aws_s3_access_point")
    .filter(([, ap]) => view.valueOf(ap.bucket) === bucketName)
    .map(([id, ap]) => {
      const arn = view.attribute("aws_s3_access_point", id, "arn");
      const policy = [
        ...(present(ap.policy) ? [source("aws_s3_access_point", id, ap, "policy", true)] : []),
        ...view
          .resources("aws_s3control_access_point_policy")
          .filter(([, p]) => arn !== undefined && view.valueOf(p.access_point_arn) === arn)
          .map(([pid, p]) => source("aws_s3control_access_point_policy", pid, p, "policy", false)),
      ];
      return { address: `aws_s3_access_point.${id}`, id, resource: ap, arn, policy };
    });
}

/** Access point policies whose access point the stack does not create (an existing access point's). */
export function outsideAccessPointPolicies(view: StackView): SettingSource[] {
  const created = new Set(
    view.resources("aws_s3_access_point").map(([id]) => view.attribute("aws_s3_access_point", id, "arn")),
  );
  return view
    .resources("aws_s3control_access_point_policy")
    .filter(([, p]) => !created.has(view.valueOf(p.access_point_arn)))
    .map(([id, p]) => source("aws_s3control_access_point_policy", id, p, "policy", false));
}

/** The role of account `accountId` named `name` as the stack creates it, and every identity policy attached to it. */
export interface RoleSources {
  readonly created: SettingSource[];
  readonly inline: SettingSource[];
  readonly attachments: Array<SettingSource & { readonly policyArn: string | undefined }>;
}

/** The account a resource deploys into: its provider's (see StackView.placeOf). */
const accountOf = (view: StackView, r: SynthResource) => view.placeOf(r).accountId;

/**
 * Every resource that creates the role `name` in account `accountId`, or attaches an identity policy to it: inline
 * (`inline_policy`, aws_iam_role_policy) and managed (`managed_policy_arns`, aws_iam_role_policy_attachment,
 * aws_iam_policy_attachment, aws_iam_role_policy_attachments_exclusive), by reference or by literal name.
 */
export function roleSources(view: StackView, accountId: string, name: string): RoleSources {
  const inAccount = (r: SynthResource) => accountOf(view, r) === accountId;
  const roles = view.resources("aws_iam_role").filter(([, r]) => inAccount(r) && view.valueOf(r.name) === name);
  const created = roles.map(([id, r]) => source("aws_iam_role", id, r, "assume_role_policy", true));
  const inline: SettingSource[] = [];
  const attachments: RoleSources["attachments"] = [];
  for (const [id, r] of roles) {
    ([] as unknown[])
      .concat(r.inline_policy ?? [])
      .forEach((_, i) => inline.push(source("aws_iam_role", id, r, `inline_policy[${i}]`, true)));
    for (const arn of ([] as unknown[]).concat(r.managed_policy_arns ?? [])) {
      attachments.push({ ...source("aws_iam_role", id, r, "managed_policy_arns", true), policyArn: view.valueOf(arn) });
    }
  }
  for (const [id, r] of view.resources("aws_iam_role_policy")) {
    if (inAccount(r) && view.valueOf(r.role) === name)
      inline.push(source("aws_iam_role_policy", id, r, "policy", false));
  }
  for (const [id, r] of view.resources("aws_iam_role_policy_attachment")) {
    if (inAccount(r) && view.valueOf(r.role) === name)
      attachments.push({
        ...source("aws_iam_role_policy_attachment", id, r, "policy_arn", false),
        policyArn: view.valueOf(r.policy_arn),
      });
  }
  for (const [id, r] of view.resources("aws_iam_policy_attachment")) {
    if (inAccount(r) && ([] as unknown[]).concat(r.roles ?? []).some((role) => view.valueOf(role) === name)) {
      attachments.push({
        ...source("aws_iam_policy_attachment", id, r, "policy_arn", false),
        policyArn: view.valueOf(r.policy_arn),
      });
    }
  }
  for (const [id, r] of view.resources("aws_iam_role_policy_attachments_exclusive")) {
    if (!inAccount(r) || view.valueOf(r.role_name) !== name) continue;
    for (const arn of ([] as unknown[]).concat(r.policy_arns ?? [])) {
      attachments.push({
        ...source("aws_iam_role_policy_attachments_exclusive", id, r, "policy_arns", false),
        policyArn: view.valueOf(arn),
      });
    }
  }
  return { created, inline, attachments };
}

/** The account an ARN-valued argument names. */
export const accountOfArn = (arn: string | undefined): string | undefined =>
  arn === undefined ? undefined : accountInArn(arn);
