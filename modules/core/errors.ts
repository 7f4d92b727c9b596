/** The errors this library raises, one base for all, and how values are shown in their messages. */

/** The brand every error of this library carries: a global symbol, so it is recognised across two copies of the package. */
const BRAND = Symbol.for("cross-account-s3-lambda.error");

/**
 * The base of every error this library raises on purpose: a refusal of its input, a proof that cannot run. Each one
 * says what is wrong in words (`problems`, one a line); `CrossAccountS3Error.isError` recognises one thrown by any copy
 * of the package (an `instanceof` would not, across two copies).
 */
export class CrossAccountS3Error extends Error {
  /** Every problem, one a line: the field (or file, or request), the value received, and what to do. */
  public readonly problems: readonly string[];
  /** The construct path the error is about, when a construct raised it. */
  public readonly constructPath?: string | undefined;

  constructor(message: string, problems: readonly string[] = [message], constructPath?: string) {
    super(message);
    this.name = new.target.name;
    this.problems = problems;
    this.constructPath = constructPath;
    Object.defineProperty(this, BRAND, { value: true });
    printUncaughtAsProblems();
  }

  /** Whether `value` is an error of this library (of this copy of the package or another). */
  static isError(value: unknown): value is CrossAccountS3Error {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** Marks, across copies of the package, that the printer of uncaught errors is registered. */
const PRINTER = Symbol.for("cross-account-s3-lambda.uncaught-printer");

/**
 * Registers, once per process and the first time an error of this library is made, what prints such an error when
 * nothing catches it: its message (every problem, one a line) alone on stderr, then exit code 1, as Node would exit.
 * Node's own print would show the package's compiled source line, a stack trace through it and every field of the
 * error: in a team's `cdktf synth` that buries the problems. It stands aside for any other error, and whenever the
 * program handles uncaught exceptions itself (an `uncaughtException` listener, a capture callback).
 */
function printUncaughtAsProblems(): void {
  const registry = globalThis as Record<symbol, unknown>;
  if (registry[PRINTER] === true || typeof process === "undefined" || typeof process.on !== "function") return;
  registry[PRINTER] = true;
  process.on("uncaughtExceptionMonitor", (error) => {
    if (!CrossAccountS3Error.isError(error)) return;
    if (process.listenerCount("uncaughtException") > 0 || process.hasUncaughtExceptionCaptureCallback()) return;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
}

/** Thrown for any invalid configuration; the message lists every problem as `<field> <value> <reason>`. */
export class ConfigurationError extends CrossAccountS3Error {
  constructor(problems: readonly string[]) {
    super(problems.length === 1 ? problems[0]! : `invalid configuration:\n  - ${problems.join("\n  - ")}`, problems);
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
    text =
      typeof value === "object" && value !== null ? `<${value.constructor?.name ?? "object"}>` : `<${typeof value}>`;
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
