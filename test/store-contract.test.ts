/**
 * One contract, every backend: the same cases against SQLite and Redis (both real). Each
 * method must be atomic on its own; the cases below check what callers rely on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { recordFromUpstream, type JobRecord } from '../src/jobs/model/job-record.js';
import { createRedisBackend, UnreplicatedError } from '../src/jobs/store/redis/index.js';
import { createSqliteStore } from '../src/jobs/store/sqlite/index.js';
import type { GatewayStore, NewRegistration } from '../src/jobs/store/store.js';
import { createLogger } from '../src/observability/logger.js';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { MetaStudioError } from '../src/errors.js';
import Database from 'better-sqlite3';
import { tempDir, waitFor } from './support/harness.js';
import { redisUrlConfig, startRedis, type RedisServer } from './support/redis.js';
import { startCluster, startSentinelGroup, type RedisCluster, type SentinelGroup } from './support/redis-topologies.js';

let redis: RedisServer;
let sentinel: SentinelGroup;
let cluster: RedisCluster;
const stores: GatewayStore[] = [];
beforeAll(async () => {
  [redis, sentinel, cluster] = await Promise.all([startRedis(), startSentinelGroup(), startCluster()]);
}, 60_000);
afterAll(async () => {
  // Together: each close may wait up to a second on QUIT, and there are a dozen.
  await Promise.all(stores.map((store) => store.close()));
  await Promise.all([redis?.stop(), sentinel?.stop(), cluster?.stop()]);
});

let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${counter++}`;
const job = (owner: string, extra: Partial<JobRecord> = {}): JobRecord =>
  recordFromUpstream({ job_id: unique('job'), state: 'WAITING', name: unique('name') }, { owner, createdAt: Date.now() + counter, ...extra });
const registration = (owner: string, extra: Partial<NewRegistration> = {}): NewRegistration => ({
  nonce: unique('nonce'),
  owner,
  name: unique('name'),
  styleId: 'system_male_001',
  notifyUrl: null,
  appUserId: null,
  idempotencyKey: null,
  createdAt: Date.now(),
  ...extra,
});

/** The store's clock, moved by hand: what SQLite compares expiries with. Redis expires keys on its own clock (PX). */
function manualClock(start = Date.now()) {
  let current = start;
  return { now: () => current, advance: (ms: number) => void (current += ms) };
}

