/**
 * Opens ioredis connections for the three ways to reach Redis: one URL, a Sentinel-watched
 * primary, or a Cluster. Every connection fails commands fast during an outage (the
 * callers answer GATEWAY.STORE_UNAVAILABLE) and follows failovers by itself: Sentinel
 * and Cluster through ioredis's own support, and a `READONLY` reply (a primary demoted
 * under us) by reconnecting to whatever is primary now and resending the command.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../../config.js';
import type { Logger } from '../../observability/logger.js';

export type RedisClient = Redis | Cluster;

/**
 * A demoted primary answers writes with READONLY: reconnect (Sentinel names the new
 * primary, a Cluster re-reads its slots) and let that one command fail, which callers
 * answer as GATEWAY.STORE_UNAVAILABLE. Resending it (2) would loop without bound while
 * the node is still named primary, and for a plain URL that points at a replica, forever.
 */
const reconnectOnReadonly = (error: Error): 1 | false => (error.message.startsWith('READONLY') ? 1 : false);

const common: RedisOptions = {
  // Fail commands fast during an outage instead of queueing them forever; /ready says 503.
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  retryStrategy: (times) => Math.min(100 * times, 1000),
};

export interface ConnectOptions {
  /** Subscribers on a Cluster use sharded pub/sub (SSUBSCRIBE), which ioredis serves per shard. */
  shardedSubscriber?: boolean;
}

export function connectRedis(config: RedisConfig, log: Logger, role: string, options: ConnectOptions = {}): RedisClient {
  const tls = config.tls ? {} : undefined;
  let client: RedisClient;
  switch (config.mode) {
    case 'url':
      client = new Redis(config.url, common);
      break;
    case 'sentinel':
      client = new Redis({
        ...common,
        reconnectOnError: reconnectOnReadonly,
        sentinels: config.sentinels,
        name: config.name,
        role: 'master',
        // The nodes' password; sentinels are commonly run without one (AUTH to them would fail).
        password: config.password,
        tls,
        enableTLSForSentinelMode: config.tls,
        // Ask Sentinel again soon after losing the primary: a failover takes seconds.
        sentinelRetryStrategy: (times) => Math.min(100 * times, 1000),
        // Follow Sentinel's +switch-master at once rather than when the old primary's socket times out.
        failoverDetector: true,
      });
      break;
    case 'cluster': {
      const clusterOptions: ClusterOptions = {
        redisOptions: { ...common, password: config.password, tls, reconnectOnError: reconnectOnReadonly },
        clusterRetryStrategy: (times) => Math.min(100 * times, 1000),
        // A failover moves slots: follow MOVED at once, and re-read the slot map soon after.
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        slotsRefreshTimeout: 2000,
        shardedSubscribers: options.shardedSubscriber === true,
        maxRedirections: 8,
      };
      client = new Cluster(config.nodes, clusterOptions);
      break;
    }
  }
  client.on('error', (error: Error) => log.warn({ role, err: error.message }, 'redis error'));
  client.on('ready', () => log.info({ role }, 'redis ready'));
  if (client instanceof Redis) {
    // ioredis ends a Sentinel connection for good when it is told to reconnect (a failover
    // detected, a READONLY reply) while it is still asking a sentinel for the primary
    // ("Connection is closed." on every command after). Only close() may end it: else start over.
    client.on('end', () => {
      if (closing.has(client)) return;
      log.warn({ role }, 'redis connection ended unasked; connecting again');
      setTimeout(() => {
        if (!closing.has(client) && client.status === 'end') client.connect().catch(() => {});
      }, 200).unref();
    });
  }
  return client;
}

const closing = new WeakSet<RedisClient>();

/** QUIT politely, but never wait on a Redis that is gone: then just drop the connection. */
export async function closeRedis(client: RedisClient): Promise<void> {
  closing.add(client);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)));
  await Promise.race([client.quit().catch(() => {}), late]);
  clearTimeout(timer);
  client.disconnect();
}

/** A description for logs and start-up lines: never the password. */
export function describeRedis(config: RedisConfig): string {
  switch (config.mode) {
    case 'url': {
      const url = new URL(config.url);
      return `Redis at ${url.host}`;
    }
    case 'sentinel':
      return `Redis primary "${config.name}" via Sentinel ${config.sentinels.map((n) => `${n.host}:${n.port}`).join(',')}`;
    case 'cluster':
      return `Redis Cluster via ${config.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  }
}
