/**
 * How the proof's memos sit on the pinned simulator: each replaces a function in the module the simulator reads it
 * from, and the wrapper holds the function it wraps under MEMOIZED, so a memo installed again never wraps a wrapper.
 */
export const MEMOIZED = Symbol.for("cross-account-s3-lambda.simulator-memo");

/** A function as the memos leave it: a wrapper holds what it wraps. */
export type Memoized<F> = F & { [MEMOIZED]?: F };

/** `wrapper`, marked as wrapping `wrapped`. */
export function wrapping<F extends object>(wrapper: F, wrapped: F): Memoized<F> {
  return Object.assign(wrapper, { [MEMOIZED]: wrapped });
}

/** Replaces `module[name]` by `wrap(module[name])`, unless it is a wrapper already. */
export function wrapExportOnce<M, K extends keyof M>(module: M, name: K, wrap: (original: M[K]) => M[K]): void {
  const current = module[name] as M[K] & { [MEMOIZED]?: unknown };
  if (!current[MEMOIZED]) module[name] = wrap(current);
}
