#!/usr/bin/env node
/**
 * Compiles the CDKTF app (main.ts and what it imports from this repository) into one CommonJS file, .gen/main.js,
 * leaving node_modules packages as they are. Running that file skips compiling TypeScript at every synth, which is
 * most of what a synth costs beyond loading cdktf itself (see bench/synth.mjs). cdktf.json runs it before the app.
 */
import { buildSync } from "esbuild";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
buildSync({
  entryPoints: [resolve(root, "main.ts")],
  outfile: resolve(root, ".gen/main.js"),
  bundle: true,
  packages: "external",
  platform: "node",
  target: "node20",
  format: "cjs",
  absWorkingDir: root,
  logLevel: "warning",
});
