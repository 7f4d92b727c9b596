/**
 * The access model of one bucket: every policy document the synthesized stacks would deploy that decides a request
 * on it — the grantees' identity policies (inline, customer-managed and AWS-managed), the S3 access roles' trust and
 * policies, the bucket policy, the key policy and the access points' policies — with the concrete ARNs they name.
 * Each resource's account and region come from the grant records of its stack (which provider is which account), so
 * any provider alias works; the one value known only after apply, the KMS key's ID, gets a single stand-in.
 */
import type { GrantRecord } from "../grant-record";
import type { PolicyDocument } from "../policy-document";
import { KNOWN_MANAGED_POLICIES } from "./managed-policies";
import type { StackJson, SynthesizedStack, SynthResource } from "./load";

/** Stand-in for a KMS key ID that only apply knows. */
export const KEY_ID_STAND_IN = "0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d";

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
  readonly bucket: { readonly name: string; readonly arn: string; readonly accountId: string; readonly policy: PolicyDocument };
  readonly key: { readonly arn: string; readonly accountId: string; readonly aliases: readonly string[]; readonly policy: PolicyDocument };
  /** The bucket's access points by ARN. */
  readonly accessPoints: Readonly<Record<string, ModelAccessPoint>>;
  /** What the model could not see, in words, for the report. */
  readonly unseen: readonly string[];
}

/** The model cannot be built as the stacks stand: a reference it cannot resolve, a policy it cannot see. */
export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AccessModelError";
  }
}

/** Where a resource is deployed: its account and region. */
interface Place {
  readonly accountId: string;
  readonly region: string;
}

/** One stack, read: its resources, where each provider deploys, and references resolved to concrete values. */
class StackView {
  private readonly providers = new Map<string, Place>();

  constructor(
    readonly stack: SynthesizedStack,
    records: readonly GrantRecord[],
    private readonly partition: string,
  ) {
    // The records say which account each of their providers reaches; other providers, their assume_role or
    // allowed_account_ids.
    for (const r of records) {
      const side = r.half === "lambda" ? r.lambda : r.bucket;
      this.providers.set(r.provider, { accountId: side.accountId, region: side.region });
    }
    for (const p of stack.json.provider?.aws ?? []) {
      const alias = p.alias === undefined ? "aws" : `aws.${String(p.alias)}`;
      if (this.providers.has(alias)) continue;
      const roleArn = (p.assume_role as Array<{ role_arn?: string }> | undefined)?.[0]?.role_arn;
      const account = roleArn?.split(":")[4] ?? (p.allowed_account_ids as string[] | undefined)?.[0];
      if (account && typeof p.region === "string") this.providers.set(alias, { accountId: account, region: p.region });
    }
  }

  get json(): StackJson {
    return this.stack.json;
  }

  resources(type: string): Array<[string, SynthResource]> {
    return Object.entries(this.stack.json.resource?.[type] ?? {});
  }

  resource(address: string): SynthResource | undefined {
    const [type = "", id = ""] = address.split(".");
    return this.stack.json.resource?.[type]?.[id];
  }

  placeOf(type: string, id: string): Place {
    const r = this.stack.json.resource?.[type]?.[id];
    if (!r) throw new ModelError(`${this.stack.source}: no resource ${type}.${id}`);
    const place = this.providers.get(r.provider ?? "aws");
    if (!place) {
      throw new ModelError(`${this.stack.source}: ${type}.${id} uses provider ${r.provider ?? "aws"}, whose account no grant record or assume_role says`);
    }
    return place;
  }

  roleArn(id: string): string {
    const role = this.stack.json.resource?.aws_iam_role?.[id];
    if (!role) throw new ModelError(`${this.stack.source}: no role ${id}`);
    return `arn:${this.partition}:iam::${this.placeOf("aws_iam_role", id).accountId}:role${String(role.path ?? "/")}${String(role.name)}`;
  }

  /** Replaces every ${type.id.attribute} reference with its concrete value; one the model cannot know is an error. */
  resolve(text: string): string {
    return text.replace(/\$\{([a-z0-9_.]+)\.([\w-]+)\.([a-z_]+)\}/g, (whole, type: string, id: string, attribute: string) => {
      const r = this.stack.json.resource?.[type]?.[id];
      if (r) {
        const place = () => this.placeOf(type, id);
        switch (`${type}.${attribute}`) {
          case "aws_iam_role.arn":
            return this.roleArn(id);
          case "aws_iam_role.name":
          case "aws_iam_role.id":
            return String(r.name);
          case "aws_iam_policy.arn":
            return `arn:${this.partition}:iam::${place().accountId}:policy${String(r.path ?? "/")}${String(r.name)}`;
          case "aws_kms_key.arn":
            return `arn:${this.partition}:kms:${place().region}:${place().accountId}:key/${KEY_ID_STAND_IN}`;
          case "aws_kms_key.key_id":
          case "aws_kms_key.id":
            return KEY_ID_STAND_IN;
          case "aws_s3_bucket.arn":
            return `arn:${this.partition}:s3:::${String(r.bucket)}`;
          case "aws_s3_bucket.id":
          case "aws_s3_bucket.bucket":
            return String(r.bucket);
          case "aws_s3_access_point.arn":
            return `arn:${this.partition}:s3:${place().region}:${String(r.account_id ?? place().accountId)}:accesspoint/${String(r.name)}`;
        }
      }
      throw new ModelError(`${this.stack.source}: cannot resolve the reference ${whole}`);
    });
  }

