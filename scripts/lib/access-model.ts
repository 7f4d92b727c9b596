/**
 * The access model of a synthesized stack: every policy document it would deploy, with the concrete ARNs they name.
 * Account IDs and names are config, so references resolve to known ARNs; the one value known only after apply, the
 * KMS key's ID, gets a single stand-in used everywhere the key is referenced. What is proven is what the Terraform
 * JSON says, not a second copy of the policy logic.
 */
import type { PolicyDocument } from "../../modules/internal";

/** Stand-in for the KMS key ID, known only after apply. */
export const KEY_ID_STAND_IN = "0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d";

export interface ModelRole {
  readonly arn: string;
  readonly name: string;
  readonly accountId: string;
  readonly trustPolicy: PolicyDocument;
  /** Inline policies by name. */
  readonly policies: Readonly<Record<string, PolicyDocument>>;
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
  readonly stack: string;
  /**
   * The Lambda account of a single grant. Empty in a shared-bucket model, whose grantees may be in several accounts:
   * each grantee is proven on a per-grantee view (see granteeView) that names its account.
   */
  readonly lambdaAccountId: string;
  /** Every account with a Lambda side in the stack (one for a single grant, each grantee's in a shared bucket). */
  readonly lambdaAccountIds?: readonly string[];
  readonly bucketAccountId: string;
  readonly bucketRegion: string;
  readonly roles: Readonly<Record<string, ModelRole>>;
  readonly bucket: { readonly name: string; readonly arn: string; readonly accountId: string; readonly policy: PolicyDocument };
  readonly key: {
    readonly arn: string;
    readonly accountId: string;
    /** The key's aliases (kms:ResourceAliases of a request on it). */
    readonly aliases: readonly string[];
    readonly policy: PolicyDocument;
  };
  /** The bucket's access points by ARN; none for a single grant. */
  readonly accessPoints?: Readonly<Record<string, ModelAccessPoint>>;
}

interface SynthResource {
  readonly provider?: string;
  readonly [argument: string]: unknown;
}

export interface StackJson {
  readonly provider?: { aws?: Array<{ alias?: string; region?: string; assume_role?: Array<{ role_arn?: string }> }> };
  readonly resource?: Record<string, Record<string, SynthResource>>;
}

class ModelError extends Error {
  constructor(stack: string, message: string) {
    super(`access model of ${stack}: ${message}`);
    this.name = "AccessModelError";
  }
}

/** A Lambda side's provider: `lambda_account` (single grant) or `lambda_<account>_<region>` (shared-bucket grantees). */
const LAMBDA_PROVIDER = /^aws\.lambda_(account|\d{12}_[a-z0-9_]+)$/;

