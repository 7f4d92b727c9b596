// One lint configuration for the repository (npm run lint, part of npm test): ESLint's recommended rules everywhere,
// typescript-eslint's recommended type-checked rules on the TypeScript (types from tsconfig.json, which includes every
// folder linted here), and eslint-config-prettier last so no rule argues with the formatter.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import js from "@eslint/js";
import prettier from "eslint-config-prettier/flat";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

/** The Node.js globals the plain JavaScript files use (scripts, benches, Jest configuration). */
const nodeGlobals = Object.fromEntries(
  [
    "process",
    "console",
    "Buffer",
    "URL",
    "setTimeout",
    "clearTimeout",
    "setInterval",
    "clearInterval",
    "performance",
    "global",
    "globalThis",
  ].map((name) => [name, "readonly"]),
);
const commonJsGlobals = Object.fromEntries(
  ["require", "module", "exports", "__dirname", "__filename"].map((name) => [name, "readonly"]),
);

export default defineConfig(
  {
    ignores: [
      "**/node_modules/",
      "dist/",
      "lambda/dist/",
      "**/cdktf.out/",
      ".gen/",
      "coverage/",
      ".tmp/",
      "test/docs/.generated/",
      // The example is its own package: it imports this library from the tarball `npm pack` makes, installed into
      // its own node_modules only by test/package, so from here its imports do not resolve and every value from the
      // library would be `any` to the type-aware rules. test/package type-checks it with its own, stricter tsconfig.
      "examples/platform-team/",
    ],
  },
  js.configs.recommended,
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: dirname(fileURLToPath(import.meta.url)),
      },
    },
    rules: {
      // `const { deployRoleArn: _deployRole, ...rest } = env` is how this code drops a field from a copy.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
      // `interface ProveOptions extends ModelOptions {}` gives a public name of its own to a shared shape.
      "@typescript-eslint/no-empty-object-type": ["error", { allowInterfaces: "with-single-extends" }],
    },
  },
  {
    // The library is compiled with tsconfig.build.json, stricter than the root one (noUncheckedIndexedAccess,
    // exactOptionalPropertyTypes): lint it with the types it is built with, so a `!` the build needs is not reported
    // as unnecessary.
    files: ["modules/**/*.ts"],
    languageOptions: { parserOptions: { projectService: false, project: "./tsconfig.build.json" } },
  },
  {
    // test/docs/tsconfig.json compiles only the README's code blocks that the docs test writes to .generated/; the
    // test files beside it belong to the root project.
    files: ["test/docs/*.ts"],
    languageOptions: { parserOptions: { projectService: false, project: "./tsconfig.json" } },
  },
  {
    files: ["test/**/*.test.ts"],
    rules: {
      // @types/jest declares its asymmetric matchers (expect.any, expect.stringContaining, expect.objectContaining)
      // as returning `any`, so they fit any expected shape; in the test files they are all these two rules find.
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      // Jest's module registry is reached through require(): a module loaded fresh inside jest.isolateModules, a
      // second copy of a package, the bundle built at test time.
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { sourceType: "module", globals: nodeGlobals },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { ...nodeGlobals, ...commonJsGlobals } },
  },
  prettier,
);
