/**
 * Real Redis topologies on loopback for the Sentinel and Cluster suites: a primary with two
 * replicas watched by three sentinels, and a 3-master Cluster with a replica per master.
 * Timeouts are tuned down so a failover takes a few seconds, not the production 30 s.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { RedisConfig } from '../../src/config.js';
import { startRedis, type RedisServer } from './redis.js';

const run = promisify(execFile);

/** How long a node may be silent before it counts as down (sentinel and cluster alike). */
export const DOWN_AFTER_MS = 1000;

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ask<T>(port: number, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return await work(client);
  } finally {
    client.disconnect();
  }
}

export interface SentinelGroup {
  name: string;
  primary: RedisServer;
  /** Two, so that one still acknowledges WAIT after the other is promoted. */
  replicas: RedisServer[];
  sentinels: RedisServer[];
  config(extra?: Partial<RedisConfig>): RedisConfig;
  /** REDIS_SENTINELS for a gateway process. */
  env(): Record<string, string>;
  /** The port of the node the sentinels call primary now. */
  primaryPort(): Promise<number>;
  /** Kills the current primary and resolves once a sentinel has promoted the other node; returns the killed node. */
  failover(): Promise<RedisServer>;
  /** Resolves once every node but the primary replicates it and every sentinel knows them all (ready for another failover). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSentinelGroup(name = 'mymaster'): Promise<SentinelGroup> {
  const primary = await startRedis();
  const replicas = await Promise.all([1, 2].map(() => startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] })));
  const sentinels: RedisServer[] = [];
  for (let i = 0; i < 3; i++) {
    sentinels.push(
      await startRedis({
        sentinelConfig: [
          `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${name} ${DOWN_AFTER_MS}`,
          `sentinel failover-timeout ${name} 3000`,
          `sentinel parallel-syncs ${name} 1`,
        ].join('\n'),
      }),
    );
  }
  const nodes = [primary, ...replicas];
  const primaryPort = () => ask(sentinels[0]!.port, async (s) => Number(((await s.call('SENTINEL', 'get-master-addr-by-name', name)) as string[])[1]));
  // Ready once the replica is in sync and every sentinel knows it and the other sentinels.
  const settle = async () => {
    const primaryNow = await primaryPort();
    for (const node of nodes.filter((n) => n.port !== primaryNow)) {
      await waitUntil(async () => (await ask(node.port, (r) => r.info('replication'))).includes('master_link_status:up'), 20_000, 'the replicas to sync');
    }
    await waitUntil(
      async () => {
        for (const s of sentinels) {
          const info = (await ask(s.port, (c) => c.call('SENTINEL', 'master', name))) as string[];
          const field = (key: string) => info[info.indexOf(key) + 1];
          if (Number(field('num-slaves')) < 2 || Number(field('num-other-sentinels')) < 2 || field('flags') !== 'master') return false;
          const replicasSeen = (await ask(s.port, (c) => c.call('SENTINEL', 'replicas', name))) as string[][];
          if (replicasSeen.some((r) => r[r.indexOf('flags') + 1] !== 'slave')) return false;
        }
        return true;
      },
      20_000,
      'the sentinels to see the replicas and each other',
    );
  };
  await settle();
  return {
    name,
    primary,
    replicas,
    sentinels,
    config: (extra = {}) => ({ mode: 'sentinel', sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })), name, password: undefined, tls: false, waitReplicas: 1, ...extra }) as RedisConfig,
    env: () => ({ REDIS_SENTINELS: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','), REDIS_SENTINEL_NAME: name }),
    primaryPort,
    settle,
    async failover() {
      const before = await primaryPort();
      const victim = nodes.find((n) => n.port === before)!;
      await victim.kill();
      await waitUntil(async () => (await primaryPort()) !== before, 20_000, 'a sentinel to promote a replica');
      const after = await primaryPort();
      const promoted = nodes.find((n) => n.port === after)!;
      await waitUntil(async () => (await ask(promoted.port, (r) => r.info('replication'))).includes('role:master'), 10_000, 'the promoted node to act as primary');
      return victim;
    },
    async stop() {
      for (const s of [...sentinels, ...nodes]) await s.stop();
    },
  };
}

export interface RedisCluster {
  masters: RedisServer[];
  replicas: RedisServer[];
  config(extra?: Partial<RedisConfig>): RedisConfig;
  /** REDIS_CLUSTER_NODES for a gateway process. */
  env(): Record<string, string>;
  /** The node that serves `key`'s slot as master now. */
  masterOf(key: string): Promise<RedisServer>;
  /** Kills the master serving `key` and resolves once its replica has taken over; returns the killed node. */
  failover(key: string): Promise<RedisServer>;
  /** Resolves once the cluster is ok with a healthy replica per master (ready for another failover). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startCluster(): Promise<RedisCluster> {
  const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(DOWN_AFTER_MS)];
  const all = await Promise.all(Array.from({ length: 6 }, () => startRedis({ args })));
  await run('redis-cli', ['--cluster', 'create', ...all.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30_000 });
  const nodes = async () => {
    const text = await ask(all[0]!.port, (c) => c.call('CLUSTER', 'NODES') as Promise<string>);
    return text
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .map((f) => ({ port: Number(/:(\d+)@/.exec(f[1]!)![1]), flags: f[2]!, slots: f.slice(8) }));
  };
  const healthy = async () => {
    for (const n of all) {
      const info = await ask(n.port, (c) => c.call('CLUSTER', 'INFO') as Promise<string>).catch(() => '');
      if (info && !info.includes('cluster_state:ok')) return false;
    }
    return true;
  };
  const settle = async () => {
    await waitUntil(healthy, 20_000, 'the cluster to be ok');
    await waitUntil(async () => (await nodes()).filter((n) => n.flags.includes('slave') && !n.flags.includes('fail')).length === 3, 20_000, 'a replica per master');
    for (const n of all) {
      const role = await ask(n.port, (c) => c.info('replication'));
      if (role.includes('role:slave')) await waitUntil(async () => (await ask(n.port, (c) => c.info('replication'))).includes('master_link_status:up'), 20_000, 'replicas in sync');
    }
  };
  await settle();
  const byPort = (port: number) => all.find((n) => n.port === port)!;
  /** Asks the first node that answers (some may be dead in a failover test). */
  const askAny = async <T>(work: (client: Redis) => Promise<T>): Promise<T> => {
    let last: unknown;
    for (const n of all) {
      try {
        return await ask(n.port, work);
      } catch (error) {
        last = error;
      }
    }
    throw last;
  };
  const masterPortOf = (key: string) =>
    askAny(async (c) => {
      const slot = Number(await c.call('CLUSTER', 'KEYSLOT', key));
      const shards = (await c.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
      return shards.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
    });
  const masterOf = async (key: string) => byPort((await masterPortOf(key))!);
  const roles = await nodes();
  return {
    masters: roles.filter((n) => n.flags.includes('master')).map((n) => byPort(n.port)),
    replicas: roles.filter((n) => n.flags.includes('slave')).map((n) => byPort(n.port)),
    config: (extra = {}) => ({ mode: 'cluster', nodes: all.map((n) => ({ host: '127.0.0.1', port: n.port })), password: undefined, tls: false, waitReplicas: 1, ...extra }) as RedisConfig,
    env: () => ({ REDIS_CLUSTER_NODES: all.map((n) => `127.0.0.1:${n.port}`).join(',') }),
    masterOf,
    settle,
    async failover(key) {
      const victim = await masterOf(key);
      await victim.kill();
      await waitUntil(
        async () => {
          const owner = await masterPortOf(key);
          return owner !== undefined && owner !== victim.port && (await askAny((c) => c.call('CLUSTER', 'INFO') as Promise<string>)).includes('cluster_state:ok');
        },
        20_000,
        'a replica to take over the killed master',
      );
      return victim;
    },
    async stop() {
      await Promise.all(all.map((n) => n.stop()));
    },
  };
}
