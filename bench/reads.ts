/**
 * `npm run bench -- reads`: what reading jobs upstream costs once reads grow with jobs, not
 * with callbacks. (b) 500 jobs end within 2 s, each calling its notify_url, with one
 * subscriber each: upstream reads spent (Show + List) and the time until the last
 * subscriber has its completion; the goal is at most 5% of one Show per job (25 reads).
 * (c) 2,000 jobs pending with no callbacks: reads per poll pass, steady and after 300 of
 * them ended. Reads are counted by the gateway (`gateway_upstream_calls_total`).
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { fmt, pool, startEmulatorProcess, startGatewayProcess, upstreamCalls, type EmulatorProcess, type GatewayProcess } from './lib.js';

export interface ReadsResult {
  burst: { jobs: number; endedWithinMs: number; delivered: number; lastDeliveryMs: number; reads: { show: number; list: number }; subscribing: { show: number; list: number } };
  polling: { pending: number; intervalMs: number; passes: Array<{ label: string; show: number; list: number; ms: number }> };
}

const CREATE_URL = `mutation($input: CreatePictureModelingJobFromUrlInput!) { createPictureModelingJobFromUrl(input: $input) { ... on PictureModelingJobCreated { jobId } } }`;
// After the budget lands, creates are not what is measured here; show and list keep their default 1/s.
const EMULATOR_ENV = { EMULATOR_RATE_LIMITS: 'create=1000,createByUrl=1000' };
const GATEWAY_ENV = { UPSTREAM_RATE_LIMITS: 'create=1000,createByUrl=1000' };

async function createJobs(gw: GatewayProcess, count: number, tag: string): Promise<string[]> {
  return pool(Array.from({ length: count }, (_, i) => i), 16, async (i) => {
    const res = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: CREATE_URL, variables: { input: { pictureUrl: 'https://photos.example.com/a.jpg', styleId: 'system_male_001', name: `${tag}-${i}-${Date.now()}` } } }),
    });
    const jobId = ((await res.json()) as any).data?.createPictureModelingJobFromUrl?.jobId as string | undefined;
    if (!jobId) throw new Error('a create failed');
    return jobId;
  });
}

async function readsSoFar(gw: GatewayProcess): Promise<{ show: number; list: number }> {
  const [show, list] = await Promise.all([upstreamCalls(gw.url, 'ShowPictureModelingJob'), upstreamCalls(gw.url, 'ListPictureModelingJobs')]);
  return { show, list };
}

/** The read counters once they have not moved for `forMs`. */
async function quiet(gw: GatewayProcess, forMs: number): Promise<{ show: number; list: number }> {
  let last = await readsSoFar(gw);
  let since = performance.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await readsSoFar(gw);
    if (now.show !== last.show || now.list !== last.list) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= forMs) {
      return now;
    }
  }
}

/** Ends the jobs spread evenly over `withinMs`, by the emulator's own clock (one control call). */
async function endSpread(emulator: EmulatorProcess, jobIds: string[], withinMs: number): Promise<void> {
  const answer = (await emulator.control('jobs/complete', { jobIds, withinMs })) as { jobs?: number };
  if (answer.jobs !== jobIds.length) throw new Error('the emulator did not take the jobs to end');
}

