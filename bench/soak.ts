/**
 * `npm run bench -- soak [--seconds=300]`: steady creates (uploads and from-URL, with and
 * without idempotency keys, retried after a lost answer the way a client would),
 * subscriptions, callback replays and random upstream faults (errors, dropped connections,
 * slow answers, lost callbacks) injected through the emulator; then the gateway is given
 * time to settle and the books are checked: jobs upstream vs stored vs delivered, lost
 * jobs, registrations left open, and RSS at the start and the end.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createMetaStudioClient } from '../src/metastudio/client.js';
import { makePng } from '../test/support/images.js';
import { fmt, memoryOf, MB, startEmulatorProcess, startGatewayProcess } from './lib.js';

export interface SoakResult {
  seconds: number;
  creates: { attempted: number; created: number; refused: number; failed: number; retried: number };
  faultsInjected: number;
  callbackReplays: number;
  upstreamJobs: number;
  storedJobs: number;
  deliveredCompletions: number;
  lostJobs: number;
  duplicateJobsPerKey: number;
  orphanRegistrations: number;
  undeliveredCompletions: number;
  settleSeconds: number;
  rssStartMB: number;
  rssEndMB: number;
  /** RSS every 30 s of the run, in MB. */
  rssSamplesMB: number[];
}

const CREATE = `mutation($input: CreatePictureModelingJobInput!) { createPictureModelingJob(input: $input) { __typename ... on PictureModelingJobCreated { jobId } ... on MssError { errorCode } } }`;
const CREATE_URL = `mutation($input: CreatePictureModelingJobFromUrlInput!) { createPictureModelingJobFromUrl(input: $input) { __typename ... on PictureModelingJobCreated { jobId } ... on MssError { errorCode } } }`;
const LOST_ANSWER = new Set(['GATEWAY.UPSTREAM_TIMEOUT', 'GATEWAY.UPSTREAM_UNAVAILABLE', 'GATEWAY.BAD_UPSTREAM_RESPONSE', 'MSS.00000004']);

const FAULTS: unknown[] = [
  { operation: 'CreatePictureModelingJob', delayMs: 1500 },
  { operation: 'CreatePictureModelingJob', dropAnswer: true },
  { operation: 'CreatePictureModelingByUrlJob', delayMs: 1500 },
  { operation: 'CreatePictureModelingByUrlJob', dropAnswer: true },
  { operation: 'CreatePictureModelingJob', drop: true },
  { operation: 'CreatePictureModelingJob', status: 400, body: { error_code: 'MSS.00000003', error_msg: 'Invalid parameter' } },
  { operation: 'CreatePictureModelingJob', status: 500, body: { error_code: 'MSS.00000004', error_msg: 'Internal Error' } },
  { operation: 'ShowPictureModelingJob', status: 500, body: { error_code: 'MSS.00000004', error_msg: 'Internal Error' }, times: 3 },
  { operation: 'ShowPictureModelingJob', drop: true },
  { operation: 'ShowPictureModelingJob', delayMs: 1500 },
  { operation: 'ListPictureModelingJobs', status: 503, body: '<html>busy</html>' },
];

