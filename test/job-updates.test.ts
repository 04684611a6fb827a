/**
 * pictureModelingJobUpdated: every state change the gateway stores, in order, on
 * graphql-ws, SSE and multipart HTTP, scoped to the caller; and nothing missed across a
 * reconnect: a client that comes back with its last cursor (`after`, or SSE's
 * Last-Event-ID) gets every event it missed exactly once, then the live ones. Run on
 * both backends (SQLite table, Redis streams).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, tempDir, waitFor, type Harness } from './support/harness.js';
import { writeApiKeys } from './support/identity.js';
import { makePng } from './support/images.js';
import { uploadPhoto } from './support/multipart.js';
import { multipartSubscribe } from './support/multipart-subscription.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { sseUpdates, UPDATED_SUBSCRIPTION } from './support/job-updates.js';
import { opened, openSubscriptions, subscribe, untilSubscriptions, wsClient } from './support/subscriptions.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

describe.each([
  ['SQLite', () => ({})],
  ['Redis', () => ({ REDIS_URL: redis.url })],
])('pictureModelingJobUpdated on %s', (_name, backendEnv) => {
  let h: Harness;
  let keys: Record<string, string>;
  const as = (p: 'alice' | 'bob') => ({ 'x-api-key': keys[p]! });
  beforeAll(async () => {
    const api = writeApiKeys(tempDir(), ['alice', 'bob']);
    keys = api.keys;
    h = await startHarness({ emulator: { jobDurationMs: 3_600_000 }, env: { AUTH_API_KEYS_FILE: api.file, MULTIPART_HEARTBEAT_MS: '50', ...backendEnv() } });
  });
  afterAll(async () => {
    await h.close();
  });

  async function createJob(principal: 'alice' | 'bob' = 'alice'): Promise<string> {
    const { body } = await uploadPhoto(h.url, { file: makePng(64, 64), headers: as(principal) });
    return body.data.createPictureModelingJob.jobId;
  }
  /** What the poller does when it finds the job has moved upstream. */
  async function move(jobId: string, state: 'PROCESSING' | 'SUCCEED' | 'FAILED') {
    // A pinned state, so the emulator's own clock and callback do not race the test.
    h.emulator.world.force(jobId, state);
    await h.gateway.services.jobs.refresh(jobId);
  }
  const ws = (p: 'alice' | 'bob') => wsClient(h.wsUrl, { connectionParams: as(p) });
  const cursorNumber = (c: string) => c.split('-').map(BigInt);
  const increasing = (cursors: string[]) =>
    cursors.every((c, i) => i === 0 || (([a1, a2], [b1, b2]) => a1! > b1! || (a1 === b1 && a2! > b2!))([...cursorNumber(c), 0n], [...cursorNumber(cursors[i - 1]!), 0n]));

  it('graphql-ws, with a jobId: WAITING, PROCESSING and the terminal state in order, then completes', async () => {
    const jobId = await createJob();
    const client = ws('alice');
    const sub = subscribe(client, { jobId }, UPDATED_SUBSCRIPTION);
    // The WAITING event was logged at the create; it is replayed at once.
    await waitFor(() => sub.events.length === 1);
    await move(jobId, 'PROCESSING');
    await waitFor(() => sub.events.length === 2);
    await move(jobId, 'SUCCEED');
    await sub.done;
    expect(sub.errors).toEqual([]);
    expect(sub.completed()).toBe(true);
    const events = sub.events.map((e) => e.data.pictureModelingJobUpdated);
    expect(events.map((e) => [e.job.id, e.job.state])).toEqual([
      [jobId, 'WAITING'],
      [jobId, 'PROCESSING'],
      [jobId, 'SUCCEED'],
    ]);
    expect(increasing(events.map((e) => e.cursor))).toBe(true);
    await client.dispose();
  });

  it('a repeated reading (a duplicate callback, a second poll) adds no event', async () => {
    const jobId = await createJob();
    await move(jobId, 'PROCESSING');
    await h.gateway.services.jobs.refresh(jobId);
    await move(jobId, 'SUCCEED');
    await h.gateway.services.jobs.refresh(jobId);
    const client = ws('alice');
    const sub = subscribe(client, { jobId }, UPDATED_SUBSCRIPTION);
    await sub.done;
    expect(sub.events.map((e) => e.data.pictureModelingJobUpdated.job.state)).toEqual(['WAITING', 'PROCESSING', 'SUCCEED']);
    await client.dispose();
  });

  it('multipart HTTP, with a jobId: the same events as payload parts, then the closing boundary', async () => {
    const jobId = await createJob();
    const sub = await multipartSubscribe(h.url, { query: UPDATED_SUBSCRIPTION, variables: { jobId } }, AbortSignal.timeout(10_000), as('alice'));
    await waitFor(() => sub.payloads().length === 1);
    await move(jobId, 'PROCESSING');
    await move(jobId, 'FAILED');
    await sub.ended;
    expect(sub.closed()).toBe(true);
    expect(sub.payloads().map((p) => p.data.pictureModelingJobUpdated.job.state)).toEqual(['WAITING', 'PROCESSING', 'FAILED']);
  });

  it('SSE: each event carries its cursor as the id: line', async () => {
    const jobId = await createJob();
    const sub = await sseUpdates(h.url, { jobId }, AbortSignal.timeout(10_000), as('alice'));
    await waitFor(() => sub.events.length === 1);
    await move(jobId, 'SUCCEED');
    await waitFor(() => sub.ended());
    expect(sub.events.map((e) => e.data.data.pictureModelingJobUpdated.job.state)).toEqual(['WAITING', 'SUCCEED']);
    for (const e of sub.events) expect(e.id).toBe(e.data.data.pictureModelingJobUpdated.cursor);
  });

  it("scoped to the caller: another principal's job reads like an unknown one, and its events never reach anyone else", async () => {
    const bobs = ws('bob');
    const all = await opened(h.url, () => subscribe(bobs, {}, UPDATED_SUBSCRIPTION));
    const alicesJob = await createJob('alice');
    for (const jobId of [alicesJob, 'no-such-job']) {
      const one = subscribe(bobs, { jobId }, UPDATED_SUBSCRIPTION);
      await one.done;
      expect(one.events[0].errors[0].extensions.code).toBe('GATEWAY.JOB_NOT_FOUND');
    }
    const bobsJob = await createJob('bob');
    await move(alicesJob, 'SUCCEED');
    await move(bobsJob, 'SUCCEED');
    await waitFor(() => all.events.length === 2);
    expect(all.events.map((e) => [e.data.pictureModelingJobUpdated.job.jobId, e.data.pictureModelingJobUpdated.job.state])).toEqual([
      [bobsJob, 'WAITING'],
      [bobsJob, 'SUCCEED'],
    ]);
    await bobs.dispose();
  });

  it('a malformed cursor is a BAD_USER_INPUT error, not an empty stream', async () => {
    const client = ws('alice');
    const sub = subscribe(client, { after: 'yesterday' }, UPDATED_SUBSCRIPTION);
    await sub.done;
    expect(sub.events[0].errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const sse = await sseUpdates(h.url, {}, AbortSignal.timeout(5000), { ...as('alice'), 'last-event-id': 'x' });
    await waitFor(() => sse.ended());
    expect(sse.events[0]!.data.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    await client.dispose();
  });

  it('graphql-ws reconnect with `after`: every missed event exactly once, then live', async () => {
    const first = ws('alice');
    const before = await opened(h.url, () => subscribe(first, {}, UPDATED_SUBSCRIPTION));
    const jobs = [await createJob(), await createJob(), await createJob()];
    await waitFor(() => before.events.length === 3);
    const cursor = before.events.at(-1)!.data.pictureModelingJobUpdated.cursor as string;
    before.dispose();
    await first.dispose();
    // While disconnected: each job moves twice.
    for (const jobId of jobs) await move(jobId, 'PROCESSING');
    for (const jobId of jobs) await move(jobId, 'SUCCEED');
    const second = ws('alice');
    const after = subscribe(second, { after: cursor }, UPDATED_SUBSCRIPTION);
    await waitFor(() => after.events.length === 6);
    const live = await createJob();
    await waitFor(() => after.events.length === 7);
    const seen = after.events.map((e) => `${e.data.pictureModelingJobUpdated.job.jobId}:${e.data.pictureModelingJobUpdated.job.state}`);
    expect(seen).toEqual([...jobs.map((j) => `${j}:PROCESSING`), ...jobs.map((j) => `${j}:SUCCEED`), `${live}:WAITING`]);
    expect(new Set(after.events.map((e) => e.data.pictureModelingJobUpdated.cursor)).size).toBe(7);
    await second.dispose();
    // The server counts the close a moment after the client's dispose: the next test's opened() reads from zero.
    await untilSubscriptions(h.url, 0);
  });

  it('SSE reconnect with Last-Event-ID: every missed event exactly once, then live', async () => {
    const abort = new AbortController();
    const first = await opened(h.url, () => sseUpdates(h.url, {}, abort.signal, as('alice')));
    const jobs = [await createJob(), await createJob()];
    await waitFor(() => first.events.length === 2);
    const lastEventId = first.events.at(-1)!.id!;
    abort.abort();
    for (const jobId of jobs) await move(jobId, 'PROCESSING');
    await move(jobs[0]!, 'SUCCEED');
    await move(jobs[1]!, 'FAILED');
    const reconnect = new AbortController();
    const second = await sseUpdates(h.url, {}, reconnect.signal, { ...as('alice'), 'last-event-id': lastEventId });
    await waitFor(() => second.events.length === 4);
    const live = await createJob();
    await waitFor(() => second.events.length === 5);
    expect(second.events.map((e) => `${e.data.data.pictureModelingJobUpdated.job.jobId}:${e.data.data.pictureModelingJobUpdated.job.state}`)).toEqual([
      `${jobs[0]}:PROCESSING`,
      `${jobs[1]}:PROCESSING`,
      `${jobs[0]}:SUCCEED`,
      `${jobs[1]}:FAILED`,
      `${live}:WAITING`,
    ]);
    expect(new Set(second.events.map((e) => e.id)).size).toBe(5);
    reconnect.abort();
    await waitFor(async () => (await openSubscriptions(h.url)) === 0);
  });
});
