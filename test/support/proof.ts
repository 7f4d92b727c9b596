/**
 * The access proof's tests read stacks as the command does: the shipped environments synthesized in memory with their
 * grant records, copies of them with one policy broken on purpose, and the requests a proof gets wrong, in words.
 */
import { Testing } from "cdktf";
import type { PolicyDocument, PolicyStatement } from "../../modules/internal";
import {
  proveSynthesized,
  recordsOf,
  synthesizedFromConstructs,
  type ProofReport,
  type SynthesizedStack,
} from "../../modules/proof";
import { buildModel, proofViews, type AccessModel } from "../../modules/proof/model";
import type { ProofResult } from "../../modules/proof/simulate";
import { environmentStacks } from "../../stacks/cross-account-stack";
import type { EnvironmentConfig } from "../../stacks/config";
import { environments, sharedEnvironments } from "../../stacks/environments";
import { sharedEnvironmentStacks } from "../../stacks/shared-bucket-stack";

/** The stacks of a single-grant environment (one, or both halves of the split layout), records included. */
export function environmentSynth(name: string, config: EnvironmentConfig = environments[name]): SynthesizedStack[] {
  return synthesizedFromConstructs(environmentStacks(Testing.app(), name, config, {}));
}

/** The stacks of a shared-bucket environment (one, or the bucket's and one per grantee), records included. */
export function sharedEnvironmentSynth(name: string): SynthesizedStack[] {
  return synthesizedFromConstructs(sharedEnvironmentStacks(Testing.app(), name, sharedEnvironments[name], {}));
}

/** The proof of each synthesized environment, proven once for every test that reads it. */
export function provenOnce(
  synthesized: Readonly<Record<string, SynthesizedStack[]>>,
): (name: string) => Promise<ProofReport> {
  const proofs = new Map<string, Promise<ProofReport>>();
  return (name) => {
    let proof = proofs.get(name);
    if (!proof) {
      proof = proveSynthesized(synthesized[name]);
      proofs.set(name, proof);
    }
    return proof;
  };
}

/** The access model of the one bucket the stacks' grants are on, as proveSynthesized builds it. */
export function modelOf(stacks: readonly SynthesizedStack[]): AccessModel {
  const bucketHalves = stacks.flatMap((stack) =>
    recordsOf(stack)
      .filter((r) => r.half === "bucket")
      .map((record) => ({ record, stack })),
  );
  return buildModel(proofViews(stacks, recordsOf), bucketHalves);
}

/** A resource in one stack of several (logical IDs repeat across the stacks of a split layout). */
export interface StackResource {
  readonly stack: string;
  /** `type.logicalId`, as the grant records name it. */
  readonly address: string;
}

/**
 * The resource the grant records name `resource` (bucketPolicy, keyPolicy, grantPolicy, lambdaRole, accessRole,
 * accessRolePolicy, accessPoint), in the grant of the function `grantee` when given; fails unless exactly one.
 */
export function recorded(stacks: readonly SynthesizedStack[], resource: string, grantee?: string): StackResource {
  const found = new Map<string, StackResource>();
  for (const stack of stacks) {
    for (const record of recordsOf(stack)) {
      const address = record.resources[resource];
      if (address === undefined || (grantee !== undefined && record.lambda.functionName !== grantee)) continue;
      found.set(`${stack.name} ${address}`, { stack: stack.name, address });
    }
  }
  if (found.size !== 1) {
    throw new Error(
      `expected one recorded ${resource}${grantee ? ` of ${grantee}` : ""}, found ${[...found.keys()].join(", ") || "none"}`,
    );
  }
  return [...found.values()][0];
}

type MutableResource = Record<string, unknown>;

/** A deep copy of the stacks with one resource's arguments changed in place by `change`. */
export function withResource(
  stacks: readonly SynthesizedStack[],
  at: StackResource,
  change: (resource: MutableResource) => void,
): SynthesizedStack[] {
  const copy = structuredClone(stacks) as SynthesizedStack[];
  const [type = "", id = ""] = at.address.split(".");
  const resource = copy.find((s) => s.name === at.stack)?.json.resource?.[type]?.[id];
  if (!resource) throw new Error(`no ${at.address} in stack ${at.stack}`);
  change(resource);
  return copy;
}

/** A copy of the stacks with a resource added to the stack `stack` (its JSON, as a team's own code would add it). */
export function withAdded(
  stacks: readonly SynthesizedStack[],
  stack: string,
  type: string,
  id: string,
  resource: Record<string, unknown>,
): SynthesizedStack[] {
  const copy = structuredClone(stacks) as SynthesizedStack[];
  const json = copy.find((s) => s.name === stack)!.json as { resource: Record<string, Record<string, unknown>> };
  json.resource[type] = { ...(json.resource[type] ?? {}), [id]: resource };
  return copy;
}

