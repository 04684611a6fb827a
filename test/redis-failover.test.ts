/**
 * A Redis primary killed mid-traffic under two gateway processes (creates, callbacks and
 * subscriptions on both), and brought back as a supervisor would: on Sentinel and on the
 * Cluster master holding the store. What must hold (issue 22): no process ends, no job
 * MetaStudio accepted is lost, no subscriber hangs past the failover plus one re-check,
 * and every create is either created or refused with GATEWAY.STORE_UNAVAILABLE and
 * nothing sent upstream.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RECHECK_MS } from '../src/schema/subscription.js';
import { startFailoverRig, type FailoverObservation, type FailoverRig } from './support/redis-failover-rig.js';
import type { RedisServer } from './support/redis.js';
import { startCluster, startSentinelGroup } from './support/redis-topologies.js';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => {});
});

function expectNothingBroken(rig: FailoverRig, seen: FailoverObservation) {
  for (const g of rig.gateways) expect(g.child.exitCode).toBeNull();
  expect(rig.output()).not.toMatch(/unhandled rejection/i);
  expect(seen.lost).toEqual([]);
  expect(seen.refusedButSent).toEqual([]);
  for (const o of seen.outcomes) {
    if (o.typename === 'PictureModelingJobCreated') continue;
    expect(o, JSON.stringify(o)).toMatchObject({ typename: 'MssError', errorCode: 'GATEWAY.STORE_UNAVAILABLE' });
    expect(o.errorMsg).not.toMatch(/READONLY|MaxRetries|Connection|CLUSTERDOWN|MOVED|TRYAGAIN/);
  }
  // Every subscriber open across the failover got its completion, within the failover plus one re-check.
  const firstServedMs = seen.firstCreated.endedAt - seen.killedAt;
  for (const w of seen.watched) {
    expect(w.sub.events[0]?.data?.pictureModelingJobCompleted, JSON.stringify(w.sub.events)).toMatchObject({ jobId: w.jobId, state: 'SUCCEED' });
    expect(w.doneAt! - seen.killedAt).toBeLessThan(firstServedMs + RECHECK_MS + 2000);
  }
}

async function failoverOn(redisEnv: Record<string, string>, kill: () => Promise<RedisServer>) {
  const rig = await startFailoverRig(redisEnv);
  cleanup.push(() => rig.close());
  const seen = await rig.runOnce(kill);
  expectNothingBroken(rig, seen);
  expect(seen.outcomes.filter((o) => o.typename === 'PictureModelingJobCreated').length).toBeGreaterThan(12);
}

describe('primary failover under two gateway processes', () => {
  it('Sentinel: the primary is killed mid-traffic and comes back as a replica', async () => {
    const group = await startSentinelGroup();
    cleanup.push(() => group.stop());
    await failoverOn(group.env(), () => group.failover());
  }, 90_000);

  it('Cluster: the master holding the store is killed mid-traffic and comes back as a replica', async () => {
    const cluster = await startCluster();
    cleanup.push(() => cluster.stop());
    await failoverOn(cluster.env(), () => cluster.failover('{msgw}'));
  }, 90_000);
});