describe.each([
  ['sqlite', async (now: () => number) => createSqliteStore(join(tempDir(), 'contract.db'), { now })],
  ['redis', async (now: () => number) => createRedisBackend(redisUrlConfig(redis.url), 3600, createLogger('silent'), { now }).store],
  // Both with WAIT for one replica, as they run by default.
  ['redis-sentinel', async (now: () => number) => createRedisBackend(sentinel.config(), 3600, createLogger('silent'), { now }).store],
  ['redis-cluster', async (now: () => number) => createRedisBackend(cluster.config(), 3600, createLogger('silent'), { now }).store],
] as const)('%s store', (backend, open) => {
  let store: GatewayStore;
  const clock = manualClock();
  beforeAll(async () => {
    store = await open(clock.now);
    stores.push(store);
  });

  it('insertJob keeps a record that is already there; getJobs finds several at once', async () => {
    const first = job('alice');
    expect(await store.insertJob(first)).toEqual(first);
    expect(await store.insertJob({ ...first, name: 'other' })).toEqual(first);
    const second = job('alice');
    await store.insertJob(second);
    const found = await store.getJobs([first.jobId, second.jobId, 'missing', first.jobId]);
    expect([...found.keys()].sort()).toEqual([first.jobId, second.jobId].sort());
  });

  it('applyUpstream stamps updatedAt with the store\'s clock', async () => {
    const record = job('alice', { updatedAt: 1 });
    await store.insertJob(record);
    clock.advance(60_000);
    const moved = await store.applyUpstream(record.jobId, { job_id: record.jobId, state: 'PROCESSING' });
    expect(moved?.record.updatedAt).toBe(clock.now());
    expect((await store.getJob(record.jobId))?.updatedAt).toBe(clock.now());
  });

  it('applyUpstream only moves forward; a terminal job leaves the pending list', async () => {
    const record = job('alice');
    await store.insertJob(record);
    expect(await store.listPendingJobIds(10_000)).toContain(record.jobId);
    expect((await store.applyUpstream(record.jobId, { job_id: record.jobId, state: 'PROCESSING' }))?.changed).toBe(true);
    expect((await store.applyUpstream(record.jobId, { job_id: record.jobId, state: 'WAITING' }))?.changed).toBe(false);
    const done = await store.applyUpstream(record.jobId, { job_id: record.jobId, state: 'SUCCEED', model_cover_url: 'c' });
    expect(done).toMatchObject({ becameTerminal: true, record: { state: 'SUCCEED', modelCoverUrl: 'c' } });
    expect(await store.listPendingJobIds(10_000)).not.toContain(record.jobId);
    expect(await store.applyUpstream('missing', { job_id: 'missing', state: 'SUCCEED' })).toBeUndefined();
  });

  it('listJobs: one owner\'s jobs, newest first, filtered by state and paged', async () => {
    const owner = unique('owner');
    const jobs = [job(owner), job(owner), job(owner, { state: 'FAILED' })];
    for (const j of jobs) await store.insertJob(j);
    await store.insertJob(job(unique('someone-else')));
    const all = await store.listJobs(owner, { offset: 0, limit: 10 });
    expect(all.total).toBe(3);
    expect(all.jobs.map((j) => j.jobId)).toEqual(jobs.map((j) => j.jobId).reverse());
    expect((await store.listJobs(owner, { offset: 1, limit: 1 })).jobs.map((j) => j.jobId)).toEqual([jobs[1]!.jobId]);
    const failed = await store.listJobs(owner, { offset: 0, limit: 10, states: ['FAILED'] });
    expect(failed).toMatchObject({ total: 1, jobs: [{ jobId: jobs[2]!.jobId }] });
  });

  it('openRegistration enforces the owner\'s limit on unfinished jobs and creates together', async () => {
    const owner = unique('owner');
    expect(await store.openRegistration(registration(owner), 2)).toEqual({ ok: true });
    const linked = registration(owner);
    expect(await store.openRegistration(linked, 2)).toEqual({ ok: true });
    expect(await store.openRegistration(registration(owner), 2)).toEqual({ ok: false, reason: 'quota' });
    // Linking turns the registration into an unfinished job: still two.
    const record = job(owner, { callbackNonce: linked.nonce });
    await store.linkRegistration(linked.nonce, record);
    expect(await store.openRegistration(registration(owner), 2)).toEqual({ ok: false, reason: 'quota' });
    // A job that ends frees its place.
    await store.applyUpstream(record.jobId, { job_id: record.jobId, state: 'SUCCEED' });
    expect(await store.openRegistration(registration(owner), 2)).toEqual({ ok: true });
  });

  it('an idempotency key is held by the first registration until it is removed', async () => {
    const owner = unique('owner');
    const first = registration(owner, { idempotencyKey: 'key-1' });
    expect(await store.openRegistration(first, 10, { key: 'key-1', fingerprint: 'f1', ttlMs: 60_000 })).toEqual({ ok: true });
    expect(await store.openRegistration(registration(owner, { idempotencyKey: 'key-1' }), 10, { key: 'key-1', fingerprint: 'f2', ttlMs: 60_000 })).toEqual({
      ok: false,
      reason: 'duplicate',
      existing: { nonce: first.nonce, fingerprint: 'f1' },
    });
    expect(await store.findIdempotent(owner, 'key-1')).toEqual({ nonce: first.nonce, fingerprint: 'f1' });
    // Keys are per owner.
    expect(await store.findIdempotent(unique('other'), 'key-1')).toBeUndefined();
    await store.removeRegistration(first);
    expect(await store.findIdempotent(owner, 'key-1')).toBeUndefined();
    expect(await store.findRegistration(first.nonce)).toBeUndefined();
  });

  // Expiries: SQLite compares with the store's clock, so it lapses the moment the clock is
  // advanced; Redis expires the key itself (PX) on its own clock, so there it is waited for.
  const TTL_MS = 1000;
  const lapsed = (probe: () => Promise<boolean>) => (backend === 'sqlite' ? probe().then((ok) => expect(ok).toBe(true)) : waitFor(probe));

  it('an idempotency key lapses after its ttl; then another create may take it', async () => {
    const owner = unique('owner');
    const key = unique('key');
    const first = registration(owner, { idempotencyKey: key });
    expect(await store.openRegistration(first, 10, { key, fingerprint: 'f1', ttlMs: TTL_MS })).toEqual({ ok: true });
    clock.advance(TTL_MS - 1);
    expect(await store.findIdempotent(owner, key)).toEqual({ nonce: first.nonce, fingerprint: 'f1' });
    clock.advance(1);
    await lapsed(async () => (await store.findIdempotent(owner, key)) === undefined);
    const second = registration(owner, { idempotencyKey: key });
    expect(await store.openRegistration(second, 10, { key, fingerprint: 'f2', ttlMs: 60_000 })).toEqual({ ok: true });
    expect(await store.findIdempotent(owner, key)).toEqual({ nonce: second.nonce, fingerprint: 'f2' });
  });

  it('a lease lapses after its ttl; then another holder takes it', async () => {
    const key = unique('lease');
    expect(await store.acquireLease(key, 'one', TTL_MS)).toBe(true);
    clock.advance(TTL_MS - 1);
    expect(await store.acquireLease(key, 'two', 60_000)).toBe(false);
    clock.advance(2);
    await lapsed(() => store.acquireLease(key, 'two', 60_000));
    expect(await store.acquireLease(key, 'one', 60_000)).toBe(false);
  });

  it('a registration moves from creating to unanswered or linked; an early callback is remembered', async () => {
    const owner = unique('owner');
    const r = registration(owner);
    await store.openRegistration(r, 10);
    expect(await store.findRegistration(r.nonce)).toMatchObject({ status: 'creating', jobId: null, earlyHit: false, name: r.name });
    await store.markEarlyCallback(r.nonce);
    await store.markUnanswered(r.nonce);
    expect(await store.findRegistration(r.nonce)).toMatchObject({ status: 'unanswered', earlyHit: true });
    expect((await store.listUnlinked(Date.now() + 1, 10_000)).map((u) => u.nonce)).toContain(r.nonce);
    const record = job(owner, { callbackNonce: r.nonce });
    const linked = await store.linkRegistration(r.nonce, record);
    expect(linked).toEqual({ record, earlyHit: true });
    expect(await store.findRegistration(r.nonce)).toMatchObject({ status: 'linked', jobId: record.jobId });
    expect((await store.listUnlinked(Date.now() + 1, 10_000)).map((u) => u.nonce)).not.toContain(r.nonce);
    // A second link (the create answer after an adoption) keeps the stored record.
    expect((await store.linkRegistration(r.nonce, { ...record, name: 'later' })).record.name).toBe(record.name);
  });

  it('linked registrations can be pruned once their tokens have expired; unlinked ones stay', async () => {
    const owner = unique('owner');
    const linked = registration(owner, { createdAt: 1000 });
    const open = registration(owner, { createdAt: 1000 });
    await store.openRegistration(linked, 10);
    await store.openRegistration(open, 10);
    await store.linkRegistration(linked.nonce, job(owner, { callbackNonce: linked.nonce }));
    await store.pruneRegistrations(2000);
    // Redis expires them with their tokens instead; either way an unlinked one is never pruned here.
    expect(await store.findRegistration(open.nonce)).toMatchObject({ jobId: null });
    if (backend === 'sqlite') expect(await store.findRegistration(linked.nonce)).toBeUndefined();
  });

  it('a secret is generated once; a lease has one holder at a time', async () => {
    const name = unique('secret');
    const a = await store.getOrCreateSecret(name, () => 'first');
    expect(await store.getOrCreateSecret(name, () => 'second')).toBe(a);
    const key = unique('lease');
    expect(await store.acquireLease(key, 'one', 60_000)).toBe(true);
    expect(await store.acquireLease(key, 'two', 60_000)).toBe(false);
    expect(await store.acquireLease(key, 'one', 60_000)).toBe(true);
    expect(await store.ready()).toBe(true);
  });
});

