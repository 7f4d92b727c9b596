/**
 * README.md is the front door and docs/ the manual: every link between them, and from them to the repository's files,
 * must lead somewhere, and every `#anchor` must name a heading of the page it points into (GitHub's slug rules).
 */
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { dirname, join, normalize, sep } from "node:path";
import { anchors, codeBlocks, documentationFiles, githubSlug, links, readDoc, ROOT } from "./markdown";

/** At most 15 KB, counted in bytes as 15,000 (the stricter reading). */
const README_MAX_BYTES = 15_000;

/** Every path git knows in this checkout (tracked, or untracked and not ignored), and every folder holding one. */
function knownPaths(): Set<string> {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  const paths = new Set<string>();
  for (const file of listed.split("\0").filter(Boolean)) {
    paths.add(file);
    for (let dir = dirname(file); dir !== "."; dir = dirname(dir)) paths.add(dir);
  }
  return paths;
}

/**
 * The problems of one file's links, each `file:line: target: why`. A local link must name a file or folder of the
 * repository (not one git ignores, such as build output); an anchor must name a heading of the Markdown page it
 * points into. External links (with a scheme) are not followed.
 */
function linkProblems(
  file: string,
  markdown: string,
  known: ReadonlySet<string>,
  readPage: (path: string) => string,
): string[] {
  const problems: string[] = [];
  for (const { line, target } of links(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const where = `${file}:${line}: ${target}`;
    const hash = target.indexOf("#");
    const pathPart = decodeURI(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const path =
      pathPart === ""
        ? file
        : normalize(join(dirname(file), pathPart))
            .split(sep)
            .join("/")
            .replace(/\/$/, "");
    if (path.startsWith("..") || path.startsWith("/")) {
      problems.push(`${where}: leads out of the repository`);
      continue;
    }
    if (!known.has(path)) {
      problems.push(`${where}: ${path} is not a file or folder of the repository`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!path.endsWith(".md")) {
      problems.push(`${where}: an anchor into ${path}, which is not a Markdown page`);
      continue;
    }
    if (!anchors(path === file ? markdown : readPage(path)).has(anchor))
      problems.push(`${where}: ${path} has no heading with the anchor #${anchor}`);
  }
  return problems;
}

const known = knownPaths();
const files = documentationFiles();
const readPage = (path: string) => readDoc(path);

describe("links between README and docs/", () => {
  test("every local link and anchor of README.md and docs/*.md resolves", () => {
    expect(files.flatMap((file) => linkProblems(file, readDoc(file), known, readPage))).toEqual([]);
  });

  test("README.md is the front door: at most 15 KB", () => {
    expect(statSync(join(ROOT, "README.md")).size).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  test("README's Documentation section links every page of docs/", () => {
    const readme = readDoc("README.md");
    const start = readme.indexOf("\n## Documentation\n");
    expect(start).toBeGreaterThan(0);
    const next = readme.indexOf("\n## ", start + 1);
    const section = readme.slice(start, next < 0 ? undefined : next);
    const linked = new Set(links(section).map((l) => l.target.split("#")[0]));
    expect(files.filter((f) => f.startsWith("docs/") && !linked.has(f))).toEqual([]);
  });

  test("every page of docs/ links back to README", () => {
    const pages = files.filter((f) => f.startsWith("docs/"));
    expect(pages.length).toBeGreaterThan(0);
    expect(pages.filter((page) => !links(readDoc(page)).some((l) => l.target.startsWith("../README.md")))).toEqual([]);
  });
});

describe("the link check sees what it checks", () => {
  test("anchors follow GitHub's slug rules", () => {
    expect(githubSlug("The deploy roles: what each account needs")).toBe("the-deploy-roles-what-each-account-needs");
    expect(githubSlug("The layers of `modules/`")).toBe("the-layers-of-modules");
    expect(githubSlug("This repository's split layout")).toBe("this-repositorys-split-layout");
    expect(githubSlug("Diff and deploy, per environment and per half")).toBe(
      "diff-and-deploy-per-environment-and-per-half",
    );
    expect(githubSlug("CAS_S3 rules  (two spaces)")).toBe("cas_s3-rules--two-spaces");
    expect([
      ...anchors("# Tests\n\n## Tests\n\n```sh\n# not a heading\n```\n\n### [Offline](x.md) *providers*\n"),
    ]).toEqual(["tests", "tests-1", "offline-providers"]);
  });

  test("it names a missing file, a missing anchor, a link out of the repository and an anchor into a non-Markdown file", () => {
    const page = [
      "See [the page](other.md#there), [nothing](missing.md), [up](../../outside.md) and [code](../modules/index.ts#L3).",
      "Fine: [here](#intro), [site](https://example.com/x#y), [folder](../modules/).",
      "Not links: `[in code](missing.md)` and",
      "```md",
      "[in a block](missing.md)",
      "```",
      "# Intro",
    ].join("\n");
    const pages: Record<string, string> = { "docs/other.md": "# Elsewhere\n" };
    const repo = new Set(["docs/page.md", "docs/other.md", "modules", "modules/index.ts"]);
    expect(linkProblems("docs/page.md", page, repo, (p) => pages[p])).toEqual([
      "docs/page.md:1: other.md#there: docs/other.md has no heading with the anchor #there",
      "docs/page.md:1: missing.md: docs/missing.md is not a file or folder of the repository",
      "docs/page.md:1: ../../outside.md: leads out of the repository",
      "docs/page.md:1: ../modules/index.ts#L3: an anchor into modules/index.ts, which is not a Markdown page",
    ]);
  });

  test("it reads code blocks and their not-checked markers", () => {
    const blocks = codeBlocks(
      [
        "text",
        "<!-- not-checked: a fragment of a larger object -->",
        "",
        "```ts",
        "a: 1,",
        "```",
        "```sh",
        "ls",
        "```",
      ].join("\n"),
    );
    expect(blocks).toEqual([
      { lang: "ts", code: "a: 1,", fenceLine: 4, notChecked: "a fragment of a larger object" },
      { lang: "sh", code: "ls", fenceLine: 7 },
    ]);
  });

  test("the repository's own paths are known, build output is not", () => {
    expect(known.has("modules/index.ts")).toBe(true);
    expect(known.has("modules")).toBe(true);
    expect(known.has("node_modules")).toBe(false);
  });
});
