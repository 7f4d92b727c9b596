/**
 * The requests that prove a grant: every request its declaration implies, and a matrix of requests it must not allow
 * (other principals, other prefixes, the key used directly, every upload encryption but the bucket's, ...). What each
 * request should do comes from the grant's record: its declaration, never the policies under test. The catalogue
 * matrix (catalogue.ts) adds every other S3 and KMS action the policies could allow.
 */
import type { GrantDeclaration } from "../declaration/grant";
import type { GrantRecord } from "../record/grant-record";
import { UPLOAD_ENCRYPTION_CASES, uploadConditionContext } from "../policy/upload-encryption";
import { ModelError, type AccessModel, type ModelAccessPoint } from "./model";
import { administrator, otherRegionOf, RequestBuilder, type Caller } from "./request-builder";
import type { ProofRequest } from "./simulate";

/** An account no grant mentions. */
export const OUTSIDER_ACCOUNT = "333333333333";
export const UNGRANTED = "not-granted/";

/** Options of grantRequests for one grantee of a shared bucket. */
export interface ProofOptions {
  /** An account no grant of the environment mentions; OUTSIDER_ACCOUNT by default. */
  readonly outsiderAccount?: string | undefined;
  /** The grantee the requests are for, to group them in the table. */
  readonly grantee?: string | undefined;
  /** The grantee's access point: every S3 request goes through it. */
  readonly accessPoint?: ModelAccessPoint | undefined;
  /** The other grantees of the bucket, whose prefixes, access points and access roles this one must not reach. */
  readonly otherGrantees?: ReadonlyArray<OtherGrantee>;
  /** How the key policy names the grantee, as the bucket account's half records it. @default "roles" */
  readonly keyPolicyPrincipals?: "roles" | "accounts" | undefined;
}

export interface OtherGrantee {
  readonly name: string;
  /** The grantee's Lambda account. */
  readonly accountId?: string | undefined;
  readonly grant: GrantDeclaration;
  readonly accessRoleArn?: string | undefined;
  readonly accessPoint?: ModelAccessPoint | undefined;
}

/** The callers of one grant's matrices, and where its S3 requests go. */
export interface GrantCallers {
  readonly b: RequestBuilder;
  /** The Lambda role's session (the function's). */
  readonly lambda: Caller;
  /** Who S3 and KMS see: the Lambda role, or the S3 access role in assume-role mode. */
  readonly grantee: Caller;
  /** The S3 access role (assume-role mode). */
  readonly accessRoleArn: string | undefined;
  /** Another role of the Lambda account, with every action allowed by its account. */
  readonly otherRoleInA: Caller;
  /** An administrator of an account no grant mentions. */
  readonly outsider: Caller;
  /** The grantee's access point, when its grant goes through one. */
  readonly via: ModelAccessPoint | null;
  /** Whether the key policy names the grantee's account rather than its role (see keyNamesAccounts). */
  readonly keyNamesAccounts: boolean;
}

/** The builder and callers of one grant (see GrantCallers). */
export function grantCallers(subject: GrantRecord, model: AccessModel, options: ProofOptions = {}): GrantCallers {
  const b = new RequestBuilder(subject, model, options.grantee, options.outsiderAccount ?? OUTSIDER_ACCOUNT);
  // The function's name is its role session's name (what the handler uses); a grantee without a function gets one.
  const sessionName = subject.lambda.functionName ?? "grantee-session";
  const lambda = b.roleCaller(subject.lambda.roleArn, sessionName);
  const accessRoleArn = subject.grant.mode === "assume-role" ? subject.accessRoleArn : undefined;
  return {
    b,
    lambda,
    grantee: accessRoleArn ? b.roleCaller(accessRoleArn, sessionName) : lambda,
    accessRoleArn,
    otherRoleInA: administrator(model.partition, subject.lambda.accountId, "other-team-role"),
    outsider: administrator(model.partition, b.outsiderAccount, "intruder"),
    via: options.accessPoint ?? null,
    keyNamesAccounts: options.keyPolicyPrincipals === "accounts",
  };
}

const reads = (p: { access?: string | undefined }) => p.access === "read" || p.access === "readWrite";
const writes = (p: { access?: string | undefined }) => p.access === "write" || p.access === "readWrite";

