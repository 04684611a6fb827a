/**
 * Two gateway instances act as one on each way to run Redis: one node, a Sentinel-watched
 * primary with a replica, and a 3-master Cluster with a replica per master (keys
 * hash-tagged, sharded pub/sub, WAIT for a replica before a create is sent).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../src/emulator/create-emulator.js';
import { hs256Bearer } from './support/identity.js';
import { createOn } from './support/multipart.js';
import { gql, startHarness, UNFELT_LIMITS, waitFor, type Harness } from './support/harness.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { startCluster, startSentinelGroup, type RedisCluster, type SentinelGroup } from './support/redis-topologies.js';
import { openSubscriptions, subscribe, wsClient } from './support/subscriptions.js';

let single: RedisServer;
let sentinel: SentinelGroup;
let cluster: RedisCluster;
let emulator: Emulator;

beforeAll(async () => {
  [single, sentinel, cluster, emulator] = await Promise.all([startRedis(), startSentinelGroup(), startCluster(), createEmulator({ jobDurationMs: 3_600_000, rateLimits: UNFELT_LIMITS })]);
}, 60_000);
afterAll(async () => {
  await emulator?.close();
  await Promise.all([single?.stop(), sentinel?.stop(), cluster?.stop()]);
});

const secret = 'redis-topologies-secret-'.padEnd(40, 'z');
const tokenFor = (sub: string) => hs256Bearer(secret, sub);

const JOB_QUERY = `query($id: ID!) { pictureModelingJob(jobId: $id) { __typename ... on PictureModelingJob { jobId state } ... on MssError { errorCode } } }`;

describe.each([
  ['one node', () => ({ REDIS_URL: single.url })],
  ['Sentinel', () => sentinel.env()],
  ['Cluster', () => cluster.env()],
] as const)('two instances on %s', (_name, redisEnv) => {
  let a: Harness;
  let b: Harness;
  beforeAll(async () => {
    const env = {
      ...redisEnv(),
      AUTH_JWT_SECRET: secret,
      CALLBACK_SECRET: 'topologies-callback-secret-0123456789',
      RATE_LIMIT_CREATES_PER_MINUTE: '1000',
      MAX_PENDING_JOBS_PER_PRINCIPAL: '1000',
      // Ten uploads at once from one principal: the per-principal upload slots are not what this is about.
      MAX_UPLOADS_PER_PRINCIPAL: '1000',
      LOG_LEVEL: 'warn',
    };
    [a, b] = await Promise.all([startHarness({ env, sharedEmulator: emulator }), startHarness({ env, sharedEmulator: emulator })]);
    await waitFor(async () => (await fetch(`${a.url}/ready`)).status === 200 && (await fetch(`${b.url}/ready`)).status === 200, 10_000);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('200 reads on B right after creates answered by A: none is JOB_NOT_FOUND', async () => {
    const headers = await tokenFor('reader');
    const outcomes: string[] = [];
    // Ten at a time: each read is sent the moment its create's answer arrives.
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < 20; i++) {
          const created = await createOn(a, headers);
          expect(created.__typename).toBe('PictureModelingJobCreated');
          const { body } = await gql(b.url, JOB_QUERY, { id: created.jobId }, headers);
          outcomes.push(body.data.pictureModelingJob.__typename === 'PictureModelingJob' ? 'found' : body.data.pictureModelingJob.errorCode);
        }
      }),
    );
    expect(outcomes.filter((o) => o !== 'found')).toEqual([]);
    expect(outcomes).toHaveLength(200);
  });

  it('a jobId subscription on B right after the create on A; the callback reaches A and completes it', async () => {
    const headers = await tokenFor('subscriber');
    const created = await createOn(a, headers);
    const client = wsClient(b.wsUrl, { connectionParams: headers });
    const sub = subscribe(client, { jobId: created.jobId });
    const all = subscribe(client);
    // Listening on B: its server counts both subscriptions open.
    await waitFor(async () => (await openSubscriptions(b.url)) >= 2);
    emulator.world.complete(created.jobId);
    await sub.done;
    expect(sub.events[0].data.pictureModelingJobCompleted).toMatchObject({ jobId: created.jobId, state: 'SUCCEED' });
    await waitFor(() => all.events.some((e) => e.data.pictureModelingJobCompleted.jobId === created.jobId));
    await client.dispose();
  });

  it('one idempotencyKey on both instances at once makes one job; the styles cache answers on both', async () => {
    const quota = await tokenFor(`idem-${Math.random()}`);
    const input = { idempotencyKey: 'k-1', name: `idem-${Math.random().toString(36).slice(2)}` };
    const [x, y] = await Promise.all([createOn(a, quota, input), createOn(b, quota, input)]);
    expect(x.__typename).toBe('PictureModelingJobCreated');
    expect(y.jobId).toBe(x.jobId);
    const reused = await createOn(b, quota, { idempotencyKey: 'k-1', name: 'another-name' });
    expect(reused).toMatchObject({ __typename: 'MssError', errorCode: 'GATEWAY.IDEMPOTENCY_KEY_REUSED' });
    for (const h of [a, b, a]) expect((await gql(h.url, '{ pictureModelingStyles { __typename } }', undefined, quota)).body.data.pictureModelingStyles.__typename).toBe('StyleList');
  });
});
