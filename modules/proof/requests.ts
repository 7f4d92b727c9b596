/**
 * The requests that prove a grant: every request its declaration implies, and a matrix of requests it must not allow.
 */
import type { GrantRecord } from "../grant-record";
import type { GrantDeclaration } from "../grant";
import type { PolicyDocument } from "../policy-document";
import { partitionOf } from "../regions";
import { UPLOAD_ENCRYPTION_CASES, uploadConditionContext } from "../upload-encryption";
import { ModelError, type AccessModel, type ModelAccessPoint } from "./model";
import type { Expected, ProofRequest, ResourcePolicyKind } from "./simulate";

/** A role session: how AWS names the caller when a role (the Lambda role, the S3 access role) makes a request. */
function session(partition: string, accountId: string, roleName: string, sessionName: string): string {
  return `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

const ADMIN_POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Sid: "Everything", Effect: "Allow", Action: "*", Resource: "*" }],
};

/** An account no grant mentions. */
export const OUTSIDER_ACCOUNT = "333333333333";
const UNGRANTED = "not-granted/";

interface Caller {
  readonly principal: string;
  readonly roleArn: string;
  readonly accountId: string;
  readonly who: string;
  readonly identityPolicies: ReadonlyArray<{ name: string; policy: PolicyDocument }>;
}

/**
 * The requests that prove one grant against its bucket's model: a positive matrix (every granted action on every
 * granted prefix, key use through S3, AssumeRole with the ExternalId) and a negative matrix (other principals, other
 * prefixes, ungranted actions, no TLS, the key used directly, AssumeRole without or with a wrong ExternalId, every
 * upload encryption but the bucket's, ...). What each request should do comes from the grant's record: its
 * declaration, never the policies under test.
 */
export function grantRequests(subject: GrantRecord, model: AccessModel, options: ProofOptions = {}): ProofRequest[] {
  const config = subject;
  const partition = model.partition;
  const A = subject.lambda.accountId;
  const OUTSIDER = options.outsiderAccount ?? OUTSIDER_ACCOUNT;
  const ownAccessPoint = options.accessPoint;
  const B = model.bucketAccountId;
  const region = model.bucketRegion;
  const { dnsSuffix } = partitionOf(region);
  // A region of the same partition that is not the bucket's: the key may be used through S3 of its region only.
  const otherRegion = partition === "aws-cn" ? (region === "cn-north-1" ? "cn-northwest-1" : "cn-north-1") : partition === "aws-us-gov" ? (region === "us-gov-west-1" ? "us-gov-east-1" : "us-gov-west-1") : region === "us-west-2" ? "us-east-2" : "us-west-2";
  const bucket = model.bucket.arn;
  const lambdaRoleArn = subject.lambda.roleArn;
  if (!model.roles[lambdaRoleArn]) missing(model.name, lambdaRoleArn);
  const roleCaller = (roleArn: string, sessionName: string): Caller => {
    const role = model.roles[roleArn] ?? missing(model.name, roleArn);
    return {
      principal: session(partition, role.accountId, role.name, sessionName),
      roleArn,
      accountId: role.accountId,
      who: role.name,
      identityPolicies: Object.entries(role.policies).map(([name, policy]) => ({ name, policy })),
    };
  };
  // The function's name is its role session's name (what the handler uses); a grantee without a function gets one.
  const sessionName = config.lambda.functionName ?? "grantee-session";
  const lambda = roleCaller(lambdaRoleArn, sessionName);
  const assumeRole = config.grant.mode === "assume-role";
  const accessRoleArn = assumeRole ? subject.accessRoleArn : undefined;
  const grantee = accessRoleArn ? roleCaller(accessRoleArn, sessionName) : lambda;
  const admin = (accountId: string, roleName: string): Caller => ({
    principal: session(partition, accountId, roleName, "session"),
    roleArn: `arn:${partition}:iam::${accountId}:role/${roleName}`,
    accountId,
    who: `${roleName}@${accountId} (admin)`,
    identityPolicies: [{ name: "administrator", policy: ADMIN_POLICY }],
  });
  const otherRoleInA = admin(A, "other-team-role");
  const outsider = admin(OUTSIDER, "intruder");

  const org = config.grant.principalOrgId;
  const vpce = config.grant.sourceVpce?.[0];
  const baseContext = (caller: Caller): Record<string, string> => ({
    "aws:PrincipalArn": caller.roleArn,
    "aws:PrincipalAccount": caller.accountId,
    "aws:SecureTransport": "true",
    // With an organization condition, the accounts of the grant are in it and the outsider is not.
    ...(org ? { "aws:PrincipalOrgID": caller.accountId === OUTSIDER ? "o-outsider0001" : org } : {}),
  });
  const requests: ProofRequest[] = [];
  /** Adds a request on a resource of account B: the base context, then `overrides` (undefined removes a key). */
  const add = (
    caller: Caller,
    action: string,
    target: { resource: string; kind: ResourcePolicyKind; policy: PolicyDocument },
    context: Record<string, string | readonly string[]>,
    overrides: Record<string, string | undefined>,
    expected: Expected,
    intent: string,
    via: ModelAccessPoint | null,
    operation?: string,
  ) => {
    const throughAp: Record<string, string> = via ? { "s3:DataAccessPointAccount": via.accountId, "s3:DataAccessPointArn": via.arn } : {};
    const merged: Record<string, string | readonly string[]> = { ...baseContext(caller), "aws:ResourceAccount": B, ...throughAp, ...context };
    for (const [k, v] of Object.entries(overrides)) {
      if (v === undefined) delete merged[k];
      else merged[k] = v;
    }
    requests.push({
      ...(options.grantee ? { grantee: options.grantee } : {}),
      ...(operation ? { operation } : {}),
      ...(via
        ? {
            accessPoint: {
              arn: via.arn,
              name: via.name,
              resource: target.resource === bucket ? via.arn : `${via.arn}/object/${target.resource.slice(bucket.length + 1)}`,
              policy: via.policy,
            },
          }
        : {}),
      principal: caller.principal,
      who: caller.who,
      identityPolicies: caller.identityPolicies,
      action,
      resource: target.resource,
      resourceAccount: B,
      resourcePolicyKind: target.kind,
      resourcePolicy: target.policy,
      context: merged,
      expected,
      intent,
    });
  };
  // With VPC endpoints configured, the function reaches S3 through the first one; with an access point, through it.
  const s3 = (
    caller: Caller,
    action: string,
    resource: string,
    expected: Expected,
    intent: string,
    overrides: Record<string, string | undefined> = {},
    /** The access point the request goes through; null: straight to the bucket. */
    via: ModelAccessPoint | null = ownAccessPoint ?? null,
    /** The S3 operation, when it is not the action's own name (CreateMultipartUpload is s3:PutObject). */
    operation?: string,
  ) =>
    add(caller, action, { resource, kind: "bucket policy", policy: model.bucket.policy }, vpce ? { "aws:SourceVpce": vpce } : {}, overrides, expected, intent, via, operation);
  const kms = (caller: Caller, action: string, expected: Expected, intent: string, overrides: Record<string, string | undefined> = {}) =>
    add(
      caller,
      action,
      { resource: model.key.arn, kind: "key policy", policy: model.key.policy },
      { "kms:ViaService": `s3.${region}.${dnsSuffix}`, "kms:CallerAccount": caller.accountId, "kms:ResourceAliases": model.key.aliases },
      overrides,
      expected,
      intent,
      null,
    );
  const sts = (caller: Caller, expected: Expected, intent: string, externalId: string | undefined, roleArn = accessRoleArn!) =>
    requests.push({
      ...(options.grantee ? { grantee: options.grantee } : {}),
      principal: caller.principal,
      who: caller.who,
      identityPolicies: caller.identityPolicies,
      action: "sts:AssumeRole",
      resource: roleArn,
      resourceAccount: B,
      resourcePolicyKind: "trust policy",
      resourcePolicy: model.roles[roleArn]?.trustPolicy ?? missing(model.name, roleArn),
      context: { ...baseContext(caller), "aws:ResourceAccount": B, ...(externalId === undefined ? {} : { "sts:ExternalId": externalId }) },
      expected,
      intent,
    });

  // Positive and complementary negative matrix over the granted prefixes, for the grantee.
  const prefixes = [
    ...config.grant.prefixes.map((p) => ({ ...p, granted: true })),
    { prefix: UNGRANTED, access: undefined, delete: false, granted: false },
  ];
  let reads = false;
  let writes = false;
  for (const p of prefixes) {
    const r = p.access === "read" || p.access === "readWrite";
    const w = p.access === "write" || p.access === "readWrite";
    const d = p.delete === true;
    reads ||= r;
    writes ||= w;
    const what = p.granted ? `${p.prefix} is ${p.access}${d ? " + delete" : ""}` : `${p.prefix} is not granted`;
    const key = `${bucket}/${p.prefix}proof.txt`;
    s3(grantee, "s3:GetObject", key, r ? "Allowed" : "Denied", what);
    s3(grantee, "s3:ListBucket", bucket, r ? "Allowed" : "Denied", what, { "s3:prefix": p.prefix });
    s3(grantee, "s3:PutObject", key, w ? "Allowed" : "Denied", what);
    s3(grantee, "s3:AbortMultipartUpload", key, w ? "Allowed" : "Denied", what);
    s3(grantee, "s3:DeleteObject", key, d ? "Allowed" : "Denied", what);
  }
  const firstGranted = config.grant.prefixes[0];
  if (!firstGranted) throw new ModelError(`${model.name}: the grant of ${lambdaRoleArn} declares no prefix`);
  const grantedKey = `${bucket}/${firstGranted.prefix}proof.txt`;
  const grantedAction = firstGranted.access === "write" ? "s3:PutObject" : "s3:GetObject";

  // The key, through S3 only.
  if (reads || writes) kms(grantee, "kms:Decrypt", "Allowed", "objects are read or uploaded (multipart) through S3");
  kms(grantee, "kms:GenerateDataKey", writes ? "Allowed" : "Denied", writes ? "objects are uploaded through S3" : "nothing is uploaded");
  kms(grantee, "kms:Decrypt", "Denied", "the key is used only through S3", { "kms:ViaService": undefined });
  kms(grantee, "kms:Decrypt", "Denied", "the key is used only through S3", { "kms:ViaService": `ec2.${region}.${dnsSuffix}` });
  kms(grantee, "kms:Decrypt", "Denied", "the key is used only through S3 in the bucket's region", {
    "kms:ViaService": `s3.${otherRegion}.${dnsSuffix}`,
  });
  kms(grantee, "kms:Decrypt", "Denied", "the key is used only by the grantee's account", { "kms:CallerAccount": OUTSIDER });
  kms(grantee, "kms:Encrypt", "Denied", "only the actions S3 needs");
  if (!assumeRole) {
    // Across accounts the identity policy must allow too, and it names the key by its alias.
    kms(grantee, "kms:Decrypt", "Denied", "the grantee's policy covers only the key behind the bucket's alias", {
      "kms:ResourceAliases": "alias/another-key",
    });
  }
  kms(grantee, "kms:ScheduleKeyDeletion", "Denied", "the grantee never administers the key");
  kms(grantee, "kms:PutKeyPolicy", "Denied", "the grantee never administers the key");

  // Bucket administration (on the bucket itself: not an access point action) and actions outside the presets.
  s3(grantee, "s3:PutBucketPolicy", bucket, "Denied", "the grantee never administers the bucket", {}, null);
  s3(grantee, "s3:DeleteBucket", bucket, "Denied", "the grantee never administers the bucket", {}, null);
  s3(grantee, "s3:PutObjectAcl", grantedKey, "Denied", "only the preset's actions");
  s3(grantee, "s3:GetObjectVersion", grantedKey, "Denied", "only the preset's actions");
  s3(grantee, "s3:ListBucket", bucket, "Denied", "listing is limited to the granted prefixes", { "s3:prefix": "" });
  s3(grantee, grantedAction, grantedKey, "Denied", "requests without TLS are refused", { "aws:SecureTransport": "false" });
  if (writes) {
    // Every upload encryption, for each operation that stores data (all authorized as s3:PutObject): only the
    // bucket's default and the bucket's key named by ARN pass.
    const writable = config.grant.prefixes.find((p) => p.access !== "read")!;
    const writeKey = `${bucket}/${writable.prefix}proof.txt`;
    const otherKey = `arn:${partition}:kms:${region}:${OUTSIDER}:key/${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}`;
    for (const upload of UPLOAD_ENCRYPTION_CASES) {
      for (const operation of upload.operations) {
        const context: Record<string, string> = uploadConditionContext(upload.headers(model.key.arn, otherKey));
        if (operation === "CopyObject") context["s3:x-amz-copy-source"] = `${model.bucket.name}/${writable.prefix}source.txt`;
        const intent = `${operation} with ${upload.description}: ${upload.reason}`;
        s3(grantee, "s3:PutObject", writeKey, upload.expected, intent, context, ownAccessPoint ?? null, operation);
      }
    }
  }
  if (vpce) {
    s3(grantee, grantedAction, grantedKey, "Denied", "only through the configured VPC endpoints", { "aws:SourceVpce": undefined });
    s3(grantee, grantedAction, grantedKey, "Denied", "only through the configured VPC endpoints", { "aws:SourceVpce": "vpce-00000000" });
  }
  if (org && !assumeRole) {
    // In assume-role mode the organization is checked where the other account comes in: the trust (below).
    s3(grantee, grantedAction, grantedKey, "Denied", "only from the configured organization", { "aws:PrincipalOrgID": "o-another00001" });
    kms(grantee, "kms:Decrypt", "Denied", "only from the configured organization", { "aws:PrincipalOrgID": "o-another00001" });
  }

  // Other principals.
  s3(otherRoleInA, grantedAction, grantedKey, "Denied", "only the Lambda's role is granted, not its account");
  kms(otherRoleInA, "kms:Decrypt", "Denied", "only the grantee may use the key");
  s3(outsider, grantedAction, grantedKey, "Denied", "no other account is granted");
  s3(outsider, "s3:ListBucket", bucket, "Denied", "no other account is granted", { "s3:prefix": firstGranted.prefix });
  kms(outsider, "kms:Decrypt", "Denied", "no other account may use the key");

  if (accessRoleArn) {
    const externalId = config.grant.externalId;
    sts(lambda, "Allowed", `the Lambda role assumes the S3 access role${externalId ? " with the ExternalId" : ""}`, externalId);
    if (externalId) {
      sts(lambda, "Denied", "the trust requires the ExternalId", undefined);
      sts(lambda, "Denied", "the trust requires the right ExternalId", `${externalId}-wrong`);
    }
    sts(otherRoleInA, "Denied", "only the Lambda role may assume the access role", externalId);
    if (org) {
      requests.push({
        ...requests[requests.length - 1]!,
        principal: lambda.principal,
        who: lambda.who,
        identityPolicies: lambda.identityPolicies,
        context: { ...baseContext(lambda), "aws:ResourceAccount": B, "aws:PrincipalOrgID": "o-another00001", ...(externalId ? { "sts:ExternalId": externalId } : {}) },
        intent: "only from the configured organization",
      });
    }
    sts(outsider, "Denied", "only the Lambda role may assume the access role", externalId);
    s3(lambda, grantedAction, grantedKey, "Denied", "in assume-role mode the Lambda role itself has no S3 access");
    kms(lambda, "kms:Decrypt", "Denied", "in assume-role mode the Lambda role itself may not use the key");
  }

  if (ownAccessPoint) {
    // The bucket policy only delegates to the bucket account's access points: no request straight to the bucket.
    s3(grantee, grantedAction, grantedKey, "Denied", "the grant is only through the access point", {}, null);
    if (reads) s3(grantee, "s3:ListBucket", bucket, "Denied", "the grant is only through the access point", { "s3:prefix": firstGranted.prefix }, null);
    s3(outsider, grantedAction, grantedKey, "Denied", "only the bucket account's access points are delegated to", {
      "s3:DataAccessPointAccount": OUTSIDER,
      "s3:DataAccessPointArn": `arn:${partition}:s3:${region}:${OUTSIDER}:accesspoint/${ownAccessPoint.name}`,
    }, null);
  }

  // Other grantees of a shared bucket: their prefixes as far as this grant does not cover them, their access points,
  // their access roles.
  for (const other of options.otherGrantees ?? []) {
    for (const p of other.grant.prefixes) {
      if (config.grant.prefixes.some((own) => own.prefix === p.prefix)) continue;
      const key = `${bucket}/${p.prefix}proof.txt`;
      const verdict = (action: string, listPrefix?: string) => (grantAllows(config.grant, action, listPrefix ?? `${p.prefix}proof.txt`) ? "Allowed" : "Denied");
      const what = `${p.prefix} is ${other.name}'s`;
      for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]) s3(grantee, action, key, verdict(action), what);
      s3(grantee, "s3:ListBucket", bucket, verdict("s3:ListBucket", p.prefix), what, { "s3:prefix": p.prefix });
    }
    const theirs = other.grant.prefixes[0];
    if (!theirs) continue;
    const theirKey = `${bucket}/${theirs.prefix}proof.txt`;
    const theirAction = theirs.access === "write" ? "s3:PutObject" : "s3:GetObject";
    if (other.accessPoint) {
      s3(grantee, theirAction, theirKey, "Denied", `the access point of ${other.name} is for ${other.name} only`, {}, other.accessPoint);
      s3(grantee, "s3:ListBucket", bucket, "Denied", `the access point of ${other.name} is for ${other.name} only`, { "s3:prefix": theirs.prefix }, other.accessPoint);
      s3(otherRoleInA, theirAction, theirKey, "Denied", `the access point of ${other.name} is for ${other.name} only`, {}, other.accessPoint);
    }
    if (other.grant.mode === "assume-role") {
      sts(lambda, "Denied", `only ${other.name}'s Lambda role may assume its access role`, other.grant.externalId, other.accessRoleArn!);
    }
  }
  return requests;
}

