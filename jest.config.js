const { availableParallelism } = require("node:os");

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // TypeScript is compiled file by file without type information (tsconfig.json sets isolatedModules; the type check is
  // its own step of npm test), by swc: a fresh clone's workers each compile what their first suites import, and swc
  // does it in a fraction of the TypeScript compiler's time. Targets and module format follow tsconfig.json.
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      {
        jsc: { parser: { syntax: "typescript" }, target: "es2022" },
        module: { type: "commonjs" },
        sourceMaps: "inline",
      },
    ],
  },
  setupFilesAfterEnv: ["<rootDir>/test/setup.ts"],
  testTimeout: 120000,
  // The slow layers mostly wait (on terraform, the AWS provider's settling delays, the emulator, npm): with more
  // workers than cores they wait side by side, and the fast suites fill the cores as each slow one ends. Jest's default,
  // one worker fewer than the cores, runs a 2-core machine's suites one after another; eight workers started all six
  // slow suites at once and cost more CPU than they saved waiting. `--maxWorkers` on the command line still overrides.
  maxWorkers: Math.max(4, availableParallelism()),
  testSequencer: "<rootDir>/test/support/slow-layers-first.js",
};
