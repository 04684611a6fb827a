/** pictureModelingStyles from the response cache: counted upstream calls, in memory and shared through Redis. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../src/emulator/create-emulator.js';
import { gql, startHarness, type Harness } from './support/harness.js';
import { startRedis, type RedisServer } from './support/redis.js';

const STYLES = '{ pictureModelingStyles { __typename ... on StyleList { styles { styleId name } } ... on MssError { errorCode } } }';
let emulator: Emulator;
beforeAll(async () => {
  emulator = await createEmulator({ jobDurationMs: 3_600_000 });
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(() => emulator.reset());

describe('styles cache, one instance', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ sharedEmulator: emulator, env: { STYLES_CACHE_TTL_MS: '400' } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('an upstream error is not cached; the first good answer is, until the TTL passes', async () => {
    emulator.addFault({ operation: 'ListStyles', status: 500, body: { error_code: 'MSS.00000004', error_msg: 'Internal Error' } });
    expect((await gql(h.url, STYLES)).body.data.pictureModelingStyles).toEqual({ __typename: 'MssError', errorCode: 'MSS.00000004' });
    for (let i = 0; i < 5; i++) expect((await gql(h.url, STYLES)).body.data.pictureModelingStyles.__typename).toBe('StyleList');
    expect(emulator.countReceived('ListStyles')).toBe(2);
    await new Promise((r) => setTimeout(r, 500));
    await gql(h.url, STYLES);
    expect(emulator.countReceived('ListStyles')).toBe(3);
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
});