/** A deep copy of the stacks with the policy in one resource's `argument` (policy, assume_role_policy) changed. */
export function withPolicy(
  stacks: readonly SynthesizedStack[],
  at: StackResource,
  argument: "policy" | "assume_role_policy",
  change: (doc: PolicyDocument) => PolicyDocument,
): SynthesizedStack[] {
  return withResource(stacks, at, (resource) => {
    const text = resource[argument];
    if (typeof text !== "string") throw new Error(`${at.address} in stack ${at.stack} has no ${argument}`);
    resource[argument] = JSON.stringify(change(JSON.parse(text) as PolicyDocument));
  });
}

/** A change that replaces every `from` in the policy's text with `to`; fails when `from` is not there. */
export const replacing =
  (from: string, to: string) =>
  (doc: PolicyDocument): PolicyDocument => {
    const text = JSON.stringify(doc);
    if (!text.includes(from)) throw new Error(`the policy does not contain ${from}: ${text}`);
    return JSON.parse(text.split(from).join(to)) as PolicyDocument;
  };

/** A change that maps every statement (undefined drops it). */
export const mappingStatements =
  (f: (s: PolicyStatement) => PolicyStatement | undefined) =>
  (doc: PolicyDocument): PolicyDocument => ({
    ...doc,
    Statement: doc.Statement.map(f).filter((s): s is PolicyStatement => s !== undefined),
  });

/** A change that drops the statement `sid`; fails when there is none. */
export const withoutStatement =
  (sid: string) =>
  (doc: PolicyDocument): PolicyDocument => {
    if (!doc.Statement.some((s) => s.Sid === sid))
      throw new Error(`no statement ${sid} in ${doc.Statement.map((s) => s.Sid).join(", ")}`);
    return mappingStatements((s) => (s.Sid === sid ? undefined : s))(doc);
  };

/** A resource as a mismatch names it: an object by its key, the bucket by the listed prefix, a key, a role. */
function where(r: ProofResult): string {
  const object = /^arn:aws[\w-]*:s3:::[^/]+(\/.*)$/.exec(r.resource)?.[1];
  if (object) return object;
  if (/^arn:aws[\w-]*:s3:::[^/]+$/.test(r.resource))
    return r.context["s3:prefix"] !== undefined ? `prefix=${String(r.context["s3:prefix"])}` : "the bucket";
  if (/^arn:aws[\w-]*:kms:/.test(r.resource)) return "key";
  return r.resource.replace(/^arn:aws[\w-]*:iam::\d{12}:/, "");
}

/**
 * One wrong verdict in words: who asked what of which resource (through which access point), the verdict, and why it
 * is wrong — the sides that deny, or the declaration's reason the request must be denied.
 */
export function describeMismatch(r: ProofResult): string {
  const request = `${r.who} ${r.action}${r.operation ? ` (${r.operation})` : ""} ${where(r)}${r.accessPoint ? ` via ${r.accessPoint.name}` : ""}`;
  const why = r.final === "Allowed" ? `but ${r.intent}` : `denied by ${r.reasons.join("; ")}`;
  return `${request} -> ${r.final}, ${why}`;
}

/**
 * Everything a report gets wrong: each grant's problems, unknown actions and wrong verdicts, prefixed by grantee.
 * `requests` picks the wrong verdicts of the hand-written matrices (`matrix`), of the catalogue's (`catalogue`), or of
 * both (the default); problems and unknown actions are in every pick but `catalogue`.
 */
export function mismatchesOf(
  report: ProofReport,
  options: { readonly byGrantee?: boolean; readonly requests?: "matrix" | "catalogue" | "all" } = {},
): string[] {
  const pick = options.requests ?? "all";
  return report.grants.flatMap((g) => {
    const prefix = (r?: ProofResult) => (options.byGrantee ? `${r?.grantee ?? g.grantee}: ` : "");
    const wrong = g.results.filter(
      (r) => !r.ok && (pick === "all" || (pick === "catalogue") === (r.trimContext === true)),
    );
    return [
      ...(pick === "catalogue" ? [] : g.problems.map((p) => `${prefix()}problem: ${p}`)),
      ...(pick === "catalogue" ? [] : g.unknownActions.map((u) => `${prefix()}unknown action: ${u}`)),
      ...wrong.map((r) => `${prefix(r)}${describeMismatch(r)}`),
    ];
  });
}

/**
 * What the proof of broken stacks gets wrong: the hand-written matrices' mismatches (with problems) and the
 * catalogue's, apart; the report's count must be their sum.
 */
export async function failuresOf(
  stacks: readonly SynthesizedStack[],
  byGrantee = false,
): Promise<{ matrix: string[]; catalogue: string[] }> {
  const report = await proveSynthesized(stacks);
  const matrix = mismatchesOf(report, { byGrantee, requests: "matrix" });
  const catalogue = mismatchesOf(report, { byGrantee, requests: "catalogue" });
  expect(report.mismatches).toBe(matrix.length + catalogue.length);
  return { matrix, catalogue };
}
