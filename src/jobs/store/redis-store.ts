/**
 * The store and event bus on Redis, so several gateway instances act as one. Every
 * method that touches more than one key is one Lua script, so it is atomic across
 * instances; completions go through Redis pub/sub (which replays nothing: the state is
 * always stored before it is published).
 *
 * Keys (prefix msgw:, or {msgw}: on a Cluster): job:<id> (JSON record), pending (zset of
 * unfinished job ids), owner:<p> (zset of a principal's job ids), active:<p> (set of a
 * principal's unfinished job ids and unlinked registrations), reg:<nonce> (hash),
 * unlinked (zset of nonces), idem:<p>:<key> (JSON, expiring), secret:<name>, lease:<key>.
 * On a Cluster the hash tag puts them all in one slot, so every script and MGET stays on
 * one shard: a job costs a few dozen commands, far below one node's capacity, and what
 * the Cluster adds is availability (a replica promoted when the shard's primary dies).
 * Rate-limit keys (msgw:rl:...) carry no tag: each is used alone, so they spread.
 *
 * With `waitReplicas` > 0 a create's intent is acknowledged by that many replicas (WAIT)
 * before openRegistration returns, so no create is sent upstream on the strength of a
 * write that a failover can discard.
 */
import { createRedisCache } from '@envelop/response-cache-redis';
import { createInMemoryCache, type Cache } from '@graphql-yoga/plugin-response-cache';
import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { RedisConfig } from '../../config.js';
import { isMetaStudioError, storeUnavailable } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { isTerminal } from '../../metastudio/types.js';
import { mergeUpstream, type JobRecord } from '../model/job-record.js';
import { createRedisEventTarget } from '../completion/redis-event-target.js';
import type { GatewayStore, Registration } from './store.js';
import type { JobBackend } from './backend.js';
import { createRedisSlotClock } from '../../budget/slot-clock.js';
import { closeRedis, connectRedis, type RedisClient } from './redis-connection.js';
import { createRedisEventLog } from '../completion/redis-event-log.js';

/** How long a create waits for its intent to reach a replica before it is refused. */
export const WAIT_TIMEOUT_MS = 2000;

const RATE_LIMIT_PREFIX = 'msgw:rl';

function keysUnder(prefix: string) {
  return {
    prefix,
    job: (id: string) => `${prefix}job:${id}`,
    reg: (nonce: string) => `${prefix}reg:${nonce}`,
    owner: (owner: string) => `${prefix}owner:${owner}`,
    active: (owner: string) => `${prefix}active:${owner}`,
    idem: (owner: string, key: string) => `${prefix}idem:${owner}:${key}`,
    pending: `${prefix}pending`,
    unlinked: `${prefix}unlinked`,
  };
}

/** Stores a job unless one is there, with its indexes: the owner's, and pending/active while unfinished. */
const STORE_JOB = `
local function store_job(job, pending, owner, active, json, id, created)
  if redis.call('SET', job, json, 'NX') then
    redis.call('ZADD', owner, created, id)
    local s = cjson.decode(json).state
    if s == 'WAITING' or s == 'PROCESSING' then
      redis.call('ZADD', pending, created, id)
      redis.call('SADD', active, id)
    end
  end
end`;

/** SET the job only if it is still what we read; when it turns terminal it leaves pending and active. */
const CAS_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  if ARGV[3] == '1' then
    redis.call('ZREM', KEYS[2], ARGV[4])
    redis.call('SREM', KEYS[3], ARGV[4])
  end
  return 1
end
return 0`;

/** Insert a job (NX) with its indexes. KEYS: job, pending, owner, active. ARGV: json, id, createdAt. */
const INSERT_JOB = `${STORE_JOB}
store_job(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3])
return redis.call('GET', KEYS[1])`;

/** KEYS: active, reg, unlinked[, idem]. ARGV: max, nonce, createdAt, ttlSeconds, fields json[, idem json, idem ttl ms]. */
const OPEN_REGISTRATION = `
if KEYS[4] then
  local held = redis.call('GET', KEYS[4])
  if held then return {'duplicate', held} end
end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[1]) then return {'quota'} end
redis.call('HSET', KEYS[2], 'data', ARGV[5], 'status', 'creating', 'earlyHit', '0')
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('SADD', KEYS[1], 'r:' .. ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
if KEYS[4] then redis.call('SET', KEYS[4], ARGV[6], 'PX', ARGV[7]) end
return {'ok'}`;

/** KEYS: reg, job, pending, owner, active, unlinked. ARGV: nonce, json, id, createdAt. */
const LINK_REGISTRATION = `${STORE_JOB}
store_job(KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[2], ARGV[3], ARGV[4])
redis.call('SREM', KEYS[5], 'r:' .. ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
local early = '0'
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'jobId', ARGV[3], 'status', 'linked')
  early = redis.call('HGET', KEYS[1], 'earlyHit') or '0'
end
return {redis.call('GET', KEYS[2]), early}`;

/** KEYS: reg, active, unlinked[, idem]. ARGV: nonce. */
const REMOVE_REGISTRATION = `
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], 'r:' .. ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if KEYS[4] then
  local held = redis.call('GET', KEYS[4])
  if held and cjson.decode(held).nonce == ARGV[1] then redis.call('DEL', KEYS[4]) end