/** The positive and complementary negative matrix over the granted prefixes (and one not granted), for the grantee. */
function prefixMatrix(c: GrantCallers): void {
  const { b, grantee, via } = c;
  const prefixes = [
    ...b.subject.grant.prefixes.map((p) => ({ ...p, granted: true })),
    { prefix: UNGRANTED, access: undefined, delete: false, granted: false },
  ];
  for (const p of prefixes) {
    const [r, w, d] = [reads(p), writes(p), p.delete === true];
    const what = p.granted ? `${p.prefix} is ${p.access}${d ? " + delete" : ""}` : `${p.prefix} is not granted`;
    const key = `${b.bucketArn}/${p.prefix}proof.txt`;
    b.s3(grantee, "s3:GetObject", key, r ? "Allowed" : "Denied", what, {}, via);
    b.s3(grantee, "s3:ListBucket", b.bucketArn, r ? "Allowed" : "Denied", what, { "s3:prefix": p.prefix }, via);
    b.s3(grantee, "s3:PutObject", key, w ? "Allowed" : "Denied", what, {}, via);
    b.s3(grantee, "s3:AbortMultipartUpload", key, w ? "Allowed" : "Denied", what, {}, via);
    b.s3(grantee, "s3:DeleteObject", key, d ? "Allowed" : "Denied", what, {}, via);
  }
}

/** The first granted prefix's key and the action its preset allows there: what the negative requests try. */
function grantedProbe(c: GrantCallers): { key: string; action: string; prefix: string } {
  const first = c.b.subject.grant.prefixes[0];
  if (!first) throw new ModelError(`${c.b.model.name}: the grant of ${c.b.subject.lambda.roleArn} declares no prefix`);
  return {
    key: `${c.b.bucketArn}/${first.prefix}proof.txt`,
    action: first.access === "write" ? "s3:PutObject" : "s3:GetObject",
    prefix: first.prefix,
  };
}

/** The key, through S3 of the bucket's region only, by the grantee's account, for the actions S3 needs. */
function keyMatrix(c: GrantCallers): void {
  const { b, grantee } = c;
  const prefixes = b.subject.grant.prefixes;
  const anyRead = prefixes.some(reads);
  const anyWrite = prefixes.some(writes);
  const { region, dnsSuffix } = b;
  if (anyRead || anyWrite)
    b.kms(grantee, "kms:Decrypt", "Allowed", "objects are read or uploaded (multipart) through S3");
  b.kms(
    grantee,
    "kms:GenerateDataKey",
    anyWrite ? "Allowed" : "Denied",
    anyWrite ? "objects are uploaded through S3" : "nothing is uploaded",
  );
  b.kms(grantee, "kms:Decrypt", "Denied", "the key is used only through S3", { "kms:ViaService": undefined });
  b.kms(grantee, "kms:Decrypt", "Denied", "the key is used only through S3", {
    "kms:ViaService": `ec2.${region}.${dnsSuffix}`,
  });
  b.kms(grantee, "kms:Decrypt", "Denied", "the key is used only through S3 in the bucket's region", {
    "kms:ViaService": `s3.${otherRegionOf(b.partition, region)}.${dnsSuffix}`,
  });
  b.kms(grantee, "kms:Decrypt", "Denied", "the key is used only by the grantee's account", {
    "kms:CallerAccount": b.outsiderAccount,
  });
  b.kms(grantee, "kms:Encrypt", "Denied", "only the actions S3 needs");
  if (b.subject.grant.mode !== "assume-role") {
    // Across accounts the identity policy must allow too, and it names the key by its alias.
    b.kms(grantee, "kms:Decrypt", "Denied", "the grantee's policy covers only the key behind the bucket's alias", {
      "kms:ResourceAliases": "alias/another-key",
    });
  }
  b.kms(grantee, "kms:ScheduleKeyDeletion", "Denied", "the grantee never administers the key");
  b.kms(grantee, "kms:PutKeyPolicy", "Denied", "the grantee never administers the key");
}

/** Bucket administration (on the bucket itself: not an access point action), actions outside the presets, no TLS. */
function administrationMatrix(c: GrantCallers): void {
  const { b, grantee, via } = c;
  const probe = grantedProbe(c);
  b.s3(grantee, "s3:PutBucketPolicy", b.bucketArn, "Denied", "the grantee never administers the bucket", {}, null);
  b.s3(grantee, "s3:DeleteBucket", b.bucketArn, "Denied", "the grantee never administers the bucket", {}, null);
  b.s3(grantee, "s3:PutObjectAcl", probe.key, "Denied", "only the preset's actions", {}, via);
  b.s3(grantee, "s3:GetObjectVersion", probe.key, "Denied", "only the preset's actions", {}, via);
  b.s3(
    grantee,
    "s3:ListBucket",
    b.bucketArn,
    "Denied",
    "listing is limited to the granted prefixes",
    { "s3:prefix": "" },
    via,
  );
  b.s3(
    grantee,
    probe.action,
    probe.key,
    "Denied",
    "requests without TLS are refused",
    { "aws:SecureTransport": "false" },
    via,
  );
}

