import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../src/emulator/create-emulator.js';
import { createRedisBackend } from '../src/jobs/store/redis/index.js';
import { createLogger } from '../src/observability/logger.js';
import { hs256Bearer } from './support/identity.js';
import { makePng } from './support/images.js';
import { createOn, uploadPhoto } from './support/multipart.js';
import { gql, startHarness, tempDir, waitFor, type Harness, UNFELT_LIMITS } from './support/harness.js';
import { freePort, gatewayEnv, spawnListening, stopProcess } from './support/process.js';
import { redisUrlConfig, startRedis, type RedisServer } from './support/redis.js';
import { subscribe, untilSubscriptions, wsClient } from './support/subscriptions.js';

let redis: RedisServer;
let emulator: Emulator;

beforeAll(async () => {
  redis = await startRedis();
  emulator = await createEmulator({ rateLimits: UNFELT_LIMITS, jobDurationMs: 3_600_000 });
});
afterAll(async () => {
  await emulator?.close();
  await redis?.stop();
});

const env = (extra: Record<string, string> = {}) => ({
  REDIS_URL: redis.url,
  CALLBACK_SECRET: 'shared-callback-secret-0123456789',
  // Many anonymous creates share one Redis here: only the limit tests below set limits.
  RATE_LIMIT_CREATES_PER_MINUTE: '100000',
  MAX_PENDING_JOBS_PER_PRINCIPAL: '100000',
  ...extra,
});

async function create(h: Harness) {
  const { body } = await uploadPhoto(h.url, { file: makePng(64, 64) });
  expect(body.data.createPictureModelingJob.__typename).toBe('PictureModelingJobCreated');
  return body.data.createPictureModelingJob.jobId as string;
}

