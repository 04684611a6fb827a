/**
 * `npm run bench -- startup`: time from spawning the gateway to "listening on", for the
 * built code (`node dist/main.js`) and the sources (`tsx src/main.ts`), five starts each,
 * the embedded emulator included. Builds dist/ first.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, percentile } from './lib.js';

export interface StartupResult {
  builtMs: number[];
  tsxMs: number[];
  medianRatio: number;
}

async function timeStart(args: string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PORT: '0', DATABASE_PATH: join(mkdtempSync(join(tmpdir(), 'gw-start-')), 'gw.db') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => String(d).includes('listening on') && resolve()));
  const ms = performance.now() - started;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return ms;
}

export async function benchStartup(runs = 5): Promise<StartupResult> {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  const builtMs: number[] = [];
  const tsxMs: number[] = [];
  // Interleaved, so both see the same machine.
  for (let i = 0; i < runs; i++) {
    builtMs.push(await timeStart(['dist/main.js']));
    tsxMs.push(await timeStart(['--import', 'tsx', 'src/main.ts']));
  }
  return { builtMs, tsxMs, medianRatio: percentile(builtMs, 50) / percentile(tsxMs, 50) };
}

export function reportStartup(r: StartupResult): string[] {
  const list = (values: number[]) => values.map((v) => fmt(v, 0)).join(', ');
  return [
    `startup: node dist/main.js ${list(r.builtMs)} ms (median ${fmt(percentile(r.builtMs, 50), 0)}); tsx src/main.ts ${list(r.tsxMs)} ms (median ${fmt(percentile(r.tsxMs, 50), 0)}); ratio ${fmt(r.medianRatio)}`,
  ];
}
