/**
 * The upstream budget's slot clock, in memory and on a real Redis, and its configuration:
 * calls are spread evenly, never more than the rate within any rolling second, shared by
 * every instance; a 429 backs off 2 s, halves the rate once, and the rate grows back.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRateLimits, DEFAULT_RATE_LIMITS } from '../src/budget/rate-limits.js';
import { createCreateQueue } from '../src/budget/create-queue.js';
import { createMemorySlotClock, createRedisSlotClock, GUARD_SHARE, INCREASE_SHARE, lateAllowanceMs, type SlotClock } from '../src/budget/slot-clock.js';
import { createTurn } from '../src/budget/turn.js';
import { ConfigError, loadConfig, loadEmulatorConfig } from '../src/config.js';
import { createThrottle } from '../src/emulator/throttle.js';
import { startRedis, type RedisServer } from './support/redis.js';

let redis: RedisServer;
const connections: Redis[] = [];
const connect = () => {
  const c = new Redis(redis.url);
  connections.push(c);
  return c;
};
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.quit()));
  await redis?.stop();
});

/** Most reservations whose slots fall within any rolling 1000 ms. */
function busiestSecond(slots: number[]): number {
  const sorted = [...slots].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe.each([
  ['memory', () => [createMemorySlotClock()] as SlotClock[]],
  ['redis, two instances', () => [createRedisSlotClock(connect()), createRedisSlotClock(connect())]],
])('the slot clock (%s)', (_name, make) => {
  it('spreads concurrent reservations evenly, never more than the rate within a rolling second', async () => {
    const clocks = make();
    const op = 'create' as const;
    const reservations = await Promise.all(Array.from({ length: 20 }, (_, i) => clocks[i % clocks.length]!.reserve(op, 5, 60_000)));
    expect(reservations.every((r) => r.granted)).toBe(true);
    // The slots as the clock granted them, on its own time (Redis's, shared by both instances):
    // what every caller waits for, whatever the round trips or a loaded event loop did to the replies.
    const slots = reservations.map((r) => r.slotAt).sort((a, b) => a - b);
    const interval = 200 * (1 + GUARD_SHARE);
    // Evenly spaced: each slot one interval after the one before (Redis keeps its times to 0.1 ms).
    for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBeGreaterThan(interval - 0.5);
    expect(slots.at(-1)! - slots[0]!).toBeLessThan(19 * interval + 100);
    expect(busiestSecond(slots)).toBeLessThanOrEqual(5);
  });

  it('refuses, and reserves nothing, when the next slot is further away than the caller may wait', async () => {
    const [clock] = make();
    const first = await clock!.reserve('show', 1, 0);
    expect(first.granted).toBe(true);
    const refused = await clock!.reserve('show', 1, 100);
    expect(refused).toMatchObject({ granted: false });
    expect(refused.waitMs).toBeGreaterThan(800);
    // The refused one took nothing: the next caller gets the same slot.
    const next = await clock!.reserve('show', 1, 5000);
    expect(next.granted).toBe(true);
    expect(Math.abs(next.waitMs - refused.waitMs)).toBeLessThan(50);
  });

  it('after a 429: the rate is cut once however many calls were refused together, and the next slot is one new interval away', async () => {
    const clocks = make();
    const op = 'list' as const;
    const first = await Promise.all(clocks.map((c) => c.throttled(op, 4)));
    // Two instances refused together: one cut, by half when API Gateway states no limit.
    expect(first.filter((t) => t.lowered)).toHaveLength(1);
    expect(first.map((t) => t.rate).every((r) => Math.abs(r - 2) < 0.01)).toBe(true);
    const after = await clocks[0]!.reserve(op, 4, 60_000);
    expect(after.waitMs).toBeGreaterThan(500 * (1 + GUARD_SHARE) - 30);
    expect(after.rate).toBeLessThan(2.1);
  });

  it('a call that went out late moves the slots not yet reserved, so none comes within a window of it; a little lateness moves nothing', async () => {
    const [clock, other = clock] = make();
    const op = 'createByUrl' as const;
    const interval = 200 * (1 + GUARD_SHARE);
    const first = await clock!.reserve(op, 5, 60_000);
    const second = await other!.reserve(op, 5, 60_000);
    // Within the allowance: nothing moves.
    await clock!.late(op, 5, lateAllowanceMs(5) - 1);
    const third = await other!.reserve(op, 5, 60_000);
    expect(third.slotAt - second.slotAt).toBeCloseTo(interval, 0);
    // The third goes out 100 ms late: the window API Gateway counts from its real time holds.
    await other!.late(op, 5, 100);
    const after = [];
    for (let i = 0; i < 5; i++) after.push(await clock!.reserve(op, 5, 60_000));
    expect(after[0]!.slotAt - third.slotAt).toBeCloseTo(interval + 100 - lateAllowanceMs(5), 0);
    const windowFromLateSend = after[4]!.slotAt - (third.slotAt + 100);
    expect(windowFromLateSend).toBeGreaterThan(1000);
    expect(windowFromLateSend).toBeLessThan(1000 + 2 * lateAllowanceMs(5));
    expect(first.granted && second.granted).toBe(true);
  });

  it('a stated limit below the rate is taken at once; within it, a 429 is jitter and costs a tenth', async () => {
    const [clock] = make();
    expect(await clock!.throttled('styles', 10, 3)).toMatchObject({ lowered: true, rate: 3 });
    const [other] = make();
    const jitter = await other!.throttled('assets', 20, 20);
    expect(jitter.lowered).toBe(true);
    expect(jitter.rate).toBeCloseTo(18, 1);
  });
});

describe('the fair queue and late sends', () => {
  it('reserves the slot of the next create only once the one before is on the wire, after its lateness moved the clock', async () => {
    const clock = createMemorySlotClock();
    const interval = 200 * (1 + GUARD_SHARE);
    const queue = createCreateQueue({ operation: 'create', limit: 5, clock, max: 10, turn: (r) => createTurn(r, (ms) => clock.late('create', 5, ms)) });
    const deadline = performance.now() + 10_000;
    const granted: number[] = [];
    const first = queue.wait({ principal: 'a', deadline }).then((turn) => (granted.push(performance.now()), turn));
    const second = queue.wait({ principal: 'b', deadline }).then((turn) => (granted.push(performance.now()), turn));
    const turn = await first;
    // The first create takes 150 ms to get a connection: it reports then, and only then.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(granted).toHaveLength(1);
    turn.sent();
    (await second).sent();
    // One interval after the late send, less the allowance, instead of one interval after the slot.
    expect(granted[1]! - granted[0]!).toBeGreaterThan(150 + interval - lateAllowanceMs(5) - 5);
  });

  it('a turn that is never sent (the create failed before it went out) does not hold the queue', async () => {
    const clock = createMemorySlotClock();
    const queue = createCreateQueue({ operation: 'create', limit: 50, clock, max: 10, turn: (r) => createTurn(r, (ms) => clock.late('create', 50, ms)) });
    const deadline = performance.now() + 10_000;
    const first = queue.wait({ principal: 'a', deadline });
    const second = queue.wait({ principal: 'b', deadline });
    (await first).release();
    const started = performance.now();
    await second;
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('the rate grows back slowly after a cut (memory clock, driven time)', () => {
  it('regains INCREASE_SHARE of the configured rate per second, ten times slower above a stated limit, up to the configured rate', async () => {
    let now = 0;
    const clock = createMemorySlotClock(() => now);
    expect((await clock.throttled('create', 10)).rate).toBe(5);
    now += 10_000;
    const later = await clock.reserve('create', 10, 60_000);
    expect(later.rate).toBeCloseTo(5 + 10 * INCREASE_SHARE * 10, 5);
    now += 1_000_000;
    expect((await clock.reserve('create', 10, 1e9)).rate).toBe(10);
    // A second 429 within the back-off of the first does not cut again.
    now += 5000;
    expect((await clock.throttled('create', 10, 4)).rate).toBe(4);
    now += 100;
    expect((await clock.throttled('create', 10, 4)).lowered).toBe(false);
    // Above the stated 4/s it grows at a tenth of the pace, 0.02/s (10.1 s since the cut).
    now += 10_000;
    expect((await clock.reserve('create', 10, 1e9)).rate).toBeCloseTo(4 + 10 * INCREASE_SHARE * 0.1 * 10.1, 5);
  });
});

describe('the emulator throttles like API Gateway', () => {
  it('lets N calls through within any rolling second and refuses the rest with 429 APIG.0308 naming the limit', () => {
    let now = 0;
    const throttle = createThrottle(parseRateLimits('create=2'), () => now);
    expect(throttle.admit('CreatePictureModelingJob')).toBeUndefined();
    now = 400;
    expect(throttle.admit('CreatePictureModelingJob')).toBeUndefined();
    now = 999;
    expect(throttle.admit('CreatePictureModelingJob')).toEqual({
      status: 429,
      body: { error_code: 'APIG.0308', error_msg: 'The throttling threshold has been reached: policy user over ratelimit,limit:2,time:1 second' },
    });
    // Another operation has its own budget.
    expect(throttle.admit('CreatePictureModelingByUrlJob')).toBeUndefined();
    now = 1000;
    expect(throttle.admit('CreatePictureModelingJob')).toBeUndefined();
    expect(throttle.refused('CreatePictureModelingJob')).toBe(1);
    // ShowAsset and ListAssetSummary draw on one `assets` budget.
    const assets = createThrottle(parseRateLimits('assets=1'), () => now);
    expect(assets.admit('ShowAsset')).toBeUndefined();
    expect(assets.admit('ListAssetSummary')?.status).toBe(429);
    expect(createThrottle(undefined).admit('CreatePictureModelingJob')).toBeUndefined();
  });
});

describe('configuration', () => {
  it('defaults to the documented per-operation budget; a value naming some operations overrides only those', () => {
    const c = loadConfig({});
    expect(c.budget).toEqual({ limits: DEFAULT_RATE_LIMITS, queueTimeoutMs: 60_000, queueMax: 1000, emulatorLimits: DEFAULT_RATE_LIMITS });
    expect(DEFAULT_RATE_LIMITS).toEqual({ create: 1, createByUrl: 2, show: 1, list: 1, styles: 10, assets: 20 });
    expect(loadConfig({ UPSTREAM_RATE_LIMITS: 'create=5, show=0.5' }).budget.limits).toEqual({ ...DEFAULT_RATE_LIMITS, create: 5, show: 0.5 });
    expect(loadConfig({ EMULATOR_RATE_LIMITS: 'off' }).budget.emulatorLimits).toBeUndefined();
    expect(loadEmulatorConfig({ EMULATOR_RATE_LIMITS: 'list=3' }).rateLimits).toEqual({ ...DEFAULT_RATE_LIMITS, list: 3 });
    expect(loadConfig({ UPSTREAM_QUEUE_TIMEOUT_MS: '500', UPSTREAM_QUEUE_MAX: '7' }).budget).toMatchObject({ queueTimeoutMs: 500, queueMax: 7 });
  });

  it.each([
    ['UPSTREAM_RATE_LIMITS', 'create=fast', /^UPSTREAM_RATE_LIMITS: must be name=rate pairs/],
    ['UPSTREAM_RATE_LIMITS', 'delete=1', /^UPSTREAM_RATE_LIMITS: unknown operation "delete"/],
    ['UPSTREAM_RATE_LIMITS', 'create=0', /^UPSTREAM_RATE_LIMITS: the rate of create must be above 0/],
    ['UPSTREAM_RATE_LIMITS', 'off', /^UPSTREAM_RATE_LIMITS: /],
    ['EMULATOR_RATE_LIMITS', 'show=-1', /^EMULATOR_RATE_LIMITS: /],
    ['UPSTREAM_QUEUE_TIMEOUT_MS', 'soon', /^UPSTREAM_QUEUE_TIMEOUT_MS: /],
    ['UPSTREAM_QUEUE_MAX', '-1', /^UPSTREAM_QUEUE_MAX: /],
  ])('%s=%s stops start-up with one line naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});
