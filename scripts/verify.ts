/**
 * npm run verify [-- <environment> ...]: proves, before anything is deployed, that the stacks of this repo's
 * environments allow exactly what their grants declare. It synthesizes the app (ENVIRONMENTS selects) and runs the
 * package's own command on the output, as any team's pipeline would: `cross-account-s3 verify cdktf.out`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main as verify } from "../modules/proof/cli";
import { selectEnvironments, validateApp } from "../stacks/config";
import { environments, sharedEnvironments } from "../stacks/environments";
import { synthesize } from "./lib/toolchain";

async function run(): Promise<number> {
  const names = selectEnvironments(validateApp(environments, sharedEnvironments).names, process.argv.slice(2).join(","));
  const workDir = mkdtempSync(join(tmpdir(), "cas-verify-"));
  try {
    const outdir = join(workDir, "cdktf.out");
    synthesize(outdir, names);
    const started = Date.now();
    const code = await verify(["verify", outdir]);
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
