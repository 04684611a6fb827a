/**
 * A Redis primary killed mid-traffic under two gateway processes (creates, callbacks and
 * subscriptions on both), and brought back as a supervisor would: on Sentinel and on a
 * Cluster master. What must hold (issue 22): no process ends, no job MetaStudio accepted
 * is lost, no subscriber hangs past the failover plus one re-check, and every create is
 * either created or refused with GATEWAY.STORE_UNAVAILABLE and nothing sent upstream.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../src/emulator/create-emulator.js';
import { isTerminal } from '../src/metastudio/types.js';
import { RECHECK_MS } from '../src/schema/subscription.js';
import { makePng } from './support/images.js';
import { uploadPhoto } from './support/multipart.js';
import { gql, tempDir, waitFor } from './support/harness.js';
import { freePort, gatewayEnv, spawnListening, stopProcess } from './support/process.js';
import type { RedisServer } from './support/redis.js';
import { startCluster, startSentinelGroup } from './support/redis-topologies.js';
import { subscribe, wsClient, type Collected } from './support/subscriptions.js';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => {});
});

interface Outcome {
  name: string;
  typename: string;
  errorCode?: string;
  errorMsg?: string;
  jobId?: string;
  startedAt: number;
  endedAt: number;
}

export interface FailoverRun {
  /** From the primary's death to the first create that succeeded after it. */
  firstCreateMs: number;
  /** From the primary's death to the last completion delivered to a subscriber that was open across it. */
  lastCompletionMs: number;
  creates: number;
  refused: number;
}

/**
 * Two gateway processes on `redisEnv`; traffic on both; `kill` ends the primary and resolves
 * once another node serves; the killed node is started again at once.
 */
