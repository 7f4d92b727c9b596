/**
 * Short functions: no outermost function of the library (modules/), the handler (lambda/src/), the stacks (stacks/)
 * or the scripts (scripts/) is longer than MAX_LINES. A longer one hides its steps; split it into named ones.
 *
 * An outermost function is a top-level function declaration, an arrow or function expression assigned at top level,
 * or a member of a top-level class (method, constructor, accessor, arrow property). It is measured from its first line
 * to its last, its JSDoc left out; what it holds (inner closures, callbacks) counts towards it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import * as ts from "typescript";

const root = resolve(__dirname, "../..");
const SCANNED = ["modules", "lambda/src", "stacks", "scripts"];
const MAX_LINES = 80;

/** An outermost function and its length in lines. */
interface MeasuredFunction {
  /** Relative to the repository root. */
  readonly file: string;
  /** Its name; a class member's as `Class.member`. */
  readonly name: string;
  /** Its first line (1-based). */
  readonly line: number;
  readonly lines: number;
}

/** A function of modules/ allowed over the limit for now, at no more than `lines`. */
interface AllowedFunction {
  readonly file: string;
  readonly name: string;
  readonly lines: number;
}

/**
 * The functions of modules/ over the limit when this test was written, with their length then. modules/ is being
 * split up: this list must only shrink. Never add an entry or raise a length; remove an entry once its function is
 * split (the test fails while a listed function is no longer over the limit). Only modules/ may have entries.
 */
const ALLOWED_IN_MODULES: readonly AllowedFunction[] = [];

/** Every non-test .ts file under `dir`, relative to the repository root. */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return name === "node_modules" ? [] : sourceFiles(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") && !path.endsWith(".test.ts") ? [path] : [];
  });
}

/** The expression under parentheses, `as` and `satisfies`. */
function unwrap(expression: ts.Expression | undefined): ts.Expression | undefined {
  let e = expression;
  while (e && (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)))
    e = e.expression;
  return e;
}

function isFunctionExpression(expression: ts.Expression | undefined): boolean {
  const e = unwrap(expression);
  return e !== undefined && (ts.isArrowFunction(e) || ts.isFunctionExpression(e));
}

/** Every outermost function of a source text, in source order. */
function measureFunctions(file: string, text: string): MeasuredFunction[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: MeasuredFunction[] = [];
  const add = (name: string, node: ts.Node) => {
    // getStart skips the leading comments, JSDoc included.
    const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
    const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
    found.push({ file, name, line: first + 1, lines: last - first + 1 });
  };
  const members = (node: ts.ClassLikeDeclaration, className: string) => {
    for (const member of node.members) {
      const name = `${className}.${member.name?.getText(source) ?? "constructor"}`;
      if (ts.isClassStaticBlockDeclaration(member)) add(`${className}.static`, member);
      else if (ts.isFunctionLike(member) && "body" in member && member.body) add(name, member);
      else if (ts.isPropertyDeclaration(member) && isFunctionExpression(member.initializer)) add(name, member);
    }
  };
  for (const statement of source.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.body) add(statement.name?.text ?? "default", statement);
    else if (ts.isClassDeclaration(statement)) members(statement, statement.name?.text ?? "default");
    else if (ts.isExportAssignment(statement) && isFunctionExpression(statement.expression)) add("default", statement);
    else if (ts.isVariableStatement(statement)) {
      const { declarations } = statement.declarationList;
      for (const declaration of declarations) {
        const value = unwrap(declaration.initializer);
        const name = declaration.name.getText(source);
        // A lone declaration is measured with its `export const`.
        if (isFunctionExpression(value)) add(name, declarations.length === 1 ? statement : declaration);
        else if (value && ts.isClassExpression(value)) members(value, name);
      }
    }
  }
  return found;
}

/**
 * The functions over the limit that the allow-list does not cover, written `file:line name: N lines` (with the
 * allowed length when a listed function grew), and the entries of the allow-list that no longer match a function over
 * the limit.
 */
function checkLengths(
  functions: readonly MeasuredFunction[],
  allowed: readonly AllowedFunction[],
): { tooLong: string[]; stale: string[] } {
  const over = functions.filter((f) => f.lines > MAX_LINES);
  const allowance = (f: MeasuredFunction) => allowed.find((a) => a.file === f.file && a.name === f.name);
  const tooLong = over.flatMap((f) => {
    const entry = allowance(f);
    if (entry && f.lines <= entry.lines) return [];
    const grew = entry ? ` (allowed ${entry.lines} until split, and it may not grow)` : "";
    return [`${f.file}:${f.line} ${f.name}: ${f.lines} lines${grew}`];
  });
  const stale = allowed
    .filter((a) => !over.some((f) => f.file === a.file && f.name === a.name))
    .map((a) => `${a.file} ${a.name}: no longer over ${MAX_LINES} lines, remove it from ALLOWED_IN_MODULES`);
  return { tooLong, stale };
}

