/**
 * A CloudWatch Logs filter pattern evaluator for the one form the library's metric filters use, a JSON property
 * selector compared with a string: `{ $.field = "value" }` (also `!=`, nested selectors `$.a.b`, and an unquoted value
 * with `*` wildcards). As CloudWatch Logs does, it matches only a log event that is a JSON object, one event a line.
 * Any other pattern is refused, so a test built on it fails loudly when the library's pattern changes form, instead of
 * judging a pattern it does not understand. (moto's TestMetricFilter, which would be the emulator's judge, answers 500.)
 */

interface JsonPropertyPattern {
  readonly path: readonly string[];
  readonly operator: "=" | "!=";
  /** The expected value: exact when quoted, with `*` wildcards when not. */
  readonly value: string;
  readonly quoted: boolean;
}

const FORM = /^\{\s*\$((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*(=|!=)\s*("(?:[^"\\]|\\.)*"|[^\s"{}]+)\s*\}$/;

/** Parses `{ $.field = "value" }`; throws for any other pattern. */
export function parseJsonPropertyPattern(pattern: string): JsonPropertyPattern {
  const match = FORM.exec(pattern.trim());
  if (!match)
    throw new Error(
      `filter pattern ${JSON.stringify(pattern)} is not of the form { $.field = "value" } this evaluator reads`,
    );
  const [, selector = "", operator = "=", raw = ""] = match;
  const quoted = raw.startsWith('"');
  return {
    path: selector.slice(1).split("."),
    operator: operator as "=" | "!=",
    value: quoted ? (JSON.parse(raw) as string) : raw,
    quoted,
  };
}

/** Whether CloudWatch Logs would count the log event `message` for `pattern`. */
export function matchesFilterPattern(pattern: string, message: string): boolean {
  const { path, operator, value, quoted } = parseJsonPropertyPattern(pattern);
  let event: unknown;
  try {
    event = JSON.parse(message);
  } catch {
    return false; // not a JSON log event: a JSON pattern never matches it
  }
  if (typeof event !== "object" || event === null || Array.isArray(event)) return false;
  let selected: unknown = event;
  for (const key of path) {
    if (typeof selected !== "object" || selected === null || !Object.hasOwn(selected, key)) return false;
    selected = (selected as Record<string, unknown>)[key];
  }
  if (typeof selected !== "string") return false;
  const equal = quoted
    ? selected === value
    : new RegExp(
        `^${value
          .split("*")
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
          .join(".*")}$`,
      ).test(selected);
  return operator === "=" ? equal : !equal;
}

/**
 * The pattern of every access-denied metric filter a synthesized stack holds (from its Terraform JSON, as it would be
 * deployed), with the filters' addresses; fails when there is none.
 */
export function metricFilterPatterns(json: {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
}): string[] {
  const filters = Object.values(json.resource.aws_cloudwatch_log_metric_filter ?? {});
  if (filters.length === 0) throw new Error("the stack has no aws_cloudwatch_log_metric_filter");
  return filters.map((f) => String(f.pattern));
}
