/**
 * The app as Terraform sees it: main.ts synthesized in its own process (as `cdktf synth` runs it), then
 * `terraform init -backend=false` and `terraform validate` of each stack with the real AWS provider.
 *
 * Offline machines: set TERRAFORM_PROVIDER_MIRROR to a Terraform filesystem mirror holding
 * registry.terraform.io/hashicorp/aws/5.100.0; init then installs from there only. Without terraform on PATH the
 * suite is skipped with a message, except in CI (CI set), where that fails.
 */
import { execFile, spawnSync } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { promisify } from "node:util";

const APP_DIR = resolve(__dirname, "..");
const STACKS = ["workloads", "datalake"];

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

function terraformOrSkip(): string | undefined {
  const found = onPath("terraform");
  if (found) return found;
  const message =
    "terraform is not on PATH: install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install)";
  if (process.env.CI) throw new Error(`${message} (CI must run this suite)`);
  console.warn(`Skipping terraform validate: ${message}`);
  return undefined;
}

/** No calls home, no prompts; with TERRAFORM_PROVIDER_MIRROR, a CLI config installing providers from that mirror only. */
function terraformEnv(workDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
  const mirror = process.env.TERRAFORM_PROVIDER_MIRROR;
  if (!mirror) return env;
  const mirrorDir = resolve(mirror);
  if (!existsSync(join(mirrorDir, "registry.terraform.io"))) {
    throw new Error(
      `TERRAFORM_PROVIDER_MIRROR "${mirror}" is not a Terraform filesystem mirror: it holds no registry.terraform.io folder`,
    );
  }
  const cacheDir = join(workDir, "plugin-cache");
  mkdirSync(cacheDir, { recursive: true });
  const configFile = join(workDir, "terraform.rc");
  writeFileSync(
    configFile,
    [
      "provider_installation {",
      "  filesystem_mirror {",
      `    path    = ${JSON.stringify(mirrorDir)}`,
      '    include = ["registry.terraform.io/*/*"]',
      "  }",
      "}",
      `plugin_cache_dir = ${JSON.stringify(cacheDir)}`,
      "",
    ].join("\n"),
  );
  return { ...env, TF_CLI_CONFIG_FILE: configFile };
}

const run = promisify(execFile);

async function terraform(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("terraform", args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === "number" ? failed.code : 1,
      stdout: failed.stdout ?? "",
      stderr: failed.stderr ?? "",
    };
  }
}

interface ValidateResult {
  readonly valid: boolean;
  readonly error_count: number;
  readonly warning_count: number;
  readonly diagnostics: ReadonlyArray<{ severity: string; summary: string; detail?: string }>;
}

const haveTerraform = terraformOrSkip();

(haveTerraform ? describe : describe.skip)("terraform validate", () => {
  // Made in beforeAll: a skipped suite still runs this body, but never its hooks.
  let workDir = "";
  let stackDirs: Record<string, string> = {};

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), "platform-team-validate-"));
    const outdir = join(workDir, "cdktf.out");
    // As cdktf.json's app runs it (ts-node, type-checking), with the output folder cdktf synth would pass.
    const synth = spawnSync(process.execPath, ["-r", "ts-node/register", "main.ts"], {
      cwd: APP_DIR,
      env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
      encoding: "utf8",
    });
    if (synth.status !== 0)
      throw new Error(`synthesis failed (exit ${synth.status}):\n${synth.stdout}\n${synth.stderr}`);
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as {
      stacks: Record<string, { workingDirectory: string }>;
    };
    stackDirs = Object.fromEntries(
      Object.entries(manifest.stacks).map(([name, stack]) => [name, join(outdir, stack.workingDirectory)]),
    );
  });

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  test("main.ts synthesizes both stacks", () => {
    expect(Object.keys(stackDirs).sort()).toEqual([...STACKS].sort());
  });

  test.each(STACKS)("the %s stack is valid Terraform for AWS provider 5.100.0", async (name) => {
    const dir = stackDirs[name]!;
    const env = terraformEnv(workDir);
    const init = await terraform(["init", "-backend=false", "-input=false", "-no-color"], dir, env);
    if (init.code !== 0) {
      const hint = process.env.TERRAFORM_PROVIDER_MIRROR
        ? ""
        : "\n(offline? set TERRAFORM_PROVIDER_MIRROR to a filesystem mirror holding hashicorp/aws 5.100.0)";
      throw new Error(`terraform init failed in ${dir}:\n${init.stdout}\n${init.stderr}${hint}`);
    }
    const lock = readFileSync(join(dir, ".terraform.lock.hcl"), "utf8");
    expect(lock).toMatch(/provider "registry\.terraform\.io\/hashicorp\/aws" \{\s+version\s+= "5\.100\.0"/);
    const validate = await terraform(["validate", "-json", "-no-color"], dir, env);
    const result = JSON.parse(validate.stdout) as ValidateResult;
    // Warnings count too: a deprecated argument today is an error in a later provider.
    const diagnostics = result.diagnostics.map((d) => `${d.severity}: ${d.summary}${d.detail ? ` (${d.detail})` : ""}`);
    expect({ valid: result.valid, errors: result.error_count, warnings: result.warning_count, diagnostics }).toEqual({
      valid: true,
      errors: 0,
      warnings: 0,
      diagnostics: [],
    });
    expect(validate.code).toBe(0);
  });
});
