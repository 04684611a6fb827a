/**
 * Two gateway processes on one Redis topology, with traffic on both (creates, callbacks,
 * subscriptions), for killing the primary under them. It only observes; the failover test
 * asserts on what it saw and `npm run bench -- failover` times it.
 */
import type { ChildProcess } from 'node:child_process';
import { createEmulator, type Emulator } from '../../src/emulator/create-emulator.js';
import { isTerminal } from '../../src/metastudio/types.js';
import { makePng } from './images.js';
import { uploadPhoto } from './multipart.js';
import { gql, tempDir, UNFELT_LIMITS, waitFor } from './harness.js';
import { freePort, gatewayEnv, spawnListening, stopProcess } from './process.js';
import type { RedisServer } from './redis.js';
import { openSubscriptions, subscribe, wsClient, type Collected } from './subscriptions.js';

export interface CreateOutcome {
  name: string;
  typename: string;
  errorCode?: string;
  errorMsg?: string;
  jobId?: string;
  startedAt: number;
  endedAt: number;
}

export interface FailoverObservation {
  killedAt: number;
  /** Every create tried during the run, on both instances. */
  outcomes: CreateOutcome[];
  /** The first create started after the kill that succeeded. */
  firstCreated: CreateOutcome;
  /** jobId subscriptions open across the failover (each on the instance that did not create the job). */
  watched: Array<{ jobId: string; sub: Collected; doneAt: number | undefined }>;
  /** Jobs MetaStudio accepted during the run that either instance cannot show as ended. */
  lost: string[];
  /** Names refused by the gateway that MetaStudio nevertheless received. */
  refusedButSent: string[];
}

export interface FailoverRig {
  emulator: Emulator;
  gateways: Array<{ url: string; child: ChildProcess }>;
  /** Everything both processes printed. */
  output(): string;
  /** One failover: `kill` ends the primary and resolves once another node serves; the killed node is started again. */
  runOnce(kill: () => Promise<RedisServer>): Promise<FailoverObservation>;
  close(): Promise<void>;
}

