/**
 * Chooses where job state and events live: SQLite and an in-memory EventTarget for one
 * instance, or Redis (store and pub/sub) when REDIS_URL makes several instances one.
 */
import type { GatewayConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { JobStore } from './job-store.js';
import { createRedisBackend } from './redis-store.js';
import { createSqliteStore } from './sqlite-store.js';

export interface JobBackend {
  store: JobStore;
  eventTarget: EventTarget;
  busReady(): boolean;
  close(): Promise<void>;
}

export async function createJobBackend(config: GatewayConfig, log: Logger): Promise<JobBackend> {
  if (config.redisUrl) return createRedisBackend(config.redisUrl, config.callbackTokenTtlSeconds, log);
  const store = createSqliteStore(config.databasePath);
  return { store, eventTarget: new EventTarget(), busReady: () => true, close: () => store.close() };
}
