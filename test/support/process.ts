/** The gateway as a real child process (`src/main.ts`), for restart and signal tests and benchmarks. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { UNFELT_RATE_LIMITS } from './harness.js';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Spawns `node [flags] --import tsx <entry>` (plain `node` for a .js entry) and resolves once it prints `listening on`. */
export async function spawnListening(env: NodeJS.ProcessEnv, options: { entry?: string; nodeFlags?: string[]; inheritStderr?: boolean } = {}): Promise<ChildProcess> {
  const entry = options.entry ?? 'src/main.ts';
  const loader = entry.endsWith('.js') ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...loader, entry], {
    env,
    stdio: ['ignore', 'pipe', options.inheritStderr ? 'inherit' : 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      output += String(c);
      if (output.includes('listening on')) resolve();
    });
    child.stderr?.on('data', (c: Buffer) => (output += String(c)));
    child.once('exit', (code) => reject(new Error(`${entry} exited (${code}): ${output}`)));
  });
  return child;
}

/** SIGTERM, then the exit code. */
export async function stopProcess(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

/** Environment for a gateway process on `port` that talks to `emulator`, with its own SQLite file in `dir`. */
export function gatewayEnv(
  emulator: { url: string; config: { projectId: string; ak: string; sk: string } },
  port: number,
  dir: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_PATH: join(dir, 'gw.db'),
    METASTUDIO_ENDPOINT: emulator.url,
    // The emulator stands in for a real upstream here; identity is not what these tests are about.
    AUTH_DISABLED: 'true',
    METASTUDIO_PROJECT_ID: emulator.config.projectId,
    CLOUD_SDK_AK: emulator.config.ak,
    CLOUD_SDK_SK: emulator.config.sk,
    POLL_INTERVAL_MS: '600000',
    LOG_LEVEL: 'warn',
    // Not about the upstream budget: limits that are never felt (test/support/harness.ts).
    UPSTREAM_RATE_LIMITS: UNFELT_RATE_LIMITS,
    ...extra,
  };
}
