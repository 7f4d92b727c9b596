#!/usr/bin/env node
/**
 * Compiles the CDKTF app (main.ts and what it imports from this repository) into one CommonJS file, .gen/main.js,
 * leaving node_modules packages as they are. Running that file skips compiling TypeScript at every synth, which is
 * most of what a synth costs beyond loading cdktf itself (see bench/synth.mjs). cdktf.json runs it before the app, and
 * so does the project's own synthesis (scripts/lib/toolchain.ts). The file is written whole under another name and
 * renamed into place, so a synthesis running beside another build never reads half of it.
 */
import { buildSync } from "esbuild";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = resolve(root, ".gen/main.js");
const [bundle] = buildSync({
  entryPoints: [resolve(root, "main.ts")],
  outfile,
  bundle: true,
  packages: "external",
  platform: "node",
  target: "node20",
  format: "cjs",
  absWorkingDir: root,
  logLevel: "warning",
  write: false,
}).outputFiles;
mkdirSync(dirname(outfile), { recursive: true });
const partial = `${outfile}.${process.pid}`;
writeFileSync(partial, bundle.contents);
renameSync(partial, outfile);
