/**
 * How long to wait before reading upstream again after failures: never sooner than 2 s
 * (the contract: a throttled operation is not asked again sooner), doubling with each
 * failure in a row up to a minute; the jitter only adds, so instances drift apart.
 */
export const RETRY_AFTER_MS = 2000;
const MAX_BACKOFF_MS = 60_000;

/** The delay after `failures` failures in a row: 2 s, 4 s, 8 s ... 60 s, plus up to a quarter more. */
export function backoffMs(failures: number, random: () => number = Math.random): number {
  const base = Math.min(RETRY_AFTER_MS * 2 ** Math.max(failures - 1, 0), MAX_BACKOFF_MS);
  return base + Math.floor(base * 0.25 * random());
}
