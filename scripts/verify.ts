/**
 * npm run verify [-- <environment> ...]: proves, before anything is deployed, that each stack's policies allow exactly
 * what its environment's grant declares. Synthesizes the stacks, builds each access model from the Terraform JSON, and
 * evaluates the positive and negative request matrix with an IAM policy simulator. Prints a table per stack with the
 * verdict of each policy kind and, for every denial, which side denies and why. Shared-bucket environments get each
 * grantee's matrix and the requests it must not make on the others'. Exits 1 on any mismatch.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environments, sharedEnvironments } from "../stacks/environments";
import { selectEnvironments, sharedStackNamesOf, stackNamesOf, validateApp } from "../stacks/config";
import { mergeStackJson, modelFromSynth, type StackJson } from "./lib/access-model";
import { proofTable, proveSharedStack, proveStack } from "./lib/access-proof";
import { synthesize } from "./lib/toolchain";

async function main(): Promise<number> {
  const names = selectEnvironments(validateApp(environments, sharedEnvironments).names, process.argv.slice(2).join(","));
  const workDir = mkdtempSync(join(tmpdir(), "cas-verify-"));
  let mismatches = 0;
  let cases = 0;
  const started = Date.now();
  try {
    const dirs = synthesize(join(workDir, "cdktf.out"), names);
    for (const name of names) {
      // The environment's stack, or every stack of the split layout joined: the proof covers them as one.
      const shared = sharedEnvironments[name];
      const stacks = shared ? sharedStackNamesOf(name, shared) : stackNamesOf(name, environments[name]);
      const json = mergeStackJson(stacks.map((stack) => JSON.parse(readFileSync(join(dirs[stack], "cdk.tf.json"), "utf8")) as StackJson));
      const keyAliases = [(shared ?? environments[name]).bucket.keyAlias];
      const model = modelFromSynth(name, json, { keyAliases });
      const proof = shared ? await proveSharedStack(shared, model) : await proveStack(environments[name], model);
      const allowed = proof.results.filter((r) => r.expected === "Allowed").length;
      console.log(`\n== ${name}: ${allowed} requests that must be allowed, ${proof.results.length - allowed} that must be denied`);
      console.log(proofTable(proof));
      mismatches += proof.mismatches;
      cases += proof.results.length;
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\n${cases} requests proven in ${seconds} s: ${mismatches === 0 ? "every verdict matches the declared grants" : `${mismatches} mismatch(es)`}.`);
  return mismatches === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`verify: ${(error as Error).message}`);
    process.exit(2);
  },
);