describe('two gateway instances and one Redis act as one', () => {
  let a: Harness;
  let b: Harness;
  let portA: number;
  beforeAll(async () => {
    portA = await freePort();
    a = await startHarness({ env: env(), sharedEmulator: emulator, port: portA });
    b = await startHarness({ env: env(), sharedEmulator: emulator });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('a callback that reaches A completes a subscription held on B', async () => {
    const jobId = await create(a);
    const client = wsClient(b.wsUrl);
    const sub = subscribe(client, { jobId });
    const all = subscribe(client);
    await waitFor(async () => (await b.gateway.services.metrics.activeSubscriptions.get()).values[0]!.value >= 2);
    emulator.world.complete(jobId);
    await sub.done;
    expect(sub.events[0].data.pictureModelingJobCompleted).toMatchObject({ jobId, state: 'SUCCEED' });
    await waitFor(() => all.events.some((e) => e.data.pictureModelingJobCompleted.jobId === jobId));
    // The callback went to A (its notify_url), the event came out of B.
    await waitFor(() => emulator.world.callbacks.some((c) => c.jobId === jobId));
    expect(emulator.world.callbacks.filter((c) => c.jobId === jobId).map((c) => new URL(c.url).port)).toEqual([String(portA)]);
    await client.dispose();
  });

  it('a late subscriber on B sees a job completed through A', async () => {
    const jobId = await create(a);
    emulator.world.complete(jobId);
    await waitFor(async () => (await a.gateway.services.store.getJob(jobId))?.state === 'SUCCEED');
    const client = wsClient(b.wsUrl);
    const sub = subscribe(client, { jobId });
    await sub.done;
    expect(sub.events.map((e) => e.data.pictureModelingJobCompleted.state)).toEqual(['SUCCEED']);
    await client.dispose();
  });

  it('one instance restarted: A goes away and comes back on its port; B still gets the completion', async () => {
    const jobId = await create(a);
    const client = wsClient(b.wsUrl);
    const sub = subscribe(client, { jobId });
    await a.close();
    a = await startHarness({ env: env(), sharedEmulator: emulator, port: portA });
    emulator.world.complete(jobId);
    await sub.done;
    expect(sub.events[0].data.pictureModelingJobCompleted).toMatchObject({ jobId, state: 'SUCCEED' });
    await client.dispose();
  });

  it('the poller lease: one job is never polled by two instances at once', async () => {
    const logger = createLogger('silent');
    const one = createRedisBackend(redisUrlConfig(redis.url), 3600, logger);
    const two = createRedisBackend(redisUrlConfig(redis.url), 3600, logger);
    try {
      const firstAskedAt = Date.now();
      expect(await one.store.acquireLease('poll:lease-test', 'one', 300)).toBe(true);
      expect(await two.store.acquireLease('poll:lease-test', 'two', 300)).toBe(false);
      expect(await one.store.acquireLease('poll:lease-test', 'one', 300)).toBe(true);
      // Redis expires the lease on its own clock: two gets it once that has passed, and no sooner.
      await waitFor(() => two.store.acquireLease('poll:lease-test', 'two', 300), 5000, 10);
      expect(Date.now() - firstAskedAt).toBeGreaterThanOrEqual(300);
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe('two gateway processes', () => {
  it('a callback to process A completes a subscription held by process B', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const shared = { REDIS_URL: redis.url, CALLBACK_SECRET: 'process-callback-secret-0123456789' };
    // Started side by side: each takes seconds to compile on a loaded machine.
    const [a, b] = await Promise.all([spawnListening(gatewayEnv(emulator, portA, tempDir(), shared)), spawnListening(gatewayEnv(emulator, portB, tempDir(), shared))]);
    try {
      const { body } = await uploadPhoto(`http://127.0.0.1:${portA}`, { file: makePng(32, 32) });
      const jobId = body.data.createPictureModelingJob.jobId;
      const client = wsClient(`ws://127.0.0.1:${portB}/graphql`);
      const sub = subscribe(client, { jobId });
      await untilSubscriptions(`http://127.0.0.1:${portB}`, 1);
      emulator.world.complete(jobId);
      await sub.done;
      expect(sub.events[0].data.pictureModelingJobCompleted).toMatchObject({ jobId, state: 'SUCCEED' });
      const callback = await waitFor(() => emulator.world.callbacks.find((c) => c.jobId === jobId));
      expect(new URL(callback.url).port).toBe(String(portA));
      await client.dispose();
    } finally {
      expect(await stopProcess(a)).toBe(0);
      expect(await stopProcess(b)).toBe(0);
    }
  });
});

describe('polling shared by two instances', () => {
  it('pending jobs are polled about once per interval in all, not once per instance', async () => {
    const quiet = await createEmulator({ rateLimits: UNFELT_LIMITS, jobDurationMs: 3_600_000, callbackMode: 'suppress' });
    const interval = 250;
    const p1 = await startHarness({ env: env({ POLL_INTERVAL_MS: String(interval) }), sharedEmulator: quiet });
    const p2 = await startHarness({ env: env({ POLL_INTERVAL_MS: String(interval) }), sharedEmulator: quiet });
    try {
      const { body } = await uploadPhoto(p1.url, { file: makePng(32, 32) });
      const jobId = body.data.createPictureModelingJob.jobId;
      // One pending job: a pass is one page of the account's running jobs.
      const before = quiet.countReceived('ListPictureModelingJobs');
      const startedAt = Date.now();
      const passes = 8;
      await waitFor(() => quiet.countReceived('ListPictureModelingJobs') - before >= passes, 10_000, 10);
      // A lease per interval's slot allows one pass per slot in all: 8 passes span 7 slot
      // boundaries, more than 6 intervals after startedAt. Without the lease the two
      // instances would make them in about 4 intervals.
      expect(Date.now() - startedAt).toBeGreaterThan((passes - 2) * interval);
      quiet.world.complete(jobId);
      await waitFor(async () => (await p2.gateway.services.store.getJob(jobId))?.state === 'SUCCEED', 3000);
    } finally {
      await p1.close();
      await p2.close();
      await quiet.close();
    }
  });
});

describe('Redis failures', () => {
  it('/ready is 503 while Redis is down; a subscriber that missed the event still completes after it returns', async () => {
    const a = await startHarness({ env: env({ POLL_INTERVAL_MS: '300' }), sharedEmulator: emulator });
    const b = await startHarness({ env: env({ POLL_INTERVAL_MS: '300' }), sharedEmulator: emulator });
    try {
      expect((await fetch(`${b.url}/ready`)).status).toBe(200);
      const jobId = await create(a);
      const client = wsClient(b.wsUrl);
      const sub = subscribe(client, { jobId });
      await waitFor(async () => (await b.gateway.services.metrics.activeSubscriptions.get()).values[0]!.value >= 1);
      // The subscription's store read went out before this one on the same connection: it is answered by now.
      await b.gateway.services.store.getJob(jobId);

      await redis.stop();
      await waitFor(async () => (await fetch(`${a.url}/ready`)).status === 503);
      expect((await fetch(`${b.url}/ready`)).status).toBe(503);
      expect((await fetch(`${b.url}/health`)).status).toBe(200);

      // A create while the store is down is refused before anything reaches MetaStudio.
      const creates = emulator.countReceived('CreatePictureModelingJob');
      const refused = await uploadPhoto(a.url, { file: makePng(16, 16) });
      expect(refused.body.data.createPictureModelingJob).toMatchObject({ errorCode: 'GATEWAY.STORE_UNAVAILABLE', httpStatus: 503, origin: 'GATEWAY' });
      expect(emulator.countReceived('CreatePictureModelingJob')).toBe(creates);
      // The styles cache lives in Redis too: without it, styles are read upstream instead of failing.
      expect((await gql(a.url, '{ pictureModelingStyles { __typename } }')).body.data.pictureModelingStyles.__typename).toBe('StyleList');

      // The job ends while Redis is down: the callback cannot be stored, nothing is published.
      emulator.world.complete(jobId);
      // The callback is over once the emulator stops calling: accepted, or refused on each of its 3 tries.
      const callbacks = () => emulator.world.callbacks.filter((c) => c.jobId === jobId);
      await waitFor(() => callbacks().some((c) => typeof c.status === 'number' && c.status < 500) || callbacks().length === 3, 10_000);
      expect(sub.events, JSON.stringify(sub.events)).toHaveLength(0);

      await redis.start();
      await waitFor(async () => (await fetch(`${a.url}/ready`)).status === 200 && (await fetch(`${b.url}/ready`)).status === 200, 10_000);
      await waitFor(() => sub.events.length > 0 || sub.errors.length > 0, 15_000);
      expect(sub.events[0]?.data.pictureModelingJobCompleted).toMatchObject({ jobId, state: 'SUCCEED' });
      await client.dispose();
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('limits and idempotency hold across instances', () => {
  const secret = 'redis-limits-secret-'.padEnd(40, 'y');
  let a: Harness;
  let b: Harness;
  const tokenFor = (sub: string) => hs256Bearer(secret, sub);
  beforeAll(async () => {
    const limits = { AUTH_JWT_SECRET: secret, RATE_LIMIT_CREATES_PER_MINUTE: '3', MAX_PENDING_JOBS_PER_PRINCIPAL: '2' };
    a = await startHarness({ env: env(limits), sharedEmulator: emulator });
    b = await startHarness({ env: env(limits), sharedEmulator: emulator });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('creates per minute count on every instance together', async () => {
    const gina = await tokenFor('gina');
    const first = await createOn(a, gina);
    expect(first.__typename).toBe('PictureModelingJobCreated');
    // Ended jobs leave the pending quota, so only the rate limit is at work here.
    emulator.world.complete(first.jobId);
    await waitFor(async () => (await a.gateway.services.store.getJob(first.jobId))?.state === 'SUCCEED');
    const second = await createOn(b, gina);
    emulator.world.complete(second.jobId);
    await waitFor(async () => (await b.gateway.services.store.getJob(second.jobId))?.state === 'SUCCEED');
    expect((await createOn(a, gina)).__typename).toBe('PictureModelingJobCreated');
    const creates = emulator.countReceived('CreatePictureModelingJob');
    expect(await createOn(b, gina)).toMatchObject({ __typename: 'MssError', errorCode: 'GATEWAY.RATE_LIMITED', httpStatus: 429 });
    expect(emulator.countReceived('CreatePictureModelingJob')).toBe(creates);
  });

  it('unfinished jobs per principal count on every instance together', async () => {
    const hank = await tokenFor('hank');
    expect((await createOn(a, hank)).__typename).toBe('PictureModelingJobCreated');
    expect((await createOn(b, hank)).__typename).toBe('PictureModelingJobCreated');
    const creates = emulator.countReceived('CreatePictureModelingJob');
    expect(await createOn(a, hank)).toMatchObject({ __typename: 'MssError', errorCode: 'GATEWAY.QUOTA_EXCEEDED', httpStatus: 429 });
    expect(emulator.countReceived('CreatePictureModelingJob')).toBe(creates);
  });

  it('the same idempotencyKey on two instances at once creates one job', async () => {
    const ivy = await tokenFor('ivy');
    const creates = emulator.countReceived('CreatePictureModelingJob');
    emulator.setLatency(300);
    try {
      const input = { name: `idem-${Math.random().toString(36).slice(2)}`, idempotencyKey: 'order-42' };
      const [x, y] = await Promise.all([createOn(a, ivy, input), createOn(b, ivy, input)]);
      expect(x.__typename).toBe('PictureModelingJobCreated');
      expect(y.__typename).toBe('PictureModelingJobCreated');
      expect(y.jobId).toBe(x.jobId);
      expect(emulator.countReceived('CreatePictureModelingJob')).toBe(creates + 1);
    } finally {
      emulator.setLatency(0);
    }
  });
});