describe('Redis durability and failover', () => {
  it('WAIT: with no replica to acknowledge it, an intent is refused and leaves nothing behind (its idempotency key is free again)', async () => {
    const backend = createRedisBackend(redisUrlConfig(redis.url, 1), 3600, createLogger('silent'));
    stores.push(backend.store);
    const r = registration('alice', { idempotencyKey: unique('key') });
    const claim = { key: r.idempotencyKey!, fingerprint: 'f', ttlMs: 60_000 };
    const refused = await backend.store.openRegistration(r, 10, claim).catch((error: unknown) => error as MetaStudioError);
    expect(refused).toMatchObject({ code: 'GATEWAY.STORE_UNAVAILABLE', httpStatus: 503 });
    expect((refused as MetaStudioError).cause).toBeInstanceOf(UnreplicatedError);
    expect(await backend.store.findRegistration(r.nonce)).toBeUndefined();
    expect(await backend.store.findIdempotent('alice', claim.key)).toBeUndefined();
  });

  it('WAIT: a replica acknowledges each intent on Sentinel and on Cluster (no refusal)', async () => {
    for (const config of [sentinel.config(), cluster.config()]) {
      const backend = createRedisBackend(config, 3600, createLogger('silent'));
      stores.push(backend.store);
      expect(await backend.store.openRegistration(registration('alice'), 10)).toEqual({ ok: true });
    }
  });

  it('a node that turns read-only under the store: /ready is false and writes fail at once with STORE_UNAVAILABLE, never hang', async () => {
    const node = await startRedis();
    const backend = createRedisBackend(redisUrlConfig(node.url), 3600, createLogger('silent'));
    const admin = new (await import('ioredis')).Redis(node.port, '127.0.0.1');
    try {
      await waitFor(() => backend.store.ready());
      // A replica of a primary that does not exist: it still answers PING and reads.
      await admin.call('REPLICAOF', '127.0.0.1', '1');
      expect(await backend.store.ready()).toBe(false);
      expect(await backend.store.getJob('missing')).toBeUndefined();
      const refused = await backend.store.insertJob(job('dora')).catch((error: unknown) => error as MetaStudioError);
      expect(refused).toMatchObject({ code: 'GATEWAY.STORE_UNAVAILABLE' });
      await admin.call('REPLICAOF', 'NO', 'ONE');
      await waitFor(() => backend.store.ready());
    } finally {
      admin.disconnect();
      await backend.close();
      await node.stop();
    }
  });

  it('a rate limit counts on one node, Sentinel and Cluster alike', async () => {
    for (const config of [redisUrlConfig(redis.url), sentinel.config(), cluster.config()]) {
      const backend = createRedisBackend(config, 3600, createLogger('silent'));
      stores.push(backend.store);
      const limiter = backend.createLimiter(unique('limit'), 2, 60);
      await limiter.consume('carol');
      await limiter.consume('carol');
      await expect(limiter.consume('carol')).rejects.toBeInstanceOf(RateLimiterRes);
    }
  });

  it('Sentinel: after a failover (the old primary still up, now a read-only replica) writes reach the new primary and /ready is true', async () => {
    const backend = createRedisBackend(sentinel.config({ waitReplicas: 0 }), 3600, createLogger('silent'));
    stores.push(backend.store);
    await waitFor(() => backend.store.ready());
    const before = await sentinel.primaryPort();
    await backend.redis.call('SET', 'probe', '1');
    // A graceful failover: the old primary stays up, now a replica (writes to it: READONLY).
    const asked = new (await import('ioredis')).Redis(sentinel.sentinels[0]!.port, '127.0.0.1');
    await asked.call('SENTINEL', 'FAILOVER', sentinel.name);
    asked.disconnect();
    await waitFor(async () => (await sentinel.primaryPort()) !== before, 20_000);
    const r = registration('bob');
    // A write may fail while the switch is under way; it must then succeed (a store stuck on the demoted node never would).
    await waitFor(async () => (await backend.store.openRegistration(r, 10).catch(() => ({ ok: false }))).ok, 20_000);
    expect(await backend.store.findRegistration(r.nonce)).toMatchObject({ nonce: r.nonce });
    expect(await backend.store.ready()).toBe(true);
  });
});

