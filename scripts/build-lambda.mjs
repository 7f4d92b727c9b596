#!/usr/bin/env node
/**
 * Bundles the Lambda handler, AWS SDK included, into one minified CommonJS file: lambda/dist/index.js, and packages
 * it as the function's deployment archive, lambda/function.zip. The archive is reproducible (fixed timestamp and
 * mode), so rebuilding unchanged code keeps the same source_code_hash and `terraform plan` stays empty.
 * Paths are resolved from this file, so it runs from any working directory.
 *
 * Usage: node scripts/build-lambda.mjs [--outfile <path>] [--zipfile <path>]   (relative paths are taken from the
 * working directory)
 */
import { build } from "esbuild";
import archiver from "archiver";
import { createWriteStream, readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const entry = resolve(root, "lambda/src/index.ts");

const { values } = parseArgs({ options: { outfile: { type: "string" }, zipfile: { type: "string" } } });
const outfile = values.outfile ? resolve(process.cwd(), values.outfile) : resolve(root, "lambda/dist/index.js");
const zipfile = values.zipfile ? resolve(process.cwd(), values.zipfile) : resolve(root, "lambda/function.zip");

try {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    legalComments: "none",
    external: [],
    // The SDK's ES module builds (package.json "module"), which esbuild can tree-shake; the CommonJS builds it would
    // pick by default keep every export of every package.
    mainFields: ["module", "main"],
    // Those builds load some Node built-ins lazily with import("node:http") and the like. esbuild keeps an import()
    // of an external module as it is, which makes the CommonJS bundle depend on the host's ES module loader (a vm
    // context without one, such as Jest's, fails with ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG). Declaring dynamic
    // import unsupported makes esbuild emit a require() for them instead, as the CommonJS builds do.
    supported: { "dynamic-import": false },
    // In Lambda the execution role's credentials are in the environment: the SDK's default chain is replaced by the
    // environment provider, which leaves the chain's other providers (and their SSO/sign-in clients) out.
    alias: { "@aws-sdk/credential-provider-node": resolve(root, "lambda/src/lambda-credentials.ts") },
    absWorkingDir: root,
    logLevel: "warning",
  });
  if (result.errors.length > 0) process.exit(1);
} catch {
  // esbuild has already printed the errors.
  process.exit(1);
}

/** Zips the bundle as index.js with a fixed date and mode: the same bundle always gives the same bytes. */
async function writeArchive(source, target) {
  const archive = archiver("zip", { zlib: { level: 9 } });
  const done = new Promise((resolveDone, reject) => {
    const out = createWriteStream(target);
    out.on("close", resolveDone);
    out.on("error", reject);
    archive.on("error", reject);
    archive.pipe(out);
  });
  archive.append(readFileSync(source), { name: "index.js", date: new Date("1980-01-01T00:00:00Z"), mode: 0o644 });
  await archive.finalize();
  await done;
}
await writeArchive(outfile, zipfile);

const show = (file) => (relative(root, file).startsWith("..") ? file : relative(root, file));
const kb = (file) => `${(statSync(file).size / 1024).toFixed(1)} KB`;
console.log(`lambda bundle: ${show(outfile)} ${kb(outfile)}, archive: ${show(zipfile)} ${kb(zipfile)}`);
