/**
 * The shared "next free slot" per upstream operation, with its AIMD rate. A call reserves
 * the next slot and waits until it; each reservation moves the slot on by one interval
 * (1000 ms / rate, plus a small guard), so calls go out evenly spaced and never more than
 * the rate within any rolling second, however many callers or instances reserve at once.
 *
 * An upstream 429 lowers the rate (once per BACKOFF_MS, however many calls were refused
 * together): to the limit API Gateway states in its message (`limit:N`) when that is
 * below the rate (a budget configured too high), by JITTER_FACTOR when the rate was
 * already within it (the call came too close to another through network or scheduling
 * jitter), by DECREASE_FACTOR when no limit is stated. The rate then grows back linearly,
 * by INCREASE_SHARE of the configured rate per second, and ten times slower above a
 * stated limit, up to the configured rate: a budget set above the account's real limit
 * converges on it instead of storming. The refused call itself waits BACKOFF_MS (its
 * caller's business, src/budget/upstream-budget.ts); the others keep their slots.
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
/** A throttled call is not sent again sooner than this; and the rate is cut at most once in it. */
export const BACKOFF_MS = 2000;
/** Added at random to the back-off, so instances do not all resume on the same millisecond. */
export const BACKOFF_JITTER_MS = 250;
/** Cut when API Gateway states no limit. */
export const DECREASE_FACTOR = 0.5;
/** Cut when the rate was within the stated limit already. */
export const JITTER_FACTOR = 0.9;
/** Share of the configured rate regained per second after a cut (a tenth of it above a stated limit). */
export const INCREASE_SHARE = 0.02;
/** The rate is never cut below this many calls per second. */
export const MIN_RATE = 0.05;
/** How fast performance.now() and Redis's clock may drift apart (1 ms per second: NTP slews far less). */
const CLOCK_DRIFT = 0.001;
/** Idle state expires: a clock that nobody used for this long starts again at the configured rate. */
const STATE_TTL_MS = 3_600_000;

export interface Reservation {
  /** False: the slot was more than `maxWaitMs` away and nothing was reserved. */
  granted: boolean;
  /**
   * Time until the slot (granted: until the latest local time it can be, so a call that
   * waits this long is never early), or until the next free slot (refused).
   */
  waitMs: number;
  /** The operation's current rate, calls per second. */
  rate: number;
  /** The slot as the clock granted it, on the clock's own time (Redis's in Redis mode, shared by every instance). */
  slotAt: number;
  /**
   * The earliest performance.now() the slot can be on this instance. A call is late by
   * its send time minus this (an upper bound: a reply the event loop took long to read
   * cannot hide lateness), and beyond LATE_LIMIT_MS its slot is given up.
   */
  earliestAt: number;
}

/** How late a call sent now would be for its slot, at most. */
export const latenessOf = (reservation: Reservation, now = performance.now()) => now - reservation.earliestAt;

export interface Throttling {
  /** The rate was cut now (false: already cut for this back-off). */
  lowered: boolean;
  rate: number;
}

/**
 * How late a call may go out for its slot before the calls after it must move: half the
 * slack the guard leaves in every window API Gateway counts in (20 ms at any rate of one
 * call a second or more), so the other half still absorbs the network's jitter.
 */
export function lateAllowanceMs(rate: number): number {
  const calls = Math.max(1, Math.floor(rate));
  return (GUARD_SHARE * calls * 1000) / rate / 2;
}

export interface SlotClock {
  reserve(operation: BudgetOperation, limit: number, maxWaitMs: number): Promise<Reservation>;
  /**
   * A granted call went out `latenessMs` after its slot (a congested event loop, a new
   * connection): the slots not yet reserved move on by the lateness beyond
   * lateAllowanceMs, so no later call comes within API Gateway's window of it.
   */
  late(operation: BudgetOperation, limit: number, latenessMs: number): Promise<void>;
  /** `stated`: the limit API Gateway named in its 429 (`limit:N`), when it did. */
  throttled(operation: BudgetOperation, limit: number, stated?: number | undefined): Promise<Throttling>;
}

/** ioredis Redis and Cluster both have this. */
export interface ScriptRunner {
  eval(script: string, numberOfKeys: number, ...args: Array<string | number>): Promise<unknown>;
  /** ioredis's connection state: while it is lost, calls go to the fallback at once rather than wait for retries. */
  readonly status?: string;
}

interface State {
  rate: number;
  since: number;
  next: number;
  cut: number;
  /** The limit API Gateway last stated (0: none). */
  ceiling: number;
}

