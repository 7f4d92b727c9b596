/**
 * Proving every grant a synthesized app records: its two halves paired (in one output or in two apps' outputs), the
 * drift between their declarations reported before any request is simulated, one access model per bucket, and every
 * request of every grant on it judged by the simulator.
 */
import { ConfigurationError } from "../core/errors";
import type { GrantDeclaration } from "../declaration/grant";
import type { GrantRecord } from "../record/grant-record";
import { catalogueRequests, loadCatalogue, type CatalogueAction } from "./catalogue";
import { recordsOf, type SynthesizedStack } from "./load";
import {
  actionsInModel,
  buildModel,
  declaredPlace,
  placeProblems,
  proofViews,
  type AccessModel,
  type ModelOptions,
  type ProofView,
  type RecordedHalf,
} from "./model";
import { grantCallers, grantRequests, outsiderFor, type ProofOptions } from "./requests";
import { eventRequests } from "./events";
import { queueEventRequests } from "./queue-events";
import { iamData, prove, requireSimulator, unknownActions, type ProofRequest, type ProofResult } from "./simulate";

/** The proof of one grant. */
export interface GrantProof {
  /** The grant's key: its bucket and grantee role (and access point). */
  readonly key: string;
  /** Who the grant is for: the grantee's role ARN. */
  readonly grantee: string;
  readonly bucket: string;
  /** Where each half was recorded: stack, construct, and configuration path when the app gave one. */
  readonly halves: { readonly lambda?: string | undefined; readonly bucket?: string | undefined };
  /** Problems found before any request: a half missing, the halves declared differently. */
  readonly problems: readonly string[];
  readonly results: readonly ProofResult[];
  /** Action names IAM does not know, in the policies of the grant's bucket. */
  readonly unknownActions: readonly string[];
  /** The identity policies the proof judged, by role ARN (the grantee's role, its S3 access role). */
  readonly identityPolicies: Readonly<Record<string, readonly string[]>>;
  /** What the proof could not see (an existing role's policies outside the stacks). */
  readonly unseen: readonly string[];
  /** Requests whose verdict differs from the declaration, plus unknown actions and problems. */
  readonly mismatches: number;
}

export interface ProofReport {
  readonly grants: readonly GrantProof[];
  readonly requests: number;
  readonly mismatches: number;
}

export interface ProveOptions extends ModelOptions {}

/** Where a half was recorded, for reports. */
const whereOf = (h: RecordedHalf) =>
  `${h.stack.name}: ${h.record.construct}${h.record.configPath ? ` (${h.record.configPath})` : ""}`;

/** The grant declaration in one canonical form, so that two halves compare field by field. */
function canonicalGrant(grant: GrantDeclaration): Record<string, unknown> {
  return {
    mode: grant.mode,
    prefixes: grant.prefixes.map((p) => `${p.prefix} ${p.access}${p.delete ? " + delete" : ""}`),
    accessRoleName: grant.accessRoleName,
    accessRolePath: grant.accessRolePath ?? (grant.accessRoleName ? "/" : undefined),
    externalId: grant.externalId,
    principalStyle: grant.principalStyle ?? "account-and-arn",
    principalOrgId: grant.principalOrgId,
    sourceVpce: grant.sourceVpce ? [...grant.sourceVpce].sort() : undefined,
    events: grant.events
      ? {
          delivery: grant.events.delivery ?? "eventbridge",
          prefixes: [...grant.events.prefixes].sort(),
          suffix: grant.events.suffix,
          removed: grant.events.removed === true,
        }
      : undefined,
  };
}

/** The fields of one record both halves must agree on, by name. */
function declared(record: GrantRecord): Record<string, unknown> {
  return {
    ...Object.fromEntries(Object.entries(canonicalGrant(record.grant)).map(([k, v]) => [`grant.${k}`, v])),
    "lambda.accountId": record.lambda.accountId,
    "lambda.region": record.lambda.region,
    "lambda role": record.lambda.roleArn,
    "the function the events invoke": record.lambda.eventFunctionName,
    "bucket.accountId": record.bucket.accountId,
    "bucket.region": record.bucket.region,
    "bucket.bucketName": record.bucket.bucketName,
    "bucket.keyAlias": record.bucket.keyAlias,
    "S3 access role": record.accessRoleArn,
    "access point": record.accessPoint?.arn,
  };
}

