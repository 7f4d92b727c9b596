/**
 * An error of the library that nothing catches, in a team's own program: printed as its problems alone (no source line
 * of the package's compiled code, no stack trace, no dump of its fields), exit 1. Any other error, and any program that
 * handles uncaught exceptions itself, gets Node's own behaviour.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const LIBRARY = JSON.stringify(join(ROOT, "modules", "index.ts"));
let dir: string;

beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "cas-uncaught-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `body` as a TypeScript program of its own that imports the library as `lib`. */
function runProgram(name: string, body: string): { status: number | null; stderr: string } {
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, `import * as lib from ${LIBRARY};\n${body}\n`);
  const run = spawnSync(process.execPath, ["--import", "tsx", file], { cwd: ROOT, encoding: "utf8" });
  return { status: run.status, stderr: run.stderr };
}

/** A team's app (in a folder of its own, so its packages by their resolved paths) with two refused settings. */
const APP = `
import { App, TerraformStack } from ${JSON.stringify(require.resolve("cdktf"))};
import { AwsProvider } from ${JSON.stringify(require.resolve("@cdktf/provider-aws/lib/provider"))};
const stack = new TerraformStack(new App(), "ingest");
const provider = (alias: string) => new AwsProvider(stack, alias, { alias, region: "eu-west-1" });
new lib.CrossAccountS3Access(stack, "ingest", {
  lambda: { provider: provider("lambda_account"), accountId: "111122223333", region: "eu-west-1", functionName: "ingest",
            roleName: "ingest", memorySize: 50 },
  bucket: { provider: provider("bucket_account"), accountId: "444455556666", region: "eu-west-1",
            bucketName: "lake-444455556666", keyAlias: "alias/lake" },
  grant: { mode: "bucket-policy", prefixes: [{ prefix: "/raw", access: "readWrite" }] },
});`;

test("a refused declaration in a team's app prints every problem alone and exits 1", () => {
  const run = runProgram("app", APP);
  expect(run.status).toBe(1);
  expect(run.stderr.trim().split("\n")).toEqual([
    "invalid configuration:",
    "  - ingest.lambda.memorySize 50 must be 128-10240 MB",
    expect.stringMatching(/^ {2}- ingest\.grant\.prefixes\[0\]\.prefix "\/raw" is not a valid prefix/),
  ]);
  expect(run.stderr).not.toMatch(/\n\s+at |\^|problems:|modules[/\\]/);
});

test("an error of the library rejected from a promise is printed the same way", () => {
  const run = runProgram("rejected", `void Promise.reject(new lib.CrossAccountS3Error("proof.json: not a report"));`);
  expect(run).toEqual({ status: 1, stderr: "proof.json: not a report\n" });
});

test("any other uncaught error keeps Node's own print, trace and all", () => {
  const run = runProgram(
    "other",
    `try { throw new lib.CrossAccountS3Error("caught"); } catch {}\nthrow new Error("not the library's");`,
  );
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(/Error: not the library's\n\s+at /);
});

test("a program that handles uncaught exceptions itself keeps doing so", () => {
  const run = runProgram(
    "handled",
    `process.on("uncaughtException", (e) => { process.stderr.write("own handler: " + e.name + "\\n"); process.exit(3); });
throw new lib.CrossAccountS3Error("refused");`,
  );
  expect(run).toEqual({ status: 3, stderr: "own handler: CrossAccountS3Error\n" });
});
