/**
 * The import graph of the library (modules/) and the handler (lambda/src/) has no cycles, type-only imports included:
 * each file can be read, tested and moved with what it imports and nothing that imports it; and modules/ keeps to its
 * layers. The contract
 * (modules/contract.ts) sits at the bottom of that graph: it imports nothing, and it is all the handler takes from the
 * library.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import * as ts from "typescript";

const root = resolve(__dirname, "../..");
const SCANNED = ["modules", "lambda/src"];
const CONTRACT = "modules/contract.ts";

/** Every .ts file under `dir`, as a path relative to the repository root. */
function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return tsFiles(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every module a source text names (imports, `import type`, re-exports, require() and import() calls), as written. */
function specifiersIn(code: string): string[] {
  return ts.preProcessFile(code, true, true).importedFiles.map((f) => f.fileName);
}

/** Every module a file names, as written. */
function specifiers(file: string): string[] {
  return specifiersIn(readFileSync(join(root, file), "utf8"));
}

/** The .ts file a relative specifier names, relative to the root; undefined when there is none. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = resolve(root, dirname(from), specifier);
  const candidates = [base, `${base}.ts`, join(base, "index.ts")];
  const found = candidates.find((c) => c.endsWith(".ts") && existsSync(c) && statSync(c).isFile());
  return found === undefined ? undefined : relative(root, found);
}

interface ImportGraph {
  /** file -> the scanned files it imports. */
  readonly edges: ReadonlyMap<string, readonly string[]>;
  /** Relative specifiers that name no .ts file, as "file: specifier". */
  readonly unresolved: readonly string[];
}

function importGraph(files: readonly string[]): ImportGraph {
  const scanned = new Set(files);
  const edges = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const file of files) {
    const targets = new Set<string>();
    for (const specifier of specifiers(file).filter((s) => s.startsWith("."))) {
      const target = resolveRelative(file, specifier);
      if (target === undefined) unresolved.push(`${file}: ${specifier}`);
      else if (scanned.has(target)) targets.add(target);
    }
    edges.set(file, [...targets].sort());
  }
  return { edges, unresolved };
}

/** Strongly connected components (Tarjan), each sorted; only those that hold a cycle. */
function cyclicComponents(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const target of edges.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    const selfLoop = component.length === 1 && (edges.get(node) ?? []).includes(node);
    if (component.length > 1 || selfLoop) components.push(component.sort());
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);
  return components;
}

/** The shortest cycle from `start` back to itself inside `component` (breadth-first), as its files in order. */
function shortestCycle(
  edges: ReadonlyMap<string, readonly string[]>,
  component: ReadonlySet<string>,
  start: string,
): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const target of edges.get(node) ?? []) {
      if (!component.has(target)) continue;
      if (target === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0])!);
        return path;
      }
      if (!cameFrom.has(target)) {
        cameFrom.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start];
}

/**
 * Every cycle found, written "a.ts -> b.ts -> a.ts": in each cyclic component, the shortest cycle through each of its
 * files, once each (so every file in a cycle is named in at least one).
 */
function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[] {
  const found = new Set<string>();
  for (const component of cyclicComponents(edges)) {
    const members = new Set(component);
    for (const start of component) {
      const cycle = shortestCycle(edges, members, start);
      // Written from its smallest file, so a cycle found from each of its files is listed once.
      const first = cycle.indexOf([...cycle].sort()[0]);
      const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
      found.add([...rotated, rotated[0]].join(" -> "));
    }
  }
  return [...found].sort();
}

const files = SCANNED.flatMap(tsFiles).sort();
const graph = importGraph(files);

test("every relative import of modules/ and lambda/src/ names a .ts file, so no edge is missed", () => {
  expect(graph.unresolved).toEqual([]);
});

test("modules/ and lambda/src/ have no import cycles, type-only imports included", () => {
  expect(findCycles(graph.edges)).toEqual([]);
});

test("the contract imports nothing", () => {
  expect(specifiers(CONTRACT)).toEqual([]);
});

