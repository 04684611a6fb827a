/**
 * API Gateway's per-operation rate limit, as the emulator enforces it: at most N calls
 * of an operation are let through within any rolling second (a sliding window of the
 * calls accepted); the rest are answered 429 APIG.0308 with no Retry-After, before
 * MetaStudio does anything, so a refused call creates nothing.
 */
import { OPERATION_BUDGET, type BudgetOperation, type RateLimits } from '../budget/rate-limits.js';
import type { UpstreamErrorReply } from './verify-signature.js';

export interface Throttle {
  /** Counts the call if it is let through; otherwise the 429 to answer. */
  admit(operation: string): UpstreamErrorReply | undefined;
  /** Calls refused so far, by upstream operation name. */
  refused(operation: string): number;
}

export function throttleReply(limit: number): UpstreamErrorReply {
  return {
    status: 429,
    body: { error_code: 'APIG.0308', error_msg: `The throttling threshold has been reached: policy user over ratelimit,limit:${limit},time:1 second` },
  };
}

export function createThrottle(limits: RateLimits | undefined, now: () => number = () => performance.now()): Throttle {
  const accepted = new Map<BudgetOperation, number[]>();
  const refusals = new Map<string, number>();
  return {
    admit(operation) {
      const budget = OPERATION_BUDGET[operation];
      if (!limits || !budget) return undefined;
      // A fractional limit (0.5/s) allows its whole calls over a proportionally longer window.
      const limit = limits[budget];
      const allowed = Math.max(1, Math.floor(limit));
      const windowMs = (1000 * allowed) / limit;
      const at = now();
      const times = accepted.get(budget) ?? [];
      while (times.length > 0 && times[0]! <= at - windowMs) times.shift();
      if (times.length >= allowed) {
        refusals.set(operation, (refusals.get(operation) ?? 0) + 1);
        return throttleReply(allowed);
      }
      times.push(at);
      accepted.set(budget, times);
      return undefined;
    },
    refused: (operation) => refusals.get(operation) ?? 0,
  };
}
