/** Shared pieces of the benchmarks: a gateway in its own process, RSS readings, percentiles. */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMULATOR_DEFAULTS } from '../src/emulator/create-emulator.js';
import { freePort, gatewayEnv, spawnListening, stopProcess } from '../test/support/process.js';

export interface GatewayProcess {
  url: string;
  wsUrl: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export { freePort };

/** The emulator in a process of its own, so it does not share a CPU thread with the load driver. */
export interface EmulatorProcess {
  url: string;
  config: { projectId: string; ak: string; sk: string };
  control(path: string, body?: unknown): Promise<any>;
  /** Ends a job now (its callback, if any, follows the callback mode). */
  complete(jobId: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startEmulatorProcess(env: Record<string, string> = {}): Promise<EmulatorProcess> {
  const port = await freePort();
  const child = await spawnListening(
    { ...process.env, EMULATOR_PORT: String(port), EMULATOR_JOB_DURATION_MS: '3600000', EMULATOR_CONTROL_API: 'true', EMULATOR_RATE_LIMITS: 'off', ...env },
    { entry: 'src/emulator/main.ts', inheritStderr: true },
  );
  const url = `http://127.0.0.1:${port}`;
  const control = async (path: string, body?: unknown) => {
    const res = await fetch(`${url}/_emulator/${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    return res.json();
  };
  return {
    url,
    config: { projectId: EMULATOR_DEFAULTS.projectId, ak: EMULATOR_DEFAULTS.ak, sk: EMULATOR_DEFAULTS.sk },
    control,
    complete: async (jobId) => void (await control(`jobs/${jobId}/complete`, {})),
    stop: async () => void (await stopProcess(child)),
  };
}

export async function startGatewayProcess(emulator: { url: string; config: { projectId: string; ak: string; sk: string } }, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  // The gateway runs as `npm start` runs it: the build, on plain node (`npm run bench` builds it
  // first when stale); BENCH_GATEWAY_ENTRY=src/main.ts runs the sources through tsx instead.
  // BENCH_CPU_PROF=dir writes a V8 CPU profile of the gateway process there; BENCH_NODE_FLAGS adds flags.
  const profile = process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF']}`] : [];
  // The benchmarks measure throughput: the per-principal and per-instance limits are lifted.
  const unlimited = { STYLES_CACHE_TTL_MS: process.env['BENCH_STYLES_TTL'] ?? '300000', RATE_LIMIT_CREATES_PER_MINUTE: '1000000', MAX_PENDING_JOBS_PER_PRINCIPAL: '1000000', MAX_CONCURRENT_UPLOADS: '10000', MAX_SUBSCRIPTIONS_PER_CONNECTION: '100000', UPSTREAM_RATE_LIMITS: 'create=100000,createByUrl=100000,show=100000,list=100000,styles=100000,assets=100000' };
  const child = await spawnListening(gatewayEnv(emulator, port, dir, { ...unlimited, ...env }), { entry: process.env['BENCH_GATEWAY_ENTRY'] ?? 'dist/main.js', nodeFlags: [...profile, ...(process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter(Boolean)], inheritStderr: true },
  );
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    pid: child.pid!,
    child,
    stop: async () => void (await stopProcess(child)),
  };
}

/** Resets a process's peak resident set (VmHWM) to its current size, so a later peak is the load's, not start-up's. */
export function resetPeakMemory(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** CPU time a process has used so far (user + system, every thread), in ms, from /proc (10 ms resolution). */
export function cpuTimeOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resident set and its peak (VmHWM), in bytes, from /proc. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** p50/p99 of a measurement next to the same of its baseline from the same run, and their ratios. */
export interface Comparison {
  p50: number;
  p99: number;
  baselineP50: number;
  baselineP99: number;
  p50Ratio: number;
  p99Ratio: number;
}

export function compareToBaseline(measured: number[], baseline: number[]): Comparison {
  const [p50, p99, baselineP50, baselineP99] = [percentile(measured, 50), percentile(measured, 99), percentile(baseline, 50), percentile(baseline, 99)];
  return { p50, p99, baselineP50, baselineP99, p50Ratio: p50 / baselineP50, p99Ratio: p99 / baselineP99 };
}

/** Upstream calls of `operation` the gateway at `url` has made, over every status (`gateway_upstream_calls_total`). */
export async function upstreamCalls(url: string, operation: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^gateway_upstream_calls_total\\{operation="${operation}",status="[^"]*"\\} (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
}

export const MB = 1024 * 1024;

export function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

/** Runs `task` over `items` with at most `concurrency` at once. */
export async function pool<T, R>(items: T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i]!, i);
      }
    }),
  );
  return results;
}

/** A peer implementation (bench/peers/<kind>.ts) in its own process, in front of the same emulator. */
export async function startPeerProcess(kind: 'floor' | 'apollo', emulator: { url: string; config: { projectId: string; ak: string; sk: string } }): Promise<GatewayProcess> {
  const port = await freePort();
  const child = await spawnListening(
    {
      ...process.env,
      PORT: String(port),
      EMULATOR_URL: emulator.url,
      METASTUDIO_PROJECT_ID: emulator.config.projectId,
      CLOUD_SDK_AK: emulator.config.ak,
      CLOUD_SDK_SK: emulator.config.sk,
    },
    { entry: `bench/peers/${kind}.ts`, inheritStderr: true },
  );
  const url = `http://127.0.0.1:${port}`;
  return { url, wsUrl: `ws://127.0.0.1:${port}/graphql`, pid: child.pid!, child, stop: async () => void (await stopProcess(child)) };
}
