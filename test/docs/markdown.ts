/**
 * What the documentation tests read of a Markdown file: its fenced code blocks, its headings as GitHub anchors, and its
 * links. README.md and docs/*.md are written for GitHub's renderer, so anchors follow GitHub's slug rules.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(__dirname, "..", "..");

/** README.md and every page of docs/, as paths relative to the repository root. */
export function documentationFiles(): string[] {
  const pages = readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", "CHANGELOG.md", ...pages];
}

export function readDoc(file: string): string {
  return readFileSync(join(ROOT, file), "utf8");
}

export interface CodeBlock {
  /** The info string's first word (`ts`, `sh`, `json`, ...), lowercased; "" when there is none. */
  readonly lang: string;
  /** The block's text, without its fences. */
  readonly code: string;
  /** 1-based line of the opening fence: the code's first line is the next one. */
  readonly fenceLine: number;
  /** The reason of a `<!-- not-checked: reason -->` comment right before the block (blank lines between allowed). */
  readonly notChecked?: string;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/;
const NOT_CHECKED = /^<!--\s*not-checked:(.*?)-->\s*$/;

/** Every fenced code block of a Markdown text, in order. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = FENCE.exec(lines[j]);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length && lines[j].trim() === close[1]) break;
      body.push(lines[j]);
    }
    let k = i - 1;
    while (k >= 0 && lines[k].trim() === "") k--;
    const marker = k >= 0 ? NOT_CHECKED.exec(lines[k].trim()) : null;
    blocks.push({
      lang: open[2].toLowerCase(),
      code: body.join("\n"),
      fenceLine: i + 1,
      ...(marker ? { notChecked: marker[1].trim() } : {}),
    });
    i = j;
  }
  return blocks;
}

/** The lines of a Markdown text outside fenced code blocks, each with its 1-based line number. */
export function proseLines(markdown: string): Array<{ line: number; text: string }> {
  const lines = markdown.split("\n");
  const inCode = new Set<number>();
  for (const block of codeBlocks(markdown)) {
    const length = block.code === "" ? 0 : block.code.split("\n").length;
    for (let n = block.fenceLine; n <= block.fenceLine + length + 1; n++) inCode.add(n);
  }
  return lines.map((text, i) => ({ line: i + 1, text })).filter(({ line }) => !inCode.has(line));
}

/**
 * The anchor GitHub gives a heading: its text as rendered (code spans, links and emphasis reduced to their text),
 * lowercased, every character but letters, digits, `_`, `-` and spaces removed, each space turned into `-`.
 */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/[*]/g, "")
    .trim();
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a Markdown text's headings make; a repeated slug gets `-1`, `-2`, ... as on GitHub. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const slug = githubSlug(heading[1]);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

export interface Link {
  readonly line: number;
  readonly target: string;
}

/** Every inline link (`[text](target)`, images included) outside code blocks and code spans. */
export function links(markdown: string): Link[] {
  return proseLines(markdown).flatMap(({ line, text }) => {
    // A code span may show link syntax without being a link: blank it out, keeping the rest where it was.
    const prose = text.replace(/`+[^`]*`+/g, (span) => " ".repeat(span.length));
    return [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => ({ line, target: m[1] }));
  });
}
