#!/usr/bin/env node
/**
 * Test-time benchmark (run on demand: npm run bench:tests). Times each layer of `npm test` run alone, then the whole
 * command, and prints them with this machine's core count and load, so a change can be held to the figures in
 * docs/development.md. Each layer is one command, run as a contributor would run it:
 *
 *   static    typecheck, lint and format check (what npm test runs beside jest)
 *   quick     npm run test:quick: the unit, synth, rules and proof suites; no terraform, no emulator, no build
 *   contract  the contract and docs suites: the package's surface as built, the docs' examples compiled, the handler's
 *             real log line against the synthesized filter
 *   validate  terraform validate of every stack, and the region list against the AWS provider
 *   package   the packed tarball installed in an example platform app
 *   e2e       every local environment deployed into the emulator, checked and destroyed
 *   whole     npm test
 *
 * BENCH_LAYERS=quick,e2e picks layers; the whole command is a layer too ("whole").
 */
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const jest = (...paths) => ["npx", "--no", "--", "jest", ...paths];

const LAYERS = {
  static: [
    ["npm", "run", "--silent", "typecheck"],
    ["npm", "run", "--silent", "lint"],
    ["npm", "run", "--silent", "format:check"],
  ],
  quick: [["npm", "run", "--silent", "test:quick"]],
  contract: [jest("test/contract", "test/docs")],
  validate: [jest("test/validate")],
  package: [jest("test/package")],
  e2e: [jest("test/e2e")],
  whole: [["npm", "test", "--silent"]],
};

const chosen = (process.env.BENCH_LAYERS ?? Object.keys(LAYERS).join(",")).split(",").filter(Boolean);
for (const name of chosen)
  if (!LAYERS[name]) throw new Error(`BENCH_LAYERS: unknown layer "${name}" (${Object.keys(LAYERS).join(", ")})`);

/** Runs a layer's commands one after another; its wall time in seconds, or the command that failed. */
function timeLayer(commands) {
  const started = process.hrtime.bigint();
  for (const [command, ...args] of commands) {
    const result = spawnSync(command, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (result.status !== 0)
      return { failed: `${[command, ...args].join(" ")} (exit ${result.status})\n${result.stderr.slice(-2000)}` };
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

console.log(
  `test layers on ${availableParallelism()} cores, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} at start`,
);
let failed = false;
for (const name of chosen) {
  const result = timeLayer(LAYERS[name]);
  if (result.failed) {
    failed = true;
    console.log(`${name.padEnd(9)} FAILED: ${result.failed}`);
  } else console.log(`${name.padEnd(9)} ${result.seconds.toFixed(1).padStart(7)} s`);
}
process.exitCode = failed ? 1 : 0;
