/**
 * Synthesized stacks, as the proof reads them: from one or more cdktf output folders (a `cdktf.out` with its
 * manifest.json, a stack's folder, or a cdk.tf.json file), or from stacks still in memory (in a test).
 */
import { CrossAccountS3Error } from "../core/errors";
import { existsSync, lstatSync, readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, resolve, sep } from "node:path";
import type { TerraformStack } from "../core/cdktf";
import { GRANT_RECORD_KEY, GRANT_RECORD_VERSION, type GrantRecord, type GrantRecords } from "../record/grant-record";

import type { StackJson } from "../core/stack-view";

export type { StackJson, SynthResource } from "../core/stack-view";

export interface SynthesizedStack {
  /** The stack's name (its cdktf id), or the file it came from. */
  readonly name: string;
  /** Where it was read from, for reports. */
  readonly source: string;
  readonly json: StackJson;
}

/** A problem with the input itself (no such folder, a stack that is not there): the proof cannot start. */
export class ProofInputError extends CrossAccountS3Error {
  constructor(message: string) {
    super(message);
  }
}

/** What a value is, for messages that must not repeat what a file holds. */
function kindOf(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Reads one JSON file. A problem names the file and what is wrong, never what the file holds: the reason a read
 * failed, or where the JSON breaks (line and column), not the text around it.
 */
function readJson(file: string): unknown {
  let text: string;
  try {
    const stat = statSync(file);
    if (!stat.isFile())
      throw new ProofInputError(
        `${file} is ${stat.isDirectory() ? "a folder" : "not a regular file"}, not a JSON file`,
      );
    text = readFileSync(file, "utf8");
  } catch (error) {
    if (error instanceof ProofInputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES" || code === "EPERM"
          ? "cannot be read (permission denied)"
          : `cannot be read (${code ?? "unknown error"})`;
    throw new ProofInputError(`${file} ${why}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = /at position (\d+)/.exec((error as Error).message)?.[1];
    let where = "";
    if (position !== undefined) {
      const before = text.slice(0, Number(position)).split("\n");
      where = ` (line ${before.length}, column ${before[before.length - 1]!.length + 1})`;
    }
    throw new ProofInputError(`${file} is not valid JSON${where}`);
  }
}

/**
 * The real path of `relative` inside the output folder `folder` (a real path), read from its manifest: never an
 * absolute path, a `..` segment, or a symbolic link that leads out of the folder.
 */
function insideFolder(folder: string, relative: string, what: string): string {
  if (isAbsolute(relative) || /^[a-zA-Z]:/.test(relative))
    throw new ProofInputError(
      `${what} is an absolute path: a cdktf manifest names its stacks' files inside its folder`,
    );
  if (relative.split(/[\\/]/).includes(".."))
    throw new ProofInputError(`${what} has a ".." segment: a cdktf manifest names its stacks' files inside its folder`);
  const file = join(folder, relative);
  if (!existsSync(file))
    throw new ProofInputError(
      `${what}: there is no such file (${file}${lexists(file) ? ", a symbolic link to nothing" : ""})`,
    );
  const real = realpathSync(file);
  if (!real.startsWith(`${folder}${sep}`))
    throw new ProofInputError(
      `${what} leads outside the output folder ${folder} (a symbolic link): nothing outside it is read`,
    );
  return real;
}

/** Whether `path` names anything, a symbolic link to nothing included. */
function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A stack's Terraform JSON, checked for the shape the proof reads (see StackJson); `file` names it in problems. */
function stackJson(file: string): StackJson {
  const json = readJson(file);
  const problem = stackJsonProblem(json);
  if (problem) throw new ProofInputError(`${file} is not a cdktf stack's Terraform JSON: ${problem}`);
  return json as StackJson;
}

function stackJsonProblem(json: unknown): string | undefined {
  if (!isObject(json)) return `it holds ${kindOf(json)}, not an object`;
  if (json["//"] !== undefined && !isObject(json["//"])) return `"//" is ${kindOf(json["//"])}, not an object`;
  const provider = json.provider;
  if (provider !== undefined) {
    if (!isObject(provider)) return `"provider" is ${kindOf(provider)}, not an object`;
    const aws = provider.aws;
    if (aws !== undefined && (!Array.isArray(aws) || !aws.every(isObject)))
      return `"provider.aws" is ${kindOf(aws)}, not a list of objects`;
  }
  const resource = json.resource;
  if (resource !== undefined) {
    if (!isObject(resource)) return `"resource" is ${kindOf(resource)}, not an object`;
    for (const [type, byId] of Object.entries(resource)) {
      if (!isObject(byId)) return `"resource.${type}" is ${kindOf(byId)}, not an object`;
      for (const [id, r] of Object.entries(byId)) {
        if (!isObject(r)) return `"resource.${type}.${id}" is ${kindOf(r)}, not an object`;
      }
    }
  }
  return undefined;
}

/** A name of a stack in a manifest: it names a folder of the output, so it is one path segment. */
function stackNameProblem(name: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (name === "" || name === "." || name === ".." || /[\\/\u0000-\u001f\u007f]/.test(name))
    return `the stack name ${JSON.stringify(name)} is not a folder name`;
  return undefined;
}

/** The stacks a cdktf output folder's manifest.json lists (`folder` is a real path). */
function manifestStacks(folder: string, manifestFile: string): SynthesizedStack[] {
  const manifest = readJson(insideFolder(folder, "manifest.json", `${manifestFile}`));
  if (!isObject(manifest))
    throw new ProofInputError(`${manifestFile} is not a cdktf manifest: it holds ${kindOf(manifest)}, not an object`);
  const stacks = manifest.stacks ?? {};
  if (!isObject(stacks))
    throw new ProofInputError(`${manifestFile} is not a cdktf manifest: "stacks" is ${kindOf(stacks)}, not an object`);
  return Object.entries(stacks).map(([name, stack]) => {
    const at = `${manifestFile}: stacks[${JSON.stringify(name)}]`;
    const badName = stackNameProblem(name);
    if (badName) throw new ProofInputError(`${at}: ${badName}`);
    if (!isObject(stack)) throw new ProofInputError(`${at} is ${kindOf(stack)}, not an object`);
    const path = stack.synthesizedStackPath ?? join("stacks", name, "cdk.tf.json");
    if (typeof path !== "string")
      throw new ProofInputError(`${at}.synthesizedStackPath is ${kindOf(path)}, not a path`);
    if (path.endsWith(".tf"))
      throw new ProofInputError(`${at}: the stack was synthesized as HCL (cdktf synth --hcl), ${HCL_ADVICE}`);
    const file = insideFolder(folder, path, `${at}.synthesizedStackPath ${JSON.stringify(path)}`);
    return { name, source: file, json: stackJson(file) };
  });
}

/** The stacks of one output folder or file. */
function stacksAt(path: string): SynthesizedStack[] {
  const full = resolve(path);
  if (!existsSync(full))
    throw new ProofInputError(`${path} does not exist (give a cdktf output folder, a stack's folder or a cdk.tf.json)`);
  if (!statSync(full).isDirectory()) return [{ name: full, source: full, json: stackJson(full) }];
  // Everything read from a folder stays in it, symbolic links resolved.
  const folder = realpathSync(full);
  const manifest = join(full, "manifest.json");
  if (lexists(manifest)) return manifestStacks(folder, manifest);
  if (lexists(join(full, "cdk.tf.json"))) {
    const file = insideFolder(folder, "cdk.tf.json", join(full, "cdk.tf.json"));
    return [{ name: full.split(/[\\/]/).pop() ?? full, source: file, json: stackJson(file) }];
  }
  if (lexists(join(full, "cdk.tf")))
    throw new ProofInputError(
      `${path} holds a cdk.tf: the stack was synthesized as HCL (cdktf synth --hcl), ${HCL_ADVICE}`,
    );
  throw new ProofInputError(`${path} holds neither a manifest.json (a cdktf output folder) nor a cdk.tf.json`);
}

/** What to do with an output synthesized as HCL. */
const HCL_ADVICE = "and the proof reads the grant records of the JSON output: synthesize without --hcl";

/** Every stack of the given cdktf outputs, or only those named (an unknown name is an error listing the known ones). */
export function loadSynthesized(paths: readonly string[], onlyStacks: readonly string[] = []): SynthesizedStack[] {
  const all = paths.flatMap(stacksAt);
  if (onlyStacks.length === 0) return all;
  const missing = onlyStacks.filter((name) => !all.some((s) => s.name === name));
  if (missing.length > 0) {
    throw new ProofInputError(
      `no stack ${missing.join(", ")} in ${paths.join(", ")} (stacks: ${all.map((s) => s.name).join(", ")})`,
    );
  }
  return all.filter((s) => onlyStacks.includes(s.name));
}

/** Stacks still in memory, as they would be written (overrides and records included). */
export function synthesizedFromConstructs(stacks: readonly TerraformStack[]): SynthesizedStack[] {
  return stacks.map((stack) => ({
    name: stack.node.id,
    source: `stack ${stack.node.path}`,
    json: stack.toTerraform() as StackJson,
  }));
}

/** A check of one value's shape: the problem with it at `path`, if any. */
type Shape = (value: unknown, path: string) => string | undefined;

const wrong = (v: unknown, path: string, expected: string) =>
  v === undefined ? `${path} is missing (${expected})` : `${path} is ${kindOf(v)}, not ${expected}`;
const text: Shape = (v, path) => (typeof v === "string" ? undefined : wrong(v, path, "a string"));
const flag: Shape = (v, path) => (typeof v === "boolean" ? undefined : wrong(v, path, "true or false"));
const optional =
  (shape: Shape): Shape =>
  (v, path) =>
    v === undefined ? undefined : shape(v, path);
const oneOf =
  (values: readonly string[]): Shape =>
  (v, path) =>
    typeof v === "string" && values.includes(v) ? undefined : `${path} is not one of ${values.join(", ")}`;
const list =
  (shape: Shape): Shape =>
  (v, path) =>
    Array.isArray(v) ? v.map((item, i) => shape(item, `${path}[${i}]`)).find(Boolean) : wrong(v, path, "a list");
const map =
  (shape: Shape): Shape =>
  (v, path) =>
    isObject(v)
      ? Object.entries(v)
          .map(([k, item]) => shape(item, `${path}.${k}`))
          .find(Boolean)
      : wrong(v, path, "an object");
const object =
  (fields: Readonly<Record<string, Shape>>): Shape =>
  (v, path) =>
    isObject(v)
      ? Object.entries(fields)
          .map(([k, shape]) => shape(v[k], `${path}.${k}`))
          .find(Boolean)
      : wrong(v, path, "an object");

/** The shape of one record (GrantRecord) as the proof reads it. */
const recordShape = object({
  key: text,
  half: oneOf(["lambda", "bucket"]),
  construct: text,
  configPath: optional(text),
  partition: text,
  provider: text,
  lambda: object({ accountId: text, region: text, roleArn: text, roleCreated: flag, functionName: optional(text) }),
  bucket: object({ accountId: text, region: text, bucketName: text, keyAlias: text, existingKeyArn: optional(text) }),
  grant: object({
    mode: text,
    prefixes: list(object({ prefix: text, access: text, delete: optional(flag) })),
    accessRoleName: optional(text),
    accessRolePath: optional(text),
    externalId: optional(text),
    principalStyle: optional(text),
    principalOrgId: optional(text),
    sourceVpce: optional(list(text)),
  }),
  accessRoleArn: optional(text),
  accessPoint: optional(object({ name: text, arn: text })),
  resources: map(text),
  alarms: optional(object({ enabled: flag, topicArn: optional(text), resources: map(text) })),
});

/** The grant records a stack holds; an unknown record version, or a record of another shape, is an error. */
export function recordsOf(stack: SynthesizedStack): GrantRecord[] {
  const records = stack.json["//"]?.[GRANT_RECORD_KEY] as GrantRecords | undefined;
  if (records === undefined) return [];
  const at = `"//".${GRANT_RECORD_KEY}`;
  if (!isObject(records))
    throw new ProofInputError(`${stack.source}: ${at} is ${kindOf(records)}, not the grant records`);
  if (records.version !== GRANT_RECORD_VERSION) {
    throw new ProofInputError(
      `${stack.source}: grant records of version ${typeof records.version === "number" ? records.version : kindOf(records.version)}; this proof reads version ${GRANT_RECORD_VERSION} (use the same package version for synth and proof)`,
    );
  }
  const problem = list(recordShape)(records.grants, `${at}.grants`);
  if (problem) throw new ProofInputError(`${stack.source}: ${problem} (a record this package does not write)`);
  return [...records.grants];
}
