#!/usr/bin/env node
/**
 * Package load benchmark (run on demand: npm run bench:load). Prints the whole-process time of loading the package's
 * root entry (dist/index.js, as an app's `require("cross-account-s3-lambda")` does) beside its floor: a process that
 * loads only cdktf, constructs and the @cdktf/provider-aws submodules the package itself requires. Each runs
 * alternately, several times; medians and their ratio are printed. Goal: root entry <= 1.2x floor.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const runs = Number(process.env.BENCH_RUNS ?? 15);

/** Every @cdktf/provider-aws submodule the built package requires. */
function providerModules() {
  const found = new Set();
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith(".js")) {
        for (const m of readFileSync(path, "utf8").matchAll(/require\("(@cdktf\/provider-aws\/lib\/[\w-]+)"\)/g))
          found.add(m[1]);
      }
    }
  };
  walk(dist);
  return [...found].sort();
}

function timeRun(code) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ["-e", code], { cwd: root, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`node -e ${code} failed:\n${result.stderr}`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const modules = providerModules();
const floor = ["cdktf", "constructs", ...modules].map((m) => `require(${JSON.stringify(m)});`).join("");
const entry = `require(${JSON.stringify(join(dist, "index.js"))});`;
timeRun(floor);
timeRun(entry);
const times = { floor: [], entry: [] };
for (let i = 0; i < runs; i++) {
  times.floor.push(timeRun(floor));
  times.entry.push(timeRun(entry));
}
const f = median(times.floor);
const e = median(times.entry);
console.log(
  `provider submodules the package requires: ${modules.length} (${modules.map((m) => m.split("/").pop()).join(", ")})`,
);
console.log(`floor (cdktf, constructs and those submodules): median ${f.toFixed(0)} ms over ${runs} runs`);
console.log(`root entry (dist/index.js):                    median ${e.toFixed(0)} ms over ${runs} runs`);
console.log(`ratio: ${(e / f).toFixed(2)}x (goal: at most 1.2x)`);