end
return 1`;

/** Take the lease if it is free (or expired), or renew it for its holder. */
const TAKE_OR_RENEW_LEASE = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

type RegistrationData = Omit<Registration, 'jobId' | 'status' | 'earlyHit'>;

export interface RedisBackend extends JobBackend {
  /** The store's connection (a Cluster client on a Cluster), for other state kept in the same Redis. */
  redis: RedisClient;
}

export function createRedisBackend(config: RedisConfig, registrationTtlSeconds: number, log: Logger): RedisBackend {
  const cluster = config.mode === 'cluster';
  const k = keysUnder(cluster ? '{msgw}:' : 'msgw:');
  const redis = connectRedis(config, log, 'store');
  const subscriber = connectRedis(config, log, 'subscribe', { shardedSubscriber: cluster });
  // Publishing shares the store's connection: PUBLISH does not put a connection in subscriber mode.
  const eventTarget = createRedisEventTarget({ publisher: redis, subscriber, sharded: cluster, log });
  const jobKey = k.job;
  const regKey = k.reg;
  const ownerKey = k.owner;
  const activeKey = k.active;
  const idemKey = k.idem;
  const PENDING = k.pending;
  const UNLINKED = k.unlinked;

  /** Runs `script`, then (when asked) waits for replicas on the same connection, so the WAIT covers this write. */
  async function evalDurably(script: string, keys: string[], args: string[]): Promise<unknown> {
    if (config.waitReplicas === 0) return redis.eval(script, keys.length, ...keys, ...args);
    const results = await redis.pipeline().eval(script, keys.length, ...keys, ...args).call('WAIT', String(config.waitReplicas), String(WAIT_TIMEOUT_MS)).exec();
    const [[evalError, value] = [], [waitError, acked] = []] = results ?? [];
    if (evalError) throw evalError;
    if (waitError) throw new UnreplicatedError(`WAIT failed: ${waitError.message}`, value);
    if (Number(acked) < config.waitReplicas) throw new UnreplicatedError(`${String(acked)} of ${config.waitReplicas} replicas acknowledged within ${WAIT_TIMEOUT_MS} ms`, value);
    return value;
  }

  const parse = (raw: string | null): JobRecord | undefined => (raw ? (JSON.parse(raw) as JobRecord) : undefined);
  const readRegistration = async (nonce: string): Promise<Registration | undefined> => {
    const h = await redis.hgetall(regKey(nonce));
    if (!h['data']) return undefined;
    const data = JSON.parse(h['data']) as RegistrationData;
    const jobId = h['jobId'] || null;
    return { ...data, jobId, status: jobId ? 'linked' : (h['status'] as Registration['status']), earlyHit: h['earlyHit'] === '1' };
  };

  const store: GatewayStore = failuresAsStoreUnavailable({
    async openRegistration(r, maxActive, idem) {
      const keys = [activeKey(r.owner), regKey(r.nonce), UNLINKED, ...(idem ? [idemKey(r.owner, idem.key)] : [])];
      const args = [String(maxActive), r.nonce, String(r.createdAt), String(registrationTtlSeconds), JSON.stringify(r)];
      if (idem) args.push(JSON.stringify({ nonce: r.nonce, fingerprint: idem.fingerprint }), String(idem.ttlMs));
      let result: unknown;
      try {
        result = await evalDurably(OPEN_REGISTRATION, keys, args);
      } catch (error) {
        if (!(error instanceof UnreplicatedError)) throw error;
        // A refusal (quota, a held key) wrote nothing a failover could lose: it stands.
        if ((error.value as string[] | undefined)?.[0] !== 'ok') result = error.value;
        else {
          // A failover could discard this intent: withdraw it (best effort) and send nothing.
          await store.removeRegistration({ ...r, idempotencyKey: idem ? idem.key : null }).catch(() => {});
          throw error;
        }
      }
      const [outcome, held] = result as [string, string?];
      if (outcome === 'duplicate') return { ok: false, reason: 'duplicate', existing: JSON.parse(held!) as { nonce: string; fingerprint: string } };
      if (outcome === 'quota') return { ok: false, reason: 'quota' };
      return { ok: true };
    },
    async linkRegistration(nonce, record) {
      const keys = [regKey(nonce), jobKey(record.jobId), PENDING, ownerKey(record.owner), activeKey(record.owner), UNLINKED];
      const [raw, early] = (await redis.eval(LINK_REGISTRATION, keys.length, ...keys, nonce, JSON.stringify(record), record.jobId, String(record.createdAt))) as [
        string,
        string,
      ];
      return { record: parse(raw)!, earlyHit: early === '1' };
    },
    findRegistration: readRegistration,
    async markEarlyCallback(nonce) {
      await redis.hset(regKey(nonce), 'earlyHit', '1');
    },
    async markUnanswered(nonce) {
      await redis.hset(regKey(nonce), 'status', 'unanswered');
    },
    async removeRegistration(r) {
      const keys = [regKey(r.nonce), activeKey(r.owner), UNLINKED, ...(r.idempotencyKey ? [idemKey(r.owner, r.idempotencyKey)] : [])];
      await redis.eval(REMOVE_REGISTRATION, keys.length, ...keys, r.nonce);
    },
    async listUnlinked(before, limit) {
      const nonces = await redis.zrangebyscore(UNLINKED, '-inf', `(${before}`, 'LIMIT', 0, limit);
      const found = await Promise.all(nonces.map(readRegistration));
      const out: Registration[] = [];
      for (const [i, r] of found.entries()) {
        if (r && !r.jobId) out.push(r);
        // Expired with its token: nothing can adopt it any more.
        else if (!r) await redis.zrem(UNLINKED, nonces[i]!);
      }
      return out;
    },
    async pruneRegistrations() {
      // Registrations expire with their tokens (EXPIRE at creation).
      return 0;
    },
    async findIdempotent(owner, key) {
      const raw = await redis.get(idemKey(owner, key));
      return raw ? (JSON.parse(raw) as { nonce: string; fingerprint: string }) : undefined;
    },
    async insertJob(record) {
      const keys = [jobKey(record.jobId), PENDING, ownerKey(record.owner), activeKey(record.owner)];
      return parse((await redis.eval(INSERT_JOB, keys.length, ...keys, JSON.stringify(record), record.jobId, String(record.createdAt))) as string)!;
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
        const swapped = await redis.eval(CAS_SCRIPT, 3, jobKey(jobId), PENDING, activeKey(current.owner), raw!, JSON.stringify(result.record), terminal, jobId);
        if (swapped === 1) return result;
      }
      throw new Error(`job ${jobId} kept changing under concurrent updates`);
    },
    async listPendingJobIds(limit) {
      return redis.zrange(PENDING, 0, limit - 1);
    },
    async listJobs(owner, query) {
      // A principal's jobs are read whole and filtered here: fine for the hundreds one person makes.
      const ids = await redis.zrevrange(ownerKey(owner), 0, -1);
      const records = ids.length ? (await redis.mget(ids.map(jobKey))).map(parse).filter((r): r is JobRecord => !!r) : [];
      const states = query.states && query.states.length > 0 ? new Set(query.states) : undefined;
      const matching = states ? records.filter((r) => states.has(r.state)) : records;
      return { total: matching.length, jobs: matching.slice(query.offset, query.offset + query.limit) };
    },
    async getOrCreateSecret(name, generate) {
      await redis.set(`${k.prefix}secret:${name}`, generate(), 'NX');
      return (await redis.get(`${k.prefix}secret:${name}`))!;
    },
    async acquireLease(key, holder, ttlMs) {
      return (await redis.eval(TAKE_OR_RENEW_LEASE, 1, `${k.prefix}lease:${key}`, holder, String(ttlMs))) === 1;
    },
    async ready() {
      if (redis.status !== 'ready') return false;
      try {
        // Written, not just reached: a demoted primary still answers PING but refuses writes.
        return (await redis.set(`${k.prefix}ready`, String(Date.now()), 'PX', 60_000)) === 'OK';
      } catch {
        return false;
      }
    },
    async close() {
      await Promise.all([redis, subscriber].map(closeRedis));
    },
  });

  return {
    store,
    eventTarget,
    mayDropEvents: true,
    redis,
    createLimiter: (name, points, durationSeconds) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix: `${RATE_LIMIT_PREFIX}:${name}`, points, duration: durationSeconds }),
    // The envelop Redis cache pipelines and invalidates keys of many slots at once, which a
    // Cluster refuses (CROSSSLOT): there each instance keeps its own small cache of the styles.
    createResponseCache: () => (cluster ? createInMemoryCache() : (createRedisCache({ redis: redis as Redis }) as unknown as Cache)),
    createSlotClock: () => createRedisSlotClock(redis),
    busReady: () => eventTarget.ready(),
    createEventLog: (limits) => createRedisEventLog(redis, eventTarget, limits, cluster),
    close: () => store.close(),
  };
}

/**
 * Every store call that fails for a Redis reason (down, failing over, READONLY, a driver
 * timeout) rejects with GATEWAY.STORE_UNAVAILABLE, the driver's error as its cause: what
 * callers answer clients, whichever path they come from.
 */
function failuresAsStoreUnavailable(store: GatewayStore): GatewayStore {
  const guarded = { ...store } as Record<string, unknown>;
  for (const [name, method] of Object.entries(store) as Array<[string, (...args: unknown[]) => Promise<unknown>]>) {
    if (name === 'ready' || name === 'close') continue;
    guarded[name] = async (...args: unknown[]) => {
      try {
        return await method(...args);
      } catch (error) {
        throw isMetaStudioError(error) ? error : storeUnavailable(error);
      }
    };
  }
  return guarded as unknown as GatewayStore;
}

/** The intent was written but not acknowledged by enough replicas: a failover could lose it. */
export class UnreplicatedError extends Error {
  override readonly name = 'UnreplicatedError';
  constructor(
    message: string,
    readonly value: unknown,
  ) {
    super(message);
  }
}
