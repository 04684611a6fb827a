/**
 * The store and event bus on Redis, so several gateway instances act as one. Every
 * method that touches more than one key is one Lua script, so it is atomic across
 * instances; completions go through Redis pub/sub (which replays nothing: the state is
 * always stored before it is published). Keys are listed in keys.ts; rate-limit keys
 * (msgw:rl:...) carry no hash tag: each is used alone, so they spread over a Cluster.
 *
 * With `waitReplicas` > 0 a create's intent is acknowledged by that many replicas (WAIT)
 * before openRegistration returns (durable.ts).
 */
import { createRedisCache } from '@envelop/response-cache-redis';
import { createInMemoryCache, type Cache } from '@graphql-yoga/plugin-response-cache';
import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { RedisConfig } from '../../../config.js';
import type { Logger } from '../../../observability/logger.js';
import { createRedisSlotClock } from '../../../budget/slot-clock.js';
import { createRedisEventLog } from '../../completion/redis-event-log.js';
import { createRedisEventTarget } from '../../completion/redis-event-target.js';
import type { JobBackend } from '../backend.js';
import { closeRedis, connectRedis, type RedisClient } from '../redis-connection.js';
import type { GatewayStore } from '../store.js';
import type { StoreOptions } from '../store-options.js';
import { createRedisJobs } from './jobs.js';
import { keysUnder } from './keys.js';
import { createRedisLeases } from './leases.js';
import { createRedisRegistrations } from './registrations.js';
import { createRedisSecrets } from './secrets.js';
import { failuresAsStoreUnavailable } from './unavailable.js';

export { UnreplicatedError, WAIT_TIMEOUT_MS } from './durable.js';

const RATE_LIMIT_PREFIX = 'msgw:rl';

export interface RedisBackend extends JobBackend {
  /** The store's connection (a Cluster client on a Cluster), for other state kept in the same Redis. */
  redis: RedisClient;
}

export function createRedisBackend(config: RedisConfig, registrationTtlSeconds: number, log: Logger, options: StoreOptions = {}): RedisBackend {
  const now = options.now ?? Date.now;
  const cluster = config.mode === 'cluster';
  const keys = keysUnder(cluster ? '{msgw}:' : 'msgw:');
  const redis = connectRedis(config, log, 'store');
  const subscriber = connectRedis(config, log, 'subscribe', { shardedSubscriber: cluster });
  // Publishing shares the store's connection: PUBLISH does not put a connection in subscriber mode.
  const eventTarget = createRedisEventTarget({ publisher: redis, subscriber, sharded: cluster, log });

  const store: GatewayStore = failuresAsStoreUnavailable({
    ...createRedisJobs(redis, keys, now),
    ...createRedisRegistrations(redis, keys, { ttlSeconds: registrationTtlSeconds, waitReplicas: config.waitReplicas }),
    ...createRedisSecrets(redis, keys),
    ...createRedisLeases(redis, keys),
    async ready() {
      if (redis.status !== 'ready') return false;
      try {
        // Written, not just reached: a demoted primary still answers PING but refuses writes.
        return (await redis.set(keys.ready, String(now()), 'PX', 60_000)) === 'OK';
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