/** Builds the access model of one synthesized stack (its cdk.tf.json, parsed): a single grant, or a shared bucket. */
export function modelFromSynth(stack: string, json: StackJson, options: { readonly keyAliases?: readonly string[] } = {}): AccessModel {
  const fail = (message: string): never => {
    throw new ModelError(stack, message);
  };
  const providers = new Map<string, { accountId: string; region: string }>();
  for (const p of json.provider?.aws ?? []) {
    const roleArn = p.assume_role?.[0]?.role_arn ?? fail(`provider ${p.alias} has no assume_role role_arn`);
    providers.set(`aws.${p.alias}`, { accountId: roleArn.split(":")[4], region: p.region ?? fail(`provider ${p.alias} has no region`) });
  }
  const resources = json.resource ?? {};
  const placeOf = (type: string, id: string) => {
    const r = resources[type]?.[id] ?? fail(`no resource ${type}.${id}`);
    return providers.get(r.provider ?? "") ?? fail(`${type}.${id} uses provider ${r.provider}, which has no assume_role account`);
  };
  const only = (type: string): [string, SynthResource] => {
    const entries = Object.entries(resources[type] ?? {});
    if (entries.length !== 1) fail(`expected one ${type}, found ${entries.length}`);
    return entries[0];
  };

  // The key and bucket this stack creates, or the existing ones it only writes the policies of.
  const createdKey = Object.keys(resources.aws_kms_key ?? {}).length > 0;
  const [keyId, keyResource] = createdKey ? only("aws_kms_key") : only("aws_kms_key_policy");
  const keyPlace = placeOf(createdKey ? "aws_kms_key" : "aws_kms_key_policy", keyId);
  const keyArn = createdKey
    ? `arn:aws:kms:${keyPlace.region}:${keyPlace.accountId}:key/${KEY_ID_STAND_IN}`
    : String(keyResource.key_id ?? fail("the key policy names no key"));
  const createdBucket = Object.keys(resources.aws_s3_bucket ?? {}).length > 0;
  const [bucketPolicyId, bucketPolicyResource] = only("aws_s3_bucket_policy");
  const [bucketId, bucketResource] = createdBucket ? only("aws_s3_bucket") : [bucketPolicyId, bucketPolicyResource];
  const bucketName = String((createdBucket ? bucketResource.bucket : bucketPolicyResource.bucket) ?? fail("the bucket has no name"));
  const bucketPlace = placeOf(createdBucket ? "aws_s3_bucket" : "aws_s3_bucket_policy", bucketId);
  const accessPointArnOf = (id: string) => {
    const ap = resources.aws_s3_access_point?.[id] ?? fail(`no access point ${id}`);
    const place = placeOf("aws_s3_access_point", id);
    return `arn:aws:s3:${place.region}:${String(ap.account_id ?? place.accountId)}:accesspoint/${String(ap.name)}`;
  };
  const roleArnOf = (id: string) => {
    const role = resources.aws_iam_role?.[id] ?? fail(`no role ${id}`);
    // The path (default "/") is part of the ARN every policy names the role by.
    return `arn:aws:iam::${placeOf("aws_iam_role", id).accountId}:role${String(role.path ?? "/")}${String(role.name)}`;
  };

  /** Replaces every ${type.id.attribute} reference with its concrete value; an unknown one fails. */
  const resolve = (text: string): string =>
    text.replace(/\$\{([a-z0-9_]+)\.([\w-]+)\.([a-z_]+)\}/g, (whole, type: string, id: string, attribute: string) => {
      const key = `${type}.${attribute}`;
      if (type === "aws_kms_key" && createdKey && id === keyId && attribute === "arn") return keyArn;
      if (type === "aws_s3_bucket" && createdBucket && id === bucketId && (attribute === "id" || attribute === "bucket")) return bucketName;
      if (key === "aws_iam_role.name") return String(resources.aws_iam_role?.[id]?.name ?? fail(`no role ${id}`));
      if (key === "aws_iam_role.arn") return roleArnOf(id);
      if (key === "aws_s3_access_point.arn") return accessPointArnOf(id);
      return fail(`cannot resolve the reference ${whole}`);
    });
  const policy = (r: SynthResource, argument: string, what: string): PolicyDocument => {
    const text = r[argument];
    if (typeof text !== "string") fail(`${what} has no ${argument}`);
    return JSON.parse(resolve(text as string)) as PolicyDocument;
  };

  const roles: Record<string, ModelRole> = {};
  // By logical ID: role names repeat across the accounts of a shared bucket's grantees.
  const policiesByRole = new Map<string, Record<string, PolicyDocument>>();
  for (const [id, role] of Object.entries(resources.aws_iam_role ?? {})) {
    const arn = roleArnOf(id);
    const policies: Record<string, PolicyDocument> = {};
    policiesByRole.set(id, policies);
    roles[arn] = {
      arn,
      name: String(role.name),
      accountId: placeOf("aws_iam_role", id).accountId,
      trustPolicy: policy(role, "assume_role_policy", `role ${role.name}`),
      policies,
    };
  }
  for (const [id, attachment] of Object.entries(resources.aws_iam_role_policy ?? {})) {
    const roleRef = String(attachment.role ?? fail(`role policy ${id} names no role`));
    const roleId = /^\$\{aws_iam_role\.([\w-]+)\.(name|id)\}$/.exec(roleRef)?.[1];
    const target =
      (roleId && policiesByRole.get(roleId)) ||
      fail(`role policy ${id} is attached to ${resolve(roleRef)}, which is not a role the stack creates (by reference)`);
    target[String(attachment.name)] = policy(attachment, "policy", `role policy ${id}`);
  }
  if (Object.keys(resources).some((t) => t === "aws_iam_policy" || t === "aws_iam_role_policy_attachment")) {
    fail("managed policies are not modelled; the stack must use inline role policies");
  }

  const lambdaAccounts = [...new Set([...providers].filter(([alias]) => LAMBDA_PROVIDER.test(alias)).map(([, p]) => p.accountId))];
  if (lambdaAccounts.length === 0) fail("no Lambda provider (lambda_account, or lambda_<account>_<region>)");
  const single = providers.has("aws.lambda_account");

  const accessPoints: Record<string, ModelAccessPoint> = {};
  for (const [id, ap] of Object.entries(resources.aws_s3_access_point ?? {})) {
    const arn = accessPointArnOf(id);
    if (resolve(String(ap.bucket ?? "")) !== bucketName) fail(`access point ${String(ap.name)} is not on the bucket ${bucketName}`);
    const place = placeOf("aws_s3_access_point", id);
    accessPoints[arn] = {
      arn,
      name: String(ap.name),
      accountId: arn.split(":")[4],
      region: place.region,
      policy: policy(ap, "policy", `access point ${String(ap.name)}`),
    };
  }
  if (Object.keys(resources).some((t) => t.startsWith("aws_s3control_"))) {
    fail("s3control resources (access point policies apart from their access point) are not modelled");
  }
  const aliases = Object.values(resources.aws_kms_alias ?? {})
    .filter((a) => a.target_key_id === `\${aws_kms_key.${keyId}.key_id}` || a.target_key_id === `\${aws_kms_key.${keyId}.arn}`)
    .map((a) => String(a.name));
  return {
    stack,
    lambdaAccountId: single ? providers.get("aws.lambda_account")!.accountId : "",
    lambdaAccountIds: lambdaAccounts,
    bucketAccountId: bucketPlace.accountId,
    bucketRegion: bucketPlace.region,
    roles,
    bucket: {
      name: bucketName,
      arn: `arn:aws:s3:::${bucketName}`,
      accountId: bucketPlace.accountId,
      policy: policy(bucketPolicyResource, "policy", "the bucket policy"),
    },
    key: {
      arn: keyArn,
      accountId: keyPlace.accountId,
      // An existing key's aliases are not in the stack: they come from the declaration.
      aliases: aliases.length > 0 ? aliases : [...(options.keyAliases ?? [])],
      policy: policy(keyResource, "policy", "the KMS key"),
    },
    ...(Object.keys(accessPoints).length > 0 ? { accessPoints } : {}),
  };
}

