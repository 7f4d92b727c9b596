/**
 * Jest's order of test files, with the layers that wait on other processes started first: the packed package installed
 * in an app (one long chain of npm, tsc, jest and cdktf steps, the longest suite: started later, it is the run's tail),
 * the end-to-end runs in the emulator, terraform validate and the region list. Started first, they run
 * beside the fast suites instead of after them; left to Jest on a fresh clone (no timings cached yet), they would be
 * ordered by file size and the tiny end-to-end files would start last. Within a layer, and among the other files,
 * Jest's own order stands (failed first, then slowest first once timings are cached).
 */
const { relative, sep } = require("node:path");
const TestSequencer = require("@jest/test-sequencer").default;

const SLOW_FIRST = ["package", "e2e", "validate"].map((layer) => `test${sep}${layer}${sep}`);

class SlowLayersFirst extends TestSequencer {
  sort(tests) {
    const rank = (test) => {
      const path = relative(test.context.config.rootDir, test.path);
      const index = SLOW_FIRST.findIndex((layer) => path.startsWith(layer));
      return index < 0 ? SLOW_FIRST.length : index;
    };
    return [...super.sort(tests)].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = SlowLayersFirst;