/**
 * Every upload encryption, for each operation that stores data (all authorized as s3:PutObject): only the bucket's
 * default and the bucket's key named by ARN pass.
 */
function uploadEncryptionMatrix(c: GrantCallers): void {
  const { b, grantee, via } = c;
  const writable = b.subject.grant.prefixes.find(writes);
  if (!writable) return;
  const writeKey = `${b.bucketArn}/${writable.prefix}proof.txt`;
  const otherKey = `arn:${b.partition}:kms:${b.region}:${b.outsiderAccount}:key/${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}`;
  for (const upload of UPLOAD_ENCRYPTION_CASES) {
    for (const operation of upload.operations) {
      const context: Record<string, string> = uploadConditionContext(upload.headers(b.model.key.arn, otherKey));
      if (operation === "CopyObject")
        context["s3:x-amz-copy-source"] = `${b.model.bucket.name}/${writable.prefix}source.txt`;
      b.s3(
        grantee,
        "s3:PutObject",
        writeKey,
        upload.expected,
        `${operation} with ${upload.description}: ${upload.reason}`,
        context,
        via,
        operation,
      );
    }
  }
}

/** The network and organization limits of the grant. */
function networkMatrix(c: GrantCallers): void {
  const { b, grantee, via } = c;
  const probe = grantedProbe(c);
  const { sourceVpce, principalOrgId, mode } = b.subject.grant;
  if (sourceVpce?.[0]) {
    b.s3(
      grantee,
      probe.action,
      probe.key,
      "Denied",
      "only through the configured VPC endpoints",
      { "aws:SourceVpce": undefined },
      via,
    );
    b.s3(
      grantee,
      probe.action,
      probe.key,
      "Denied",
      "only through the configured VPC endpoints",
      { "aws:SourceVpce": "vpce-00000000" },
      via,
    );
  }
  if (principalOrgId && mode !== "assume-role") {
    // In assume-role mode the organization is checked where the other account comes in: the trust.
    b.s3(
      grantee,
      probe.action,
      probe.key,
      "Denied",
      "only from the configured organization",
      { "aws:PrincipalOrgID": "o-another00001" },
      via,
    );
    b.kms(grantee, "kms:Decrypt", "Denied", "only from the configured organization", {
      "aws:PrincipalOrgID": "o-another00001",
    });
  }
}

/** Other principals: another role of the Lambda account, and an outsider. */
function otherPrincipalsMatrix(c: GrantCallers): void {
  const { b, otherRoleInA, outsider, via } = c;
  const probe = grantedProbe(c);
  b.s3(otherRoleInA, probe.action, probe.key, "Denied", "only the Lambda's role is granted, not its account", {}, via);
  if (c.keyNamesAccounts) {
    const trade =
      "past the key policy's size the key names the grantee's account: its IAM picks which of its roles use the key through S3";
    b.kms(otherRoleInA, "kms:Decrypt", "Allowed", trade);
    b.kms(otherRoleInA, "kms:Decrypt", "Denied", "even so, only through S3 of the bucket's region", {
      "kms:ViaService": undefined,
    });
  } else {
    b.kms(otherRoleInA, "kms:Decrypt", "Denied", "only the grantee may use the key");
  }
  b.s3(outsider, probe.action, probe.key, "Denied", "no other account is granted", {}, via);
  b.s3(
    outsider,
    "s3:ListBucket",
    b.bucketArn,
    "Denied",
    "no other account is granted",
    { "s3:prefix": probe.prefix },
    via,
  );
  b.kms(outsider, "kms:Decrypt", "Denied", "no other account may use the key");
}

/** The S3 access role's trust: only the Lambda role, with the ExternalId and from the organization. */
function assumeRoleMatrix(c: GrantCallers): void {
  const { b, lambda, otherRoleInA, outsider, accessRoleArn } = c;
  if (!accessRoleArn) return;
  const { externalId, principalOrgId } = b.subject.grant;
  b.sts(
    lambda,
    "Allowed",
    `the Lambda role assumes the S3 access role${externalId ? " with the ExternalId" : ""}`,
    externalId,
    accessRoleArn,
  );
  if (externalId) {
    b.sts(lambda, "Denied", "the trust requires the ExternalId", undefined, accessRoleArn);
    b.sts(lambda, "Denied", "the trust requires the right ExternalId", `${externalId}-wrong`, accessRoleArn);
  }
  b.sts(otherRoleInA, "Denied", "only the Lambda role may assume the access role", externalId, accessRoleArn);
  if (principalOrgId)
    b.sts(lambda, "Denied", "only from the configured organization", externalId, accessRoleArn, {
      "aws:PrincipalOrgID": "o-another00001",
    });
  b.sts(outsider, "Denied", "only the Lambda role may assume the access role", externalId, accessRoleArn);
  const probe = grantedProbe(c);
  b.s3(
    lambda,
    probe.action,
    probe.key,
    "Denied",
    "in assume-role mode the Lambda role itself has no S3 access",
    {},
    c.via,
  );
  b.kms(lambda, "kms:Decrypt", "Denied", "in assume-role mode the Lambda role itself may not use the key");
}

