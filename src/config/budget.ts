/** The upstream budget: requests per second per operation for all instances, and the create queue. */
import { makeValidator, type CleanedEnv } from 'envalid';
import { DEFAULT_RATE_LIMITS_TEXT, parseRateLimits, type RateLimits } from '../budget/rate-limits.js';
import { int } from './validators.js';

const rateLimits = makeValidator<RateLimits>((raw) => parseRateLimits(raw));
const rateLimitsOrOff = makeValidator<RateLimits | 'off'>((raw) => (raw.trim() === 'off' ? 'off' : parseRateLimits(raw)));

export const budgetSpec = {
  UPSTREAM_RATE_LIMITS: rateLimits({ default: parseRateLimits(DEFAULT_RATE_LIMITS_TEXT) }),
  UPSTREAM_QUEUE_TIMEOUT_MS: int(0, 3_600_000)({ default: 60_000 }),
  UPSTREAM_QUEUE_MAX: int(0, 1_000_000)({ default: 1000 }),
  // Declared here (not in emulator.ts) because it defaults to the budget's own limits.
  EMULATOR_RATE_LIMITS: rateLimitsOrOff({ default: parseRateLimits(DEFAULT_RATE_LIMITS_TEXT) }),
};

export interface BudgetConfig {
  /** UPSTREAM_RATE_LIMITS: requests per second per operation, for all instances together. */
  limits: RateLimits;
  /** UPSTREAM_QUEUE_TIMEOUT_MS: how long a create may wait for its turn. */
  queueTimeoutMs: number;
  /** UPSTREAM_QUEUE_MAX: creates waiting on this instance, per create operation. */
  queueMax: number;
  /** EMULATOR_RATE_LIMITS: the embedded emulator's own limits; undefined when `off`. */
  emulatorLimits: RateLimits | undefined;
}

export function budgetConfig(e: CleanedEnv<typeof budgetSpec>): BudgetConfig {
  return {
    limits: e.UPSTREAM_RATE_LIMITS,
    queueTimeoutMs: e.UPSTREAM_QUEUE_TIMEOUT_MS,
    queueMax: e.UPSTREAM_QUEUE_MAX,
    emulatorLimits: e.EMULATOR_RATE_LIMITS === 'off' ? undefined : e.EMULATOR_RATE_LIMITS,
  };
}
