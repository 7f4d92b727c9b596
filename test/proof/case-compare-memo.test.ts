/**
 * The memo over the simulator's case-insensitive comparisons (modules/proof/case-compare-memo.ts): it is installed on
 * the module the pinned simulator loads (a library laid out otherwise would lose it silently, so this fails instead),
 * each pair is compared once, and it answers what the library's own comparisons answer, for the operator names IAM
 * defines in every case and for strings that differ by accent, length or a separator.
 */
import { join } from "node:path";
import {
  comparisonModule,
  COMPARISONS,
  memoizeCaseComparisons,
  memoizeComparison,
  MEMOIZED,
  type Compare,
} from "../../modules/proof/case-compare-memo";
import { requireSimulator } from "../../modules/proof/simulate";

const SIMULATOR = () => require.resolve("@cloud-copilot/iam-simulate");

const OPERATORS = [
  "StringEquals",
  "StringNotEquals",
  "StringLike",
  "ArnLike",
  "ArnEquals",
  "NumericLessThanEquals",
  "DateGreaterThan",
  "Bool",
  "IpAddress",
  "Null",
];
const SUFFIXES = ["IfExists", "ForAllValues", "ForAnyValue"];
/** Each operator and suffix in three cases, joined both ways, and strings a sloppy comparison would confuse. */
const STRINGS = [
  ...[...OPERATORS, ...SUFFIXES].flatMap((s) => [s, s.toLowerCase(), s.toUpperCase()]),
  ...OPERATORS.flatMap((op) => [`${op}IfExists`, `${op}ifexists`, `ForAllValues:${op}`, `forAnyValue:${op}`]),
  "IfExísts",
  "ifexists ",
  "",
  "fExists",
  "ForAllValues",
  "ForAllValue",
  "İfExists",
];

function installed(): Record<(typeof COMPARISONS)[number], Compare & { [MEMOIZED]?: Compare }> {
  requireSimulator();
  return comparisonModule(SIMULATOR())!;
}

describe("the memo over the simulator's case-insensitive comparisons", () => {
  test("is installed on the module the pinned simulator loads when the proof loads it, once", () => {
    const module = installed();
    const before = COMPARISONS.map((name) => module[name]);
    for (const compare of before) expect(typeof compare[MEMOIZED]).toBe("function");
    expect(memoizeCaseComparisons(SIMULATOR())).toBe(true);
    expect(COMPARISONS.map((name) => installed()[name])).toEqual(before);
  });

  test("a simulator laid out otherwise keeps its own comparisons", () => {
    expect(memoizeCaseComparisons(join(__dirname, "no-such-simulator", "index.js"))).toBe(false);
  });

  test("compares each pair once, tells pairs apart, and keeps nothing of a call that throws", () => {
    const calls: string[] = [];
    const memo = memoizeComparison((first, second) => {
      calls.push(`${first}|${second}`);
      if (first === "boom") throw new Error("refused");
      return first.toLowerCase() === second.toLowerCase();
    });
    expect([memo("a\u0000b", "c"), memo("a", "b\u0000c"), memo("A", "a"), memo("A", "a")]).toEqual([
      false,
      false,
      true,
      true,
    ]);
    expect(() => memo("boom", "x")).toThrow("refused");
    expect(() => memo("boom", "x")).toThrow("refused");
    expect(calls).toEqual(["a\u0000b|c", "a|b\u0000c", "A|a", "boom|x", "boom|x"]);
  });

  test("answers what the library's own comparisons answer", () => {
    const module = installed();
    let compared = 0;
    for (const name of COMPARISONS) {
      const memo = module[name];
      const own = memo[MEMOIZED]!;
      for (const first of STRINGS) {
        for (const second of [...SUFFIXES, ...STRINGS.slice(0, 12)]) {
          expect({ name, first, second, answer: memo(first, second) }).toEqual({
            name,
            first,
            second,
            answer: own(first, second),
          });
          compared += 1;
        }
      }
    }
    expect(compared).toBeGreaterThan(2000);
    expect(module.caseInsensitiveEndsWith("StringLikeIFEXISTS", "IfExists")).toBe(true);
    expect(module.caseInsensitiveEquals("IfExísts", "IfExists")).toBe(false);
  });
});
