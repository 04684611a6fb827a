/**
 * No job MetaStudio accepted is ever lost: creates whose answer never reaches the gateway
 * (a late answer, a dropped connection, a killed process) are adopted through their
 * callback or by reconciling with ListPictureModelingJobs; idempotent creates; create from
 * a URL. SQLite here, and the same in Redis mode at the end.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../src/emulator/create-emulator.js';
import { gql, startHarness, tempDir, waitFor, type Harness, UNFELT_LIMITS } from './support/harness.js';
import { makePng } from './support/images.js';
import { uploadPhoto } from './support/multipart.js';
import { freePort, gatewayEnv, spawnListening } from './support/process.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { openSubscriptions, subscribe, untilSubscriptions, wsClient } from './support/subscriptions.js';

const LIST = `{ pictureModelingJobs(limit: 100) { ... on PictureModelingJobList { totalCount jobs { jobId name state } } } }`;
const FROM_URL = `mutation($input: CreatePictureModelingJobFromUrlInput!) {
  createPictureModelingJobFromUrl(input: $input) {
    __typename
    ... on PictureModelingJobCreated { jobId modelAssetId job { id state name } }
    ... on MssError { errorCode errorMsg httpStatus origin }
  }
}`;

const lossEnv = { UPSTREAM_TIMEOUT_MS: '400', RECONCILE_AFTER_MS: '0', RATE_LIMIT_CREATES_PER_MINUTE: '100000', MAX_PENDING_JOBS_PER_PRINCIPAL: '100000' };
const uniqueName = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
const upload = async (h: Harness, input: Record<string, unknown>) => (await uploadPhoto(h.url, { file: makePng(24, 24), input })).body.data.createPictureModelingJob;
const upstreamJobNamed = (emulator: Emulator, name: string) => emulator.world.list({}).find((j) => j.name === name);

/** A gateway with its own emulator for one describe block, the emulator reset before each test. */
function useGateway(env: Record<string, string> = lossEnv): { h: Harness; emulator: Emulator } {
  const g = {} as { h: Harness; emulator: Emulator };
  beforeAll(async () => {
    g.emulator = await createEmulator({ rateLimits: UNFELT_LIMITS, jobDurationMs: 3_600_000 });
    g.h = await startHarness({ env, sharedEmulator: g.emulator });
  });
  afterAll(async () => {
    await g.h?.close();
    await g.emulator?.close();
  });
  beforeEach(() => g.emulator.reset());
  return g;
}

/** The loss scenarios, run against a harness of either store. */
function lossScenarios(setup: () => { h: Harness; emulator: Emulator }) {
  it('an answer that comes after UPSTREAM_TIMEOUT_MS: the callback adopts the job, it is listed and delivered', async () => {
    const { h, emulator } = setup();
    const client = wsClient(h.wsUrl);
    const open = await openSubscriptions(h.url);
    const all = subscribe(client);
    // An all-jobs subscription gets only what completes once it is open.
    await untilSubscriptions(h.url, open + 1);
    const name = uniqueName('late');
    emulator.addFault({ operation: 'CreatePictureModelingJob', delayMs: 1200 });
    expect(await upload(h, { name })).toMatchObject({ __typename: 'MssError', errorCode: 'GATEWAY.UPSTREAM_TIMEOUT' });
    const upstream = await waitFor(() => upstreamJobNamed(emulator, name));
    emulator.world.complete(upstream.job_id);
    await waitFor(() => all.events.some((e) => e.data.pictureModelingJobCompleted.jobId === upstream.job_id));
    const stored = await h.gateway.services.store.getJob(upstream.job_id);
    expect(stored).toMatchObject({ owner: 'anonymous', name, state: 'SUCCEED' });
    const listed = (await gql(h.url, LIST)).body.data.pictureModelingJobs.jobs;
    expect(listed.map((j: { jobId: string }) => j.jobId)).toContain(upstream.job_id);
    await client.dispose();
  });

  it('a connection lost after the photo was sent: adopted the same way', async () => {
    const { h, emulator } = setup();
    const name = uniqueName('dropped');
    emulator.addFault({ operation: 'CreatePictureModelingJob', dropAnswer: true });
    expect(await upload(h, { name })).toMatchObject({ __typename: 'MssError', origin: 'GATEWAY' });
    const upstream = await waitFor(() => upstreamJobNamed(emulator, name));
    emulator.world.complete(upstream.job_id);
    await waitFor(async () => (await h.gateway.services.store.getJob(upstream.job_id))?.state === 'SUCCEED');
  });

  it('no callback either: the poller reconciles with ListPictureModelingJobs', async () => {
    const { h, emulator } = setup();
    emulator.world.callbackMode = 'suppress';
    try {
      const name = uniqueName('silent');
      emulator.addFault({ operation: 'CreatePictureModelingJob', delayMs: 1200 });
      expect((await upload(h, { name })).__typename).toBe('MssError');
      const upstream = await waitFor(() => upstreamJobNamed(emulator, name));
      await h.gateway.poller.pollOnce();
      expect(await h.gateway.services.store.getJob(upstream.job_id)).toMatchObject({ owner: 'anonymous', name, state: 'WAITING' });
      emulator.world.complete(upstream.job_id);
      await h.gateway.poller.pollOnce();
      expect((await h.gateway.services.store.getJob(upstream.job_id))?.state).toBe('SUCCEED');
      expect(await h.gateway.services.store.listUnlinked(Date.now() + 1, 100)).toHaveLength(0);
    } finally {
      emulator.world.callbackMode = 'normal';
    }
  });

  it('creates upstream refused leave no registration behind', async () => {
    const { h, emulator } = setup();
    emulator.addFault({ operation: 'CreatePictureModelingJob', status: 400, body: { error_code: 'MSS.00000003', error_msg: 'bad' }, times: 5 });
    for (let i = 0; i < 5; i++) expect((await upload(h, { name: uniqueName('refused') })).errorCode).toBe('MSS.00000003');
    expect(await h.gateway.services.store.listUnlinked(Date.now() + 1, 100)).toHaveLength(0);
  });
}

