/**
 * Every synthesized stack passes `terraform validate` with the real AWS provider (5.100.0, the version the bindings
 * were generated for), installed from TERRAFORM_PROVIDER_MIRROR when set.
 *
 * The stacks are validated in one terraform run: a root configuration calls each stack's folder as a module, so the
 * provider starts and its schema (most of a validate's time) loads once instead of once per stack. A stack's folder
 * is validated as synthesized, unchanged: each diagnostic is told apart by the file it names. Two things differ from
 * validating the folder as a root, and the root makes up for both: a relative path in a function call (the Lambda
 * bundle's `filebase64sha256("assets/…")`) resolves from the root, so the root holds each stack's assets at the same
 * relative paths, each copied from the stack's own folder (a file the folder lacks fails that stack); and Terraform
 * warns that a module's backend block is ignored, the one diagnostic expected of each stack.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { synthesize, terraform, terraformEnv } from "../../scripts/lib/toolchain";
import { sharedStackNamesOf, stackNamesOf } from "../../stacks/config";
import { environments, sharedEnvironments } from "../../stacks/environments";
import { requireTool } from "../support/tools";

const STACK_NAMES = [
  ...Object.entries(environments).flatMap(([name, config]) => stackNamesOf(name, config)),
  ...Object.entries(sharedEnvironments).flatMap(([name, config]) => sharedStackNamesOf(name, config)),
];

const terraformBin = requireTool(
  "terraform",
  "install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install)",
);
const describeWithTerraform = terraformBin ? describe : describe.skip;

interface Diagnostic {
  severity: string;
  summary: string;
  detail?: string;
  range?: { filename: string };
  snippet?: { context?: string };
}

interface ValidateOutput {
  valid: boolean;
  error_count: number;
  warning_count: number;
  diagnostics: Diagnostic[];
}

/** What Terraform says of a backend block in a called module: the block is ignored, which is all it should say. */
const BACKEND_IGNORED = "Backend configuration ignored";

/** The relative paths a stack's functions read files from (`filebase64sha256("assets/…")` for the Lambda bundle). */
function filesRead(stackJson: string): string[] {
  return [...stackJson.matchAll(/\bfile\w*\(\\"([^"\\]+)\\"\)/g)].map((m) => m[1]);
}

/**
 * Copies each file a stack's functions read to the same relative path under `root`, where the stack's module reads it
 * from; returns, per stack, the files its own folder lacks (validated as a root, the stack would fail on them). cdktf
 * names an asset's folder by its construct and the hash of its content, so two stacks reading the same path read the
 * same file; a file that differs would make one stack validate against another's, and is refused.
 */
function gatherFiles(root: string, stacks: Record<string, string>): Record<string, string[]> {
  const missing: Record<string, string[]> = {};
  for (const [name, dir] of Object.entries(stacks)) {
    missing[name] = [];
    for (const path of filesRead(readFileSync(join(dir, "cdk.tf.json"), "utf8"))) {
      const source = join(dir, path);
      const target = join(root, path);
      if (!existsSync(source)) missing[name].push(path);
      else if (existsSync(target) && !readFileSync(target).equals(readFileSync(source)))
        throw new Error(`stack ${name}: ${path} differs from another stack's file at the same path`);
      else {
        mkdirSync(dirname(target), { recursive: true });
        cpSync(source, target);
      }
    }
  }
  return missing;
}

/** A root configuration in `root` calling each stack's folder as the module named after the stack. */
function writeRoot(root: string, stacks: Record<string, string>): Record<string, string[]> {
  mkdirSync(root, { recursive: true });
  const module = Object.fromEntries(
    Object.entries(stacks).map(([name, dir]) => [name, { source: `./${relative(root, dir)}` }]),
  );
  writeFileSync(join(root, "main.tf.json"), JSON.stringify({ module }, null, 2));
  return gatherFiles(root, stacks);
}

describeWithTerraform("terraform validate", () => {
  const workDir = mkdtempSync(join(tmpdir(), "cas-validate-"));
  const root = join(workDir, "cdktf.out", "all-stacks");
  let stacks: Record<string, string> = {};
  let lock = "";
  let result: ValidateOutput;
  let validateCode = 0;
  let missingFiles: Record<string, string[]> = {};

  beforeAll(async () => {
    const env = terraformEnv(join(workDir, "terraform"));
    stacks = synthesize(join(workDir, "cdktf.out"));
    missingFiles = writeRoot(root, stacks);
    const init = await terraform(["init", "-backend=false", "-input=false", "-no-color"], root, env);
    if (init.code !== 0) {
      throw new Error(
        `terraform init failed in ${root} (offline? set TERRAFORM_PROVIDER_MIRROR to a provider mirror):\n${init.stderr}`,
      );
    }
    lock = readFileSync(join(root, ".terraform.lock.hcl"), "utf8");
    const validate = await terraform(["validate", "-json", "-no-color"], root, env);
    validateCode = validate.code;
    result = JSON.parse(validate.stdout) as ValidateOutput;
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  /** The diagnostics that name a file of the stack `name`. */
  const diagnosticsOf = (name: string) =>
    result.diagnostics.filter((d) => d.range && resolve(root, d.range.filename).startsWith(`${stacks[name]}/`));

  test("synthesizes one stack per environment, or each owner's stack in the split layout", () => {
    expect(Object.keys(stacks).sort()).toEqual(STACK_NAMES.slice().sort());
  });

  test("installs the AWS provider 5.100.0 for every stack", () => {
    expect(lock).toMatch(/provider "registry\.terraform\.io\/hashicorp\/aws" \{\s+version\s+= "5\.100\.0"/);
  });

  test.each(STACK_NAMES)("%s is valid Terraform for AWS provider 5.100.0", (name) => {
    const diagnostics = diagnosticsOf(name);
    const ignoredBackend = diagnostics.filter(
      (d) => d.severity === "warning" && d.summary === BACKEND_IGNORED && d.snippet?.context === "terraform.backend",
    );
    expect(diagnostics.filter((d) => !ignoredBackend.includes(d))).toEqual([]);
    expect(ignoredBackend).toHaveLength(1);
    expect(missingFiles[name]).toEqual([]);
  });

  test("nothing else is said: every diagnostic names a stack's file, and none is an error", () => {
    const named = new Set(STACK_NAMES.flatMap(diagnosticsOf));
    expect(result.diagnostics.filter((d) => !named.has(d))).toEqual([]);
    expect(result).toMatchObject({ valid: true, error_count: 0, warning_count: STACK_NAMES.length });
    expect(validateCode).toBe(0);
  });
});