/** The rate now: the stored one grown back linearly since it was set (slower above a stated limit), at most the limit. */
function currentRate(state: State, limit: number, now: number): number {
  const step = limit * INCREASE_SHARE;
  let seconds = Math.max(0, (now - state.since) / 1000);
  let rate = state.rate;
  if (state.ceiling > 0 && rate < state.ceiling) {
    const toCeiling = (state.ceiling - rate) / step;
    rate += Math.min(seconds, toCeiling) * step;
    seconds = Math.max(0, seconds - toCeiling);
  }
  rate += seconds * (state.ceiling > 0 ? step / 10 : step);
  return Math.min(limit, rate);
}
/** The spacing of slots at `rate` calls a second: 1000 / rate, plus the guard. */
export const intervalOf = (rate: number) => (1000 / rate) * (1 + GUARD_SHARE);

function cut(rate: number, limit: number, stated: number | undefined): number {
  const lowered = stated && stated > 0 ? (stated < rate ? stated : rate * JITTER_FACTOR) : rate * DECREASE_FACTOR;
  return Math.max(Math.min(MIN_RATE, limit), lowered);
}

/** One instance (SQLite mode, tests): the same algorithm in memory. */
export function createMemorySlotClock(now: () => number = () => performance.now()): SlotClock {
  const states = new Map<BudgetOperation, State>();
  const stateOf = (operation: BudgetOperation, limit: number, at: number) => {
    let state = states.get(operation);
    if (!state) states.set(operation, (state = { rate: limit, since: at, next: at, cut: -Infinity, ceiling: 0 }));
    return state;
  };
  return {
    async reserve(operation, limit, maxWaitMs) {
      const at = now();
      const state = stateOf(operation, limit, at);
      const rate = currentRate(state, limit, at);
      const slot = Math.max(at, state.next);
      const waitMs = slot - at;
      const earliestAt = performance.now() + waitMs;
      if (waitMs > maxWaitMs) return { granted: false, waitMs, rate, slotAt: slot, earliestAt };
      Object.assign(state, { rate, since: at, next: slot + intervalOf(rate) });
      return { granted: true, waitMs, rate, slotAt: slot, earliestAt };
    },
    async late(operation, limit, latenessMs) {
      const at = now();
      const state = stateOf(operation, limit, at);
      const rate = currentRate(state, limit, at);
      const excess = latenessMs - lateAllowanceMs(rate);
      if (excess > 0) Object.assign(state, { rate, since: at, next: state.next + excess });
    },
    async throttled(operation, limit, stated) {
      const at = now();
      const state = stateOf(operation, limit, at);
      let rate = currentRate(state, limit, at);
      const lowered = at - state.cut >= BACKOFF_MS;
      if (lowered) {
        rate = cut(rate, limit, stated);
        state.cut = at;
        if (stated && stated > 0) state.ceiling = stated;
      }
      // The window API Gateway counts in is full: the next call one interval from now.
      Object.assign(state, { rate, since: at, next: Math.max(state.next, at + intervalOf(rate)) });
      return { lowered, rate };
    },
  };
}

const LUA_STATE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local limit = tonumber(ARGV[1])
local step = limit * tonumber(ARGV[2])
local s = redis.call('HMGET', KEYS[1], 'rate', 'since', 'next', 'cut', 'ceiling')
local rate = tonumber(s[1]) or limit
local since = tonumber(s[2]) or now
local nxt = tonumber(s[3]) or now
local cut = tonumber(s[4]) or -1e18
local ceiling = tonumber(s[5]) or 0
local seconds = math.max(0, (now - since) / 1000)
if ceiling > 0 and rate < ceiling then
  local to_ceiling = (ceiling - rate) / step
  rate = rate + math.min(seconds, to_ceiling) * step
  seconds = math.max(0, seconds - to_ceiling)
end
if ceiling > 0 then rate = rate + seconds * step / 10 else rate = rate + seconds * step end
rate = math.min(limit, rate)
local function save(n)
  redis.call('HSET', KEYS[1], 'rate', tostring(rate), 'since', tostring(now), 'next', tostring(n), 'cut', tostring(cut), 'ceiling', tostring(ceiling))
end
`;

/** KEYS: state. ARGV: limit, increase share, max wait ms, guard share, ttl ms. -> {granted, waitMs, rate, slot, now} (Redis's clock, ms) */
const RESERVE = `${LUA_STATE}
local slot = math.max(now, nxt)
local wait = slot - now
if wait > tonumber(ARGV[3]) then return {0, tostring(wait), tostring(rate), tostring(slot), tostring(now)} end
save(slot + 1000 / rate * (1 + tonumber(ARGV[4])))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {1, tostring(wait), tostring(rate), tostring(slot), tostring(now)}`;

/** KEYS: state. ARGV: limit, increase share, lateness ms, guard share, ttl ms. */
const LATE = `${LUA_STATE}
local calls = math.max(1, math.floor(rate))
local excess = tonumber(ARGV[3]) - tonumber(ARGV[4]) * calls * 1000 / rate / 2
if excess > 0 then
  save(nxt + excess)
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
return 1`;

/**
 * KEYS: state. ARGV: limit, increase share, back-off ms, stated limit (0: none), decrease
 * factor, jitter factor, min rate, guard share, ttl ms. -> {lowered, rate}
 */
const THROTTLED = `${LUA_STATE}
local lowered = 0
local stated = tonumber(ARGV[4])
if now - cut >= tonumber(ARGV[3]) then
  if stated > 0 and stated < rate then rate = stated
  elseif stated > 0 then rate = rate * tonumber(ARGV[6])
  else rate = rate * tonumber(ARGV[5]) end
  rate = math.max(math.min(tonumber(ARGV[7]), limit), rate)
  cut = now
  if stated > 0 then ceiling = stated end
  lowered = 1
