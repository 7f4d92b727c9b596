/** The error every refusal of this library raises, and how values are shown in its messages. */

/** Thrown for any invalid configuration; the message lists every problem as `<field> <value> <reason>`. */
export class ConfigurationError extends Error {
  public readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.length === 1 ? problems[0] : `invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigurationError";
    this.problems = problems;
  }
}

/** Renders a received value for an error message: strings quoted, objects as compact JSON, numbers as they are. */
export function showValue(value: unknown): string {
  if (value === undefined) return "undefined";
  let text: string | undefined;
  try {
    // JSON renders NaN and Infinity as null and cannot render a bigint; a symbol or a function falls through below.
    text = typeof value === "bigint" ? `${value}n` : typeof value === "number" ? String(value) : JSON.stringify(value);
  } catch {
    text = undefined; // circular, or a construct: describe it by its kind instead
  }
  if (text === undefined) {
    text = typeof value === "object" && value !== null ? `<${value.constructor?.name ?? "object"}>` : `<${typeof value}>`;
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
