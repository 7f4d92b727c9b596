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
 * Each layer prints its wall time and the CPU (user + system) of everything it ran: on two cores the whole command is
 * bound by CPU, so what a change saves shows there first. It also prints how fast the cores were: the CPU a fixed task
 * took before and after the layer (a host that shares its cores with other machines slows every layer without any
 * sign in the load), and on Linux what else the machine did meanwhile: the share of the cores' time the host took
 * (steal, on a virtual machine) and the CPU of other processes. Only figures taken at similar speeds compare.
 *
 * BENCH_LAYERS=quick,e2e picks layers; the whole command is a layer too ("whole").
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
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

/**
 * Runs a command through sh, which reports its children's CPU (the POSIX `times` builtin, on a pipe of its own): the
 * command's exit status and stderr, and the user + system seconds of it and everything it waited for.
 */
function runCounted(command, args) {
  const script = '"$@"; status=$?; times >&3; exit $status';
  const result = spawnSync("sh", ["-c", script, "sh", command, ...args], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe", "pipe"],
    encoding: "utf8",
  });
  const children = (result.output[3] ?? "").trim().split("\n")[1] ?? "";
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  return { status: result.status, stderr: result.stderr ?? "", cpu };
}

/** Clock ticks a second in /proc/stat (USER_HZ), or undefined where there is no /proc/stat (not Linux). */
const TICKS = existsSync("/proc/stat")
  ? Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100
  : undefined;

/** The machine's CPU ticks so far (all cores): busy (steal included), and stolen by the host; undefined off Linux. */
function machineTicks() {
  if (TICKS === undefined) return undefined;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync("/proc/stat", "utf8")
    .split("\n")[0]
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait, steal };
}

/**
 * What else the machine did while a layer ran, from /proc/stat: the share of the cores' time the host took (steal: a
 * virtual machine's cores running someone else's work) and the CPU seconds of processes other than the layer's;
 * undefined off Linux.
 */
function otherWork(before, after, ownCpu) {
  if (!before || !after) return undefined;
  const busy = after.busy - before.busy;
  const total = busy + after.idle - before.idle;
  const steal = total > 0 ? (100 * (after.steal - before.steal)) / total : 0;
  const others = Math.max(0, (busy - (after.steal - before.steal)) / TICKS - ownCpu);
  return `host steal ${steal.toFixed(0)}%, other processes ${others.toFixed(0)} s of CPU`;
}

/**
 * The CPU milliseconds of a fixed task like the tests' own work (JSON written and read back, ten times, the fastest of
 * three): a host that shares its cores with other machines' work runs it slower without showing steal, and every
 * layer's CPU then grows with it.
 */
function fixedTaskMs() {
  const doc = Array.from({ length: 20000 }, (_, i) => ({
    id: i,
    name: `resource-${i}`,
    tags: { a: String(i), b: [i] },
  }));
  const times = [0, 1, 2].map(() => {
    const before = process.cpuUsage();
    for (let round = 0; round < 10; round++) JSON.parse(JSON.stringify(doc));
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  });
  return Math.min(...times);
}

/** Runs a layer's commands one after another; its wall time and CPU in seconds, or the command that failed. */
function timeLayer(commands) {
  const taskBefore = fixedTaskMs();
  const started = process.hrtime.bigint();
  const before = machineTicks();
  let cpu = 0;
  for (const [command, ...args] of commands) {
    const result = runCounted(command, args);
    if (result.status !== 0)
      return { failed: `${[command, ...args].join(" ")} (exit ${result.status})\n${result.stderr.slice(-2000)}` };
    cpu += result.cpu;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const task = `a fixed task ${taskBefore.toFixed(0)} ms of CPU before the layer, ${fixedTaskMs().toFixed(0)} ms after`;
  const context = [otherWork(before, machineTicks(), cpu), task].filter(Boolean).join("; ");
  return { seconds, cpu, context };
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
  } else
    console.log(
      `${name.padEnd(9)} ${result.seconds.toFixed(1).padStart(7)} s   ${result.cpu.toFixed(1).padStart(7)} s of CPU   (${result.context})`,
    );
}
process.exitCode = failed ? 1 : 0;
