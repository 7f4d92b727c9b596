/**
 * The project's own runs of terraform and of the CDKTF app: a Terraform CLI config that installs providers from a
 * filesystem mirror when TERRAFORM_PROVIDER_MIRROR names one (offline and air-gapped machines), and synthesis of the
 * stacks into a folder of the caller's choice.
 */
import { execFile, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { promisify } from "node:util";

export const PROJECT_ROOT = resolve(__dirname, "..", "..");

/** The setting naming a Terraform filesystem mirror (a folder holding registry.terraform.io/...). */
export const MIRROR_VARIABLE = "TERRAFORM_PROVIDER_MIRROR";

/** The AWS provider version the bindings (@cdktf/provider-aws 20.1.0) were generated for. */
export const AWS_PROVIDER_VERSION = "5.100.0";

/**
 * Folders searched for a provider mirror when TERRAFORM_PROVIDER_MIRROR is not set: Terraform's own implied local
 * mirror folders on Linux and a shared folder machine images commonly provide. Only one that holds the AWS provider
 * at AWS_PROVIDER_VERSION is used; otherwise terraform installs from the registry as usual.
 */
export const MIRROR_CANDIDATES = [
  join(process.env.HOME ?? "/root", ".terraform.d", "plugins"),
  join(process.env.XDG_DATA_HOME ?? join(process.env.HOME ?? "/root", ".local", "share"), "terraform", "plugins"),
  "/usr/local/share/terraform/plugins",
  "/usr/share/terraform/plugins",
  "/opt/tf-plugins",
];

/** The mirror folder to use: TERRAFORM_PROVIDER_MIRROR, else the first candidate holding the AWS provider. */
export function providerMirror(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env[MIRROR_VARIABLE]) return env[MIRROR_VARIABLE];
  return MIRROR_CANDIDATES.find((dir) =>
    existsSync(join(dir, "registry.terraform.io", "hashicorp", "aws", AWS_PROVIDER_VERSION)),
  );
}

/** Finds an executable on PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * How often the Go runtime collects garbage in terraform and its provider processes, unless GOGC is set already.
 * Terraform starts the AWS provider afresh for every provider configuration of every walk (an apply starts it five
 * times for a two-account stack), and each start builds the schemas of all its resources: collecting at 4x the live
 * heap instead of 2x takes about a quarter of that CPU away, for a few hundred MB more per short-lived process.
 */
export const TERRAFORM_GOGC = "400";

/**
 * Environment for running terraform: no calls home, no prompts, the collector of TERRAFORM_GOGC, and, when a provider
 * mirror is set or found (see providerMirror), a CLI config written to `workDir` that installs every provider from
 * that mirror (with a plugin cache beside it, so each stack links the provider instead of copying it).
 */
export function terraformEnv(workDir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    GOGC: base.GOGC ?? TERRAFORM_GOGC,
  };
  const mirror = providerMirror(base);
  if (!mirror) return env;
  const mirrorDir = resolve(mirror);
  if (!existsSync(join(mirrorDir, "registry.terraform.io"))) {
    throw new Error(
      `${MIRROR_VARIABLE} "${mirror}" is not a Terraform filesystem mirror: it holds no registry.terraform.io folder`,
    );
  }
  mkdirSync(workDir, { recursive: true });
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

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const execFileAsync = promisify(execFile);

/** Runs terraform in `cwd`; never throws for a non-zero exit, the caller reads `code`. */
export async function terraform(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await execFileAsync("terraform", [...args], {
      cwd,
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === "number" ? failed.code : 1,
      stdout: failed.stdout ?? "",
      stderr: failed.stderr ?? "",
    };
  }
}

/**
 * How the app is run to synthesize into `outdir`, optionally only some environments: as `cdktf synth` runs it (see
 * cdktf.json), main.ts compiled by scripts/build-app.mjs into .gen/main.js, built afresh here so it is the code of now.
 */
function synthCommand(outdir: string, environments?: readonly string[]) {
  const built = spawnSync(process.execPath, [join(PROJECT_ROOT, "scripts", "build-app.mjs")], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
  });
  if (built.status !== 0) throw new Error(`building the app failed (exit ${built.status}):\n${built.stderr}`);
  return {
    args: [join(PROJECT_ROOT, ".gen", "main.js")],
    options: {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        CDKTF_OUTDIR: outdir,
        CHECKPOINT_DISABLE: "1",
        ...(environments ? { ENVIRONMENTS: environments.join(",") } : {}),
      },
      encoding: "utf8" as const,
      maxBuffer: 64 * 1024 * 1024,
    },
  };
}

/** The folder of each stack synthesized into `outdir`. */
function stackFolders(outdir: string): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as {
    stacks: Record<string, { workingDirectory: string }>;
  };
  return Object.fromEntries(
    Object.entries(manifest.stacks).map(([name, stack]) => [name, join(outdir, stack.workingDirectory)]),
  );
}

/**
 * Synthesizes the app (main.ts) into `outdir`, optionally only some environments; returns the folder of each stack.
 * Throws with the app's output when synthesis fails.
 */
export function synthesize(outdir: string, environments?: readonly string[]): Record<string, string> {
  const { args, options } = synthCommand(outdir, environments);
  const result = spawnSync(process.execPath, args, options);
  if (result.status !== 0) {
    throw new Error(`synthesis failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return stackFolders(outdir);
}

/** synthesize, without blocking this process meanwhile (so an emulator can start beside it). */
export async function synthesizeInBackground(
  outdir: string,
  environments?: readonly string[],
): Promise<Record<string, string>> {
  const { args, options } = synthCommand(outdir, environments);
  try {
    await execFileAsync(process.execPath, args, options);
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`synthesis failed (exit ${e.code}):\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
  return stackFolders(outdir);
}