const files = SCANNED.flatMap(sourceFiles).sort();
const functions = files.flatMap((file) => measureFunctions(file, readFileSync(join(root, file), "utf8")));
const result = checkLengths(functions, ALLOWED_IN_MODULES);

test(`no outermost function of ${SCANNED.join(", ")} is over ${MAX_LINES} lines (but the allowed ones of modules/)`, () => {
  expect(result.tooLong).toEqual([]);
});

test("every function on the allow-list is still over the limit: the list only shrinks", () => {
  expect(result.stale).toEqual([]);
});

test("only modules/ has functions on the allow-list", () => {
  expect(ALLOWED_IN_MODULES.filter((a) => !a.file.startsWith("modules/"))).toEqual([]);
});

describe("the guard sees what it guards", () => {
  test("it scans every folder, nested ones included, and leaves test files out", () => {
    expect(files).toEqual(
      expect.arrayContaining([
        "modules/contract.ts",
        "lambda/src/handler.ts",
        "lambda/src/operations/copy.ts",
        "stacks/config.ts",
        "scripts/lib/local-run.ts",
      ]),
    );
    expect(files.filter((f) => f.endsWith(".test.ts") || f.endsWith(".d.ts"))).toEqual([]);
    expect(functions.find((f) => f.file === "lambda/src/handler.ts" && f.name === "createHandler")).toBeDefined();
  });

  test("it measures each kind of outermost function from its first line to its last, JSDoc left out", () => {
    const code = [
      "/**", // 1
      " * A declaration's JSDoc.", // 2
      " */", // 3
      "export function declared(a: number): number {", // 4
      "  const inner = () => {", // 5
      "    return a;", // 6
      "  };", // 7
      "  return inner();", // 8
      "}", // 9
      "/** An arrow's JSDoc. */", // 10
      "export const arrow = (b: string) =>", // 11
      "  b.length;", // 12
      "const expression = function () {", // 13
      "  return 1;", // 14
      "};", // 15
      "const wrapped = ((x: number) => x) as (x: number) => number;", // 16
      "export class Thing {", // 17
      "  /** The constructor's JSDoc. */", // 18
      "  constructor(private readonly n: number) {", // 19
      "    this.n = n;", // 20
      "  }", // 21
      "  method(): number {", // 22
      "    return this.n;", // 23
      "  }", // 24
      "  get size(): number {", // 25
      "    return 1;", // 26
      "  }", // 27
      "  readonly handler = async () => {", // 28
      "    await Promise.resolve();", // 29
      "  };", // 30
      "  readonly count = 3;", // 31
      "  abstractLike?(): void;", // 32
      "}", // 33
      "const notAFunction = { f: () => 1 };", // 34
      "run(() => {", // 35
      "  declared(1);", // 36
      "});", // 37
    ].join("\n");

    expect(measureFunctions("sample.ts", code)).toEqual([
      { file: "sample.ts", name: "declared", line: 4, lines: 6 },
      { file: "sample.ts", name: "arrow", line: 11, lines: 2 },
      { file: "sample.ts", name: "expression", line: 13, lines: 3 },
      { file: "sample.ts", name: "wrapped", line: 16, lines: 1 },
      { file: "sample.ts", name: "Thing.constructor", line: 19, lines: 3 },
      { file: "sample.ts", name: "Thing.method", line: 22, lines: 3 },
      { file: "sample.ts", name: "Thing.size", line: 25, lines: 3 },
      { file: "sample.ts", name: "Thing.handler", line: 28, lines: 3 },
    ]);
  });

  test("it names a function over the limit, one that grew past its allowance, and an allowance no longer needed", () => {
    const at = (file: string, name: string, lines: number): MeasuredFunction => ({ file, name, line: 7, lines });
    const measured = [
      at("stacks/a.ts", "short", MAX_LINES),
      at("stacks/a.ts", "long", MAX_LINES + 1),
      at("modules/b.ts", "allowed", 100),
      at("modules/b.ts", "grown", 120),
      at("modules/b.ts", "split", 20),
    ];
    const allowed = [
      { file: "modules/b.ts", name: "allowed", lines: 100 },
      { file: "modules/b.ts", name: "grown", lines: 110 },
      { file: "modules/b.ts", name: "split", lines: 90 },
    ];

    expect(checkLengths(measured, allowed)).toEqual({
      tooLong: [
        `stacks/a.ts:7 long: ${MAX_LINES + 1} lines`,
        "modules/b.ts:7 grown: 120 lines (allowed 110 until split, and it may not grow)",
      ],
      stale: [`modules/b.ts split: no longer over ${MAX_LINES} lines, remove it from ALLOWED_IN_MODULES`],
    });
  });
});
