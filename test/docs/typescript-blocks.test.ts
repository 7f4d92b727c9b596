/**
 * The TypeScript blocks of README.md and docs/ are type-checked against the package, so an example cannot rot: each
 * ```ts block is written as a file of its own to test/docs/.generated/ (git-ignored) and compiled with
 * test/docs/tsconfig.json, which maps `cross-account-s3-lambda`, `/proof` and `/testing` to the sources in modules/
 * (and `stacks/*` to this repository's app), under the strict flags the package's declarations are held to.
 *
 * A block declares what it uses but does not make (`declare const stack: TerraformStack;`) at its top, visibly. A block
 * that is a fragment and cannot compile alone opts out with `<!-- not-checked: reason -->` right before it.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as ts from "typescript";
import { codeBlocks, documentationFiles, readDoc, ROOT } from "./markdown";

const HERE = join(ROOT, "test", "docs");
const GENERATED = join(HERE, ".generated");

interface Written {
  /** The Markdown file and the line of the block's opening fence. */
  readonly doc: string;
  readonly fenceLine: number;
  readonly path: string;
}

/** Writes each block as `<doc>-<line>.ts` under `dir`; returns where each one came from. */
function writeBlocks(dir: string, blocks: ReadonlyArray<{ doc: string; fenceLine: number; code: string }>): Written[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return blocks.map(({ doc, fenceLine, code }) => {
    const path = join(dir, `${doc.replace(/\.md$/, "").replace(/[^\w-]+/g, "-")}-${fenceLine}.ts`);
    writeFileSync(path, `${code}\n`);
    return { doc, fenceLine, path };
  });
}

/**
 * Compiles the written blocks with test/docs/tsconfig.json and returns each error in a block as
 * `<doc>:<line>: TS<code> <message>` (the line in the Markdown file), and any error of the configuration itself.
 * Errors inside the package's own sources are not the documentation's: `npx tsc --noEmit` checks those.
 */
function typeErrors(written: readonly Written[]): string[] {
  const configPath = join(HERE, "tsconfig.json");
  const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (config.error) return [ts.flattenDiagnosticMessageText(config.error.messageText, "\n")];
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, HERE, undefined, configPath);
  const program = ts.createProgram({ rootNames: written.map((w) => w.path), options: parsed.options });
  const byPath = new Map(written.map((w) => [ts.sys.resolvePath(w.path), w]));
  const errors: string[] = parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  for (const d of [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...ts.getPreEmitDiagnostics(program),
  ]) {
    if (d.category !== ts.DiagnosticCategory.Error) continue;
    const message = `TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    if (!d.file) {
      errors.push(message);
      continue;
    }
    const block = byPath.get(ts.sys.resolvePath(d.file.fileName));
    if (!block) continue;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    errors.push(`${block.doc}:${block.fenceLine + 1 + line}: ${message}`);
  }
  return [...new Set(errors)];
}

const blocks = documentationFiles().flatMap((doc) =>
  codeBlocks(readDoc(doc))
    .filter((b) => b.lang === "ts" || b.lang === "typescript")
    .map((b) => ({ doc, ...b })),
);
const checked = blocks.filter((b) => b.notChecked === undefined);

/** A block that must fail, compiled with the others: proof that the check is live and points at the right line. */
const CANARY = {
  doc: "canary.md",
  fenceLine: 10,
  code: [
    'import { CrossAccountS3Access } from "cross-account-s3-lambda";',
    "export const made: CrossAccountS3Access = 42;",
  ].join("\n"),
};

describe("the TypeScript blocks of README.md and docs/", () => {
  test("there are blocks to check, and each opt-out gives its reason", () => {
    expect(checked.length).toBeGreaterThanOrEqual(10);
    expect(
      blocks
        .filter((b) => b.notChecked !== undefined && b.notChecked.length < 10)
        .map((b) => `${b.doc}:${b.fenceLine}`),
    ).toEqual([]);
  });

  test("every block type-checks against the package", () => {
    const written = writeBlocks(GENERATED, [...checked, CANARY]);
    const errors = typeErrors(written);
    // The canary fails where it should, as `canary.md:<its fence line + 2>`; nothing else may.
    expect(errors.filter((e) => e.startsWith("canary.md:"))).toEqual([
      expect.stringMatching(/^canary\.md:12: TS2322 Type 'number' is not assignable to type 'CrossAccountS3Access'/),
    ]);
    expect(errors.filter((e) => !e.startsWith("canary.md:"))).toEqual([]);
    expect(written.map((w) => relative(ROOT, w.path))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^test\/docs\/\.generated\/README-\d+\.ts$/)]),
    );
  }, 120_000);
});
