/**
 * The shared "next free slot" per upstream operation, with its AIMD rate. A call reserves
 * the next slot and waits until it; each reservation moves the slot on by one interval
 * (1000 ms / rate, plus a small guard), so calls go out evenly spaced and never more than
 * the rate within any rolling second, however many callers or instances reserve at once.
 *
 * An upstream 429 pushes the next slot at least BACKOFF_MS into the future and halves the
 * rate (once per back-off, however many calls were refused together); the rate then grows
 * back linearly, by INCREASE_SHARE of the configured rate per second, up to the configured
 * rate: a budget set above the account's real limit converges on it instead of storming.
 *
 * In Redis mode the state of an operation is one hash, `{budget}:<operation>` (one hash
 * slot for every operation, so a Cluster serves it), changed by one Lua script on
 * Redis's own clock: instances whose clocks disagree still share one sequence of slots.
 */
import type { BudgetOperation } from './rate-limits.js';

/** Extra spacing over 1000/rate, so scheduling jitter cannot put rate + 1 calls into one upstream second. */
export const GUARD_SHARE = 0.04;
/**
 * A slot whose timer fired this much late (a busy event loop) is given up and another is
 * reserved: sent that late, the call would come closer to the next one than the guard
 * allows (the guard is 40 ms of every second, whatever the rate).
 */
export const LATE_LIMIT_MS = 25;
export const BACKOFF_MS = 2000;
/** Added at random to the back-off, so instances do not all resume on the same millisecond. */
export const BACKOFF_JITTER_MS = 250;
export const DECREASE_FACTOR = 0.5;
/** Share of the configured rate regained per second after a cut. */
export const INCREASE_SHARE = 0.02;
/** The rate is never cut below this many calls per second. */
export const MIN_RATE = 0.05;
/** Idle state expires: a clock that nobody used for this long starts again at the configured rate. */
const STATE_TTL_MS = 3_600_000;

export interface Reservation {
  /** False: the slot was more than `maxWaitMs` away and nothing was reserved. */
  granted: boolean;
  /** Time until the slot (granted), or until the next free slot (refused). */
  waitMs: number;
  /** The operation's current rate, calls per second. */
  rate: number;
}

export interface Throttling {
  /** The rate was cut now (false: already cut for this back-off). */
  lowered: boolean;
  rate: number;
}

export interface SlotClock {
  reserve(operation: BudgetOperation, limit: number, maxWaitMs: number): Promise<Reservation>;
  throttled(operation: BudgetOperation, limit: number): Promise<Throttling>;
}

/** ioredis Redis and Cluster both have this. */
export interface ScriptRunner {
  eval(script: string, numberOfKeys: number, ...args: Array<string | number>): Promise<unknown>;
}

interface State {
  rate: number;
  since: number;
  next: number;
  cut: number;
}

/** The rate now: the stored one, grown back linearly since it was set, at most the limit. */
const currentRate = (state: State, limit: number, now: number) =>
  Math.min(limit, state.rate + ((now - state.since) / 1000) * limit * INCREASE_SHARE);
const intervalOf = (rate: number) => (1000 / rate) * (1 + GUARD_SHARE);

/** One instance (SQLite mode, tests): the same algorithm in memory. */
export function createMemorySlotClock(now: () => number = () => performance.now()): SlotClock {
  const states = new Map<BudgetOperation, State>();
  const stateOf = (operation: BudgetOperation, limit: number, at: number) => {
    let state = states.get(operation);
    if (!state) states.set(operation, (state = { rate: limit, since: at, next: at, cut: -Infinity }));
    return state;
  };
  return {
    async reserve(operation, limit, maxWaitMs) {
      const at = now();
      const state = stateOf(operation, limit, at);
      const rate = currentRate(state, limit, at);
      const slot = Math.max(at, state.next);
      const waitMs = slot - at;
      if (waitMs > maxWaitMs) return { granted: false, waitMs, rate };
      Object.assign(state, { rate, since: at, next: slot + intervalOf(rate) });
      return { granted: true, waitMs, rate };
    },
    async throttled(operation, limit) {
      const at = now();
      const state = stateOf(operation, limit, at);
      let rate = currentRate(state, limit, at);
      const lowered = at - state.cut >= BACKOFF_MS;
      if (lowered) {
        rate = Math.max(Math.min(MIN_RATE, limit), rate * DECREASE_FACTOR);
        state.cut = at;
      }
      Object.assign(state, { rate, since: at, next: Math.max(state.next, at + BACKOFF_MS + Math.random() * BACKOFF_JITTER_MS) });
      return { lowered, rate };
    },
  };
}

const LUA_STATE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local limit = tonumber(ARGV[1])
local s = redis.call('HMGET', KEYS[1], 'rate', 'since', 'next', 'cut')
local rate = tonumber(s[1]) or limit
local since = tonumber(s[2]) or now
local nxt = tonumber(s[3]) or now
local cut = tonumber(s[4]) or -1e18
rate = math.min(limit, rate + (now - since) / 1000 * limit * tonumber(ARGV[2]))
`;

/** KEYS: state. ARGV: limit, increase share, max wait ms, guard share, ttl ms. -> {granted, waitMs, rate} */
const RESERVE = `${LUA_STATE}
local slot = math.max(now, nxt)
local wait = slot - now
if wait > tonumber(ARGV[3]) then return {0, tostring(wait), tostring(rate)} end
redis.call('HSET', KEYS[1], 'rate', tostring(rate), 'since', tostring(now), 'next', tostring(slot + 1000 / rate * (1 + tonumber(ARGV[4]))), 'cut', tostring(cut))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {1, tostring(wait), tostring(rate)}`;

/** KEYS: state. ARGV: limit, increase share, back-off ms, jitter ms, factor, min rate, ttl ms. -> {lowered, rate} */
const THROTTLED = `${LUA_STATE}
local lowered = 0
if now - cut >= tonumber(ARGV[3]) then
  rate = math.max(math.min(tonumber(ARGV[6]), limit), rate * tonumber(ARGV[5]))
  cut = now
  lowered = 1
end
nxt = math.max(nxt, now + tonumber(ARGV[3]) + tonumber(ARGV[4]))
redis.call('HSET', KEYS[1], 'rate', tostring(rate), 'since', tostring(now), 'next', tostring(nxt), 'cut', tostring(cut))
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return {lowered, tostring(rate)}`;

/** Hash-tagged, so every operation's key lives in one Cluster slot. */
export const budgetKey = (operation: BudgetOperation) => `{budget}:${operation}`;

/** Several instances: the state lives in Redis and every change is one script. */
export function createRedisSlotClock(redis: ScriptRunner): SlotClock {
  return {
    async reserve(operation, limit, maxWaitMs) {
      const [granted, wait, rate] = (await redis.eval(RESERVE, 1, budgetKey(operation), limit, INCREASE_SHARE, maxWaitMs, GUARD_SHARE, STATE_TTL_MS)) as [number, string, string];
      return { granted: granted === 1, waitMs: Number(wait), rate: Number(rate) };
    },
    async throttled(operation, limit) {
      const jitter = Math.round(Math.random() * BACKOFF_JITTER_MS);
      const [lowered, rate] = (await redis.eval(THROTTLED, 1, budgetKey(operation), limit, INCREASE_SHARE, BACKOFF_MS, jitter, DECREASE_FACTOR, MIN_RATE, STATE_TTL_MS)) as [
        number,
        string,
      ];
      return { lowered: lowered === 1, rate: Number(rate) };
    },
  };
}
