/** Starts a real emulator and a real gateway on ephemeral ports, with a fresh SQLite file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, type GatewayConfig } from '../../src/config.js';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/create-emulator.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { parseRateLimits } from '../../src/budget/rate-limits.js';
import { createLogger } from '../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';

export interface Harness {
  url: string;
  wsUrl: string;
  emulator: Emulator;
  gateway: Gateway;
  server: RunningServer;
  config: GatewayConfig;
  logs: string[];
  dir: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  emulator?: EmulatorOptions;
  /** Reuse an emulator (and do not close it). */
  sharedEmulator?: Emulator;
  /** Listen on this port (to restart an instance in place). @default 0 */
  port?: number;
}

/**
 * Tests not about the upstream budget run with limits high enough never to be felt,
 * on both sides (the emulator still throttles, so a call the budget failed to pace shows).
 */
export const UNFELT_RATE_LIMITS = 'create=1000,createByUrl=1000,show=1000,list=1000,styles=1000,assets=1000';
export const UNFELT_LIMITS = parseRateLimits(UNFELT_RATE_LIMITS);

export function tempDir(prefix = 'gw-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = tempDir();
  const emulator =
    options.sharedEmulator ?? (await createEmulator({ jobDurationMs: 200, rateLimits: UNFELT_LIMITS, ...options.emulator }));
  const config = loadConfig({
    PORT: '0',
    DATABASE_PATH: join(dir, 'gateway.db'),
    POLL_INTERVAL_MS: '600000',
    RELAY_ALLOW_PRIVATE: 'true',
    UPSTREAM_TIMEOUT_MS: '5000',
    LOG_LEVEL: 'info',
    UPSTREAM_RATE_LIMITS: UNFELT_RATE_LIMITS,
    ...options.env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  let server: RunningServer | undefined;
  const gateway = await createGateway(config, {
    upstream: { endpoint: emulator.url, projectId: emulator.config.projectId, ak: emulator.config.ak, sk: emulator.config.sk },
    logger: createLogger(config.logLevel, sink),
    publicUrl: () => server!.url,
  });
  server = await startServer(gateway, { port: options.port ?? 0, host: '127.0.0.1' });
  return {
    url: server.url,
    wsUrl: `${server.url.replace(/^http/, 'ws')}/graphql`,
    emulator,
    gateway,
    server,
    config,
    logs,
    dir,
    async close() {
      await server!.close(1000);
      await gateway.close();
      if (!options.sharedEmulator) await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function gql(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

export async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs = 5000, stepMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
