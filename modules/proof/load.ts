/**
 * Synthesized stacks, as the proof reads them: from one or more cdktf output folders (a `cdktf.out` with its
 * manifest.json, a stack's folder, or a cdk.tf.json file), or from stacks still in memory (in a test).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { TerraformStack } from "../cdktf";
import { GRANT_RECORD_KEY, GRANT_RECORD_VERSION, type GrantRecord, type GrantRecords } from "../grant-record";

/** A synthesized resource: its arguments as the Terraform JSON holds them. */
export interface SynthResource {
  readonly provider?: string;
  readonly [argument: string]: unknown;
}

/** The parts of a stack's Terraform JSON the proof reads. */
export interface StackJson {
  readonly "//"?: Readonly<Record<string, unknown>>;
  readonly provider?: { readonly aws?: ReadonlyArray<Readonly<Record<string, unknown>>> };
  readonly resource?: Readonly<Record<string, Readonly<Record<string, SynthResource>>>>;
}

export interface SynthesizedStack {
  /** The stack's name (its cdktf id), or the file it came from. */
  readonly name: string;
  /** Where it was read from, for reports. */
  readonly source: string;
  readonly json: StackJson;
}

/** A problem with the input itself (no such folder, a stack that is not there): the proof cannot start. */
export class ProofInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProofInputError";
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ProofInputError(`${file} is not readable JSON: ${(error as Error).message}`);
  }
}

/** The stacks of one output folder or file. */
function stacksAt(path: string): SynthesizedStack[] {
  const full = resolve(path);
  if (!existsSync(full)) throw new ProofInputError(`${path} does not exist (give a cdktf output folder, a stack's folder or a cdk.tf.json)`);
  if (statSync(full).isFile()) return [{ name: full, source: full, json: readJson(full) as StackJson }];
  const manifest = join(full, "manifest.json");
  if (existsSync(manifest)) {
    const stacks = (readJson(manifest) as { stacks?: Record<string, { synthesizedStackPath?: string }> }).stacks ?? {};
    return Object.entries(stacks).map(([name, stack]) => {
      const file = join(full, stack.synthesizedStackPath ?? join("stacks", name, "cdk.tf.json"));
      return { name, source: file, json: readJson(file) as StackJson };
    });
  }
  const file = join(full, "cdk.tf.json");
  if (existsSync(file)) return [{ name: full.split(/[\\/]/).pop() ?? full, source: file, json: readJson(file) as StackJson }];
  throw new ProofInputError(`${path} holds neither a manifest.json (a cdktf output folder) nor a cdk.tf.json`);
}

/** Every stack of the given cdktf outputs, or only those named (an unknown name is an error listing the known ones). */
export function loadSynthesized(paths: readonly string[], onlyStacks: readonly string[] = []): SynthesizedStack[] {
  const all = paths.flatMap(stacksAt);
  if (onlyStacks.length === 0) return all;
  const missing = onlyStacks.filter((name) => !all.some((s) => s.name === name));
  if (missing.length > 0) {
    throw new ProofInputError(`no stack ${missing.join(", ")} in ${paths.join(", ")} (stacks: ${all.map((s) => s.name).join(", ")})`);
  }
  return all.filter((s) => onlyStacks.includes(s.name));
}

/** Stacks still in memory, as they would be written (overrides and records included). */
export function synthesizedFromConstructs(stacks: readonly TerraformStack[]): SynthesizedStack[] {
  return stacks.map((stack) => ({ name: stack.node.id, source: `stack ${stack.node.path}`, json: stack.toTerraform() as StackJson }));
}

/** The grant records a stack holds; an unknown record version is an error. */
export function recordsOf(stack: SynthesizedStack): GrantRecord[] {
  const records = stack.json["//"]?.[GRANT_RECORD_KEY] as GrantRecords | undefined;
  if (!records) return [];
  if (records.version !== GRANT_RECORD_VERSION) {
    throw new ProofInputError(
      `${stack.source}: grant records of version ${String(records.version)}; this proof reads version ${GRANT_RECORD_VERSION} (use the same package version for synth and proof)`,
    );
  }
  return [...records.grants];
}