async function benchBurst(jobs = 500, withinMs = 2000): Promise<ReadsResult['burst']> {
  const emulator = await startEmulatorProcess(EMULATOR_ENV);
  const gw = await startGatewayProcess(emulator, { ...GATEWAY_ENV, POLL_INTERVAL_MS: '3600000' });
  try {
    const jobIds = await createJobs(gw, jobs, 'burst');
    const clients = Array.from({ length: 10 }, () => createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false }));
    const deliveredAt = new Map<string, number>();
    let acked = 0;
    jobIds.forEach((jobId, i) =>
      clients[i % clients.length]!.subscribe(
        { query: 'subscription($id: ID) { pictureModelingJobCompleted(jobId: $id) { jobId } }', variables: { id: jobId } },
        { next: () => deliveredAt.set(jobId, performance.now()), error: () => {}, complete: () => {} },
      ),
    );
    // Subscriptions listen before the jobs end (a late one would be answered from the store
    // anyway). Those opened on jobs created more than SUBSCRIBE_REREAD_AFTER_MS ago re-read
    // them: counted apart, once the reads have been quiet for 1.5 s.
    const opened = await readsSoFar(gw);
    await new Promise((r) => setTimeout(r, 1000));
    const before = await quiet(gw, 1500);
    acked = jobIds.length;
    const start = performance.now();
    await endSpread(emulator, jobIds, withinMs);
    const deadline = Date.now() + 60_000;
    while (deliveredAt.size < acked && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const last = Math.max(...deliveredAt.values());
    // Reads still under way when the last delivery went out are counted too.
    await new Promise((r) => setTimeout(r, 1500));
    const after = await readsSoFar(gw);
    for (const c of clients) await c.dispose();
    return {
      jobs,
      endedWithinMs: withinMs,
      delivered: deliveredAt.size,
      lastDeliveryMs: last - start,
      reads: { show: after.show - before.show, list: after.list - before.list },
      subscribing: { show: before.show - opened.show, list: before.list - opened.list },
    };
  } finally {
    await gw.stop();
    await emulator.stop();
  }
}

/** Watches the read counters; a pass is a run of reads with no gap longer than `gapMs`. */
async function nextPass(gw: GatewayProcess, gapMs: number, timeoutMs: number): Promise<{ show: number; list: number; ms: number }> {
  const start = await readsSoFar(gw);
  const deadline = Date.now() + timeoutMs;
  let last = start;
  let firstAt = 0;
  let lastAt = 0;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const now = await readsSoFar(gw);
    if (now.show + now.list !== last.show + last.list) {
      if (!firstAt) firstAt = performance.now();
      lastAt = performance.now();
      last = now;
    } else if (firstAt && performance.now() - lastAt > gapMs) {
      break;
    }
  }
  return { show: last.show - start.show, list: last.list - start.list, ms: lastAt - firstAt };
}

async function benchPolling(pending = 2000, intervalMs = 5000): Promise<ReadsResult['polling']> {
  const emulator = await startEmulatorProcess(EMULATOR_ENV);
  await emulator.control('callbacks', { mode: 'suppress' });
  const gw = await startGatewayProcess(emulator, { ...GATEWAY_ENV, POLL_INTERVAL_MS: String(intervalMs) });
  try {
    const jobIds = await createJobs(gw, pending, 'pending');
    const passes: ReadsResult['polling']['passes'] = [];
    // Let a pass that began during the creates finish, then watch whole passes.
    await nextPass(gw, 1000, intervalMs * 3);
    for (let i = 0; i < 3; i++) passes.push({ label: `steady ${i + 1}`, ...(await nextPass(gw, 1000, intervalMs * 3)) });
    await endSpread(emulator, jobIds.slice(0, 300), 0);
    passes.push({ label: '300 ended', ...(await nextPass(gw, 1000, intervalMs * 3)) });
    passes.push({ label: 'after', ...(await nextPass(gw, 1000, intervalMs * 3)) });
    return { pending, intervalMs, passes };
  } finally {
    await gw.stop();
    await emulator.stop();
  }
}

export async function benchReads(): Promise<ReadsResult> {
  const burst = await benchBurst();
  const polling = await benchPolling();
  return { burst, polling };
}

export function reportReads(r: ReadsResult): string[] {
  const b = r.burst;
  const reads = b.reads.show + b.reads.list;
  return [
    `reads (b) ${b.jobs} jobs ending within ${b.endedWithinMs} ms: ${reads} upstream reads (${b.reads.list} list, ${b.reads.show} show; ${fmt((100 * reads) / b.jobs, 1)}% of one Show per job), ${b.delivered} of ${b.jobs} delivered, the last ${fmt(b.lastDeliveryMs, 0)} ms after the first job ended`,
    `reads (b) before that, ${b.jobs} subscriptions opening (re-reading jobs older than SUBSCRIBE_REREAD_AFTER_MS): ${b.subscribing.list} list, ${b.subscribing.show} show`,
    ...r.polling.passes.map(
      (p) => `reads (c) ${r.polling.pending} pending jobs, no callbacks, POLL_INTERVAL_MS=${r.polling.intervalMs}, pass "${p.label}": ${p.list} list + ${p.show} show calls in ${fmt(p.ms, 0)} ms`,
    ),
  ];
}
