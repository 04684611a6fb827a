/**
 * Failover benchmark (issue 22): two gateway processes under traffic (creates, callbacks,
 * subscriptions on both) while the Redis primary is killed and restarted, five times on
 * Sentinel and five times on a 3-master Cluster (the master holding the store). Per run:
 * the time from the primary's death to the first successful create, and to the last
 * completion delivered to a subscriber that was open across it; creates refused meanwhile
 * (GATEWAY.STORE_UNAVAILABLE, nothing sent upstream), jobs lost, processes ended.
 */
import { startFailoverRig, type FailoverObservation } from '../test/support/redis-failover-rig.js';
import type { RedisServer } from '../test/support/redis.js';
import { startCluster, startSentinelGroup } from '../test/support/redis-topologies.js';
import { fmt, percentile } from './lib.js';

export interface FailoverRunFigures {
  firstCreateMs: number;
  lastCompletionMs: number;
  created: number;
  refused: number;
  lost: number;
  refusedButSent: number;
  hung: number;
}

export interface FailoverBenchResult {
  runs: number;
  sentinel: FailoverRunFigures[];
  cluster: FailoverRunFigures[];
  /** Runs that could not complete, with why. */
  failures: string[];
  crashes: number;
}

function figures(seen: FailoverObservation): FailoverRunFigures {
  const created = seen.outcomes.filter((o) => o.typename === 'PictureModelingJobCreated').length;
  const done = seen.watched.filter((w) => w.doneAt !== undefined);
  return {
    firstCreateMs: seen.firstCreated.endedAt - seen.killedAt,
    lastCompletionMs: Math.max(...done.map((w) => w.doneAt! - seen.killedAt)),
    created,
    refused: seen.outcomes.length - created,
    lost: seen.lost.length,
    refusedButSent: seen.refusedButSent.length,
    hung: seen.watched.length - done.length,
  };
}

async function runs(
  count: number,
  env: Record<string, string>,
  kill: () => Promise<RedisServer>,
  settle: () => Promise<void>,
): Promise<{ figures: FailoverRunFigures[]; failures: string[]; crashes: number }> {
  const rig = await startFailoverRig(env);
  const out: FailoverRunFigures[] = [];
  try {
    const failures: string[] = [];
    for (let i = 0; i < count; i++) {
      await settle();
      try {
        out.push(figures(await rig.runOnce(kill)));
      } catch (error) {
        // Reported, not hidden: a run that could not complete is a finding.
        failures.push((error as Error).message);
        console.error(`failover run ${i + 1} failed: ${(error as Error).message}`);
      }
    }
    return { figures: out, failures, crashes: rig.gateways.filter((g) => g.child.exitCode !== null).length };
  } finally {
    await rig.close();
  }
}

export async function benchFailover(options: { runs?: number | undefined } = {}): Promise<FailoverBenchResult> {
  const count = options.runs ?? 5;
  const group = await startSentinelGroup();
  let sentinel;
  try {
    sentinel = await runs(count, group.env(), () => group.failover(), () => group.settle());
  } finally {
    await group.stop();
  }
  const cluster = await startCluster();
  let clustered;
  try {
    clustered = await runs(count, cluster.env(), () => cluster.failover('{msgw}'), () => cluster.settle());
  } finally {
    await cluster.stop();
  }
  return {
    runs: count,
    sentinel: sentinel.figures,
    cluster: clustered.figures,
    failures: [...sentinel.failures, ...clustered.failures],
    crashes: sentinel.crashes + clustered.crashes,
  };
}

export function reportFailover(r: FailoverBenchResult): string[] {
  const lines = [
    `failover: Redis primary killed mid-traffic under two gateway processes, then restarted; ${r.runs} runs each; processes ended: ${r.crashes}; runs failed: ${r.failures.length}`,
  ];
  for (const [name, list] of [
    ['Sentinel (3 sentinels, down-after 1 s)', r.sentinel],
    ['Cluster (3 masters + 3 replicas, node-timeout 1 s)', r.cluster],
  ] as const) {
    const first = list.map((f) => f.firstCreateMs);
    const last = list.map((f) => f.lastCompletionMs);
    lines.push(
      `  ${name}: death -> first successful create ${first.map((v) => fmt(v / 1000, 1)).join(' / ')} s (median ${fmt(percentile(first, 50) / 1000, 1)}); ` +
        `-> last delayed completion ${last.map((v) => fmt(v / 1000, 1)).join(' / ')} s (median ${fmt(percentile(last, 50) / 1000, 1)})`,
      `    creates ${list.map((f) => `${f.created} ok + ${f.refused} refused`).join(', ')}; lost ${list.reduce((n, f) => n + f.lost, 0)}, refused-but-sent ${list.reduce((n, f) => n + f.refusedButSent, 0)}, subscribers hung ${list.reduce((n, f) => n + f.hung, 0)}`,
    );
  }
  return lines;
}
