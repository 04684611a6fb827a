/**
 * The job event log on both backends (a real SQLite file, a real Redis): events of one
 * job in state order and each state once, cursors that replay exactly what came after,
 * a bound per principal, and streams that do not mix principals.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compareCursors, recordingJobEvents, type JobEventLog } from '../src/jobs/completion/event-log.js';
import { createSqliteStore } from '../src/jobs/store/sqlite/index.js';
import { createLogger } from '../src/observability/logger.js';
import { createRedisEventLog } from '../src/jobs/completion/redis-event-log.js';
import { createRedisEventTarget } from '../src/jobs/completion/redis-event-target.js';
import { createSqliteEventLog } from '../src/jobs/completion/sqlite-event-log.js';
import type { JobRecord } from '../src/jobs/model/job-record.js';
import type { JobState } from '../src/metastudio/types.js';
import { tempDir } from './support/harness.js';
import { startRedis, type RedisServer } from './support/redis.js';

let redis: RedisServer;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis.stop();
});

const limits = { retentionMs: 24 * 3_600_000, maxPerStream: 100 };
const job = (jobId: string, state: JobState, owner = 'alice'): JobRecord => ({
  jobId,
  owner,
  state,
  modelAssetId: null,
  styleId: null,
  name: null,
  startTime: null,
  endTime: null,
  modelCoverUrl: null,
  errorCode: null,
  errorMsg: null,
  callbackNonce: null,
  notifyUrl: null,
  appUserId: null,
  createdAt: 0,
  updatedAt: 0,
});

/** Resolves once someone listens on this stream's channel (Redis subscribes asynchronously). */
type Listening = (stream: string) => Promise<void>;

describe.each([
  ['SQLite', async (): Promise<[JobEventLog, Listening]> => [createSqliteEventLog(join(tempDir(), 'events.db'), limits), async () => {}]],
  [
    'Redis',
    async (): Promise<[JobEventLog, Listening]> => {
      const [client, publisher, subscriber] = [new Redis(redis.url), new Redis(redis.url), new Redis(redis.url)];
      clients.push(client, publisher, subscriber);
      await client.flushall();
      const target = createRedisEventTarget({ publisher, subscriber, sharded: false, log: createLogger('silent') });
      const listening: Listening = (stream) =>
        vi.waitFor(async () => {
          const [, count] = (await client.call('PUBSUB', 'NUMSUB', `pictureModelingJobUpdated:{${stream}}`)) as [string, number];
          expect(count).toBe(1);
        });
      return [createRedisEventLog(client, target, limits, false), listening];
    },
  ],
])('job event log on %s', (_name, create) => {
  let listening: Listening;
  let log: JobEventLog;
  beforeAll(async () => {
    [log, listening] = await create();
  });
  afterAll(async () => {
    await log.close();
  });

  it('keeps each state of a job once and in order: a repeated or older state is not appended', async () => {
    expect(await log.append('alice', job('j1', 'WAITING'))).toBeDefined();
    expect(await log.append('alice', job('j1', 'PROCESSING'))).toBeDefined();
    expect(await log.append('alice', job('j1', 'PROCESSING'))).toBeUndefined();
    expect(await log.append('alice', job('j1', 'WAITING'))).toBeUndefined();
    expect(await log.append('alice', job('j1', 'SUCCEED'))).toBeDefined();
    expect(await log.append('alice', job('j1', 'PROCESSING'))).toBeUndefined();
    const events = await log.read('alice', undefined, 10);
    expect(events.map((e) => e.job.state)).toEqual(['WAITING', 'PROCESSING', 'SUCCEED']);
    expect(compareCursors(events[0]!.cursor, events[1]!.cursor)).toBe(-1);
    expect(compareCursors(events[1]!.cursor, events[2]!.cursor)).toBe(-1);
  });

  it('replays exactly what came after a cursor, and nothing of other principals', async () => {
    const mark = (await log.append('alice', job('j2', 'WAITING')))!.cursor;
    await log.append('bob', job('b1', 'WAITING', 'bob'));
    await log.append('alice', job('j2', 'FAILED'));
    await log.append('alice', job('j3', 'WAITING'));
    const after = await log.read('alice', mark, 10);
    expect(after.map((e) => `${e.job.jobId}:${e.job.state}`)).toEqual(['j2:FAILED', 'j3:WAITING']);
    expect((await log.read('bob', undefined, 10)).map((e) => e.job.jobId)).toEqual(['b1']);
  });

  it('is bounded per principal: the newest events are kept', async () => {
    for (let i = 0; i < 400; i++) await log.append('carol', job(`c${i}`, 'WAITING', 'carol'));
    const kept = await log.read('carol', undefined, 10_000);
    // Redis trims with MAXLEN ~ (whole macro nodes of 100 entries): at most one node more.
    expect(kept.length).toBeGreaterThanOrEqual(100);
    expect(kept.length).toBeLessThanOrEqual(200);
    expect(kept.at(-1)!.job.jobId).toBe('c399');
  });

  it('publishes each appended event to live listeners of that stream only', async () => {
    const heard: string[] = [];
    const off = log.listen('dave', (e) => heard.push(e.job.jobId));
    await listening('dave');
    await log.append('dave', job('d1', 'WAITING', 'dave'));
    await log.append('erin', job('e1', 'WAITING', 'erin'));
    await log.append('dave', job('d2', 'WAITING', 'dave'));
    await log.append('dave', job('d3', 'WAITING', 'dave'));
    await vi.waitFor(() => expect(heard).toEqual(['d1', 'd2', 'd3']));
    off();
  });
});

describe('recording job events beside the store', () => {
  it('a log that cannot be written never fails the store write: the state is stored and the failure logged', async () => {
    const dir = tempDir();
    const store = createSqliteStore(join(dir, 'gateway.db'));
    const events = createSqliteEventLog(join(dir, 'gateway.db'), limits);
    const lines: string[] = [];
    const log = createLogger('warn', new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }));
    const recording = recordingJobEvents(store, events, log);
    await recording.insertJob(job('kept', 'WAITING'));
    expect((await events.read('alice', undefined, 10)).map((e) => e.job.jobId)).toEqual(['kept']);
    await events.close();
    const stored = await recording.insertJob(job('still-stored', 'WAITING'));
    expect(stored.jobId).toBe('still-stored');
    expect((await store.getJob('still-stored'))?.state).toBe('WAITING');
    expect(lines.some((l) => l.includes('job event not logged') && l.includes('still-stored'))).toBe(true);
    await store.close();
  });
});