describe('SQLite: lost create answers', () => {
  const g = useGateway();

  lossScenarios(() => g);

  it('a create that made nothing upstream is closed as failed after RECONCILE_GIVE_UP_MS and pruned', async () => {
    const short = await startHarness({ env: { ...lossEnv, RECONCILE_GIVE_UP_MS: '1000' }, sharedEmulator: g.emulator });
    try {
      g.emulator.addFault({ operation: 'CreatePictureModelingJob', drop: true });
      const sentAt = Date.now();
      expect((await upload(short, { name: uniqueName('never') })).__typename).toBe('MssError');
      expect(await short.gateway.services.store.listUnlinked(Date.now() + 1, 100)).toHaveLength(1);
      // The reconciler reads the wall clock, and 1000 ms is the shortest give-up allowed:
      // passes run until one closes the registration, which must not come sooner.
      await waitFor(async () => {
        await short.gateway.poller.pollOnce();
        return (await short.gateway.services.store.listUnlinked(Date.now() + 1, 100)).length === 0;
      }, 5000, 50);
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1000);
      const metrics = await (await fetch(`${short.url}/metrics`)).text();
      expect(metrics).toMatch(/^gateway_reconciliations_total\{result="gave_up"\} 1$/m);
    } finally {
      await short.close();
    }
  });

  it('the gateway killed (SIGKILL) mid-create: after a restart on the same store the job is adopted and delivered', async () => {
    const dir = tempDir();
    const port = await freePort();
    const env = gatewayEnv(g.emulator, port, dir, { RECONCILE_AFTER_MS: '0' });
    const url = `http://127.0.0.1:${port}`;
    let child = await spawnListening(env);
    try {
      const name = uniqueName('killed');
      g.emulator.addFault({ operation: 'CreatePictureModelingJob', delayMs: 5000 });
      const pending = uploadPhoto(url, { file: makePng(24, 24), input: { name } }).catch((error: unknown) => error);
      const upstream = await waitFor(() => upstreamJobNamed(g.emulator, name));
      child.kill('SIGKILL');
      await pending;
      child = await spawnListening(env);
      const client = wsClient(`ws://127.0.0.1:${port}/graphql`);
      const all = subscribe(client);
      await waitFor(async () => (await openSubscriptions(url)) > 0);
      g.emulator.world.complete(upstream.job_id);
      await waitFor(() => all.events.some((e) => e.data.pictureModelingJobCompleted.jobId === upstream.job_id));
      const listed = (await gql(url, LIST)).body.data.pictureModelingJobs.jobs;
      expect(listed.find((j: { jobId: string }) => j.jobId === upstream.job_id)).toMatchObject({ name, state: 'SUCCEED' });
      await client.dispose();
    } finally {
      child.kill('SIGKILL');
    }
    // Two cold starts of a gateway process under tsx: over 30 s when the machine is loaded.
  }, 60_000);
});

