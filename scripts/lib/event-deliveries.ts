/**
 * The events the emulator's rules delivered to functions: with EMULATOR_LAMBDA_DELIVERIES naming a file, the launcher
 * (scripts/emulator/moto_server.py) appends each one there, since the emulator cannot run a function itself.
 */
import { existsSync, readFileSync } from "node:fs";

/** One event a rule delivered to a function. */
export interface Delivery {
  /** The function's ARN, as the rule's target names it. */
  readonly function: string;
  /** The ARN of the rule that delivered it. */
  readonly rule: string;
  readonly event: {
    readonly source: string;
    readonly "detail-type": string;
    readonly account: string;
    readonly detail: { readonly bucket: { readonly name: string }; readonly object: { readonly key: string } };
  };
}

/** Every delivery recorded in `file` so far (none when the file does not exist yet). */
export function deliveries(file: string): Delivery[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Delivery);
}

/** The deliveries about `key`, waiting up to `timeoutMs` for at least `count` of them (delivery is asynchronous). */
export async function deliveriesOf(file: string, key: string, count: number, timeoutMs = 5_000): Promise<Delivery[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = deliveries(file).filter((d) => d.event.detail.object.key === key);
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
