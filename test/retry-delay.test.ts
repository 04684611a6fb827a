/**
 * The backoff after failures, with the random source injected: every delay lies between
 * its base and a quarter more, so the 2 s floor holds and instances still drift apart.
 */
import { describe, expect, it } from 'vitest';
import { backoffMs, exponentialBackoffMs, pollFailureDelayMs } from '../src/jobs/sync/retry-delay.js';

/** The lowest and highest a random source can give (Math.random never returns 1). */
const LOWEST = () => 0;
const HIGHEST = () => 1 - Number.EPSILON;
const bounds = (delay: (random: () => number) => number) => [delay(LOWEST), delay(HIGHEST)];

describe('backoff after failures', () => {
  it('backoffMs doubles from 2 s to a minute, each plus up to a quarter', () => {
    expect([1, 2, 3, 6, 7, 20].map((failures) => bounds((r) => backoffMs(failures, r)))).toEqual([
      [2000, 2499],
      [4000, 4999],
      [8000, 9999],
      [60_000, 74_999],
      [60_000, 74_999],
      [60_000, 74_999],
    ]);
    // No failure yet counts as the first: never sooner than 2 s.
    expect(backoffMs(0, LOWEST)).toBe(2000);
  });

  it('exponentialBackoffMs takes its own base and cap (the relay: 500 ms doubling)', () => {
    const relay = { baseMs: 500, maxMs: 10_000 };
    expect([1, 2, 3, 4, 10].map((failures) => bounds((r) => exponentialBackoffMs(failures, relay, r)))).toEqual([
      [500, 624],
      [1000, 1249],
      [2000, 2499],
      [4000, 4999],
      [10_000, 12_499],
    ]);
  });

  it("the poller's failure delay is jittered also when the doubled interval is the longer", () => {
    // A 30 s interval: 60 s after one failure, up to 32 intervals, never without jitter.
    expect([1, 2, 5, 6, 12].map((failures) => bounds((r) => pollFailureDelayMs(failures, 30_000, r)))).toEqual([
      [60_000, 74_999],
      [120_000, 149_999],
      [960_000, 1_199_999],
      [960_000, 1_199_999],
      [960_000, 1_199_999],
    ]);
    // A short interval: the 2 s floor is the longer, and holds whatever the random source says.
    expect([1, 2, 3].map((failures) => bounds((r) => pollFailureDelayMs(failures, 100, r)))).toEqual([
      [2000, 2499],
      [4000, 4999],
      [8000, 9999],
    ]);
  });

  it('a draw in the middle lands in the middle: the random source decides the jitter, nothing else', () => {
    expect(pollFailureDelayMs(1, 30_000, () => 0.5)).toBe(60_000 + 7500);
    expect(backoffMs(1, () => 0.5)).toBe(2000 + 250);
  });
});
