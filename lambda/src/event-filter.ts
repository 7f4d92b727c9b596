/**
 * The grant's event filter (EVENT_FILTER, the contract's encodeEventFilter) as the function reads it, and the check of
 * an object event against it: an event about another bucket, or about a key outside the event prefixes, is refused
 * before any AWS call.
 */
import * as z from "zod";
import {
  brokenPrefixRule,
  encodeEventFilter,
  EVENT_SUFFIX_PATTERN,
  eventFilterAdmits,
  HANDLER_ENVIRONMENT,
  type EventFilter,
} from "../../modules/contract";
import { HandlerError } from "./errors";
import { showValue } from "./show-value";

export type { EventFilter } from "../../modules/contract";

const VARIABLE = HANDLER_ENVIRONMENT.eventFilter;
const EXAMPLE = encodeEventFilter({ prefixes: ["incoming/"], suffix: ".csv" });

const filterSchema = z.strictObject({
  prefixes: z
    .array(
      z.string().superRefine((prefix, ctx) => {
        const broken = brokenPrefixRule(prefix);
        if (broken) ctx.addIssue({ code: "custom", message: `prefix ${showValue(prefix)} ${broken.rule}` });
      }),
    )
    .min(1),
  suffix: z.string().regex(EVENT_SUFFIX_PATTERN).optional(),
  removed: z.literal(true).optional(),
});

/** EVENT_FILTER parsed: undefined when unset (the grant declares no events), or the problems that make it unreadable. */
export function parseEventFilter(
  raw: string | undefined,
): { ok: true; filter: EventFilter | undefined } | { ok: false; problems: string[] } {
  if (raw === undefined) return { ok: true, filter: undefined };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    return {
      ok: false,
      problems: [`${VARIABLE} is not valid JSON (${(error as Error).message}) (got ${showValue(raw)})`],
    };
  }
  const result = filterSchema.safeParse(value);
  if (result.success) return { ok: true, filter: result.data };
  return {
    ok: false,
    problems: [
      `${VARIABLE} must be the grant's event filter, e.g. ${EXAMPLE}: ${result.error.issues.map((i) => `${i.path.join(".") || "value"} ${i.message}`).join("; ")} (got ${showValue(raw)})`,
    ],
  };
}

/** An object event the function's grant does not cover (another bucket, a key outside the event prefixes). */
export class EventNotGrantedError extends HandlerError {
  constructor(message: string) {
    super(`Not granted: ${message}. The event was refused before calling AWS.`);
    this.name = "EventNotGrantedError";
  }
}

/** The grant's event filter; refuses every object event when the grant declares none (EVENT_FILTER unset). */
export function requireEventFilter(filter: EventFilter | undefined): EventFilter {
  if (!filter) throw new EventNotGrantedError(`the function's grant declares no events (${VARIABLE} is unset)`);
  return filter;
}

/** Refuses an object event about another bucket, or a key the grant's event filter does not admit. */
export function checkObjectEvent(
  request: { readonly operation: string; readonly bucket: string; readonly key: string },
  bucketName: string,
  declared: EventFilter | undefined,
): void {
  if (request.bucket !== bucketName)
    throw new EventNotGrantedError(
      `the event is about s3://${request.bucket}, and the function's grant is on s3://${bucketName}`,
    );
  const filter = requireEventFilter(declared);
  if (request.operation === "object-removed" && filter.removed !== true)
    throw new EventNotGrantedError(
      `the event tells of a deletion (${showValue(request.key)}), and the function's grant declares events for new objects only`,
    );
  if (!eventFilterAdmits(filter, request.key)) {
    const suffix = filter.suffix === undefined ? "" : ` ending with ${showValue(filter.suffix)}`;
    throw new EventNotGrantedError(
      `the event is about ${showValue(request.key)}, and the function's grant declares events for keys under ${filter.prefixes.join(", ")}${suffix} only`,
    );
  }
}