describe('idempotent creates', () => {
  const g = useGateway();

  it('a repeat returns the first job, with no second upstream create', async () => {
    const input = { name: uniqueName('idem'), idempotencyKey: 'k-sequential' };
    const first = await upload(g.h, input);
    const second = await upload(g.h, input);
    expect(first.__typename).toBe('PictureModelingJobCreated');
    expect(second).toMatchObject({ __typename: 'PictureModelingJobCreated', jobId: first.jobId, modelAssetId: first.modelAssetId });
    expect(g.emulator.countReceived('CreatePictureModelingJob')).toBe(1);
  });

  it('overlapping repeats wait for the first', async () => {
    g.emulator.setLatency(250);
    try {
      const input = { name: uniqueName('idem'), idempotencyKey: 'k-concurrent' };
      const results = await Promise.all([upload(g.h, input), upload(g.h, input), upload(g.h, input)]);
      expect(new Set(results.map((r) => r.jobId)).size).toBe(1);
      expect(results[0].__typename).toBe('PictureModelingJobCreated');
      expect(g.emulator.countReceived('CreatePictureModelingJob')).toBe(1);
    } finally {
      g.emulator.setLatency(0);
    }
  });

  it('the same key with another input is GATEWAY.IDEMPOTENCY_KEY_REUSED (422)', async () => {
    await upload(g.h, { name: uniqueName('idem'), idempotencyKey: 'k-reused' });
    const reused = await upload(g.h, { name: uniqueName('other'), idempotencyKey: 'k-reused' });
    expect(reused).toMatchObject({ __typename: 'MssError', errorCode: 'GATEWAY.IDEMPOTENCY_KEY_REUSED', httpStatus: 422, origin: 'GATEWAY' });
    expect(g.emulator.countReceived('CreatePictureModelingJob')).toBe(1);
  });

  it('a retry after a timeout returns the job the first attempt made', async () => {
    g.emulator.world.callbackMode = 'suppress';
    try {
      const input = { name: uniqueName('idem'), idempotencyKey: 'k-timeout' };
      g.emulator.addFault({ operation: 'CreatePictureModelingJob', delayMs: 1200 });
      expect((await upload(g.h, input)).errorCode).toBe('GATEWAY.UPSTREAM_TIMEOUT');
      const upstream = await waitFor(() => upstreamJobNamed(g.emulator, input.name));
      const retry = await upload(g.h, input);
      expect(retry).toMatchObject({ __typename: 'PictureModelingJobCreated', jobId: upstream.job_id });
      expect(g.emulator.countReceived('CreatePictureModelingJob')).toBe(1);
    } finally {
      g.emulator.world.callbackMode = 'normal';
    }
  });

  it('a key that fails upstream is released: a retry creates afresh', async () => {
    g.emulator.addFault({ operation: 'CreatePictureModelingJob', status: 500, body: { error_code: 'MSS.00000004', error_msg: 'Internal Error' } });
    const input = { name: uniqueName('idem'), idempotencyKey: 'k-released' };
    // A 500 may or may not have made a job: the key stays held while that is found out.
    expect((await upload(g.h, input)).errorCode).toBe('MSS.00000004');
    g.emulator.addFault({ operation: 'CreatePictureModelingJob', status: 400, body: { error_code: 'MSS.00000003', error_msg: 'bad' } });
    const other = { name: uniqueName('idem'), idempotencyKey: 'k-released-400' };
    expect((await upload(g.h, other)).errorCode).toBe('MSS.00000003');
    expect((await upload(g.h, other)).__typename).toBe('PictureModelingJobCreated');
  });

  it('a malformed key is refused before anything is sent', async () => {
    for (const idempotencyKey of ['', 'x'.repeat(129), 'naïve']) {
      expect(await upload(g.h, { name: uniqueName('idem'), idempotencyKey })).toMatchObject({ __typename: 'MssError', errorCode: 'MSS.00000003', httpStatus: 400 });
    }
    expect(g.emulator.countReceived('CreatePictureModelingJob')).toBe(0);
  });
});

