/**
 * A memo over the simulator's case-insensitive string comparisons. The policy library the simulator uses
 * (@cloud-copilot/iam-policy) tells a condition operator's `IfExists` suffix and set operator apart without case,
 * through `localeCompare` with options, which builds a collator on every call; the simulator asks it for every
 * condition of every statement of every request. That was 17% of a proof of every shipped grant (a third of its
 * simulating), for a handful of distinct operator names. Each comparison is a pure function of its two strings, so
 * each answer is kept.
 *
 * The functions are the library's own, from the module the pinned simulator loads (SIMULATOR_PACKAGES); its callers
 * read them from that module's exports on each call, so wrapping the exports there is enough. A library laid out
 * otherwise keeps its own comparisons: slower, with the same verdicts.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { MEMOIZED, wrapExportOnce, wrapping } from "./wrap-once";

export { MEMOIZED };

export type Compare = (first: string, second: string) => boolean;
export const COMPARISONS = ["caseInsensitiveEquals", "caseInsensitiveEndsWith"] as const;
export type ComparisonModule = Record<(typeof COMPARISONS)[number], Compare>;

/** A bound on the pairs kept per comparison: a proof of every shipped grant asks for a few dozen. */
const MAX_PAIRS = 10_000;

/**
 * Wraps `compare` so each pair of strings is compared once (a call that throws is not kept). The wrapper holds the
 * function it wraps under MEMOIZED, so it is never wrapped twice.
 */
export function memoizeComparison(compare: Compare): Compare {
  const answers = new Map<string, Map<string, boolean>>();
  let size = 0;
  const memo: Compare = (first, second) => {
    const known = answers.get(first)?.get(second);
    if (known !== undefined) return known;
    const answer = compare(first, second);
    if (size >= MAX_PAIRS) {
      answers.clear();
      size = 0;
    }
    const row = answers.get(first) ?? new Map<string, boolean>();
    answers.set(first, row.set(second, answer));
    size += 1;
    return answer;
  };
  return wrapping(memo, compare);
}

/** The policy library's module of comparisons, as the simulator at `simulatorEntry` loads it; undefined otherwise. */
export function comparisonModule(simulatorEntry: string): ComparisonModule | undefined {
  if (!existsSync(simulatorEntry)) return undefined;
  let loaded: Partial<ComparisonModule>;
  try {
    const policyEntry = require.resolve("@cloud-copilot/iam-policy", { paths: [dirname(simulatorEntry)] });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module of the pinned simulator's library, by its path
    loaded = require(join(dirname(policyEntry), "utils.js")) as Partial<ComparisonModule>;
  } catch {
    return undefined;
  }
  return COMPARISONS.every((name) => typeof loaded[name] === "function") ? (loaded as ComparisonModule) : undefined;
}

/**
 * Memoizes the comparisons of the simulator whose CommonJS entry is `simulatorEntry`; says whether it did (or had).
 * Called once the simulator is loaded, so it runs against the module the simulator itself uses.
 */
export function memoizeCaseComparisons(simulatorEntry: string): boolean {
  const module = comparisonModule(simulatorEntry);
  if (!module) return false;
  for (const name of COMPARISONS) wrapExportOnce(module, name, memoizeComparison);
  return true;
}
