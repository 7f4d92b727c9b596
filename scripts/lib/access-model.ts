/**
 * The access model of a synthesized stack: every policy document it would deploy, with the concrete ARNs they name.
 * Account IDs and names are config, so references resolve to known ARNs; the one value known only after apply, the
 * KMS key's ID, gets a single stand-in used everywhere the key is referenced. What is proven is what the Terraform
 * JSON says, not a second copy of the policy logic.
 */
import type { PolicyDocument } from "../../modules";

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

export interface AccessModel {
  readonly stack: string;
  readonly lambdaAccountId: string;
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

/** Builds the access model of one synthesized stack (its cdk.tf.json, parsed). */
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
  const roleArnOf = (id: string) => {
    const role = resources.aws_iam_role?.[id] ?? fail(`no role ${id}`);
    return `arn:aws:iam::${placeOf("aws_iam_role", id).accountId}:role/${String(role.name)}`;
  };

  /** Replaces every ${type.id.attribute} reference with its concrete value; an unknown one fails. */
  const resolve = (text: string): string =>
    text.replace(/\$\{([a-z0-9_]+)\.([\w-]+)\.([a-z_]+)\}/g, (whole, type: string, id: string, attribute: string) => {
      const key = `${type}.${attribute}`;
      if (type === "aws_kms_key" && createdKey && id === keyId && attribute === "arn") return keyArn;
      if (type === "aws_s3_bucket" && createdBucket && id === bucketId && (attribute === "id" || attribute === "bucket")) return bucketName;
      if (key === "aws_iam_role.name") return String(resources.aws_iam_role?.[id]?.name ?? fail(`no role ${id}`));
      if (key === "aws_iam_role.arn") return roleArnOf(id);
      return fail(`cannot resolve the reference ${whole}`);
    });
  const policy = (r: SynthResource, argument: string, what: string): PolicyDocument => {
    const text = r[argument];
    if (typeof text !== "string") fail(`${what} has no ${argument}`);
    return JSON.parse(resolve(text as string)) as PolicyDocument;
  };

  const roles: Record<string, ModelRole> = {};
  const policiesByRole = new Map<string, Record<string, PolicyDocument>>();
  for (const [id, role] of Object.entries(resources.aws_iam_role ?? {})) {
    const arn = roleArnOf(id);
    const policies: Record<string, PolicyDocument> = {};
    policiesByRole.set(String(role.name), policies);
    roles[arn] = {
      arn,
      name: String(role.name),
      accountId: placeOf("aws_iam_role", id).accountId,
      trustPolicy: policy(role, "assume_role_policy", `role ${role.name}`),
      policies,
    };
  }
  for (const [id, attachment] of Object.entries(resources.aws_iam_role_policy ?? {})) {
    const roleName = resolve(String(attachment.role ?? fail(`role policy ${id} names no role`)));
    const target = policiesByRole.get(roleName) ?? fail(`role policy ${id} is attached to ${roleName}, which the stack does not create`);
    target[String(attachment.name)] = policy(attachment, "policy", `role policy ${id}`);
  }
  if (Object.keys(resources).some((t) => t === "aws_iam_policy" || t === "aws_iam_role_policy_attachment")) {
    fail("managed policies are not modelled; the stack must use inline role policies");
  }

  const lambdaRoleAccount = providers.get("aws.lambda_account")?.accountId ?? fail("no lambda_account provider");
  const aliases = Object.values(resources.aws_kms_alias ?? {})
    .filter((a) => a.target_key_id === `\${aws_kms_key.${keyId}.key_id}` || a.target_key_id === `\${aws_kms_key.${keyId}.arn}`)
    .map((a) => String(a.name));
  return {
    stack,
    lambdaAccountId: lambdaRoleAccount,
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
  };
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
  return found;
}

/**
 * One stack JSON from several: the split layout's two halves (each with its own account's provider) joined, so the
 * access model covers the pair as one grant.
 */
export function mergeStackJson(parts: readonly StackJson[]): StackJson {
  const resource: Record<string, Record<string, SynthResource>> = {};
  for (const part of parts) {
    for (const [type, byId] of Object.entries(part.resource ?? {})) resource[type] = { ...(resource[type] ?? {}), ...byId };
  }
  return { provider: { aws: parts.flatMap((p) => p.provider?.aws ?? []) }, resource };
}
