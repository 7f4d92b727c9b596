const { availableParallelism } = require("node:os");

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }],
  },
  setupFilesAfterEnv: ["<rootDir>/test/setup.ts"],
  testTimeout: 120000,
  // The slow layers mostly wait (on terraform, the AWS provider's settling delays, the emulator, npm): with more
  // workers than cores they wait side by side. Jest's default, one worker fewer than the cores, runs a 2-core machine's
  // suites one after another. `--maxWorkers` on the command line still overrides this.
  maxWorkers: Math.max(4, availableParallelism()),
  testSequencer: "<rootDir>/test/support/slow-layers-first.js",
};