describe('stored formats: what is on disk and in Redis is what it was, and what was written before still reads', () => {
  const record = (jobId: string): JobRecord => ({
    jobId,
    modelAssetId: 'asset-1',
    owner: 'alice',
    styleId: 'system_male_001',
    name: 'model-1',
    state: 'SUCCEED',
    startTime: '2024-05-01T10:00:00Z',
    endTime: null,
    modelCoverUrl: 'https://obs.example.com/cover.png',
    errorCode: null,
    errorMsg: null,
    callbackNonce: 'nonce-of-job',
    notifyUrl: null,
    appUserId: 'user-1',
    createdAt: 1000,
    updatedAt: 2000,
  });
  const jobRow = (jobId: string) => ({
    job_id: jobId,
    model_asset_id: 'asset-1',
    owner: 'alice',
    style_id: 'system_male_001',
    name: 'model-1',
    state: 'SUCCEED',
    start_time: '2024-05-01T10:00:00Z',
    end_time: null,
    model_cover_url: 'https://obs.example.com/cover.png',
    error_code: null,
    error_msg: null,
    callback_nonce: 'nonce-of-job',
    notify_url: null,
    app_user_id: 'user-1',
    created_at: 1000,
    updated_at: 2000,
  });
  const intent = (nonce: string): NewRegistration => ({
    nonce,
    owner: 'alice',
    name: 'model-1',
    styleId: 'system_male_001',
    notifyUrl: 'https://client.example.com/done',
    appUserId: null,
    idempotencyKey: null,
    createdAt: 1000,
  });
  const registrationRow = (nonce: string) => ({
    nonce,
    owner: 'alice',
    name: 'model-1',
    style_id: 'system_male_001',
    notify_url: 'https://client.example.com/done',
    app_user_id: null,
    idempotency_key: null,
    created_at: 1000,
  });

  it('SQLite: rows have the columns and values they had, and rows written as before read back as records', async () => {
    const path = join(tempDir(), 'format.db');
    const store = createSqliteStore(path);
    stores.push(store);
    const raw = new Database(path);
    try {
      const [job, nonce] = [unique('job'), unique('nonce')];
      await store.insertJob(record(job));
      await store.openRegistration(intent(nonce), 10);
      await store.markEarlyCallback(nonce);
      expect(raw.prepare('SELECT * FROM jobs WHERE job_id = ?').get(job)).toEqual(jobRow(job));
      expect(raw.prepare('SELECT * FROM registrations WHERE nonce = ?').get(nonce)).toEqual({ ...registrationRow(nonce), job_id: null, status: 'creating', early_hit: 1 });

      const [oldJob, oldNonce] = [unique('job'), unique('nonce')];
      const row = jobRow(oldJob);
      raw.prepare(`INSERT INTO jobs (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row).map((c) => `@${c}`).join(', ')})`).run(row);
      raw.prepare(
        `INSERT INTO registrations (nonce, owner, name, style_id, notify_url, app_user_id, idempotency_key, created_at, job_id, status)
         VALUES (@nonce, @owner, @name, @style_id, @notify_url, @app_user_id, @idempotency_key, @created_at, NULL, 'unanswered')`,
      ).run(registrationRow(oldNonce));
      expect(await store.getJob(oldJob)).toEqual(record(oldJob));
      expect(await store.findRegistration(oldNonce)).toEqual({ ...intent(oldNonce), jobId: null, status: 'unanswered', earlyHit: false });
    } finally {
      raw.close();
    }
  });

  it('Redis: a job is its JSON document, a registration its hash, and both as written before read back', async () => {
    const backend = createRedisBackend(redisUrlConfig(redis.url), 3600, createLogger('silent'));
    stores.push(backend.store);
    const { store, redis: raw } = backend;
    const [job, nonce] = [unique('job'), unique('nonce')];
    await store.insertJob(record(job));
    await store.openRegistration(intent(nonce), 10);
    expect(JSON.parse((await raw.get(`msgw:job:${job}`))!)).toEqual(record(job));
    const hash = await raw.hgetall(`msgw:reg:${nonce}`);
    expect({ ...hash, data: JSON.parse(hash['data']!) }).toEqual({ data: intent(nonce), status: 'creating', earlyHit: '0' });

    const [oldJob, oldNonce] = [unique('job'), unique('nonce')];
    await raw.set(`msgw:job:${oldJob}`, JSON.stringify(record(oldJob)));
    await raw.hset(`msgw:reg:${oldNonce}`, { data: JSON.stringify(intent(oldNonce)), status: 'creating', earlyHit: '0' });
    expect(await store.getJob(oldJob)).toEqual(record(oldJob));
    expect(await store.findRegistration(oldNonce)).toEqual({ ...intent(oldNonce), jobId: null, status: 'creating', earlyHit: false });
    // A late markUnanswered after the link (the old writer set both): still linked.
    await raw.hset(`msgw:reg:${oldNonce}`, { jobId: oldJob, status: 'unanswered', earlyHit: '1' });
    expect(await store.findRegistration(oldNonce)).toEqual({ ...intent(oldNonce), jobId: oldJob, status: 'linked', earlyHit: true });
  });
});