const show = (v: unknown) => (v === undefined ? "nothing" : JSON.stringify(v));

/** How the two halves of a grant were declared differently, field by field. */
export function driftBetween(lambda: GrantRecord, bucket: GrantRecord): string[] {
  // A function name is compared when both halves name one: the bucket account's half may leave it out.
  const functionName = (r: GrantRecord, other: GrantRecord): Record<string, unknown> =>
    r.lambda.functionName !== undefined && other.lambda.functionName !== undefined
      ? { "lambda.functionName": r.lambda.functionName }
      : {};
  const a: Record<string, unknown> = { ...declared(lambda), ...functionName(lambda, bucket) };
  const b: Record<string, unknown> = { ...declared(bucket), ...functionName(bucket, lambda) };
  return Object.keys({ ...a, ...b })
    .filter((field) => JSON.stringify(a[field]) !== JSON.stringify(b[field]))
    .map(
      (field) =>
        `${field}: the Lambda account's half declares ${show(a[field])}, the bucket account's half ${show(b[field])}`,
    );
}

/** A grantee's short name in tables: its function, or its role's name. */
const granteeName = (r: GrantRecord) =>
  r.lambda.functionName ?? r.lambda.roleArn.slice(r.lambda.roleArn.lastIndexOf("/") + 1);

/** The halves of every grant the views record, paired by their key. */
function pairHalves(views: readonly ProofView[]): Map<string, { lambda: RecordedHalf[]; bucket: RecordedHalf[] }> {
  const halves = new Map<string, { lambda: RecordedHalf[]; bucket: RecordedHalf[] }>();
  for (const { stack, records } of views) {
    for (const record of records) {
      const entry = halves.get(record.key) ?? { lambda: [], bucket: [] };
      entry[record.half].push({ record, stack });
      halves.set(record.key, entry);
    }
  }
  return pairAcrossBuckets(halves);
}

/**
 * Halves of one grantee left without their other half because the two declare different buckets: paired (one Lambda
 * account's half with one bucket account's half, the same grantee role and access point) so that the drift names
 * bucket.bucketName, rather than two halves each missing the other.
 */
function pairAcrossBuckets(
  halves: Map<string, { lambda: RecordedHalf[]; bucket: RecordedHalf[] }>,
): Map<string, { lambda: RecordedHalf[]; bucket: RecordedHalf[] }> {
  const grantee = (key: string) => key.slice(key.indexOf("|") + 1);
  const lonely = (side: "lambda" | "bucket") =>
    [...halves].filter(([, e]) => e[side].length > 0 && e[side === "lambda" ? "bucket" : "lambda"].length === 0);
  const lambdaOnly = lonely("lambda");
  const bucketOnly = lonely("bucket");
  for (const [key, entry] of lambdaOnly) {
    const matches = bucketOnly.filter(([other]) => grantee(other) === grantee(key));
    const lambdaMatches = lambdaOnly.filter(([other]) => grantee(other) === grantee(key));
    if (matches.length !== 1 || lambdaMatches.length !== 1) continue;
    const [otherKey, other] = matches[0]!;
    entry.bucket.push(...other.bucket);
    halves.delete(otherKey);
  }
  return halves;
}

/** What is wrong with a grant before any request: a half missing or recorded twice, the halves declared differently. */
function pairingProblems(lambda: readonly RecordedHalf[], bucket: readonly RecordedHalf[]): string[] {
  const problems: string[] = [];
  if (lambda.length === 0)
    problems.push(
      "the Lambda account's half is not in the outputs given: pass the output of the app that synthesizes it too",
    );
  if (bucket.length === 0)
    problems.push(
      "the bucket account's half is not in the outputs given: pass the output of the app that synthesizes it too",
    );
  for (const [side, recorded] of [
    ["Lambda account's", lambda],
    ["bucket account's", bucket],
  ] as const) {
    if (recorded.length > 1)
      problems.push(
        `the ${side} half is recorded ${recorded.length} times (${recorded.map(whereOf).join("; ")}): one grant, one half each`,
      );
  }
  if (lambda[0] && bucket[0]) problems.push(...driftBetween(lambda[0].record, bucket[0].record));
  return problems;
}