/** Through its access point only: the bucket policy delegates to the bucket account's access points. */
function accessPointMatrix(c: GrantCallers): void {
  const { b, grantee, outsider, via } = c;
  if (!via) return;
  const probe = grantedProbe(c);
  b.s3(grantee, probe.action, probe.key, "Denied", "the grant is only through the access point", {}, null);
  if (b.subject.grant.prefixes.some(reads))
    b.s3(
      grantee,
      "s3:ListBucket",
      b.bucketArn,
      "Denied",
      "the grant is only through the access point",
      { "s3:prefix": probe.prefix },
      null,
    );
  b.s3(
    outsider,
    probe.action,
    probe.key,
    "Denied",
    "only the bucket account's access points are delegated to",
    {
      "s3:DataAccessPointAccount": b.outsiderAccount,
      "s3:DataAccessPointArn": `arn:${b.partition}:s3:${b.region}:${b.outsiderAccount}:accesspoint/${via.name}`,
    },
    null,
  );
}

/**
 * Other grantees of a shared bucket: their prefixes as far as this grant does not cover them, their access points,
 * their access roles.
 */
function otherGranteesMatrix(c: GrantCallers, others: readonly OtherGrantee[]): void {
  const { b, grantee, lambda, otherRoleInA, via } = c;
  const own = b.subject.grant;
  for (const other of others) {
    for (const p of other.grant.prefixes) {
      if (own.prefixes.some((mine) => mine.prefix === p.prefix)) continue;
      const key = `${b.bucketArn}/${p.prefix}proof.txt`;
      const verdict = (action: string, listPrefix?: string) =>
        grantAllows(own, action, listPrefix ?? `${p.prefix}proof.txt`) ? "Allowed" : "Denied";
      const what = `${p.prefix} is ${other.name}'s`;
      for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
        b.s3(grantee, action, key, verdict(action), what, {}, via);
      b.s3(
        grantee,
        "s3:ListBucket",
        b.bucketArn,
        verdict("s3:ListBucket", p.prefix),
        what,
        { "s3:prefix": p.prefix },
        via,
      );
    }
    const theirs = other.grant.prefixes[0];
    if (!theirs) continue;
    const theirKey = `${b.bucketArn}/${theirs.prefix}proof.txt`;
    const theirAction = theirs.access === "write" ? "s3:PutObject" : "s3:GetObject";
    if (other.accessPoint) {
      const only = `the access point of ${other.name} is for ${other.name} only`;
      b.s3(grantee, theirAction, theirKey, "Denied", only, {}, other.accessPoint);
      b.s3(grantee, "s3:ListBucket", b.bucketArn, "Denied", only, { "s3:prefix": theirs.prefix }, other.accessPoint);
      b.s3(otherRoleInA, theirAction, theirKey, "Denied", only, {}, other.accessPoint);
    }
    if (other.grant.mode === "assume-role") {
      b.sts(
        lambda,
        "Denied",
        `only ${other.name}'s Lambda role may assume its access role`,
        other.grant.externalId,
        other.accessRoleArn!,
      );
    }
  }
}

/**
 * The requests that prove one grant against its bucket's model: a positive matrix (every granted action on every
 * granted prefix, key use through S3, AssumeRole with the ExternalId) and a negative matrix around it.
 */
export function grantRequests(subject: GrantRecord, model: AccessModel, options: ProofOptions = {}): ProofRequest[] {
  const c = grantCallers(subject, model, options);
  prefixMatrix(c);
  keyMatrix(c);
  administrationMatrix(c);
  uploadEncryptionMatrix(c);
  networkMatrix(c);
  otherPrincipalsMatrix(c);
  assumeRoleMatrix(c);
  accessPointMatrix(c);
  otherGranteesMatrix(c, options.otherGrantees ?? []);
  return c.b.requests;
}

/** Whether a grant allows an S3 action on a key (for ListBucket: a listed prefix), from its declared presets. */
export function grantAllows(grant: GrantDeclaration, action: string, keyOrPrefix: string): boolean {
  return grant.prefixes.some((p) => {
    if (!keyOrPrefix.startsWith(p.prefix)) return false;
    const r = reads(p);
    const w = writes(p);
    if (action === "s3:GetObject" || action === "s3:ListBucket") return r;
    if (action === "s3:PutObject" || action === "s3:AbortMultipartUpload") return w;
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
