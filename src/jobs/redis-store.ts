/**
 * JobStore and event bus on Redis, so several gateway instances act as one. Job records
 * are JSON strings updated by compare-and-set, so the forward-only merge stays atomic
 * across instances; completions go through Redis pub/sub (which replays nothing: the
 * state is always stored before it is published).
 */
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import { isTerminal } from '../metastudio/types.js';
import { mergeUpstream, type JobRecord } from './job-record.js';
import type { CallbackRegistration, JobStore } from './job-store.js';
import type { JobBackend } from './backend.js';

const PREFIX = 'msgw:';
const jobKey = (id: string) => `${PREFIX}job:${id}`;
const callbackKey = (nonce: string) => `${PREFIX}cb:${nonce}`;
const PENDING = `${PREFIX}pending`;

/** SET the job only if it is still what we read; drop it from the pending set when terminal. */
const CAS_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  if ARGV[3] == '1' then redis.call('ZREM', KEYS[2], ARGV[4]) end
  return 1
end
return 0`;

/** Take the lease if it is free (or expired), or renew it for its holder. */
const TAKE_OR_RENEW_LEASE = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

function connect(url: string, log: Logger, role: string): Redis {
  const client = new Redis(url, {
    // Fail commands fast during an outage instead of queueing them forever; /ready says 503.
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * times, 1000),
    lazyConnect: false,
  });
  client.on('error', (error: Error) => log.warn({ role, err: error.message }, 'redis error'));
  client.on('ready', () => log.info({ role }, 'redis ready'));
  return client;
}

export function createRedisBackend(url: string, callbackTtlSeconds: number, log: Logger): JobBackend {
  const redis = connect(url, log, 'store');
  const publisher = connect(url, log, 'publish');
  const subscriber = connect(url, log, 'subscribe');
  const eventTarget = createRedisEventTarget({ publishClient: publisher, subscribeClient: subscriber }) as unknown as EventTarget;

  const parse = (raw: string | null): JobRecord | undefined => (raw ? (JSON.parse(raw) as JobRecord) : undefined);

  const store: JobStore = {
    async registerCallback(r) {
      const key = callbackKey(r.nonce);
      await redis
        .multi()
        .hset(key, { owner: r.owner, createdAt: String(r.createdAt), earlyHit: '0' })
        .expire(key, callbackTtlSeconds)
        .exec();
    },
    async linkCallback(nonce, jobId) {
      const result = await redis.multi().hset(callbackKey(nonce), 'jobId', jobId).hget(callbackKey(nonce), 'earlyHit').exec();
      return { earlyHit: result?.[1]?.[1] === '1' };
    },
    async findCallback(nonce): Promise<CallbackRegistration | undefined> {
      const h = await redis.hgetall(callbackKey(nonce));
      if (!h['owner']) return undefined;
      return { nonce, jobId: h['jobId'] ?? null, owner: h['owner'], createdAt: Number(h['createdAt']), earlyHit: h['earlyHit'] === '1' };
    },
    async markEarlyCallback(nonce) {
      await redis.hset(callbackKey(nonce), 'earlyHit', '1');
    },
    async insertJob(record) {
      const created = await redis.set(jobKey(record.jobId), JSON.stringify(record), 'NX');
      if (created && !isTerminal(record.state)) await redis.zadd(PENDING, record.createdAt, record.jobId);
      return parse(await redis.get(jobKey(record.jobId)))!;
    },
    async getJob(jobId) {
      return parse(await redis.get(jobKey(jobId)));
    },
    async getJobs(jobIds) {
      const ids = [...new Set(jobIds)];
      const out = new Map<string, JobRecord>();
      if (ids.length === 0) return out;
      const raws = await redis.mget(ids.map(jobKey));
      raws.forEach((raw, i) => {
        const record = parse(raw);
        if (record) out.set(ids[i]!, record);
      });
      return out;
    },
    async applyUpstream(jobId, info) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const raw = await redis.get(jobKey(jobId));
        const current = parse(raw);
        if (!current) return undefined;
        const result = mergeUpstream(current, info);
        if (result.record === current) return result;
        const terminal = isTerminal(result.record.state) ? '1' : '0';
        const swapped = await redis.eval(CAS_SCRIPT, 2, jobKey(jobId), PENDING, raw!, JSON.stringify(result.record), terminal, jobId);
        if (swapped === 1) return result;
      }
      throw new Error(`job ${jobId} kept changing under concurrent updates`);
    },
    async listPendingJobIds(limit) {
      return redis.zrange(PENDING, 0, limit - 1);
    },
    async getOrCreateSecret(name, generate) {
      await redis.set(`${PREFIX}secret:${name}`, generate(), 'NX');
      return (await redis.get(`${PREFIX}secret:${name}`))!;
    },
    async acquireLease(key, holder, ttlMs) {
      return (await redis.eval(TAKE_OR_RENEW_LEASE, 1, `${PREFIX}lease:${key}`, holder, String(ttlMs))) === 1;
    },
    async ready() {
      if (redis.status !== 'ready') return false;
      try {
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      await Promise.allSettled([redis.quit(), publisher.quit(), subscriber.quit()]);
    },
  };

  return {
    store,
    eventTarget,
    busReady: () => publisher.status === 'ready' && subscriber.status === 'ready',
    close: () => store.close(),
  };
}
