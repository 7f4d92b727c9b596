/**
 * Child process of bench/handler.ts: loads the bundled handler as the Lambda runtime would (its configuration and
 * credentials are in the environment), measures the process at rest after one small invocation, then copies the
 * object named by BENCH_SOURCE_KEY to BENCH_DESTINATION_KEY through the handler's `copy` while sampling the resident
 * set size. Prints one line, `RESULT { idleRss, peakRss, maxRss, peakArrayBuffers, bytes, seconds }` (the handler's own
 * JSON log lines go to the console too).
 *
 * Usage: node --expose-gc bench/copy-memory.cjs <bundle path>
 */
const { performance } = require("node:perf_hooks");

async function main() {
  const { handler } = require(process.argv[2]);
  const invoke = (event) => handler(event, { awsRequestId: "bench", getRemainingTimeInMillis: () => 900_000 });
  const settle = async () => {
    global.gc();
    await new Promise((resolve) => setTimeout(resolve, 300));
    global.gc();
  };

  // At rest: the bundle loaded and one invocation served (connections, credentials and SDK state in place).
  await invoke({ operation: "list", prefix: process.env.BENCH_PREFIX, maxKeys: 1 });
  await settle();
  const idleRss = process.memoryUsage.rss();

  let peakRss = idleRss;
  let peakArrayBuffers = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakArrayBuffers = Math.max(peakArrayBuffers, m.arrayBuffers);
  }, 5);
  const started = performance.now();
  const result = await invoke({
    operation: "copy",
    sourceKey: process.env.BENCH_SOURCE_KEY,
    key: process.env.BENCH_DESTINATION_KEY,
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  // The kernel's high-water mark of this process image (Linux), which no sampling interval can miss. (Not
  // resourceUsage().maxRSS: Linux carries the parent's peak over into a child's.)
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(require("node:fs").readFileSync("/proc/self/status", "utf8"));
  const maxRss = hwm ? Number(hwm[1]) * 1024 : peakRss;
  process.stdout.write(
    `RESULT ${JSON.stringify({ idleRss, peakRss, maxRss, peakArrayBuffers, bytes: result.bytes, seconds })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error.name}: ${error.message}\n`);
  process.exit(1);
});
