/**
 * How a received value is shown in an error message. A leaf module: the configuration, the grant, the event and the
 * errors all show values, and none of them needs another to do it.
 */

/** Longest rendering of a received value in a message; longer ones are cut to fit, ending in "...". */
const SHOWN_LENGTH = 120;

/**
 * Renders a received value for an error message: as JSON where JSON can say what was received (strings quoted and
 * escaped, so a lone surrogate shows as `"\ud800"`), otherwise as JavaScript writes it (NaN, Infinity, -Infinity, -0,
 * 10n, undefined), inside arrays and objects too. Long values are cut short, never inside a surrogate pair.
 */
export function showValue(value: unknown): string {
  let text: string;
  try {
    text = render(value, new Set(), SHOWN_LENGTH);
  } catch {
    // A toJSON or a getter that throws: the kind of value is all that can be said.
    text = `<${typeof value}>`;
  }
  if (text.length <= SHOWN_LENGTH) return text;
  let end = SHOWN_LENGTH - 3;
  if (isHighSurrogate(text.charCodeAt(end - 1))) end--;
  return `${text.slice(0, end)}...`;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** `value` written out, giving up on further items once past `budget` characters (the rest would be cut anyway). */
function render(value: unknown, seen: Set<object>, budget: number): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "bigint":
      return `${value}n`;
    case "boolean":
    case "undefined":
      return String(value);
    case "symbol":
      return value.toString();
    case "function":
      return `<function ${value.name || "(anonymous)"}>`;
  }
  if (value === null) return "null";
  const object = value as object;
  if (seen.has(object)) return "<circular>";
  seen.add(object);
  try {
    const { toJSON } = object as { toJSON?: unknown };
    // A Date, and whatever else defines toJSON, as JSON writes it.
    if (typeof toJSON === "function") return render(toJSON.call(object), seen, budget);
    return Array.isArray(object)
      ? `[${renderItems(object.entries(), false, seen, budget)}]`
      : `{${renderItems(Object.entries(object), true, seen, budget)}}`;
  } finally {
    seen.delete(object);
  }
}

function renderItems(
  items: Iterable<[string | number, unknown]>,
  named: boolean,
  seen: Set<object>,
  budget: number,
): string {
  let text = "";
  for (const [name, item] of items) {
    if (text.length > budget) break;
    text += `${text ? "," : ""}${named ? `${JSON.stringify(name)}:` : ""}${render(item, seen, budget - text.length)}`;
  }
  return text;
}
