/**
 * Where the handler's log lines go: one JSON object a line, written straight to stdout (successful invocations) and
 * stderr (failed ones). In Lambda each line is then one CloudWatch Logs event holding exactly that object. The
 * runtime's `console` would prefix every line with a timestamp, the request ID and a level (the text log format),
 * and an event that is not a JSON object is never matched by a JSON filter pattern such as the access-denied metric
 * filter's `{ $.errorType = "AccessDeniedError" }`.
 */

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
