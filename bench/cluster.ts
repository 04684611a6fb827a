/**
 * Cluster benchmark (issue 6): callback -> delivery latency when the callback reaches one
 * instance and the subscriber is on another (through Redis), against the same path on a
 * single instance, measured in the same run.
 */
import { startRedis } from '../test/support/redis.js';
import { compareToBaseline, fmt, startEmulatorProcess, startGatewayProcess, type Comparison, type EmulatorProcess, type GatewayProcess } from './lib.js';
import { callbackToDelivery, createJobs } from './subscriptions.js';

async function measure(emulator: EmulatorProcess, creator: GatewayProcess, subscriberSide: GatewayProcess, count: number, rate: number, prefix: string): Promise<number[]> {
  const jobs = await createJobs(creator, emulator, count, prefix);
  return (await callbackToDelivery(emulator, subscriberSide, jobs, rate)).deliveries;
}

/** Across two instances, against the same instance taking callback and subscription. */
export interface ClusterBenchResult extends Comparison {
  callbacks: number;
  ratePerSecond: number;
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
      ...compareToBaseline(cross, single),
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
    `    same instance p50 ${fmt(r.baselineP50)} ms  p99 ${fmt(r.baselineP99)} ms; across two instances p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms`,
    `    ratio across/same p50 ${fmt(r.p50Ratio)}  p99 ${fmt(r.p99Ratio)}`,
  ];
}