describe('createPictureModelingJobFromUrl', () => {
  const g = useGateway();

  it('creates through CreatePictureModelingByUrlJob (signed JSON), then completes like an upload', async () => {
    const name = uniqueName('url');
    const { body } = await gql(g.h.url, FROM_URL, { input: { pictureUrl: 'https://photos.example.com/face.jpg', styleId: 'system_female_001', name, idempotencyKey: 'url-1' } });
    const created = body.data.createPictureModelingJobFromUrl;
    expect(created).toMatchObject({ __typename: 'PictureModelingJobCreated', job: { id: created.jobId, state: 'WAITING', name } });
    const call = g.emulator.calls.find((c) => c.operation === 'CreatePictureModelingByUrlJob');
    expect(call?.status).toBe(200);
    const client = wsClient(g.h.wsUrl);
    const open = await openSubscriptions(g.h.url);
    const sub = subscribe(client, { jobId: created.jobId });
    await untilSubscriptions(g.h.url, open + 1);
    g.emulator.world.complete(created.jobId);
    await sub.done;
    expect(sub.events[0].data.pictureModelingJobCompleted).toMatchObject({ jobId: created.jobId, state: 'SUCCEED' });
    // The same key again: the same job, no second create.
    const again = await gql(g.h.url, FROM_URL, { input: { pictureUrl: 'https://photos.example.com/face.jpg', styleId: 'system_female_001', name, idempotencyKey: 'url-1' } });
    expect(again.body.data.createPictureModelingJobFromUrl.jobId).toBe(created.jobId);
    expect(g.emulator.countReceived('CreatePictureModelingByUrlJob')).toBe(1);
    await client.dispose();
  });

  it('a bad pictureUrl or field is refused with MSS.00000003 and nothing is sent', async () => {
    const cases = [
      { pictureUrl: 'ftp://photos.example.com/a.jpg' },
      { pictureUrl: 'not a url' },
      { pictureUrl: `https://example.com/${'a'.repeat(2100)}` },
      { pictureUrl: 'https://user:pw@example.com/a.jpg' },
      { pictureUrl: 'https://example.com/a.jpg', name: '' },
      { pictureUrl: 'https://example.com/a.jpg', name: 'bad\u202Ename' },
    ];
    for (const input of cases) {
      const { body } = await gql(g.h.url, FROM_URL, { input: { styleId: 'system_male_001', name: uniqueName('url'), ...input } });
      expect(body.data.createPictureModelingJobFromUrl).toMatchObject({ __typename: 'MssError', errorCode: 'MSS.00000003', httpStatus: 400, origin: 'GATEWAY' });
    }
    expect(g.emulator.calls).toHaveLength(0);
  });
});

describe('Redis: lost create answers and lost Redis state', () => {
  let redis: RedisServer;
  let h: Harness;
  let emulator: Emulator;
  beforeAll(async () => {
    redis = await startRedis();
    emulator = await createEmulator({ rateLimits: UNFELT_LIMITS, jobDurationMs: 3_600_000 });
    h = await startHarness({ env: { ...lossEnv, REDIS_URL: redis.url }, sharedEmulator: emulator });
  });
  afterAll(async () => {
    await h?.close();
    await emulator?.close();
    await redis?.stop();
  });
  beforeEach(() => emulator.reset());

  lossScenarios(() => ({ h, emulator }));

  it('Redis restarted without its data: a jobId subscription re-reads upstream instead of waiting in silence', async () => {
    const created = await upload(h, { name: uniqueName('flushed') });
    const client = wsClient(h.wsUrl);
    // The flush must come after the subscription has read the job: Redis's MONITOR shows that read.
    const admin = new Redis(redis.url);
    const monitor = await admin.monitor();
    let read = false;
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((arg) => arg.endsWith(`job:${created.jobId}`))) read = true;
    });
    const sub = subscribe(client, { jobId: created.jobId });
    await waitFor(() => read);
    monitor.disconnect();
    await admin.flushall();
    admin.disconnect();
    emulator.world.callbackMode = 'suppress';
    try {
      emulator.world.complete(created.jobId);
      // Hung would mean waiting in silence: the re-check must end it well within 12 s.
      await waitFor(() => sub.events.length > 0 || sub.errors.length > 0, 12_000);
      expect(sub.events[0].data.pictureModelingJobCompleted).toMatchObject({ jobId: created.jobId, state: 'SUCCEED' });
    } finally {
      emulator.world.callbackMode = 'normal';
      await client.dispose();
    }
  }, 20_000);
});