export async function benchSoak(seconds = Number(/^--seconds=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--seconds=')) ?? '')?.[1] ?? 300)): Promise<SoakResult> {
  const emulator = await startEmulatorProcess({ EMULATOR_JOB_DURATION_MS: '2000' });
  const gw = await startGatewayProcess(emulator, {
    UPSTREAM_TIMEOUT_MS: '800',
    POLL_INTERVAL_MS: '2000',
    RECONCILE_AFTER_MS: '2000',
    RECONCILE_GIVE_UP_MS: '15000',
    SUBSCRIBE_REREAD_AFTER_MS: '2000',
  });
  const gql = async (query: string, variables: Record<string, unknown> = {}) =>
    (await (await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })).json()) as any;
  const upload = async (input: Record<string, unknown>) => {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: CREATE, variables: { input: { ...input, file: null } } }));
    form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
    form.append('0', new Blob([new Uint8Array(makePng(48, 48))], { type: 'image/png' }), 'face.png');
    const res = await fetch(`${gw.url}/graphql`, { method: 'POST', body: form, headers: { 'x-graphql-yoga-csrf': '1' } });
    return ((await res.json()) as any).data?.createPictureModelingJob;
  };
  const fromUrl = async (input: Record<string, unknown>) => (await gql(CREATE_URL, { input: { ...input, pictureUrl: 'https://photos.example.com/face.jpg' } })).data?.createPictureModelingJobFromUrl;

  const delivered = new Set<string>();
  const ws = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, retryAttempts: 5, lazy: false });
  ws.subscribe({ query: 'subscription { pictureModelingJobCompleted { jobId state } }' }, { next: (r: any) => r.data && delivered.add(r.data.pictureModelingJobCompleted.jobId), error: () => {}, complete: () => {} });

  const creates = { attempted: 0, created: 0, refused: 0, failed: 0, retried: 0 };
  let faultsInjected = 0;
  let callbackReplays = 0;
  const keyed = new Map<string, string>(); // name -> idempotencyKey
  const inFlight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  async function oneCreate(i: number) {
    const name = `soak-${i}-${Math.random().toString(36).slice(2, 8)}`;
    const withKey = i % 2 === 0;
    const input: Record<string, unknown> = { styleId: 'system_female_001', name, ...(withKey ? { idempotencyKey: `k-${name}` } : {}) };
    if (withKey) keyed.set(name, `k-${name}`);
    const send = () => (i % 4 < 2 ? upload(input) : fromUrl(input)).catch(() => undefined);
    creates.attempted++;
    let result = await send();
    // A client with a key retries a create whose answer it lost.
    if (withKey && (!result || LOST_ANSWER.has(result.errorCode))) {
      creates.retried++;
      await new Promise((r) => setTimeout(r, 1000));
      result = await send();
    }
    if (result?.__typename === 'PictureModelingJobCreated') creates.created++;
    else if (result?.errorCode && !LOST_ANSWER.has(result.errorCode)) creates.refused++;
    else creates.failed++;
    // Some clients follow their job with a jobId subscription.
    if (result?.jobId && i % 5 === 0) {
      const done = new Promise<void>((resolve) => {
        ws.subscribe({ query: `subscription($id: ID) { pictureModelingJobCompleted(jobId: $id) { jobId } }`, variables: { id: result.jobId } }, { next: () => {}, error: () => resolve(), complete: () => resolve() });
      });
      await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
    }
  }

  const startedAt = Date.now();
  const end = startedAt + seconds * 1000;
  // The starting RSS is read once the load has warmed up (a tenth of the run, at least 5 s).
  const warmAt = startedAt + Math.max(5000, seconds * 100);
  let rssStart = 0;
  const rssSamples: number[] = [];
  const sampler = setInterval(() => rssSamples.push(memoryOf(gw.pid).rss / MB), 30_000);
  let i = 0;
  let nextFault = Date.now() + 1000;
  while (Date.now() < end) {
    if (!rssStart && Date.now() >= warmAt) rssStart = memoryOf(gw.pid).rss;
    track(oneCreate(i++));
    if (Date.now() >= nextFault) {
      nextFault = Date.now() + 1000 + Math.random() * 2000;
      await emulator.control('faults', FAULTS[Math.floor(Math.random() * FAULTS.length)]);
      faultsInjected++;
      // Now and then callbacks go missing for a moment.
      if (Math.random() < 0.15) {
        await emulator.control('callbacks', { mode: 'suppress' });
        setTimeout(() => void emulator.control('callbacks', { mode: 'normal' }), 1500);
      }
      // Replay a callback MetaStudio already made, a few times.
      const callbacks = (await emulator.control('callbacks')) as Array<{ url: string }>;
      const replay = callbacks[Math.floor(Math.random() * callbacks.length)];
      if (replay) {
        for (let r = 0; r < 5; r++) track(fetch(replay.url, { method: 'POST', body: '{}' }).catch(() => undefined));
        callbackReplays += 5;
      }
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  await Promise.all([...inFlight]);
  clearInterval(sampler);
  await emulator.control('callbacks', { mode: 'normal' });

  // Settle: the poller and the reconciler finish what faults interrupted.
  const upstream = createMetaStudioClient({ endpoint: emulator.url, projectId: emulator.config.projectId, credentials: { ak: emulator.config.ak, sk: emulator.config.sk }, timeoutMs: 10_000 });
  const listUpstream = async () => {
    const all: Array<{ job_id: string; name?: string; state: string }> = [];
    for (let offset = 0; ; offset += 100) {
      const { data } = await upstream.listPictureModelingJobs({ offset, limit: 100 });
      all.push(...data.picture_modeling_jobs);
      if (data.picture_modeling_jobs.length < 100) return all;
    }
  };
  const listStored = async () => {
    const ids = new Set<string>();
    for (let offset = 0; ; offset += 100) {
      const page = (await gql('query($o: Int) { pictureModelingJobs(offset: $o, limit: 100) { ... on PictureModelingJobList { jobs { jobId } } } }', { o: offset })).data.pictureModelingJobs.jobs as Array<{ jobId: string }>;
      for (const j of page) ids.add(j.jobId);
      if (page.length < 100) return ids;
    }
  };
  const orphans = async () => Number(/^gateway_unlinked_registrations (\d+)$/m.exec(await (await fetch(`${gw.url}/metrics`)).text())?.[1] ?? -1);
  const settleStart = Date.now();
  let books: { up: Awaited<ReturnType<typeof listUpstream>>; stored: Set<string>; open: number };
  for (;;) {
    books = { up: await listUpstream(), stored: await listStored(), open: await orphans() };
    const settled = books.up.every((j) => books.stored.has(j.job_id) && delivered.has(j.job_id)) && books.open === 0;
    if (settled || Date.now() - settleStart > 120_000) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  const settleSeconds = (Date.now() - settleStart) / 1000;
  const rssEnd = memoryOf(gw.pid).rss;
  const perKey = new Map<string, number>();
  for (const job of books.up) {
    const key = job.name ? keyed.get(job.name) : undefined;
    if (key) perKey.set(key, (perKey.get(key) ?? 0) + 1);
  }
  await upstream.close();
  await ws.dispose();
  await gw.stop();
  await emulator.stop();
  return {
    seconds,
    creates,
    faultsInjected,
    callbackReplays,
    upstreamJobs: books.up.length,
    storedJobs: books.up.filter((j) => books.stored.has(j.job_id)).length,
    deliveredCompletions: books.up.filter((j) => delivered.has(j.job_id)).length,
    lostJobs: books.up.filter((j) => !books.stored.has(j.job_id)).length,
    duplicateJobsPerKey: [...perKey.values()].filter((n) => n > 1).length,
    orphanRegistrations: books.open,
    undeliveredCompletions: books.up.filter((j) => !delivered.has(j.job_id)).length,
    settleSeconds,
    rssStartMB: rssStart / MB,
    rssEndMB: rssEnd / MB,
    rssSamplesMB: rssSamples,
  };
}

export function reportSoak(r: SoakResult): string[] {
  return [
    `soak ${r.seconds} s: ${r.creates.attempted} creates (${r.creates.created} created, ${r.creates.refused} refused, ${r.creates.failed} failed, ${r.creates.retried} retried with their key), ${r.faultsInjected} upstream faults, ${r.callbackReplays} callback replays`,
    `    upstream jobs ${r.upstreamJobs}, stored ${r.storedJobs}, delivered ${r.deliveredCompletions}; lost ${r.lostJobs}, undelivered ${r.undeliveredCompletions}, orphan registrations ${r.orphanRegistrations}, keys with two jobs ${r.duplicateJobsPerKey} (settled in ${fmt(r.settleSeconds, 0)} s)`,
    `    gateway RSS ${fmt(r.rssStartMB, 1)} MB at start, ${fmt(r.rssEndMB, 1)} MB at the end (${fmt((r.rssEndMB / r.rssStartMB - 1) * 100, 1)}%); every 30 s: ${r.rssSamplesMB.map((m) => fmt(m, 0)).join(', ')} MB`,
  ];
}
