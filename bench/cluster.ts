/**
 * Cluster benchmark (issue 6): callback -> delivery latency when the callback reaches one
 * instance and the subscriber is on another (through Redis), against the same path on a
 * single instance, measured in the same run.
 */
import { createClient } from 'graphql-ws';
import { request } from 'undici';
import WebSocket from 'ws';
import { startRedis } from '../test/support/redis.js';
import { fmt, percentile, startEmulatorProcess, startGatewayProcess, type EmulatorProcess, type GatewayProcess } from './lib.js';
import { createJobs } from './subscriptions.js';

const ONE_COMPLETION = 'subscription($jobId: ID) { pictureModelingJobCompleted(jobId: $jobId) { jobId state } }';

async function measure(emulator: EmulatorProcess, creator: GatewayProcess, subscriberSide: GatewayProcess, count: number, rate: number, prefix: string): Promise<number[]> {
  const jobs = await createJobs(creator, emulator, count, prefix);
  const client = createClient({ url: subscriberSide.wsUrl, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
  const delivered = new Map<string, number>();
  for (const job of jobs) {
    client.subscribe({ query: ONE_COMPLETION, variables: { jobId: job.jobId } }, { next: () => void delivered.set(job.jobId, performance.now()), error: () => {}, complete: () => {} });
  }
  // Subscriptions on the other instance are live once its metrics count them.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const text = await (await fetch(`${subscriberSide.url}/metrics`)).text();
    if (Number(/^gateway_active_subscriptions (\d+)/m.exec(text)?.[1] ?? 0) >= count || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const sentAt = new Map<string, number>();
  const posts: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < jobs.length; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const job = jobs[i]!;
    await emulator.complete(job.jobId);
    sentAt.set(job.jobId, performance.now());
    posts.push(request(job.notifyUrl, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }).then((r) => r.body.dump()));
  }
  await Promise.all(posts);
  const until = Date.now() + 30_000;
  while (delivered.size < jobs.length && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  await client.dispose();
  return jobs.map((j) => (delivered.get(j.jobId) ?? Infinity) - sentAt.get(j.jobId)!);
}

export interface ClusterBenchResult {
  callbacks: number;
  ratePerSecond: number;
  single: { p50: number; p99: number };
  cross: { p50: number; p99: number };
  p50Ratio: number;
  p99Ratio: number;
}

export async function benchCluster(): Promise<ClusterBenchResult> {
  const redis = await startRedis();
  const emulator = await startEmulatorProcess();
  await emulator.control('callbacks', { mode: 'suppress' });
  const env = { REDIS_URL: redis.url, CALLBACK_SECRET: 'bench-callback-secret-0123456789' };
  const a = await startGatewayProcess(emulator, env);
  const b = await startGatewayProcess(emulator, env);
  const count = 500;
  const rate = 200;
  try {
    // Interleave rounds so both paths see the same machine load.
    const single: number[] = [];
    const cross: number[] = [];
    for (let round = 0; round < 2; round++) {
      single.push(...(await measure(emulator, a, a, count / 2, rate, `single-${round}`)));
      cross.push(...(await measure(emulator, a, b, count / 2, rate, `cross-${round}`)));
    }
    return {
      callbacks: count,
      ratePerSecond: rate,
      single: { p50: percentile(single, 50), p99: percentile(single, 99) },
      cross: { p50: percentile(cross, 50), p99: percentile(cross, 99) },
      p50Ratio: percentile(cross, 50) / percentile(single, 50),
      p99Ratio: percentile(cross, 99) / percentile(single, 99),
    };
  } finally {
    await a.stop();
    await b.stop();
    await emulator.stop();
    await redis.stop();
  }
}

export function reportCluster(r: ClusterBenchResult): string[] {
  return [
    `cluster: callback -> delivery with Redis, ${r.callbacks} callbacks per path at ${r.ratePerSecond}/s:`,
    `    same instance p50 ${fmt(r.single.p50)} ms  p99 ${fmt(r.single.p99)} ms; across two instances p50 ${fmt(r.cross.p50)} ms  p99 ${fmt(r.cross.p99)} ms`,
    `    ratio across/same p50 ${fmt(r.p50Ratio)}  p99 ${fmt(r.p99Ratio)}`,
  ];
}
