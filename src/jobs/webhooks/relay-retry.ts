/**
 * When undici's RetryAgent sends a relay again: after a 5xx or 429 answer or a network
 * error, `attempts` in all, waiting `baseDelayMs` doubled per failure plus jitter. Never
 * after another 4xx (the receiver said no) nor after a refused target (asking again would
 * resolve to the same address).
 */
import type { RetryHandler } from 'undici';
import { exponentialBackoffMs } from '../sync/retry-delay.js';

/** The code of the error the connect-time lookup fails with for a non-public address. */
export const RELAY_REFUSED = 'ERELAYPRIVATE';

/** 429 and every 5xx; any other status is the receiver's final answer. */
export const RETRIED_STATUSES: readonly number[] = [429, ...Array.from({ length: 100 }, (_, i) => 500 + i)];

/** One attempt that failed and will be tried again. */
export interface FailedAttempt {
  /** 1 for the first attempt. */
  attempt: number;
  /** The receiver's answer, when there was one. */
  status?: number;
  /** What went wrong otherwise (an error code such as ECONNREFUSED, or the message). */
  error?: string;
  retryInMs: number;
}

export function isRelayRefusal(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === RELAY_REFUSED;
}

export function relayRetryOptions(options: {
  attempts: number;
  baseDelayMs: number;
  /** Longest wait between two attempts, before jitter. */
  maxDelayMs: number;
  /** Told of every failed attempt that will be tried again (the last one is the caller's to report). */
  onRetry: (failed: FailedAttempt) => void;
  random?: () => number;
}): RetryHandler.RetryOptions {
  const limits = { baseMs: options.baseDelayMs, maxMs: options.maxDelayMs };
  return {
    // POST is not retried by default; a relay is safe to repeat (the receiver keys it by jobId).
    methods: ['POST'],
    // With throwOnError (the default) only these statuses reach `retry`: any other answer,
    // a 400 included, is handed to the caller as it is, after one attempt.
    statusCodes: [...RETRIED_STATUSES],
    // Replaces undici's default, which has no jitter and retries only listed error codes
    // (not timeouts); the counter is the number of attempts made so far.
    retry(error, { state }, next) {
      const attempt = state.counter;
      if (isRelayRefusal(error) || attempt >= options.attempts) return next(error);
      const retryInMs = exponentialBackoffMs(attempt, limits, options.random);
      const { statusCode, code } = error as { statusCode?: number; code?: string };
      options.onRetry({ attempt, ...(statusCode ? { status: statusCode } : { error: code ?? error.message }), retryInMs });
      setTimeout(() => next(null), retryInMs);
    },
  };
}