end
save(math.max(nxt, now + 1000 / rate * (1 + tonumber(ARGV[8]))))
redis.call('PEXPIRE', KEYS[1], ARGV[9])
return {lowered, tostring(rate)}`;

/** ioredis states of a connection that was lost (a new one, still connecting, queues its commands). */
const lost = (redis: ScriptRunner) => redis.status === 'reconnecting' || redis.status === 'close' || redis.status === 'end';

/** Hash-tagged, so every operation's key lives in one Cluster slot. */
export const budgetKey = (operation: BudgetOperation) => `{budget}:${operation}`;

/**
 * Several instances: the state lives in Redis and every change is one script. While Redis
 * cannot be reached, each instance paces its own calls in memory (`fallback`), so reads it
 * can still serve are not refused for want of the budget's store; should that exceed the
 * account's limit, the 429s lower each instance's rate as usual.
 */
export function createRedisSlotClock(redis: ScriptRunner, fallback: SlotClock = createMemorySlotClock()): SlotClock {
  /**
   * Bounds of (Redis's clock - performance.now()): a script ran somewhere between sending
   * it and reading its reply, so each reply bounds the offset; every reply narrows the
   * bounds (older ones widened by CLOCK_DRIFT for the time since), and one that falls
   * outside them (Redis's clock stepped, a failover) starts them again. A slot on Redis's
   * clock is then between `slot - hi` and `slot - lo` here, however late a loaded event
   * loop read the reply that granted it.
   */
  let lo = -Infinity;
  let hi = Infinity;
  let learnedAt = 0;
  const learn = (redisNow: number, sentAt: number, readAt: number) => {
    const widen = (readAt - learnedAt) * CLOCK_DRIFT;
    const low = redisNow - readAt;
    const high = redisNow - sentAt;
    lo = Math.max(lo - widen, low);
    hi = Math.min(hi + widen, high);
    if (lo > hi) [lo, hi] = [low, high];
    learnedAt = readAt;
  };
  /** One script on an operation's state; undefined while Redis is out of reach, and the caller asks the fallback. */
  async function run<T>(script: string, operation: BudgetOperation, ...args: Array<string | number>): Promise<T | undefined> {
    if (lost(redis)) return undefined;
    try {
      return (await redis.eval(script, 1, budgetKey(operation), ...args)) as T;
    } catch {
      return undefined;
    }
  }
  return {
    async reserve(operation, limit, maxWaitMs) {
      const sentAt = performance.now();
      const reply = await run<[number, string, string, string, string]>(RESERVE, operation, limit, INCREASE_SHARE, maxWaitMs, GUARD_SHARE, STATE_TTL_MS);
      if (!reply) return fallback.reserve(operation, limit, maxWaitMs);
      const readAt = performance.now();
      const [granted, wait, rate, slot, redisNow] = reply;
      const slotAt = Number(slot);
      learn(Number(redisNow), sentAt, readAt);
      if (granted !== 1) return { granted: false, waitMs: Number(wait), rate: Number(rate), slotAt, earliestAt: slotAt - hi };
      return { granted: true, waitMs: Math.max(0, slotAt - lo - performance.now()), rate: Number(rate), slotAt, earliestAt: slotAt - hi };
    },
    async late(operation, limit, latenessMs) {
      const reply = await run<number>(LATE, operation, limit, INCREASE_SHARE, latenessMs, GUARD_SHARE, STATE_TTL_MS);
      if (reply === undefined) await fallback.late(operation, limit, latenessMs);
    },
    async throttled(operation, limit, stated) {
      const reply = await run<[number, string]>(THROTTLED, operation, limit, INCREASE_SHARE, BACKOFF_MS, stated ?? 0, DECREASE_FACTOR, JITTER_FACTOR, MIN_RATE, GUARD_SHARE, STATE_TTL_MS);
      if (!reply) return fallback.throttled(operation, limit, stated);
      return { lowered: reply[0] === 1, rate: Number(reply[1]) };
    },
  };
}
