/**
 * How long to wait before trying again after failures: doubling with each failure in a
 * row up to a cap, plus jitter. The jitter only adds, so a floor holds (the contract: a
 * throttled operation is not asked again sooner than 2 s) while instances drift apart.
 */
export const RETRY_AFTER_MS = 2000;
const MAX_BACKOFF_MS = 60_000;
/** The most a jittered delay exceeds its base: a quarter. */
export const JITTER_SHARE = 0.25;
/** A failing job or pass is read again after at most this many poll intervals (before jitter). */
const MAX_INTERVALS = 32;

/** `ms` plus up to a quarter more. */
export function withJitter(ms: number, random: () => number = Math.random): number {
  return ms + Math.floor(ms * JITTER_SHARE * random());
}

/** `baseMs` after the first failure, doubling per failure in a row up to `maxMs`, plus jitter. */
export function exponentialBackoffMs(failures: number, limits: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  return withJitter(Math.min(limits.baseMs * 2 ** Math.max(failures - 1, 0), limits.maxMs), random);
}

/** The delay after `failures` failures in a row: 2 s, 4 s, 8 s ... 60 s, plus up to a quarter more. */
export function backoffMs(failures: number, random: () => number = Math.random): number {
  return exponentialBackoffMs(failures, { baseMs: RETRY_AFTER_MS, maxMs: MAX_BACKOFF_MS }, random);
}

/**
 * The poller's delay after `failures` failures in a row: the longer of the 2 s backoff and
 * the poll interval doubled per failure (up to 32 intervals), plus up to a quarter more.
 * The jitter applies to whichever is longer, so instances that failed together (an
 * upstream outage) do not come back in step.
 */
export function pollFailureDelayMs(failures: number, intervalMs: number, random: () => number = Math.random): number {
  const fromFloor = Math.min(RETRY_AFTER_MS * 2 ** Math.max(failures - 1, 0), MAX_BACKOFF_MS);
  const fromInterval = Math.min(intervalMs * 2 ** failures, intervalMs * MAX_INTERVALS);
  return withJitter(Math.max(fromFloor, fromInterval), random);
}