/** Where each half's provider deploys, as its block says, compared with where the half declares it is. */
function deployTargetProblems(views: readonly ProofView[], halves: readonly RecordedHalf[]): string[] {
  return halves.flatMap((h) => {
    const view = views.find((v) => v.stack === h.stack)!.view;
    const side = h.record.half === "lambda" ? "lambda" : "bucket";
    const what = `${h.stack.name}: ${side}.accountId and ${side}.region of the grant's ${side === "lambda" ? "Lambda" : "bucket"} account's half`;
    return placeProblems(view.placeOf({ provider: h.record.provider }), declaredPlace(h.record), what);
  });
}

/** Every model of the proof, one per bucket, built on first use from the bucket account's halves of every grant on it. */
class Models {
  private readonly models = new Map<string, AccessModel>();
  private readonly unknown = new Map<AccessModel, Promise<string[]>>();
  readonly byBucket = new Map<string, RecordedHalf[]>();

  constructor(
    private readonly views: readonly ProofView[],
    halves: ReadonlyMap<string, { bucket: RecordedHalf[] }>,
    private readonly options: ProveOptions,
  ) {
    for (const { bucket } of halves.values()) {
      for (const h of bucket) this.byBucket.set(Models.id(h), [...(this.byBucket.get(Models.id(h)) ?? []), h]);
    }
  }

  static id(h: RecordedHalf): string {
    return `${h.record.partition}:${h.record.bucket.bucketName}`;
  }

  of(h: RecordedHalf): AccessModel {
    let model = this.models.get(Models.id(h));
    if (!model) {
      model = buildModel(this.views, this.byBucket.get(Models.id(h))!, this.options);
      this.models.set(Models.id(h), model);
    }
    return model;
  }

  unknownActions(model: AccessModel): Promise<string[]> {
    if (!this.unknown.has(model)) this.unknown.set(model, unknownActions(actionsInModel(model)));
    return this.unknown.get(model)!;
  }
}

/**
 * Every request that proves one grant against its bucket's model: the hand-written matrices and the catalogue matrix.
 * `bucketHalf` is the bucket account's record of the grant (it says how the key policy names the grantee); `others`
 * the other grants on the bucket. The deployed proof asks the same of the policies fetched back after apply.
 */
export async function grantProofRequests(
  subject: GrantRecord,
  model: AccessModel,
  {
    bucketHalf = subject,
    others = [],
  }: { readonly bucketHalf?: GrantRecord; readonly others?: readonly RecordedHalf[] } = {},
): Promise<ProofRequest[]> {
  return requestsOf(subject, bucketHalf, model, others, await loadCatalogue(iamData()));
}

/** The requests of one grant: its matrices and the catalogue matrix. */
function requestsOf(
  subject: GrantRecord,
  bucketHalf: GrantRecord,
  model: AccessModel,
  others: readonly RecordedHalf[],
  catalogue: readonly CatalogueAction[],
): ProofRequest[] {
  const outsiderAccount = outsiderFor([
    model.bucketAccountId,
    subject.lambda.accountId,
    ...others.map((o) => o.record.lambda.accountId),
  ]);
  const options: ProofOptions = {
    outsiderAccount,
    grantee: granteeName(subject),
    accessPoint: subject.accessPoint ? model.accessPoints[subject.accessPoint.arn] : undefined,
    keyPolicyPrincipals: bucketHalf.keyPolicyPrincipals,
    otherGrantees: others.map((o) => ({
      name: granteeName(o.record),
      accountId: o.record.lambda.accountId,
      grant: o.record.grant,
      accessRoleArn: o.record.accessRoleArn,
      accessPoint: o.record.accessPoint ? model.accessPoints[o.record.accessPoint.arn] : undefined,
    })),
  };
  // The roles every grant on the bucket declares: each is proven by its own grant's matrices.
  const declared = new Set(
    [subject, ...others.map((o) => o.record)].flatMap((r) => [
      r.lambda.roleArn,
      ...(r.accessRoleArn ? [r.accessRoleArn] : []),
    ]),
  );
  const fixed = grantRequests(subject, model, options);
  const catalogued = catalogueRequests(
    grantCallers(subject, model, options),
    options.otherGrantees ?? [],
    catalogue,
    declared,
  );
  return [...fixed, ...catalogued];
}

