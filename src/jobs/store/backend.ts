/**
 * Chooses where state, events and limits live: SQLite, an in-memory EventTarget and
 * in-memory limiters for one instance, or Redis for all three (one node, Sentinel or
 * Cluster) when several instances must act as one. What differs between the two is exposed as data.
 */
import { createInMemoryCache, type Cache } from '@graphql-yoga/plugin-response-cache';
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { GatewayConfig } from '../../config.js';
import type { Logger } from '../../observability/logger.js';
import type { GatewayStore } from './store.js';
import { createMemorySlotClock, type SlotClock } from '../../budget/slot-clock.js';
import type { EventLogLimits, JobEventLog } from '../completion/event-log.js';
import { createSqliteEventLog } from '../completion/sqlite-event-log.js';
import { createRedisBackend } from './redis/index.js';
import type { RedisClient } from './redis-connection.js';
import { createSqliteStore } from './sqlite/index.js';

export interface JobBackend {
  store: GatewayStore;
  eventTarget: EventTarget;
  /** Events can be lost (Redis pub/sub during an outage): subscribers re-check the store. */
  mayDropEvents: boolean;
  /** A limiter of `points` per `durationSeconds`, shared by every instance on this backend. */
  createLimiter(name: string, points: number, durationSeconds: number): RateLimiterAbstract;
  /** Where cached responses live: shared by every instance on this backend. */
  createResponseCache(): Cache;
  /** The upstream budget's slots, shared by every instance on this backend. */
  createSlotClock(): SlotClock;
  busReady(): boolean;
  /** The Redis connection (a Cluster client on a Cluster) when the backend is Redis: other shared state may live there too. */
  redis?: RedisClient;
  /** The pictureModelingJobUpdated log, on this backend's connections. */
  createEventLog(limits: EventLogLimits): JobEventLog;
  close(): Promise<void>;
}

export async function createJobBackend(config: GatewayConfig, log: Logger): Promise<JobBackend> {
  if (config.redis) return createRedisBackend(config.redis, config.callbackTokenTtlSeconds, log);
  const store = createSqliteStore(config.databasePath);
  return {
    store,
    eventTarget: new EventTarget(),
    mayDropEvents: false,
    createLimiter: (name, points, durationSeconds) => new RateLimiterMemory({ keyPrefix: name, points, duration: durationSeconds }),
    createResponseCache: () => createInMemoryCache(),
    createSlotClock: () => createMemorySlotClock(),
    busReady: () => true,
    createEventLog: (limits) => createSqliteEventLog(config.databasePath, limits),
    close: () => store.close(),
  };
}