  /** A resource's policy argument, parsed with its references resolved. */
  policy(r: SynthResource, argument: string, what: string): PolicyDocument {
    const text = r[argument];
    if (typeof text !== "string") throw new ModelError(`${this.stack.source}: ${what} has no ${argument}`);
    return JSON.parse(this.resolve(text)) as PolicyDocument;
  }
}

export interface ModelOptions {
  /** Documents of managed policies the stacks attach but do not define, by ARN (AWS-managed ones included). */
  readonly managedPolicies?: Readonly<Record<string, PolicyDocument>> | undefined;
}

/** The identity policies attached in `views` to the role `name` of `accountId`: inline, customer- and AWS-managed. */
function attachedPolicies(views: readonly StackView[], accountId: string, name: string, options: ModelOptions): Record<string, PolicyDocument> {
  const policies: Record<string, PolicyDocument> = {};
  const inAccount = (view: StackView, type: string, id: string) => view.placeOf(type, id).accountId === accountId;
  const managed = new Map<string, PolicyDocument>();
  for (const view of views) {
    for (const [id, p] of view.resources("aws_iam_policy")) {
      const arn = view.resolve(`\${aws_iam_policy.${id}.arn}`);
      managed.set(arn, view.policy(p, "policy", `policy ${id}`));
    }
  }
  const managedDocument = (arn: string, where: string): PolicyDocument => {
    const doc = managed.get(arn) ?? options.managedPolicies?.[arn] ?? KNOWN_MANAGED_POLICIES[arn.replace(/^arn:aws[\w-]*:/, "arn:aws:")];
    if (!doc) {
      throw new ModelError(
        `${where} attaches ${arn} to role ${name}, a managed policy the stacks do not define: give its document (--managed-policy ${arn}=FILE, or managedPolicies)`,
      );
    }
    return doc;
  };
  for (const view of views) {
    for (const [id, role] of view.resources("aws_iam_role")) {
      if (String(role.name) !== name || !inAccount(view, "aws_iam_role", id)) continue;
      for (const [i, inline] of ((role.inline_policy as Array<Record<string, unknown>> | undefined) ?? []).entries()) {
        if (typeof inline.policy === "string") policies[`inline ${String(inline.name ?? i)}`] = JSON.parse(view.resolve(inline.policy)) as PolicyDocument;
      }
      for (const arn of (role.managed_policy_arns as string[] | undefined) ?? []) {
        const resolved = view.resolve(arn);
        policies[`managed ${resolved}`] = managedDocument(resolved, `${view.stack.source}: aws_iam_role.${id}`);
      }
    }
    for (const [id, p] of view.resources("aws_iam_role_policy")) {
      if (view.resolve(String(p.role ?? "")) !== name || !inAccount(view, "aws_iam_role_policy", id)) continue;
      policies[String(p.name ?? id)] = view.policy(p, "policy", `role policy ${id}`);
    }
    for (const [id, a] of view.resources("aws_iam_role_policy_attachment")) {
      if (view.resolve(String(a.role ?? "")) !== name || !inAccount(view, "aws_iam_role_policy_attachment", id)) continue;
      const arn = view.resolve(String(a.policy_arn));
      policies[`managed ${arn}`] = managedDocument(arn, `${view.stack.source}: aws_iam_role_policy_attachment.${id}`);
    }
    for (const [id, a] of view.resources("aws_iam_policy_attachment")) {
      const roles = ((a.roles as string[] | undefined) ?? []).map((r) => view.resolve(r));
      if (!roles.includes(name) || !inAccount(view, "aws_iam_policy_attachment", id)) continue;
      const arn = view.resolve(String(a.policy_arn));
      policies[`managed ${arn}`] = managedDocument(arn, `${view.stack.source}: aws_iam_policy_attachment.${id}`);
    }
  }
  return policies;
}

/** A role, as the stacks hold it (created), or as far as they show it (an existing role: the policies they attach). */
function modelRole(views: readonly StackView[], arn: string, options: ModelOptions): ModelRole {
  const accountId = arn.split(":")[4] ?? "";
  const name = arn.slice(arn.lastIndexOf("/") + 1);
  let trustPolicy: PolicyDocument | undefined;
  for (const view of views) {
    for (const [id, role] of view.resources("aws_iam_role")) {
      if (view.roleArn(id) === arn) trustPolicy = view.policy(role, "assume_role_policy", `role ${String(role.name)}`);
    }
  }
  return { arn, name, accountId, trustPolicy, policies: attachedPolicies(views, accountId, name, options), created: trustPolicy !== undefined };
}

