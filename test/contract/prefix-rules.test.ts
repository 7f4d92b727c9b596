/**
 * The prefix rules live once, in the contract: the constructs refuse a declared prefix that breaks one, and the
 * handler refuses a GRANTED_PREFIXES that does, for every rule and the same prefixes.
 */
import { PREFIX_RULES } from "../../modules/contract";
import { prefixSchema } from "../../modules/internal";
import { parseGrantedPrefixes } from "../../lambda/src/granted-prefixes";

/** A prefix that breaks each rule (and none before it in the list), keyed by the rule. */
const BREAKING: Readonly<Record<string, string>> = {
  "must not be empty": "",
  "must not be longer than 512 characters": `${"a".repeat(520)}/`,
  'must not start with "/"': "/a/",
  "must not contain the wildcards * or ?": "a*/",
  'must not contain "${" or "%{"': "a${x}/",
  'must not contain an empty folder ("//")': "a//b/",
  "must not contain control characters, quotes or backslashes": 'a"b/',
  "must not contain characters outside U+0020 to U+00FF, which IAM refuses in a policy document": "数/",
  'must not have "." or ".." path segments': "a/../b/",
  'must end with "/"': "a",
};

test("every rule of the contract has a breaking prefix here", () => {
  expect(PREFIX_RULES.map((r) => r.rule).sort()).toEqual(Object.keys(BREAKING).sort());
});

test.each(Object.entries(BREAKING))("%s: refused by the constructs and by the handler", (rule, prefix) => {
  expect(PREFIX_RULES.find((r) => r.breaks(prefix))?.rule).toBe(rule);
  expect(prefixSchema.safeParse(prefix).success).toBe(false);
  const handler = parseGrantedPrefixes(JSON.stringify([{ prefix, access: "read" }]));
  expect(handler.ok).toBe(false);
  if (!handler.ok) expect(handler.problems.join("\n")).toContain(rule);
});

test("a prefix that keeps every rule is taken by both", () => {
  expect(prefixSchema.safeParse("incoming/2026/").success).toBe(true);
  expect(parseGrantedPrefixes(JSON.stringify([{ prefix: "incoming/2026/", access: "read" }])).ok).toBe(true);
});
