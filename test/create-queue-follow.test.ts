/**
 * pictureModelingCreateQueue across instances on one Redis, with no sticky sessions: the
 * create waits on one instance, its follower is on another (src/budget/create-queue-relay.ts).
 * Through real gateways and graphql-ws in front of the emulator, and through the relay
 * itself on a real Redis for what a gateway cannot show by itself (message counts, a
 * holder that goes silent, a missed announcement).
 */
import { setMaxListeners } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ANNOUNCE_CHANNEL, createCreateQueueRelay, type CreateQueueRelay } from '../src/budget/create-queue-relay.js';
import { followCreateQueue, type CreateQueuePosition } from '../src/budget/follow-create-queue.js';
import { parseRateLimits } from '../src/budget/rate-limits.js';
import { createMemorySlotClock } from '../src/budget/slot-clock.js';
import { createUpstreamBudget, type UpstreamBudget } from '../src/budget/upstream-budget.js';
import { createEmulator, type Emulator } from '../src/emulator/create-emulator.js';
import { createRedisEventTarget } from '../src/jobs/completion/redis-event-target.js';
import { createLogger } from '../src/observability/logger.js';
import { startHarness, tempDir, waitFor, type Harness } from './support/harness.js';
import { writeApiKeys } from './support/identity.js';
import { makePng } from './support/images.js';
import { CREATE_MUTATION } from './support/multipart.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { startCluster } from './support/redis-topologies.js';
import { subscribe, wsClient } from './support/subscriptions.js';

const QUEUE = 'subscription($k: String!) { pictureModelingCreateQueue(idempotencyKey: $k) { idempotencyKey position estimatedWaitSeconds } }';
const { file: keysFile, keys } = writeApiKeys(tempDir(), ['alice', 'bob', 'carol']);
const log = createLogger('silent');
let redis: RedisServer;
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.quit().catch(() => {})));
  await redis?.stop();
});