export async function startFailoverRig(redisEnv: Record<string, string>): Promise<FailoverRig> {
  // Not about the upstream budget: limits never felt on either side (test/support/harness.ts).
  const emulator = await createEmulator({ jobDurationMs: 3_600_000, rateLimits: UNFELT_LIMITS });
  let output = '';
  const gateways = await Promise.all(
    [0, 1].map(async () => {
      const port = await freePort();
      const child = await spawnListening(
        gatewayEnv(emulator, port, tempDir(), {
          ...redisEnv,
          CALLBACK_SECRET: 'failover-callback-secret-0123456789',
          RATE_LIMIT_CREATES_PER_MINUTE: '1000000',
          MAX_PENDING_JOBS_PER_PRINCIPAL: '1000000',
          POLL_INTERVAL_MS: '1000',
          RECONCILE_AFTER_MS: '2000',
          UPSTREAM_TIMEOUT_MS: '5000',
        }),
      );
      child.stdout!.on('data', (c: Buffer) => (output += String(c)));
      child.stderr!.on('data', (c: Buffer) => (output += String(c)));
      return { url: `http://127.0.0.1:${port}`, child };
    }),
  );
  const [a, b] = gateways as [(typeof gateways)[0], (typeof gateways)[0]];
  const clients = gateways.map((g) => wsClient(`${g.url.replace(/^http/, 'ws')}/graphql`));
  let counter = 0;

  const ready = async () => (await fetch(`${a.url}/ready`)).status === 200 && (await fetch(`${b.url}/ready`)).status === 200;
  await waitFor(ready, 15_000, 100);

  async function runOnce(kill: () => Promise<RedisServer>): Promise<FailoverObservation> {
    await waitFor(ready, 30_000, 100).catch(async (error: Error) => {
      const statuses = await Promise.all(gateways.map(async (g) => (await fetch(`${g.url}/ready`)).status));
      throw new Error(`not ready before the run (/ready ${statuses.join(', ')}); last output:\n${output.split('\n').slice(-20).join('\n')}`, { cause: error });
    });
    const outcomes: CreateOutcome[] = [];
    const createOn = async (url: string): Promise<CreateOutcome> => {
      const name = `fo-${Date.now().toString(36)}-${counter++}`;
      const startedAt = Date.now();
      const { body } = await uploadPhoto(url, { file: makePng(16, 16), input: { name } });
      const r = body.data.createPictureModelingJob;
      const outcome: CreateOutcome = { name, typename: r.__typename, errorCode: r.errorCode, errorMsg: r.errorMsg, jobId: r.jobId, startedAt, endedAt: Date.now() };
      outcomes.push(outcome);
      return outcome;
    };

    // Jobs made on each instance, watched from the other one.
    const made: CreateOutcome[] = [];
    for (let i = 0; i < 6; i++) made.push(await createOn(gateways[i % 2]!.url));
    if (made.some((o) => o.typename !== 'PictureModelingJobCreated')) throw new Error(`a create before the fault failed: ${JSON.stringify(made)}`);
    const watched = made.map((o, i) => ({ jobId: o.jobId!, sub: subscribe(clients[(i + 1) % 2]!, { jobId: o.jobId }), doneAt: undefined as number | undefined }));
    for (const w of watched) void w.sub.done.then(() => (w.doneAt = Date.now()));
    const allJobs = clients.map((c) => subscribe(c));
    // Listening on both: each server counts its subscriptions open.
    const open = async () => Promise.all(gateways.map((g) => openSubscriptions(g.url)));
    await waitFor(async () => (await open()).every((n) => n >= 4), 10_000).catch(async (error: Error) => {
      throw new Error(`subscriptions did not open: ${JSON.stringify({ open: await open(), errors: watched.map((w) => [w.sub.errors, w.sub.events]) })}`, { cause: error });
    });

    let running = true;
    const traffic = Promise.all(
      gateways.map(async (g) => {
        while (running) await createOn(g.url);
      }),
    );
    const trafficBefore = outcomes.length;
    await waitFor(() => outcomes.length >= trafficBefore + 6, 10_000);

    // Half the watched jobs end just before the kill (their callbacks race it), half during the outage.
    for (const w of watched.slice(0, 3)) emulator.world.complete(w.jobId);
    const killedAt = Date.now();
    const victim = await kill();
    for (const w of watched.slice(3)) emulator.world.complete(w.jobId);
    // A supervisor restarts the old primary: it must come back as a replica, never as a second primary.
    await victim.start();

    const firstCreated = await waitFor(() => outcomes.find((o) => o.typename === 'PictureModelingJobCreated' && o.startedAt > killedAt), 30_000, 20);
    const countThen = outcomes.length;
    await waitFor(() => outcomes.length >= countThen + 10, 10_000);
    running = false;
    await traffic;
    // A subscriber open across the failover completes within the failover plus one re-check.
    await waitFor(() => watched.every((w) => w.doneAt !== undefined), 20_000, 20).catch(() => undefined);
    for (const sub of allJobs) sub.dispose();

    const refusedButSent = outcomes.filter((o) => o.typename !== 'PictureModelingJobCreated' && emulator.world.hasName(o.name)).map((o) => o.name);
    // Every job MetaStudio accepted ends, and both instances show it ended.
    const names = new Set(outcomes.map((o) => o.name));
    const accepted = emulator.world.list({}).filter((j) => names.has(j.name ?? ''));
    for (const job of accepted) if (!isTerminal(job.state)) emulator.world.complete(job.job_id);
    const query = `query($id: ID!) { pictureModelingJob(jobId: $id) { __typename ... on PictureModelingJob { state } } }`;
    const shownEnded = async (jobId: string) => {
      for (const g of gateways) if ((await gql(g.url, query, { id: jobId })).body.data?.pictureModelingJob?.state !== 'SUCCEED') return false;
      return true;
    };
    let lost: string[] = accepted.map((j) => j.job_id);
    const deadline = Date.now() + 20_000;
    while (lost.length > 0 && Date.now() < deadline) {
      const still: string[] = [];
      for (const id of lost) if (!(await shownEnded(id))) still.push(id);
      lost = still;
      if (lost.length > 0) await new Promise((r) => setTimeout(r, 200));
    }
    return { killedAt, outcomes, firstCreated, watched, lost, refusedButSent };
  }

  return {
    emulator,
    gateways,
    output: () => output,
    runOnce,
    async close() {
      await Promise.all(clients.map((c) => c.dispose()));
      await Promise.all(gateways.map((g) => stopProcess(g.child)));
      await emulator.close();
    },
  };
}