/**
 * A shared-bucket model seen from one grantee: the same policies, with `lambdaAccountId` the grantee's account, so
 * the single-grant request matrix (proofRequests) applies to it.
 */
export function granteeView(model: AccessModel, lambdaAccountId: string): AccessModel {
  if (!(model.lambdaAccountIds ?? [model.lambdaAccountId]).includes(lambdaAccountId)) {
    throw new ModelError(model.stack, `no Lambda provider in the grantee's account ${lambdaAccountId}`);
  }
  return { ...model, lambdaAccountId: lambdaAccountId };
}

/** Every action named in every policy of the model, with where it appears. */
export function actionsInModel(model: AccessModel): Array<{ action: string; where: string }> {
  const found: Array<{ action: string; where: string }> = [];
  const collect = (doc: PolicyDocument, where: string) => {
    for (const s of doc.Statement) {
      for (const action of ([] as string[]).concat(s.Action)) found.push({ action, where: `${where} ${s.Sid ?? ""}`.trim() });
    }
  };
  for (const role of Object.values(model.roles)) {
    collect(role.trustPolicy, `trust policy of ${role.name}`);
    for (const [name, doc] of Object.entries(role.policies)) collect(doc, `policy ${name} of ${role.name}`);
  }
  collect(model.bucket.policy, "bucket policy");
  collect(model.key.policy, "key policy");
  for (const ap of Object.values(model.accessPoints ?? {})) collect(ap.policy, `policy of access point ${ap.name}`);
  return found;
}

/**
 * One stack JSON from several: the split layout's stacks (each with its own account's provider) joined, so the access
 * model covers them as one. Stacks built from the same constructs (a shared bucket's grantees) repeat logical IDs:
 * a repeated ID is renamed `<id>_<part index>` in its part, with every `${type.id.…}` reference to it in that part.
 * Providers with the same alias (grantees in one account and region) must be the same provider.
 */
export function mergeStackJson(parts: readonly StackJson[]): StackJson {
  const resource: Record<string, Record<string, SynthResource>> = {};
  const providers = new Map<string, NonNullable<NonNullable<StackJson["provider"]>["aws"]>[number]>();
  parts.forEach((part, index) => {
    const renames = new Map<string, string>();
    for (const [type, byId] of Object.entries(part.resource ?? {})) {
      for (const id of Object.keys(byId)) if (resource[type]?.[id] !== undefined) renames.set(`${type}.${id}`, `${id}_${index}`);
    }
    const renamed = (text: string) =>
      text.replace(/\$\{([a-z0-9_]+)\.([\w-]+)\./g, (whole, type: string, id: string) => {
        const to = renames.get(`${type}.${id}`);
        return to === undefined ? whole : `\${${type}.${to}.`;
      });
    const rewrite = (value: unknown): unknown =>
      typeof value === "string"
        ? renamed(value)
        : Array.isArray(value)
          ? value.map(rewrite)
          : value !== null && typeof value === "object"
            ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]))
            : value;
    for (const [type, byId] of Object.entries(part.resource ?? {})) {
      const into = (resource[type] ??= {});
      for (const [id, r] of Object.entries(byId)) into[renames.get(`${type}.${id}`) ?? id] = rewrite(r) as SynthResource;
    }
    for (const p of part.provider?.aws ?? []) {
      const alias = p.alias ?? "";
      const seen = providers.get(alias);
      const account = (q: typeof p) => q.assume_role?.[0]?.role_arn?.split(":")[4];
      if (seen && (account(seen) !== account(p) || seen.region !== p.region)) {
        throw new Error(`the merged stacks have two providers ${alias}: in ${account(seen)} ${seen.region} and ${account(p)} ${p.region}`);
      }
      if (!seen) providers.set(alias, p);
    }
  });
  return { provider: { aws: [...providers.values()] }, resource };
}
