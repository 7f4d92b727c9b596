/**
 * npm run verify [-- <environment> ...] [--json FILE] [--stack NAME] [--quiet] ...: proves, before anything is
 * deployed, that the stacks of this repo's environments allow exactly what their grants declare. It synthesizes the
 * app (the environments named, or all) and runs the package's own command on the output, as any team's pipeline
 * would: `cross-account-s3 verify cdktf.out`, with every option given here passed on to it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main as verify } from "../modules/proof/cli";
import { selectEnvironments, validateApp } from "../stacks/config";
import { environments, sharedEnvironments } from "../stacks/environments";
import { synthesize } from "./lib/toolchain";

/** The command's options that take a value (see modules/proof/cli.ts). */
const WITH_VALUE = new Set(["--json", "--stack", "--managed-policy"]);

/** The environments named, and the options for the command. */
function splitArguments(args: readonly string[]): { names: string[]; options: string[] } {
  const names: string[] = [];
  const options: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("-")) names.push(arg);
    else if (WITH_VALUE.has(arg) && i + 1 < args.length) options.push(arg, args[++i]);
    else options.push(arg);
  }
  return { names, options };
}

async function run(): Promise<number> {
  const { names: named, options } = splitArguments(process.argv.slice(2));
  const names = selectEnvironments(validateApp(environments, sharedEnvironments).names, named.join(","));
  const workDir = mkdtempSync(join(tmpdir(), "cas-verify-"));
  try {
    const outdir = join(workDir, "cdktf.out");
    synthesize(outdir, names);
    const started = Date.now();
    const code = await verify(["verify", outdir, ...options]);
    console.log(`(proven in ${((Date.now() - started) / 1000).toFixed(1)} s after synthesis)`);
    return code;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

run().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`verify: ${(error as Error).message}`);
    process.exit(2);
  },
);
