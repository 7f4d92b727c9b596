#!/usr/bin/env node
/**
 * `npm test`: every layer, in one command. The handler's bundle is built first (suites load it); then the static
 * checks (type check, lint, format check) run beside Jest rather than before it: the slow suites mostly wait on
 * terraform and the emulator, and the checks use that time. Jest writes to the terminal as it runs; each check's
 * output is held and printed once it ends (in full when it fails). The exit code is non-zero when any of them fails.
 *
 * Arguments are passed to Jest (`npm test -- test/modules` runs those suites, still with the static checks).
 */
import { spawn, spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CHECKS = ["typecheck", "lint", "format:check"];

/** Runs `command`, resolving with its exit code (output inherited, or held when `hold` is set) and its duration. */
function run(command, args, hold) {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: root, stdio: hold ? ["ignore", "pipe", "pipe"] : "inherit" });
    let output = "";
    if (hold) for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk) => (output += chunk));
    child.on("error", (error) => done({ code: 1, output: `${command}: ${error.message}`, seconds: 0 }));
    child.on("close", (code, signal) =>
      done({ code: code ?? (signal ? 1 : 0), output, seconds: (Date.now() - started) / 1000 }),
    );
  });
}

const bundle = spawnSync("npm", ["run", "--silent", "build:lambda"], { cwd: root, stdio: "inherit" });
if (bundle.status !== 0) process.exit(bundle.status ?? 1);

const checks = CHECKS.map(async (name) => {
  const result = await run("npm", ["run", "--silent", name], true);
  const verdict = result.code === 0 ? "ok" : `FAILED (exit ${result.code})`;
  process.stderr.write(`\n${name}: ${verdict} in ${result.seconds.toFixed(1)} s\n`);
  if (result.code !== 0) process.stderr.write(`${result.output}\n`);
  return result.code;
});
const jest = run(process.execPath, [resolve(root, "node_modules/jest/bin/jest.js"), ...process.argv.slice(2)], false);

const codes = [...(await Promise.all(checks)), (await jest).code];
const failed = [...CHECKS, "jest"].filter((_, i) => codes[i] !== 0);
if (failed.length > 0) process.stderr.write(`\nnpm test failed: ${failed.join(", ")}\n`);
process.exit(failed.length > 0 ? 1 : 0);