async function collect(stream: AsyncIterableIterator<CreateQueuePosition>) {
  const events: CreateQueuePosition[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe.each([
  ['one node', async () => ({ env: { REDIS_URL: redis.url }, stop: async () => {} })],
  [
    'a Cluster (sharded pub/sub)',
    async () => {
      const cluster = await startCluster();
      return { env: cluster.env(), stop: () => cluster.stop() };
    },
  ],
] as const)('two gateways on %s, the create on A and its follower on B', (_name, startRedisFor) => {
  let emulator: Emulator;
  let backing: { env: Record<string, string>; stop(): Promise<void> };
  const open: Harness[] = [];
  beforeAll(async () => {
    [emulator, backing] = await Promise.all([createEmulator({ jobDurationMs: 3_600_000 }), startRedisFor()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()));
    await emulator?.close();
    await backing?.stop();
  });
  beforeEach(() => emulator.reset());

  async function gateway(): Promise<Harness> {
    const h = await startHarness({
      sharedEmulator: emulator,
      env: {
        AUTH_API_KEYS_FILE: keysFile,
        RATE_LIMIT_CREATES_PER_MINUTE: '100000',
        MAX_PENDING_JOBS_PER_PRINCIPAL: '100000',
        // A tenth below the emulator's limit: a loaded machine's scheduling delay between the
        // two processes must not get a create throttled (sent again later, it would move places).
        UPSTREAM_RATE_LIMITS: 'show=1000,create=0.9',
        ...backing.env,
        CALLBACK_SECRET: 'follow-callback-secret-0123456789',
      },
    });
    open.push(h);
    return h;
  }
  const photo = makePng(64, 64, 3000);
  async function create(h: Harness, who: string, input: Record<string, unknown> = {}) {
    const body = new FormData();
    const variables = { input: { styleId: 'system_female_001', name: `${who}-${Math.random().toString(36).slice(2, 8)}`, ...input, file: null } };
    body.append('operations', JSON.stringify({ query: CREATE_MUTATION, variables }));
    body.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
    body.append('0', new Blob([new Uint8Array(photo)], { type: 'image/png' }), 'p.png');
    const res = await fetch(`${h.url}/graphql`, { method: 'POST', body, headers: { 'x-graphql-yoga-csrf': '1', 'x-api-key': keys[who]! } });
    return ((await res.json()) as any).data.createPictureModelingJob;
  }
  /** One create through each gateway opens its upload connection first, then the emulator throttles at create=1 too. */
  async function throttleAtOne(...gateways: Harness[]) {
    emulator.setRateLimits('off');
    for (const h of gateways) expect((await create(h, 'carol')).__typename).toBe('PictureModelingJobCreated');
    emulator.reset();
    emulator.setRateLimits(parseRateLimits('show=1000,create=1'));
  }

  let a: Harness;
  let b: Harness;
  beforeAll(async () => {
    [a, b] = [await gateway(), await gateway()];
  });

  it('is seen place by place until it is sent, then completes; another principal following the same key sees nothing and ends after the grace', async () => {
    await throttleAtOne(a, b);
    const aliceWs = wsClient(b.wsUrl, { connectionParams: { 'x-api-key': keys['alice']! } });
    const bobWs = wsClient(b.wsUrl, { connectionParams: { 'x-api-key': keys['bob']! } });
    // Subscribed on B before the creates reach A: the announcement is remembered there.
    const followed = subscribe(aliceWs, { k: 'a-3' }, QUEUE);
    const foreign = subscribe(bobWs, { k: 'a-3' }, QUEUE);
    const foreignStarted = performance.now();
    const creates = ['a-1', 'a-2', 'a-3'].map((k) => create(a, 'alice', { idempotencyKey: k }));
    await followed.done;
    expect(followed.errors).toEqual([]);
    expect(followed.completed()).toBe(true);
    const places = followed.events.map((e) => e.data.pictureModelingCreateQueue);
    expect(places.length).toBeGreaterThanOrEqual(2);
    expect(places[0].position).toBeGreaterThanOrEqual(2);
    expect(places[0].estimatedWaitSeconds).toBeGreaterThanOrEqual(1);
    expect(places.at(-1)).toMatchObject({ idempotencyKey: 'a-3', position: 1 });
    // Each place once, nearer each time.
    expect(places.map((p) => p.position)).toEqual([...new Set(places.map((p) => p.position))].sort((x, y) => y - x));
    expect((await Promise.all(creates)).map((r) => r.__typename)).toEqual(Array(3).fill('PictureModelingJobCreated'));
    // A's create went out after the last place B saw: nothing of it was on B.
    expect(b.gateway.services.budget.queue('create').depth()).toBe(0);
    await foreign.done;
    expect(foreign.completed()).toBe(true);
    expect(foreign.events).toEqual([]);
    expect(performance.now() - foreignStarted).toBeGreaterThan(9_000);
    await Promise.all([aliceWs.dispose(), bobWs.dispose()]);
  });

  it('following a key nobody waits on ends after the grace, with nothing', async () => {
    const started = performance.now();
    const { budget, createQueueRelay } = b.gateway.services;
    expect(createQueueRelay).toBeDefined();
    const events = await collect(followCreateQueue([budget.queue('create')], 'alice', 'nobody-waits', { relay: createQueueRelay, graceMs: 300 }));
    expect(events).toEqual([]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(299);
  });
});

describe('the relay on a real Redis', () => {
  const relays: CreateQueueRelay[] = [];
  const budgets: UpstreamBudget[] = [];
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(redis.url);
    clients.push(admin);
  });
  afterEach(() => {
    for (const r of relays.splice(0)) r.close();
    for (const b of budgets.splice(0)) b.close();
  });

  function target() {
    const [publisher, subscriber] = [new Redis(redis.url), new Redis(redis.url)];
    clients.push(publisher, subscriber);
    return createRedisEventTarget({ publisher, subscriber, sharded: false, log });
  }
  /** A create queue paced at `rate` per second on its own clock. */
  function budget(rate: number) {
    const b = createUpstreamBudget({ limits: parseRateLimits(`create=${rate}`), clock: createMemorySlotClock(), queueTimeoutMs: 3_600_000, queueMax: 2000, log });
    budgets.push(b);
    return b;
  }
  function relay(instanceId: string, b: UpstreamBudget | undefined, timing: { reannounceMs?: number; silenceMs?: number } = {}) {
    const r = createCreateQueueRelay({ target: target(), queues: b ? [b.queue('create')] : [], instanceId, log, ...timing });
    relays.push(r);
    return r;
  }
  const listeners = async (channel: string) => Number(((await admin.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1]);
  const published = async () => Number(/cmdstat_publish:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
  /** A create waiting in `b`'s queue until `leave` is aborted, or sent (its turn then released). */
  function waiting(b: UpstreamBudget, principal: string, key: string, leave: AbortController) {
    return b
      .takeCreateTurn('create', { principal, idempotencyKey: key, deadline: performance.now() + 3_600_000, signal: leave.signal })
      .then((turn) => turn.release())
      .catch(() => {});
  }

  it('1000 creates waiting with nobody following cost no pub/sub message; one follower costs a few', async () => {
    const holder = budget(1);
    relay('holder', holder);
    await waitFor(async () => (await listeners(ANNOUNCE_CHANNEL)) === 1);
    await admin.config('RESETSTAT');
    const leave = new AbortController();
    // One signal for the thousand waits: a listener each is expected.
    setMaxListeners(0, leave.signal);
    const all = Array.from({ length: 1000 }, (_, i) => waiting(holder, `p${i % 50}`, `k${i}`, leave));
    await waitFor(() => holder.queue('create').depth() <= 999);
    // The queue moves on (the first went at once, the next a second later): changes, and still no message.
    await waitFor(() => holder.queue('create').depth() <= 998, 3000);
    expect(await published()).toBe(0);
    const follower = relay('follower', undefined);
    await waitFor(async () => (await listeners(ANNOUNCE_CHANNEL)) === 2);
    const following = followCreateQueue([], 'p10', 'k10', { relay: follower });
    const first = await following.next();
    expect(first.value).toMatchObject({ idempotencyKey: 'k10', position: expect.any(Number) });
    expect((first.value as CreateQueuePosition).position).toBeGreaterThan(1);
    // The announcement and the holder's answer (and a new place, had the queue moved meanwhile).
    expect(await published()).toBeGreaterThanOrEqual(2);
    expect(await published()).toBeLessThanOrEqual(3);
    await following.return?.();
    leave.abort();
    await Promise.all(all);
  });

  it('a holder that stops answering (a crash) ends its follower after the bounded silence', async () => {
    // One create every 20 s: the followed one stays in the queue throughout.
    const holder = budget(0.05);
    const holderRelay = relay('holder', holder);
    const follower = relay('follower', undefined, { reannounceMs: 100, silenceMs: 600 });
    await waitFor(async () => (await listeners(ANNOUNCE_CHANNEL)) === 2);
    const leave = new AbortController();
    const first = waiting(holder, 'alice', 'sent-first', leave);
    const held = waiting(holder, 'alice', 'held', leave);
    await waitFor(() => holder.queue('create').positionOf('alice', 'held'));
    const following = followCreateQueue([], 'alice', 'held', { relay: follower });
    expect((await following.next()).value).toMatchObject({ idempotencyKey: 'held', position: 1 });
    holderRelay.close();
    const silent = performance.now();
    expect(await collect(following)).toEqual([]);
    expect(performance.now() - silent).toBeGreaterThanOrEqual(500);
    // It was still waiting: the follower ended on the silence, not on a `left`.
    expect(holder.queue('create').positionOf('alice', 'held')).toBeDefined();
    leave.abort();
    await Promise.all([first, held]);
  });

  it('a holder that missed the announcement answers the next one; the follower completes once the create leaves', async () => {
    const holder = budget(0.05);
    const follower = relay('follower', undefined, { reannounceMs: 150 });
    await waitFor(async () => (await listeners(ANNOUNCE_CHANNEL)) === 1);
    const leave = new AbortController();
    const first = waiting(holder, 'bob', 'sent-first', leave);
    const going = new AbortController();
    const later = waiting(holder, 'bob', 'later', going);
    await waitFor(() => holder.queue('create').positionOf('bob', 'later'));
    await admin.config('RESETSTAT');
    const following = followCreateQueue([], 'bob', 'later', { relay: follower });
    const next = following.next();
    // Announced before the holder listens: nobody hears it.
    await waitFor(async () => (await published()) >= 1);
    relay('holder', holder);
    expect((await next).value).toMatchObject({ idempotencyKey: 'later', position: 1 });
    // Its client goes away: the holder publishes `left`, and the stream completes.
    going.abort();
    expect(await collect(following)).toEqual([]);
    leave.abort();
    await Promise.all([first, later]);
  });

  it('a place published while Redis was down reaches the follower once both are resubscribed, with no re-announce due', async () => {
    const holder = budget(0.05);
    // Neither timer comes due within the test: only the resubscribe can bring the new place.
    const timing = { reannounceMs: 600_000, silenceMs: 600_000 };
    relay('holder', holder, timing);
    const follower = relay('follower', undefined, timing);
    await waitFor(async () => (await listeners(ANNOUNCE_CHANNEL)) === 2);
    const leave = new AbortController();
    const first = waiting(holder, 'carol', 'sent-first', leave);
    const goingAhead = new AbortController();
    const ahead = waiting(holder, 'carol', 'ahead', goingAhead);
    const followedWait = waiting(holder, 'carol', 'followed', leave);
    await waitFor(() => holder.queue('create').positionOf('carol', 'followed')?.position === 2);
    const following = followCreateQueue([], 'carol', 'followed', { relay: follower });
    expect((await following.next()).value).toMatchObject({ position: 2 });
    await redis.kill();
    // The place changes while nobody can hear it.
    goingAhead.abort();
    await waitFor(() => holder.queue('create').positionOf('carol', 'followed')?.position === 1);
    await redis.start();
    expect((await following.next()).value).toMatchObject({ idempotencyKey: 'followed', position: 1 });
    await following.return?.();
    leave.abort();
    await Promise.all([first, ahead, followedWait]);
  }, 30_000);
});