/**
 * Proves every grant the stacks record. Fails loudly (a ConfigurationError, a ModelError, a SimulationError, a
 * SimulatorMissingError) on anything it cannot judge; returns a report whose `mismatches` is 0 only when every
 * verdict matches its declaration.
 */
export async function proveSynthesized(
  stacks: readonly SynthesizedStack[],
  options: ProveOptions = {},
): Promise<ProofReport> {
  requireSimulator();
  const catalogue = await loadCatalogue(iamData());
  const views = proofViews(stacks, recordsOf);
  const halves = pairHalves(views);
  if (halves.size === 0) {
    throw new ConfigurationError([
      `the stacks (${stacks.map((s) => s.name).join(", ")}) record no grant: synthesize an app whose grants use cross-account-s3-lambda's constructs`,
    ]);
  }
  const models = new Models(views, halves, options);
  const grants: GrantProof[] = [];
  for (const [key, { lambda, bucket }] of halves) {
    const subject = (lambda[0] ?? bucket[0])!.record;
    const problems = [...pairingProblems(lambda, bucket), ...deployTargetProblems(views, [...lambda, ...bucket])];
    const base = {
      key,
      grantee: subject.lambda.roleArn,
      bucket: subject.bucket.bucketName,
      halves: { lambda: lambda[0] && whereOf(lambda[0]), bucket: bucket[0] && whereOf(bucket[0]) },
    };
    if (problems.length > 0 || !bucket[0]) {
      grants.push({
        ...base,
        problems,
        results: [],
        unknownActions: [],
        identityPolicies: {},
        unseen: [],
        mismatches: problems.length,
      });
      continue;
    }
    const model = models.of(bucket[0]);
    problems.push(...(model.problems ?? []));
    const others = (models.byBucket.get(Models.id(bucket[0])) ?? []).filter((h) => h.record.key !== key);
    const outsider = outsiderFor([
      model.bucketAccountId,
      subject.lambda.accountId,
      ...others.map((o) => o.record.lambda.accountId),
    ]);
    const events = eventRequests(views, bucket[0].record, outsider);
    const rolePolicies = model.roles[subject.lambda.roleArn]?.policies ?? {};
    const queueEvents = queueEventRequests(views, bucket[0].record, outsider, rolePolicies);
    problems.push(...events.problems, ...queueEvents.problems);
    const results = await prove([
      ...requestsOf(subject, bucket[0].record, model, others, catalogue),
      ...events.requests,
      ...queueEvents.requests,
    ]);
    const unknown = await models.unknownActions(model);
    const roleArns = [subject.lambda.roleArn, ...(subject.accessRoleArn ? [subject.accessRoleArn] : [])];
    const identityPolicies = Object.fromEntries(
      roleArns.map((arn) => [arn, Object.keys(model.roles[arn]?.policies ?? {})]),
    );
    const unseen = model.unseen.filter(
      (u) => !u.startsWith("role ") || roleArns.some((arn) => u.startsWith(`role ${arn} `)),
    );
    const mismatches = results.filter((r) => !r.ok).length + unknown.length + problems.length;
    grants.push({ ...base, problems, results, unknownActions: unknown, identityPolicies, unseen, mismatches });
  }
  return {
    grants,
    requests: grants.reduce((n, g) => n + g.results.length, 0),
    mismatches: grants.reduce((n, g) => n + g.mismatches, 0),
  };
}
