/** pictureModelingStyles from the response cache: counted upstream calls, in memory and shared through Redis. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { PictureModelingStyles } from '../client/operations.js';
import { createEmulator, type Emulator } from '../src/emulator/create-emulator.js';
import { gql, startHarness, waitFor, type Harness, UNFELT_LIMITS } from './support/harness.js';
import { makePng } from './support/images.js';
import { uploadPhoto } from './support/multipart.js';
import { startRedis, type RedisServer } from './support/redis.js';

const STYLES = '{ pictureModelingStyles { __typename ... on StyleList { styles { styleId name } } ... on MssError { errorCode } } }';
let emulator: Emulator;
beforeAll(async () => {
  emulator = await createEmulator({ rateLimits: UNFELT_LIMITS, jobDurationMs: 3_600_000 });
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(() => emulator.reset());

describe('styles cache, one instance', () => {
  const STYLES_TTL_MS = 600;
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ sharedEmulator: emulator, env: { STYLES_CACHE_TTL_MS: String(STYLES_TTL_MS) } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('an upstream error is not cached; the first good answer is, until the TTL passes', async () => {
    emulator.addFault({ operation: 'ListStyles', status: 500, body: { error_code: 'MSS.00000004', error_msg: 'Internal Error' } });
    expect((await gql(h.url, STYLES)).body.data.pictureModelingStyles).toEqual({ __typename: 'MssError', errorCode: 'MSS.00000004' });
    // Cached from its first good answer, which comes no sooner than this, for the TTL: any
    // answer that has arrived before askedAt + TTL was a hit. (A loaded machine may not fit
    // five queries into it: only those that did are checked.)
    const askedAt = Date.now();
    expect((await gql(h.url, STYLES)).body.data.pictureModelingStyles.__typename).toBe('StyleList');
    expect(emulator.countReceived('ListStyles')).toBe(2);
    let hits = 0;
    for (let i = 0; i < 5; i++) {
      expect((await gql(h.url, STYLES)).body.data.pictureModelingStyles.__typename).toBe('StyleList');
      // 10 ms for the cache's own clock, read at other instants than this one.
      if (Date.now() - askedAt >= STYLES_TTL_MS - 10) break;
      expect(emulator.countReceived('ListStyles')).toBe(2);
      hits++;
    }
    expect(hits).toBeGreaterThan(0);
    // The cache takes no clock: the TTL passes for real, and the first query after it reaches
    // upstream again, once.
    await waitFor(async () => {
      await gql(h.url, STYLES);
      return emulator.countReceived('ListStyles') === 3;
    }, 5000, 50);
    expect(Date.now() - askedAt).toBeGreaterThanOrEqual(STYLES_TTL_MS - 10);
    expect(emulator.countReceived('ListStyles')).toBe(3);
  });

  it('a trusted document sent by its id is cached like its text', async () => {
    const documentId = (PictureModelingStyles as unknown as { __meta__: { hash: string } }).__meta__.hash;
    const byId = () =>
      fetch(`${h.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documentId }) }).then((r) => r.json() as Promise<any>);
    expect((await byId()).data.pictureModelingStyles.__typename).toBe('StyleList');
    expect((await byId()).data.pictureModelingStyles.__typename).toBe('StyleList');
    expect(emulator.countReceived('ListStyles')).toBe(1);
  });

  it('a query that also reads jobs is never cached', async () => {
    const mixed = '{ pictureModelingStyles { __typename } pictureModelingJobs { __typename ... on PictureModelingJobList { totalCount } } }';
    await gql(h.url, mixed);
    await gql(h.url, mixed);
    expect(emulator.countReceived('ListStyles')).toBe(2);
  });
});

describe('styles cache, shared through Redis', () => {
  let redis: RedisServer;
  let a: Harness;
  let b: Harness;
  beforeAll(async () => {
    redis = await startRedis();
    a = await startHarness({ sharedEmulator: emulator, env: { REDIS_URL: redis.url } });
    b = await startHarness({ sharedEmulator: emulator, env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it('an answer cached by one instance serves the other', async () => {
    expect((await gql(a.url, STYLES)).body.data.pictureModelingStyles.__typename).toBe('StyleList');
    expect((await gql(b.url, STYLES)).body.data.pictureModelingStyles.__typename).toBe('StyleList');
    expect((await gql(b.url, STYLES)).body.data.pictureModelingStyles.styles).toHaveLength(4);
    expect(emulator.countReceived('ListStyles')).toBe(1);
  });

  it('uploads and other mutations never ask the cache (no GET of a cache key in Redis)', async () => {
    // The cache's keys are bare sha256 ids; the store's all carry its prefix.
    const monitor = await new Redis(redis.url).monitor();
    const cacheReads: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'get' && /^[0-9a-f]{64}$/.test(args[1] ?? '')) cacheReads.push(args[1]!);
    });
    try {
      const upload = await uploadPhoto(a.url, { file: makePng(600, 800) });
      expect(upload.body.data.createPictureModelingJob.__typename).toBe('PictureModelingJobCreated');
      const fromUrl = await gql(a.url, 'mutation($i: CreatePictureModelingJobFromUrlInput!) { createPictureModelingJobFromUrl(input: $i) { __typename } }', {
        i: { pictureUrl: 'https://example.com/photo.jpg', styleId: 'system_male_001', name: 'from-url' },
      });
      expect(fromUrl.body.data.createPictureModelingJobFromUrl.__typename).toBe('PictureModelingJobCreated');
      // The probe works: a styles query does read its key (waited for, so the mutations' reads would be in too).
      await gql(a.url, STYLES);
      await waitFor(() => cacheReads.length > 0);
      expect(cacheReads).toHaveLength(1);
    } finally {
      monitor.disconnect();
    }
  });
});
