/**
 * Where the handler's log lines go: one JSON object a line, written straight to stdout (successful invocations) and
 * stderr (failed ones). In Lambda each line is then one CloudWatch Logs event holding exactly that object. The
 * runtime's `console` would prefix every line with a timestamp, the request ID and a level (the text log format),
 * and an event that is not a JSON object is never matched by a JSON filter pattern such as the access-denied metric
 * filter's `{ $.errorType = "AccessDeniedError" }`.
 */
import { ACCESS_DENIED_LOG_LINE } from "../../modules/contract";
import { HandlerError } from "./errors";
import { optional } from "./results";

/** Where log lines go: `log` for successful invocations, `error` for failed ones. */
export interface Logger {
  log(line: string): void;
  error(line: string): void;
}

/** The default logger: each line to the process's stdout or stderr, as it is, with a newline. */
export const streamLogger: Logger = {
  log: (line) => {
    process.stdout.write(`${line}\n`);
  },
  error: (line) => {
    process.stderr.write(`${line}\n`);
  },
};

/** The fields a failed invocation's log line ends with: the error's type, its message and its cause's type. */
export function errorFields(error: unknown): Record<string, unknown> {
  const err = error instanceof Error ? error : undefined;
  const cause = err?.cause instanceof Error ? err.cause.name : undefined;
  return {
    // Named by the contract: the access-denied metric filter selects this field (see ACCESS_DENIED_LOG_LINE).
    [ACCESS_DENIED_LOG_LINE.field]: err?.name ?? typeof error,
    errorMessage: err?.message ?? String(error),
    ...(error instanceof HandlerError && optional("cause", cause)),
  };
}
