/**
 * Terraform evaluates every string of a `.tf.json` file as a template: `${...}` interpolates an expression and
 * `%{...}` runs a directive, in policy documents as much as in descriptions. This module is the one boundary between
 * text and Terraform, both ways:
 *
 * - writing: `literal` and `literalConfig` make text reach Terraform as it was given (`${` → `$${`, `%{` → `%%{`),
 *   leaving cdktf tokens (references the constructs create on purpose) as they are; every resource the library
 *   creates takes its arguments through `literalConfig`;
 * - reading: `readTemplate` reads a string of the synthesized JSON the way Terraform will, so that the security rules
 *   and the access proof judge the text Terraform applies, never the text before evaluation.
 */
import { ConfigurationError, CrossAccountS3Error, showValue } from "./errors";
import { Token, Tokenization } from "./cdktf";

/** A cdktf string token inside a string: `${TfToken[TOKEN.12]}`. */
const STRING_TOKEN = /\$\{TfToken\[[A-Za-z0-9_.-]+\]\}/g;

/** Terraform's two template sequences, escaped so that they stay literal text. */
function escapeTemplate(text: string): string {
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/**
 * `text` as Terraform must keep it: `${` and `%{` escaped outside cdktf tokens. A token (a reference to a resource
 * attribute, a Terraform function the library calls) stays a token; text that only looks like one is refused, since
 * cdktf would otherwise replace it with whatever token has that number.
 */
export function literal(text: string): string {
  if (!text.includes("{")) return text;
  if (!Token.isUnresolved(text)) return escapeTemplate(text);
  let out = "";
  let last = 0;
  for (const match of text.matchAll(STRING_TOKEN)) {
    const token = match[0];
    try {
      Tokenization.reverseString(token);
    } catch {
      throw new ConfigurationError([
        `${showValue(text)} holds ${showValue(token)}, which looks like a cdktf token and is not one: give the text without it`,
      ]);
    }
    out += escapeTemplate(text.slice(last, match.index)) + token;
    last = match.index + token.length;
  }
  return out + escapeTemplate(text.slice(last));
}

const isPlain = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * A resource's configuration with every string in it (in plain objects and arrays, map keys included) made literal;
 * constructs, providers and other class instances inside it are passed through untouched.
 */
export function literalConfig<T>(config: T): T {
  if (typeof config === "string") return literal(config) as T;
  if (Array.isArray(config)) return config.map((v: unknown) => literalConfig(v)) as T;
  if (typeof config === "object" && config !== null && isPlain(config)) {
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [literal(k), literalConfig(v)])) as T;
  }
  return config;
}

/** One piece of a template: literal text, an interpolation `${...}`, or a directive `%{...}`. */
export type TemplatePart =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "interpolation"; readonly expression: string }
  | { readonly kind: "directive"; readonly expression: string };

/** The end of a `${`/`%{` sequence opened at `start`: its closing brace, skipping quoted strings and nested braces. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === "\\") i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return i;
  }
  return -1;
}

/**
 * A string of a `.tf.json` file as Terraform reads it: literal text (with `$${` read as `${` and `%%{` as `%{`),
 * interpolations and directives. An unclosed sequence is an interpolation of the rest (Terraform refuses it).
 */
export function templateParts(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literalText = "";
  let i = 0;
  while (i < text.length) {
    const two = text.slice(i, i + 2);
    const three = text.slice(i, i + 3);
    if (three === "$${" || three === "%%{") {
      literalText += `${three[0]}{`;
      i += 3;
    } else if (two === "${" || two === "%{") {
      const end = closingBrace(text, i + 1);
      if (literalText) parts.push({ kind: "text", text: literalText });
      literalText = "";
      const expression = text.slice(i + 2, end < 0 ? text.length : end).trim();
      parts.push({ kind: two === "${" ? "interpolation" : "directive", expression });
      i = end < 0 ? text.length : end + 1;
    } else {
      literalText += text[i];
      i++;
    }
  }
  if (literalText || parts.length === 0) parts.push({ kind: "text", text: literalText });
  return parts;
}

/** A plain reference to a resource attribute: `aws_s3_bucket.data.arn`. */
const REFERENCE = /^([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)\.([a-z_][a-z0-9_]*)$/;

/** A reference an interpolation holds, or undefined when it is any other expression. */
export function referenceOf(expression: string): { type: string; id: string; attribute: string } | undefined {
  const match = REFERENCE.exec(expression);
  return match ? { type: match[1]!, id: match[2]!, attribute: match[3]! } : undefined;
}

/** Text Terraform would not keep as written: an expression that is not a plain reference, or a directive. */
export class TemplateError extends CrossAccountS3Error {
  constructor(
    readonly text: string,
    readonly expression: string,
  ) {
    super(`${showValue(text)} is evaluated by Terraform (${expression}): only literal text and references are judged`);
  }
}

/**
 * The value Terraform gives a string: its literal text, with each reference replaced by `resolve(reference)`.
 * Throws a TemplateError for a directive, an expression that is not a plain reference, or a reference `resolve`
 * cannot give (it returns undefined).
 */
export function readTemplate(
  text: string,
  resolve: (reference: { type: string; id: string; attribute: string }, expression: string) => string | undefined,
): string {
  let out = "";
  for (const part of templateParts(text)) {
    if (part.kind === "text") {
      out += part.text;
      continue;
    }
    const reference = part.kind === "interpolation" ? referenceOf(part.expression) : undefined;
    const value = reference ? resolve(reference, part.expression) : undefined;
    if (value === undefined)
      throw new TemplateError(text, `${part.kind === "directive" ? "%" : "$"}{${part.expression}}`);
    out += value;
  }
  return out;
}

/** Whether a string holds anything Terraform evaluates (an interpolation or a directive). */
export function isLiteral(text: string): boolean {
  return templateParts(text).every((p) => p.kind === "text");
}