/** Options of proofRequests for one grantee of a shared bucket. */
export interface ProofOptions {
  /** An account no grant of the environment mentions; OUTSIDER_ACCOUNT by default. */
  readonly outsiderAccount?: string | undefined;
  /** The grantee the requests are for, to group them in the table. */
  readonly grantee?: string | undefined;
  /** The grantee's access point: every S3 request goes through it. */
  readonly accessPoint?: ModelAccessPoint | undefined;
  /** The other grantees of the bucket, whose prefixes, access points and access roles this one must not reach. */
  readonly otherGrantees?: ReadonlyArray<{
    readonly name: string;
    readonly grant: GrantDeclaration;
    readonly accessRoleArn?: string | undefined;
    readonly accessPoint?: ModelAccessPoint | undefined;
  }>;
}

/** Whether a grant allows an S3 action on a key (for ListBucket: a listed prefix), from its declared presets. */
function grantAllows(grant: GrantDeclaration, action: string, keyOrPrefix: string): boolean {
  return grant.prefixes.some((p) => {
    if (!keyOrPrefix.startsWith(p.prefix)) return false;
    const reads = p.access === "read" || p.access === "readWrite";
    const writes = p.access === "write" || p.access === "readWrite";
    if (action === "s3:GetObject" || action === "s3:ListBucket") return reads;
    if (action === "s3:PutObject" || action === "s3:AbortMultipartUpload") return writes;
    if (action === "s3:DeleteObject") return p.delete === true;
    return false;
  });
}

/** An account outside the environment: OUTSIDER_ACCOUNT, or the first of 444444444444, 555555555555, ... not in it. */
export function outsiderFor(accounts: Iterable<string>): string {
  const used = new Set(accounts);
  for (let digit = 3; digit <= 9; digit++) {
    const candidate = String(digit).repeat(12);
    if (!used.has(candidate)) return candidate;
  }
  throw new Error(`no outsider account: ${[...used].join(", ")} are all in the environment`);
}

function missing(bucket: string, arn: string): never {
  throw new ModelError(`${bucket}: the grant names the role ${arn}, which the stacks neither create nor attach a policy to`);
}
