#!/usr/bin/env node
/**
 * Synth benchmark (run on demand: npm run bench:synth). Prints the whole-process time of the CDKTF app synthesizing
 * every stack beside its floor: a process that only loads cdktf and the provider modules the app imports. Runs each
 * alternately, several times, and reports medians and their ratio. Goal: app <= 1.2x floor.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const runs = Number(process.env.BENCH_RUNS ?? 9);

/** Every @cdktf/provider-aws submodule the app's sources import. */
function providerModules() {
  const found = new Set();
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith(".ts")) {
        for (const m of readFileSync(path, "utf8").matchAll(/["'](@cdktf\/provider-aws\/lib\/[\w-]+)["']/g))
          found.add(m[1]);
      }
    }
  };
  for (const dir of ["modules", "stacks"]) walk(join(root, dir));
  return [...found].sort();
}

function timeRun(args, env) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed:\n${result.stderr}`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

execFileSync(process.execPath, [join(root, "scripts/build-app.mjs")], { cwd: root, stdio: "inherit" });
const modules = providerModules();
const floorScript = ["cdktf", "constructs", ...modules].map((m) => `require(${JSON.stringify(m)});`).join("");
const out = mkdtempSync(join(tmpdir(), "cas-bench-synth-"));
const floor = [];
const app = [];
try {
  for (let i = 0; i < runs; i++) {
    floor.push(timeRun(["-e", floorScript], {}));
    app.push(timeRun([join(root, ".gen/main.js")], { CDKTF_OUTDIR: join(out, String(i)), CHECKPOINT_DISABLE: "1" }));
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
const f = median(floor);
const a = median(app);
console.log(`synth benchmark, ${runs} alternating runs, medians (this machine: ${process.version}, shared and noisy)`);
console.log(`  floor: node loading cdktf + constructs + ${modules.length} provider modules  ${f.toFixed(0)} ms`);
console.log(`  app:   node .gen/main.js synthesizing every environment             ${a.toFixed(0)} ms`);
console.log(`  ratio: ${(a / f).toFixed(2)}x (goal <= 2x)`);