export async function runFailover(redisEnv: Record<string, string>, kill: () => Promise<RedisServer>): Promise<FailoverRun> {
  const emulator: Emulator = await createEmulator({ jobDurationMs: 3_600_000 });
  cleanup.push(() => emulator.close());
  let output = '';
  const gateways = await Promise.all(
    [0, 1].map(async () => {
      const port = await freePort();
      const child = await spawnListening(
        gatewayEnv(emulator, port, tempDir(), {
          ...redisEnv,
          CALLBACK_SECRET: 'failover-callback-secret-0123456789',
          RATE_LIMIT_CREATES_PER_MINUTE: '100000',
          MAX_PENDING_JOBS_PER_PRINCIPAL: '100000',
          POLL_INTERVAL_MS: '1000',
          RECONCILE_AFTER_MS: '2000',
          UPSTREAM_TIMEOUT_MS: '5000',
        }),
      );
      child.stdout!.on('data', (c: Buffer) => (output += String(c)));
      child.stderr!.on('data', (c: Buffer) => (output += String(c)));
      cleanup.push(() => stopProcess(child));
      return { url: `http://127.0.0.1:${port}`, child };
    }),
  );
  const [a, b] = gateways as [(typeof gateways)[0], (typeof gateways)[0]];
  await waitFor(async () => (await fetch(`${a.url}/ready`)).status === 200 && (await fetch(`${b.url}/ready`)).status === 200, 15_000);

  const outcomes: Outcome[] = [];
  let counter = 0;
  const createOn = async (url: string): Promise<Outcome> => {
    const name = `fo-${Date.now().toString(36)}-${counter++}`;
    const startedAt = Date.now();
    const { body } = await uploadPhoto(url, { file: makePng(16, 16), input: { name } });
    const r = body.data.createPictureModelingJob;
    const outcome: Outcome = { name, typename: r.__typename, errorCode: r.errorCode, errorMsg: r.errorMsg, jobId: r.jobId, startedAt, endedAt: Date.now() };
    outcomes.push(outcome);
    return outcome;
  };

  // Before the fault: jobs made on each instance, watched from the other one.
  const before: Outcome[] = [];
  for (let i = 0; i < 6; i++) before.push(await createOn(i % 2 ? b.url : a.url));
  expect(before.map((o) => o.typename)).toEqual(Array(6).fill('PictureModelingJobCreated'));
  const clients = [wsClient(a.url.replace(/^http/, 'ws') + '/graphql'), wsClient(b.url.replace(/^http/, 'ws') + '/graphql')];
  cleanup.push(() => Promise.all(clients.map((c) => c.dispose())));
  const watched: Array<{ jobId: string; sub: Collected; doneAt?: number }> = before.map((o, i) => ({ jobId: o.jobId!, sub: subscribe(clients[(i + 1) % 2]!, { jobId: o.jobId }) }));
  for (const w of watched) void w.sub.done.then(() => (w.doneAt = Date.now()));
  const allJobs = clients.map((c) => subscribe(c));
  await waitFor(async () => {
    const texts = await Promise.all([a, b].map(async (g) => (await fetch(`${g.url}/metrics`)).text()));
    return texts.every((t) => /^gateway_active_subscriptions ([4-9]|\d\d)/m.test(t));
  }, 10_000);

  // Traffic: two creates at a time, alternating instances, until told to stop.
  let running = true;
  const traffic = Promise.all(
    [a, b].map(async (g) => {
      while (running) await createOn(g.url);
    }),
  );
  await waitFor(() => outcomes.length >= 12, 10_000);

  // Half the watched jobs end just before the kill (their callbacks race it), half during the outage.
  for (const w of watched.slice(0, 3)) emulator.world.complete(w.jobId);
  const killedAt = Date.now();
  const victim = await kill();
  for (const w of watched.slice(3)) emulator.world.complete(w.jobId);
  // A supervisor restarts the old primary: it must rejoin as a replica, not serve as a second primary.
  await victim.start();

  const firstAfter = await waitFor(() => outcomes.find((o) => o.typename === 'PictureModelingJobCreated' && o.startedAt > killedAt), 20_000);
  // Some more traffic once it is over, then stop.
  const countThen = outcomes.length;
  await waitFor(() => outcomes.length >= countThen + 10, 10_000);
  running = false;
  await traffic;

  // Every subscriber open across the failover completes within its one re-check after the store answers again.
  await waitFor(() => watched.every((w) => w.doneAt !== undefined), Math.max(RECHECK_MS, 1000) + 10_000);
  for (const w of watched) expect(w.sub.events[0]?.data?.pictureModelingJobCompleted, JSON.stringify(w.sub.events)).toMatchObject({ jobId: w.jobId, state: 'SUCCEED' });

  // Every create: created, or refused with the contract's code and nothing sent upstream.
  for (const o of outcomes) {
    if (o.typename === 'PictureModelingJobCreated') continue;
    expect(o, JSON.stringify(o)).toMatchObject({ typename: 'MssError', errorCode: 'GATEWAY.STORE_UNAVAILABLE' });
    expect(o.errorMsg).not.toMatch(/READONLY|MaxRetries|Connection|CLUSTERDOWN|MOVED|TRYAGAIN/);
    expect(emulator.world.hasName(o.name), `${o.name} was refused but reached MetaStudio`).toBe(false);
  }

  // No job MetaStudio accepted is lost: each is found (and ends) through both instances.
  const accepted = emulator.world.list({});
  for (const job of accepted) if (!isTerminal(job.state)) emulator.world.complete(job.job_id);
  const query = `query($id: ID!) { pictureModelingJob(jobId: $id) { __typename ... on PictureModelingJob { state } ... on MssError { errorCode } } }`;
  await waitFor(
    async () => {
      for (const job of accepted) {
        for (const g of [a, b]) {
          const { body } = await gql(g.url, query, { id: job.job_id });
          if (body.data?.pictureModelingJob?.state !== 'SUCCEED') return false;
        }
      }
      return true;
    },
    20_000,
    200,
  );

  expect(a.child.exitCode).toBeNull();
  expect(b.child.exitCode).toBeNull();
  expect(output).not.toMatch(/unhandled rejection/i);
  for (const sub of allJobs) sub.dispose();
  const created = outcomes.filter((o) => o.typename === 'PictureModelingJobCreated');
  return {
    firstCreateMs: firstAfter.endedAt - killedAt,
    lastCompletionMs: Math.max(...watched.map((w) => w.doneAt!)) - killedAt,
    creates: created.length,
    refused: outcomes.length - created.length,
  };
}

describe('primary failover under two gateway processes', () => {
  it('Sentinel: the primary is killed mid-traffic and comes back as a replica', async () => {
    const group = await startSentinelGroup();
    cleanup.push(() => group.stop());
    const run = await runFailover(group.env(), () => group.failover());
    expect(run.creates).toBeGreaterThan(0);
  }, 90_000);

  it('Cluster: the master holding the store is killed mid-traffic and comes back as a replica', async () => {
    const cluster = await startCluster();
    cleanup.push(() => cluster.stop());
    const run = await runFailover(cluster.env(), () => cluster.failover('{msgw}'));
    expect(run.creates).toBeGreaterThan(0);
  }, 90_000);
});