/** One half of a grant, with the stack that recorded it. */
export interface RecordedHalf {
  readonly record: GrantRecord;
  readonly stack: SynthesizedStack;
}

/**
 * Builds the access model of the bucket that `bucketHalf` records, from every stack given: the grantees' roles and
 * policies may be in other stacks (the split layout, or another app's output).
 */
export function buildModel(
  stacks: readonly SynthesizedStack[],
  recordsByStack: ReadonlyMap<SynthesizedStack, readonly GrantRecord[]>,
  bucketHalves: readonly RecordedHalf[],
  options: ModelOptions = {},
): AccessModel {
  const first = bucketHalves[0];
  if (!first) throw new ModelError("no bucket account's half to model");
  const { partition, bucket: declared } = first.record;
  const views = stacks.map((s) => new StackView(s, recordsByStack.get(s) ?? [], partition));
  const viewOf = (h: RecordedHalf) => views.find((v) => v.stack === h.stack)!;
  const bucketView = viewOf(first);
  const at = (address: string | undefined, what: string) => {
    const r = address ? bucketView.resource(address) : undefined;
    if (!r || !address) throw new ModelError(`${bucketView.stack.source}: the grant's ${what} (${address ?? "not recorded"}) is not in the stack`);
    return { r, address };
  };
  const bucketPolicy = at(first.record.resources.bucketPolicy, "bucket policy");
  const keyPolicy = at(first.record.resources.keyPolicy, "key policy");
  const [keyType = "", keyId = ""] = keyPolicy.address.split(".");
  const keyArn = declared.existingKeyArn ?? `arn:${partition}:kms:${declared.region}:${declared.accountId}:key/${KEY_ID_STAND_IN}`;
  const aliases = bucketView
    .resources("aws_kms_alias")
    .filter(([, a]) => keyType === "aws_kms_key" && (a.target_key_id === `\${aws_kms_key.${keyId}.key_id}` || a.target_key_id === `\${aws_kms_key.${keyId}.arn}`))
    .map(([, a]) => String(a.name));

  const accessPoints: Record<string, ModelAccessPoint> = {};
  for (const [id, ap] of bucketView.resources("aws_s3_access_point")) {
    if (bucketView.resolve(String(ap.bucket ?? "")) !== declared.bucketName) continue;
    const arn = bucketView.resolve(`\${aws_s3_access_point.${id}.arn}`);
    const place = bucketView.placeOf("aws_s3_access_point", id);
    accessPoints[arn] = { arn, name: String(ap.name), accountId: arn.split(":")[4] ?? "", region: place.region, policy: bucketView.policy(ap, "policy", `access point ${String(ap.name)}`) };
  }
  // A grant recorded as going through an access point is proven through it or not at all: without it in the model its
  // requests would go straight to the bucket, and the other grantees' requests on it would be left out.
  for (const h of bucketHalves) {
    const recordedPoint = h.record.accessPoint;
    if (recordedPoint && !accessPoints[recordedPoint.arn]) {
      throw new ModelError(
        `${viewOf(h).stack.source}: the grant's access point ${recordedPoint.name} (${h.record.resources.accessPoint ?? "not recorded"}) is not in the stack (no access point ${recordedPoint.arn} on bucket ${declared.bucketName})`,
      );
    }
  }

  const roles: Record<string, ModelRole> = {};
  const unseen: string[] = [];
  for (const h of bucketHalves) {
    for (const arn of [h.record.lambda.roleArn, ...(h.record.accessRoleArn ? [h.record.accessRoleArn] : [])]) {
      if (roles[arn]) continue;
      const role = modelRole(views, arn, options);
      roles[arn] = role;
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
    bucket: { name: declared.bucketName, arn: `arn:${partition}:s3:::${declared.bucketName}`, accountId: declared.accountId, policy: bucketView.policy(bucketPolicy.r, "policy", "the bucket policy") },
    key: { arn: keyArn, accountId: declared.accountId, aliases: aliases.length > 0 ? aliases : [declared.keyAlias], policy: bucketView.policy(keyPolicy.r, "policy", "the key policy") },
    accessPoints,
    unseen,
  };
}

/** Every action named in every policy of the model, with where it appears. */
export function actionsInModel(model: AccessModel): Array<{ action: string; where: string }> {
  const found: Array<{ action: string; where: string }> = [];
  const collect = (doc: PolicyDocument | undefined, where: string) => {
    for (const s of doc?.Statement ?? []) {
      for (const action of ([] as string[]).concat(s.Action)) found.push({ action, where: `${where} ${s.Sid ?? ""}`.trim() });
    }
  };
  for (const role of Object.values(model.roles)) {
    collect(role.trustPolicy, `trust policy of ${role.name}`);
    for (const [name, doc] of Object.entries(role.policies)) collect(doc, `policy ${name} of ${role.name}`);
  }
  collect(model.bucket.policy, "bucket policy");
  collect(model.key.policy, "key policy");
  for (const ap of Object.values(model.accessPoints)) collect(ap.policy, `policy of access point ${ap.name}`);
  return found;
}
