/**
 * Jest's order of test files, with the suites that wait on other processes started first, longest first: the packed
 * package installed in an app (one long chain of npm, tsc, jest and cdktf steps), the end-to-end runs in the emulator
 * (the split layout, two stacks and a lock held, before the others), then terraform validate and the region list.
 * Started first, they run beside the fast suites instead of after them, and none of them is the run's tail; left to
 * Jest on a fresh clone (no timings cached yet), they would be ordered by file size and the tiny end-to-end files would
 * start last. Within a layer, and among the other files, Jest's own order stands (failed first, then slowest first
 * once timings are cached).
 */
const { relative, sep } = require("node:path");
const TestSequencer = require("@jest/test-sequencer").default;

const SLOW_FIRST = ["package/", "e2e/local-split.", "e2e/", "validate/"].map((prefix) =>
  `test/${prefix}`.split("/").join(sep),
);

class SlowLayersFirst extends TestSequencer {
  sort(tests) {
    const rank = (test) => {
      const path = relative(test.context.config.rootDir, test.path);
      const index = SLOW_FIRST.findIndex((prefix) => path.startsWith(prefix));
      return index < 0 ? SLOW_FIRST.length : index;
    };
    return [...super.sort(tests)].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = SlowLayersFirst;
