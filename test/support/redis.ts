/**
 * A real redis-server on a free local port in a temp dir. Installs Debian's package when
 * missing and running as root; otherwise fails with one line saying how to install it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
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
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const binary = ensureRedisServer();
  const dir = tempDir('redis-');
  const port = await freePort();
  let child: ChildProcess | undefined;

  async function start() {
    // Append-only so a restart keeps state, as a production Redis would.
    child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'], {
      stdio: 'ignore',
    });
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await probe.connect().catch(() => {});
        if ((await probe.ping()) === 'PONG') break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error('redis-server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    probe.disconnect();
  }

  async function stop() {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child!.once('exit', () => r()));
    child.kill('SIGTERM');
    await exited;
  }

  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start };
}

/** The store settings for one node at `url` (REDIS_URL), for tests that build a backend directly. */
export const redisUrlConfig = (url: string, waitReplicas = 0): RedisConfig => ({ mode: 'url', url, password: undefined, tls: false, waitReplicas });
