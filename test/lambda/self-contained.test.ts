/**
 * The handler's tests stand alone: every configuration they use is written out in test/lambda (as helpers.ts writes
 * GRANTED_PREFIXES the way the stack does), never taken from a synthesized stack. So they run, and fail only for the
 * handler's own reasons, while the constructs and stacks change.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";

const root = resolve(__dirname, "../..");
/** The other test files (this one names what it looks for). */
const files = readdirSync(__dirname)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => join(__dirname, f))
  .filter((f) => f !== __filename);

/** Every module a file imports or requires, as written. */
function specifiers(code: string): string[] {
  const found = [...code.matchAll(/(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*)"([^"]+)"/g)].map((m) => m[1]);
  return [...new Set(found)];
}

/** Packages that build stacks rather than run the handler. */
const STACK_PACKAGES = /^(cdktf|cdktf-cli|constructs|@cdktf\/.*)$/;

test.each(files.map((f) => [basename(f), f]))(
  "%s imports only the handler, its bundle, its tests and packages",
  (_name, file) => {
    const outside = specifiers(readFileSync(file, "utf8")).filter((specifier) => {
      if (!specifier.startsWith(".")) return STACK_PACKAGES.test(specifier);
      const target = relative(root, resolve(dirname(file), specifier));
      return !target.startsWith("lambda/") && !target.startsWith("test/lambda/");
    });

    expect(outside).toEqual([]);
  },
);

test("no handler test reads a synthesized stack", () => {
  const readers = files.filter((f) => readFileSync(f, "utf8").includes("cdktf.out"));

  expect(readers.map((f) => basename(f))).toEqual([]);
});

test("the guard sees what it guards: the specifiers of this directory's files are found", () => {
  const helpers = specifiers(readFileSync(join(__dirname, "helpers.ts"), "utf8"));

  expect(helpers).toEqual(expect.arrayContaining(["node:stream", "@aws-sdk/client-s3", "../../lambda/src/config"]));
  expect(specifiers('import { x } from "../../modules/grant";\nconst y = require("../../stacks/config");')).toEqual([
    "../../modules/grant",
    "../../stacks/config",
  ]);
});