test("the handler takes nothing from the library but the contract", () => {
  const fromLibrary = files
    .filter((f) => f.startsWith("lambda/src/"))
    .flatMap((f) => (graph.edges.get(f) ?? []).filter((t) => !t.startsWith("lambda/src/")).map((t) => `${f} -> ${t}`));

  expect(fromLibrary.filter((edge) => !edge.endsWith(` -> ${CONTRACT}`))).toEqual([]);
  expect(fromLibrary).toContain(`lambda/src/config.ts -> ${CONTRACT}`);
});

/**
 * The layers of modules/, from the ground up (docs/architecture.md draws them): a file imports only from its own
 * folder and the layers below it. Folders of one layer do not import each other.
 */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ["modules/contract.ts", "modules/core"],
  ["modules/declaration"],
  ["modules/policy", "modules/deploy"],
  ["modules/record"],
  ["modules/constructs", "modules/rules", "modules/proof"],
  ["modules/patterns"],
  ["modules/testing"],
  ["modules/index.ts", "modules/internal.ts"],
];

/** The layer part of modules/ a file is in (its top folder, or the file itself), with its level. */
function layerOf(file: string): { part: string; level: number } | undefined {
  for (const [level, parts] of LAYERS.entries()) {
    const part = parts.find((p) => file === p || file.startsWith(`${p}/`));
    if (part) return { part, level };
  }
  return undefined;
}

/** The imports of the library that break the layers: up a layer, or across folders of one layer. */
function layerViolations(edges: ReadonlyMap<string, readonly string[]>): string[] {
  return [...edges].flatMap(([from, targets]) => {
    const a = layerOf(from);
    if (!a) return [];
    return targets.flatMap((to) => {
      const b = layerOf(to);
      if (!b || a.part === b.part || b.level < a.level) return [];
      return [`${from} (${a.part}) -> ${to} (${b.part})`];
    });
  });
}

test("every file of modules/ is in a layer", () => {
  expect(files.filter((f) => f.startsWith("modules/") && !layerOf(f))).toEqual([]);
});

test("modules/ imports only from its own folder and the layers below it", () => {
  expect(layerViolations(graph.edges)).toEqual([]);
});

test("the layer guard names an import up a layer and one across a layer", () => {
  const edges = new Map<string, string[]>([
    ["modules/policy/plan-grant.ts", ["modules/constructs/secure-bucket.ts", "modules/core/errors.ts"]],
    ["modules/rules/aspect.ts", ["modules/proof/load.ts", "modules/rules/stack-policies.ts"]],
  ]);
  expect(layerViolations(edges)).toEqual([
    "modules/policy/plan-grant.ts (modules/policy) -> modules/constructs/secure-bucket.ts (modules/constructs)",
    "modules/rules/aspect.ts (modules/rules) -> modules/proof/load.ts (modules/proof)",
  ]);
});

describe("the guard sees what it guards", () => {
  test("it reads every form of import, type-only imports and re-exports included", () => {
    const code = [
      'import type { A } from "./a";',
      'import { type B } from "./b";',
      'export { C } from "./c";',
      'export type { D } from "./d";',
      'export * from "./e";',
      'import "./f";',
      'const g = require("./g");',
      'const h = import("./h");',
    ].join("\n");

    expect(specifiersIn(code)).toEqual(["./a", "./b", "./c", "./d", "./e", "./f", "./g", "./h"]);
  });

  test("it scans nested folders and resolves imports across them", () => {
    // errors.ts takes Permission from ./grant with a type-only import, and AccessMode from the contract.
    expect(graph.edges.get("lambda/src/errors.ts")).toEqual(
      expect.arrayContaining([CONTRACT, "lambda/src/granted-prefixes.ts"]),
    );
    expect(files).toEqual(expect.arrayContaining(["modules/rules/aspect.ts", "lambda/src/index.ts", CONTRACT]));
  });

  test("it names every cycle of a graph that has some", () => {
    const edges = new Map<string, string[]>([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts", "a.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["d.ts"]],
      ["e.ts", ["a.ts"]],
    ]);

    expect(findCycles(edges)).toEqual(["a.ts -> b.ts -> a.ts", "a.ts -> b.ts -> c.ts -> a.ts", "d.ts -> d.ts"]);
  });
});
