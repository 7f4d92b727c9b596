/**
 * A memo over the simulator's resource-type lookup. On every run the simulator matches the request's resource against
 * each resource type of its action (`getResourceTypesForAction`: the action catalogue and the resource-type ARN
 * patterns, nothing else), and that matching was most of a proof's time: 38% of the shared-bucket proof's profile. A
 * proof asks it again and again for the same few hundred (action, resource) pairs, so the answer is kept per pair.
 *
 * The function is the simulator's own, from the version the proof is pinned to (SIMULATOR_PACKAGES); the simulator
 * reads it from that module's exports on each call, so wrapping the export there is enough. The answer is read, never
 * written, by its callers. A simulator laid out otherwise keeps its own lookup: slower, with the same verdicts.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { MEMOIZED, wrapExportOnce, wrapping } from "./wrap-once";

export { MEMOIZED };

export type Lookup = (service: string, action: string, resource: string) => Promise<unknown>;
export interface LookupModule {
  getResourceTypesForAction: Lookup;
}

/** Where the pinned simulator keeps the lookup, beside its CommonJS entry. */
const LOOKUP_FILE = join("simulation_engine", "resourceTypes.js");
/** A bound on the pairs kept: a proof of every shipped grant asks for fewer than a thousand. */
const MAX_PAIRS = 50_000;

/**
 * Wraps `lookup` so each (service, action, resource) is matched once; a refused lookup is kept refused. The wrapper
 * holds the function it wraps under MEMOIZED, so it is never wrapped twice.
 */
export function memoizeLookup(lookup: Lookup): Lookup {
  const answers = new Map<string, Promise<unknown>>();
  const memo: Lookup = (service, action, resource) => {
    const key = `${service}\u0000${action}\u0000${resource}`;
    let answer = answers.get(key);
    if (!answer) {
      if (answers.size >= MAX_PAIRS) answers.clear();
      answer = lookup(service, action, resource);
      answers.set(key, answer);
    }
    return answer;
  };
  return wrapping(memo, lookup);
}

/** The simulator's lookup module, or undefined when the installed simulator is laid out otherwise. */
export function lookupModule(simulatorEntry: string): LookupModule | undefined {
  const file = join(dirname(simulatorEntry), LOOKUP_FILE);
  if (!existsSync(file)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module of the pinned simulator, by its path
  const loaded = require(file) as Partial<LookupModule>;
  return typeof loaded.getResourceTypesForAction === "function" ? (loaded as LookupModule) : undefined;
}

/**
 * Memoizes the lookup of the simulator whose CommonJS entry is `simulatorEntry`; says whether it did (or had). Called
 * once the simulator is loaded, so it runs against the module the simulator itself uses.
 */
export function memoizeResourceTypes(simulatorEntry: string): boolean {
  const module = lookupModule(simulatorEntry);
  if (!module) return false;
  wrapExportOnce(module, "getResourceTypesForAction", memoizeLookup);
  return true;
}
