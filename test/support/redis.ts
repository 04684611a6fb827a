/**
 * A real redis-server on a free local port in a temp dir. Installs Debian's package when
 * missing and running as root; otherwise fails with one line saying how to install it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RedisConfig } from '../../src/config.js';
import { tempDir } from './harness.js';
import { freePort } from './process.js';


function findRedisServer(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function ensureRedisServer(): string {
  let path = findRedisServer();
  if (!path && process.getuid?.() === 0) {
    try {
      execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server'], { stdio: 'ignore', timeout: 300_000 });
    } catch {
      // reported below
    }
    path = findRedisServer();
  }
  if (!path) throw new Error('redis-server is not installed: run `sudo apt-get install -y redis-server` (Debian/Ubuntu) and re-run the tests');
  return path;
}

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: nothing flushed), and wait for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (AOF kept). */
  start(): Promise<void>;
}

export interface RedisOptions {
  /** More redis-server arguments (`--replicaof`, `--cluster-enabled`...). */
  args?: string[];
  /** `redis-sentinel` with this config file text (the port line is added). */
  sentinelConfig?: string;
}

/** Resolves once `port` answers PING (a sentinel answers it too). */
export async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
  probe.on('error', () => {});
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await probe.connect().catch(() => {});
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`redis on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    probe.disconnect();
  }
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const binary = ensureRedisServer();
  const dir = tempDir('redis-');
  const port = await freePort();
  let child: ChildProcess | undefined;

  async function start() {
    if (options.sentinelConfig !== undefined) {
      // A sentinel rewrites its config file as it learns the topology: one per sentinel.
      const file = join(dir, 'sentinel.conf');
      if (!existsSync(file)) writeFileSync(file, `port ${port}\nbind 127.0.0.1\ndir ${dir}\n${options.sentinelConfig}\n`);
      child = spawn(binary, [file, '--sentinel'], { stdio: 'ignore' });
    } else {
      // Append-only so a restart keeps state, as a production Redis would.
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no', ...(options.args ?? [])];
      child = spawn(binary, args, { stdio: 'ignore' });
    }
    await waitForPing(port);
  }

  async function signal(name: NodeJS.Signals) {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child!.once('exit', () => r()));
    child.kill(name);
    await exited;
  }

  await start();
  return { url: `redis://127.0.0.1:${port}`, port, dir, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL'), start };
}

/** The store settings for one node at `url` (REDIS_URL), for tests that build a backend directly. */
export const redisUrlConfig = (url: string, waitReplicas = 0): RedisConfig => ({ mode: 'url', url, password: undefined, tls: false, waitReplicas });
