/**
 * Subscription benchmarks (issue 4): memory per idle graphql-ws subscription, callback ->
 * delivery latency under a steady callback rate, and fan-out of one completion.
 */
import { createClient, type Client } from 'graphql-ws';
import { request } from 'undici';
import WebSocket from 'ws';
import { createMetaStudioClient } from '../src/metastudio/client.js';
import { makePng } from '../test/support/images.js';
import { compareToBaseline, fmt, MB, memoryOf, percentile, pool, startEmulatorProcess, startGatewayProcess, type Comparison, type EmulatorProcess, type GatewayProcess } from './lib.js';

const ALL_COMPLETIONS = 'subscription { pictureModelingJobCompleted { jobId state } }';
const ONE_COMPLETION = 'subscription($jobId: ID) { pictureModelingJobCompleted(jobId: $jobId) { jobId state } }';
const CREATE = `mutation($input: CreatePictureModelingJobInput!) { createPictureModelingJob(input: $input) { __typename ... on PictureModelingJobCreated { jobId } } }`;

function client(url: string): Client {
  return createClient({ url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
}

async function activeSubscriptions(gw: GatewayProcess): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(/^gateway_active_subscriptions (\d+)/m.exec(text)?.[1] ?? 0);
}

export async function waitForSubscriptions(gw: GatewayProcess, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await activeSubscriptions(gw)) < count) {
    if (Date.now() > deadline) throw new Error(`only ${await activeSubscriptions(gw)} of ${count} subscriptions became active`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Creates jobs through the gateway and returns their ids and notify URLs (as the emulator received them). */
export async function createJobs(gw: GatewayProcess, emulator: EmulatorProcess, count: number, prefix: string): Promise<Array<{ jobId: string; notifyUrl: string }>> {
  const png = makePng(64, 64);
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const ids = await pool(names, 16, async (name) => {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: CREATE, variables: { input: { file: null, styleId: 'system_male_001', name } } }));
    form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
    form.append('0', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'a.png');
    const res = await fetch(`${gw.url}/graphql`, { method: 'POST', body: form, headers: { 'x-graphql-yoga-csrf': '1' } });
    const body = (await res.json()) as any;
    return body.data.createPictureModelingJob.jobId as string;
  });
  const calls = (await emulator.control('calls')) as Array<{ operation: string; body?: { name?: string; notifyUrl?: string } }>;
  const notifyByName = new Map(calls.filter((c) => c.operation === 'CreatePictureModelingJob').map((c) => [c.body!.name!, c.body!.notifyUrl!]));
  return ids.map((jobId, i) => ({ jobId, notifyUrl: notifyByName.get(names[i]!)! }));
}

/**
 * Subscribes to each job on `subscriberSide` (over `connections` WebSockets), then ends the
 * jobs upstream and POSTs their callbacks at `rate` per second; returns, per job, the time
 * from sending the callback to receiving the subscription event. With `baseline`, half-way
 * between two callbacks the driver also times `baseline(jobId)` (the bare upstream read a
 * delivery needs), so both see the same machine at the same moments.
 */
export async function callbackToDelivery(
  emulator: EmulatorProcess,
  subscriberSide: GatewayProcess,
  jobs: Array<{ jobId: string; notifyUrl: string }>,
  rate: number,
  connections = 1,
  baseline?: (jobId: string) => Promise<unknown>,
): Promise<{ deliveries: number[]; baseline: number[] }> {
  const clients = Array.from({ length: connections }, () => client(subscriberSide.wsUrl));
  const delivered = new Map<string, number>();
  jobs.forEach((job, i) =>
    clients[i % clients.length]!.subscribe(
      { query: ONE_COMPLETION, variables: { jobId: job.jobId } },
      { next: () => void delivered.set(job.jobId, performance.now()), error: () => {}, complete: () => {} },
    ),
  );
  await waitForSubscriptions(subscriberSide, jobs.length);
  const sentAt = new Map<string, number>();
  const posts: Promise<void>[] = [];
  const baselineTimes: number[] = [];
  const start = performance.now();
  const until = async (at: number) => {
    const wait = at - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  };
  for (let i = 0; i < jobs.length; i++) {
    await until(start + (i * 1000) / rate);
    const job = jobs[i]!;
    await emulator.complete(job.jobId);
    sentAt.set(job.jobId, performance.now());
    posts.push(request(job.notifyUrl, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }).then((r) => r.body.dump()));
    if (baseline) {
      await until(start + ((i + 0.5) * 1000) / rate);
      const t = performance.now();
      posts.push(baseline(job.jobId).then(() => void baselineTimes.push(performance.now() - t)));
    }
  }
  await Promise.all(posts);
  const deadline = Date.now() + 30_000;
  while (delivered.size < jobs.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  for (const cl of clients) await cl.dispose();
  return { deliveries: jobs.map((j) => (delivered.get(j.jobId) ?? Infinity) - sentAt.get(j.jobId)!), baseline: baselineTimes };
}

export interface SubscriptionBenchResult {
  idle: { subscriptions: number; connections: number; baselineMB: number; afterMB: number; growthMB: number; kbPerSubscription: number };
  /** Against one bare ShowPictureModelingJob call. */
  latency: { subscribers: number; callbacks: number; ratePerSecond: number } & Comparison;
  fanout: { subscribers: number; rounds: number; msToFirstMedian: number; msToAllMedian: number; msToAllWorst: number };
}

