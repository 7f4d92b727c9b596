/**
 * Proving every grant a synthesized app records: its two halves paired (in one output or in two apps' outputs), the
 * drift between their declarations reported before any request is simulated, one access model per bucket, and every
 * request of every grant on it judged by the simulator.
 */
import { ConfigurationError } from "../errors";
import type { GrantDeclaration } from "../grant";
import type { GrantRecord } from "../grant-record";
import { recordsOf, type SynthesizedStack } from "./load";
import { actionsInModel, buildModel, type AccessModel, type ModelOptions, type RecordedHalf } from "./model";
import { grantRequests, outsiderFor } from "./requests";
import { prove, requireSimulator, unknownActions, type ProofResult } from "./simulate";

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
const whereOf = (h: RecordedHalf) => `${h.stack.name}: ${h.record.construct}${h.record.configPath ? ` (${h.record.configPath})` : ""}`;

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
  };
}

/** The fields of one record both halves must agree on, by name. */
function declared(record: GrantRecord): Record<string, unknown> {
  return {
    ...Object.fromEntries(Object.entries(canonicalGrant(record.grant)).map(([k, v]) => [`grant.${k}`, v])),
    "lambda.accountId": record.lambda.accountId,
    "lambda.region": record.lambda.region,
    "lambda role": record.lambda.roleArn,
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
  const a = declared(lambda);
  const b = declared(bucket);
  return Object.keys({ ...a, ...b })
    .filter((field) => JSON.stringify(a[field]) !== JSON.stringify(b[field]))
    .map((field) => `${field}: the Lambda account's half declares ${show(a[field])}, the bucket account's half ${show(b[field])}`);
}

/** A grantee's short name in tables: its function, or its role's name. */
const granteeName = (r: GrantRecord) => r.lambda.functionName ?? r.lambda.roleArn.slice(r.lambda.roleArn.lastIndexOf("/") + 1);

/**
 * Proves every grant the stacks record. Fails loudly (a ConfigurationError, a ModelError, a SimulationError, a
 * SimulatorMissingError) on anything it cannot judge; returns a report whose `mismatches` is 0 only when every
 * verdict matches its declaration.
 */
export async function proveSynthesized(stacks: readonly SynthesizedStack[], options: ProveOptions = {}): Promise<ProofReport> {
  requireSimulator();
  const recordsByStack = new Map(stacks.map((s) => [s, recordsOf(s)] as const));
  const halves = new Map<string, { lambda: RecordedHalf[]; bucket: RecordedHalf[] }>();
  for (const [stack, records] of recordsByStack) {
    for (const record of records) {
      const entry = halves.get(record.key) ?? { lambda: [], bucket: [] };
      entry[record.half].push({ record, stack });
      halves.set(record.key, entry);
    }
  }
  if (halves.size === 0) {
    throw new ConfigurationError([
      `the stacks (${stacks.map((s) => s.name).join(", ")}) record no grant: synthesize an app whose grants use cross-account-s3-lambda's constructs`,
    ]);
  }

  // One model per bucket, from the bucket account's halves of every grant on it.
  const byBucket = new Map<string, RecordedHalf[]>();
  for (const { bucket } of halves.values()) {
    for (const h of bucket) byBucket.set(`${h.record.partition}:${h.record.bucket.bucketName}`, [...(byBucket.get(`${h.record.partition}:${h.record.bucket.bucketName}`) ?? []), h]);
  }
  const models = new Map<string, AccessModel>();
  const unknownByModel = new Map<AccessModel, Promise<string[]>>();
  const modelOf = (h: RecordedHalf): AccessModel => {
    const id = `${h.record.partition}:${h.record.bucket.bucketName}`;
    let model = models.get(id);
    if (!model) {
      model = buildModel(stacks, recordsByStack, byBucket.get(id)!, options);
      models.set(id, model);
    }
    return model;
  };

  const grants: GrantProof[] = [];
  for (const [key, { lambda, bucket }] of halves) {
    const subject = (lambda[0] ?? bucket[0])!.record;
    const problems: string[] = [];
    if (lambda.length === 0) problems.push("the Lambda account's half is not in the outputs given: pass the output of the app that synthesizes it too");
    if (bucket.length === 0) problems.push("the bucket account's half is not in the outputs given: pass the output of the app that synthesizes it too");
    for (const [side, recorded] of [["Lambda account's", lambda], ["bucket account's", bucket]] as const) {
      if (recorded.length > 1) problems.push(`the ${side} half is recorded ${recorded.length} times (${recorded.map(whereOf).join("; ")}): one grant, one half each`);
    }
    if (lambda[0] && bucket[0]) problems.push(...driftBetween(lambda[0].record, bucket[0].record));
    const base = {
      key,
      grantee: subject.lambda.roleArn,
      bucket: subject.bucket.bucketName,
      halves: { lambda: lambda[0] && whereOf(lambda[0]), bucket: bucket[0] && whereOf(bucket[0]) },
      problems,
    };
    if (problems.length > 0) {
      grants.push({ ...base, results: [], unknownActions: [], identityPolicies: {}, unseen: [], mismatches: problems.length });
      continue;
    }
    const model = modelOf(bucket[0]!);
    const others = (byBucket.get(`${subject.partition}:${subject.bucket.bucketName}`) ?? []).filter((h) => h.record.key !== key);
    const outsiderAccount = outsiderFor([model.bucketAccountId, subject.lambda.accountId, ...others.map((o) => o.record.lambda.accountId)]);
    const requests = grantRequests(subject, model, {
      outsiderAccount,
      grantee: granteeName(subject),
      accessPoint: subject.accessPoint ? model.accessPoints[subject.accessPoint.arn] : undefined,
      otherGrantees: others.map((o) => ({
        name: granteeName(o.record),
        grant: o.record.grant,
        accessRoleArn: o.record.accessRoleArn,
        accessPoint: o.record.accessPoint ? model.accessPoints[o.record.accessPoint.arn] : undefined,
      })),
    });
    const results = await prove(requests);
    if (!unknownByModel.has(model)) unknownByModel.set(model, unknownActions(actionsInModel(model)));
    const unknown = await unknownByModel.get(model)!;
    const roleArns = [subject.lambda.roleArn, ...(subject.accessRoleArn ? [subject.accessRoleArn] : [])];
    const identityPolicies = Object.fromEntries(roleArns.map((arn) => [arn, Object.keys(model.roles[arn]?.policies ?? {})]));
    const unseen = model.unseen.filter((u) => roleArns.some((arn) => u.startsWith(`role ${arn} `)));
    grants.push({ ...base, results, unknownActions: unknown, identityPolicies, unseen, mismatches: results.filter((r) => !r.ok).length + unknown.length });
  }
  return {
    grants,
    requests: grants.reduce((n, g) => n + g.results.length, 0),
    mismatches: grants.reduce((n, g) => n + g.mismatches, 0),
  };
}
