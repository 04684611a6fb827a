/** Where job state lives: SQLite, or Redis in one of its three forms (one node, Sentinel, Cluster). */
import { bool, makeValidator, type CleanedEnv } from 'envalid';
import { int, nonEmpty } from './validators.js';

export interface RedisNode {
  host: string;
  port: number;
}

/** One of the three ways to reach Redis, with what they share. */
export type RedisConfig = (
  | { mode: 'url'; url: string }
  | { mode: 'sentinel'; sentinels: RedisNode[]; name: string }
  | { mode: 'cluster'; nodes: RedisNode[] }
) & {
  /** For the Sentinel and Cluster forms (REDIS_URL carries its own). */
  password: string | undefined;
  tls: boolean;
  /** Replicas that must acknowledge a create's intent (WAIT) before it is sent upstream. */
  waitReplicas: number;
};

const redisUrl = makeValidator<string>((raw) => {
  try {
    const url = new URL(raw);
    if (url.protocol === 'redis:' || url.protocol === 'rediss:') return raw;
  } catch {
    // fall through
  }
  throw new Error('must be a redis:// or rediss:// URL');
});

const redisNodes = makeValidator<RedisNode[]>((raw) => {
  const nodes = raw.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(part);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) throw new Error('must be host:port pairs separated by commas');
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
  });
  if (nodes.length === 0) throw new Error('must be host:port pairs separated by commas');
  return nodes;
});

export const storeSpec = {
  DATABASE_PATH: nonEmpty({ default: './data/gateway.db' }),
  REDIS_URL: redisUrl({ default: undefined }),
  REDIS_SENTINELS: redisNodes({ default: undefined }),
  REDIS_SENTINEL_NAME: nonEmpty({ default: 'mymaster' }),
  REDIS_CLUSTER_NODES: redisNodes({ default: undefined }),
  REDIS_PASSWORD: nonEmpty({ default: undefined }),
  REDIS_TLS: bool({ default: false }),
  REDIS_WAIT_REPLICAS: int(0, 16)({ default: undefined }),
};

/** Never echoed in a problem line. */
export const storeSecrets = ['REDIS_PASSWORD'];

export interface StoreConfig {
  databasePath: string;
  /** Where Redis is (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES); undefined means SQLite. */
  redis: RedisConfig | undefined;
}

export function storeConfig(e: CleanedEnv<typeof storeSpec>, problems: string[]): StoreConfig {
  return { databasePath: e.DATABASE_PATH, redis: redisConfigOf(e, problems) };
}

function redisConfigOf(e: CleanedEnv<typeof storeSpec>, problems: string[]): RedisConfig | undefined {
  const given = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter((name) => e[name] !== undefined);
  if (given.length > 1) {
    problems.push(`${given[1]}: set only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES (got ${given.join(' and ')})`);
    return undefined;
  }
  const shared = { password: e.REDIS_PASSWORD, tls: e.REDIS_TLS };
  if (e.REDIS_URL !== undefined) return { mode: 'url', url: e.REDIS_URL, ...shared, waitReplicas: e.REDIS_WAIT_REPLICAS ?? 0 };
  // Sentinel and Cluster promise survival of a failover, so a create waits for one replica by default.
  if (e.REDIS_SENTINELS !== undefined) return { mode: 'sentinel', sentinels: e.REDIS_SENTINELS, name: e.REDIS_SENTINEL_NAME, ...shared, waitReplicas: e.REDIS_WAIT_REPLICAS ?? 1 };
  if (e.REDIS_CLUSTER_NODES !== undefined) return { mode: 'cluster', nodes: e.REDIS_CLUSTER_NODES, ...shared, waitReplicas: e.REDIS_WAIT_REPLICAS ?? 1 };
  return undefined;
}