export async function benchSubscriptions(): Promise<SubscriptionBenchResult> {
  const emulator = await startEmulatorProcess();
  await emulator.control('callbacks', { mode: 'suppress' });
  const gw = await startGatewayProcess(emulator);

  // (a) 10,000 idle subscriptions over 100 connections.
  const connections = 100;
  const perConnection = 100;
  await new Promise((r) => setTimeout(r, 300));
  const baseline = memoryOf(gw.pid).rss;
  const clients: Client[] = [];
  const receivedAt: number[][] = [];
  for (let c = 0; c < connections; c++) {
    const cl = client(gw.wsUrl);
    clients.push(cl);
    for (let s = 0; s < perConnection; s++) {
      const slot: number[] = [];
      receivedAt.push(slot);
      cl.subscribe({ query: ALL_COMPLETIONS }, { next: () => void slot.push(performance.now()), error: () => {}, complete: () => {} });
    }
  }
  await waitForSubscriptions(gw, connections * perConnection);
  await new Promise((r) => setTimeout(r, 500));
  const after = memoryOf(gw.pid).rss;
  const idle = {
    subscriptions: connections * perConnection,
    connections,
    baselineMB: baseline / MB,
    afterMB: after / MB,
    growthMB: (after - baseline) / MB,
    kbPerSubscription: (after - baseline) / 1024 / (connections * perConnection),
  };

  // (c) one completion reaching 5,000 subscribers of the no-jobId form.
  for (const cl of clients.splice(50)) await cl.dispose();
  receivedAt.splice(5000);
  await new Promise((r) => setTimeout(r, 300));
  // Two warm-up completions (JIT), then the median of five measured ones.
  const fanJobs = await createJobs(gw, emulator, 7, 'fanout');
  const toFirst: number[] = [];
  const toAll: number[] = [];
  for (const [round, job] of fanJobs.entries()) {
    for (const slot of receivedAt) slot.length = 0;
    await emulator.complete(job.jobId);
    const t0 = performance.now();
    await (await request(job.notifyUrl, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).body.dump();
    const fanDeadline = Date.now() + 30_000;
    while (receivedAt.some((slot) => slot.length === 0) && Date.now() < fanDeadline) await new Promise((r) => setImmediate(r));
    const firsts = receivedAt.map((slot) => slot[0] ?? Infinity);
    if (round >= 2) {
      toFirst.push(Math.min(...firsts) - t0);
      toAll.push(Math.max(...firsts) - t0);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const fanout = {
    subscribers: receivedAt.length,
    rounds: toAll.length,
    msToFirstMedian: percentile(toFirst, 50),
    msToAllMedian: percentile(toAll, 50),
    msToAllWorst: Math.max(...toAll),
  };
  for (const cl of clients.splice(0)) await cl.dispose();

  // (b) callback -> delivery latency: 1,000 subscribers, 200 callbacks per second, upstream re-read included.
  const subscribers = 1000;
  const rate = 200;
  const jobs = await createJobs(gw, emulator, subscribers, 'latency');
  // Baseline, interleaved with the callbacks: the bare upstream re-read a completion needs.
  const direct = createMetaStudioClient({ endpoint: emulator.url, projectId: emulator.config.projectId, credentials: { ak: emulator.config.ak, sk: emulator.config.sk }, timeoutMs: 10_000 });
  const { deliveries: latencies, baseline: shows } = await callbackToDelivery(emulator, gw, jobs, rate, 10, (jobId) => direct.showPictureModelingJob(jobId));
  await direct.close();
  await gw.stop();
  await emulator.stop();

  const latency = { subscribers, callbacks: jobs.length, ratePerSecond: rate, ...compareToBaseline(latencies, shows) };
  return { idle, latency, fanout };
}

export function reportSubscriptions(r: SubscriptionBenchResult): string[] {
  const { idle, latency, fanout } = r;
  return [
    `subscriptions (a) ${idle.subscriptions} idle graphql-ws subscriptions on ${idle.connections} connections: gateway RSS ${fmt(idle.baselineMB, 1)} -> ${fmt(idle.afterMB, 1)} MB, growth ${fmt(idle.growthMB, 1)} MB, ${fmt(idle.kbPerSubscription, 2)} KB per subscription`,
    `subscriptions (b) callback -> delivery, ${latency.subscribers} subscribers, ${latency.ratePerSecond} callbacks/s (upstream re-read included): p50 ${fmt(latency.p50)} ms  p99 ${fmt(latency.p99)} ms`,
    `    bare ShowPictureModelingJob, interleaved with the callbacks: p50 ${fmt(latency.baselineP50)} ms  p99 ${fmt(latency.baselineP99)} ms; difference p50 ${fmt(latency.p50 - latency.baselineP50)} ms  p99 ${fmt(latency.p99 - latency.baselineP99)} ms`,
    `subscriptions (c) one completion to ${fanout.subscribers} subscribers (no jobId), median of ${fanout.rounds}: first after ${fmt(fanout.msToFirstMedian)} ms, all after ${fmt(fanout.msToAllMedian)} ms (worst ${fmt(fanout.msToAllWorst)} ms)`,
  ];
}
