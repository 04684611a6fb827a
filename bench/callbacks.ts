/**
 * `npm run bench -- callbacks`: how fast the gateway ingests callbacks while 1,000
 * subscribers wait on their jobs (each callback triggers an upstream re-read, a store
 * write and a delivery; none may be dropped), and how fast it answers replays of
 * callbacks for jobs that have already ended (answered from the store, no upstream call).
 */
import { createClient } from 'graphql-ws';
import { Pool } from 'undici';
import WebSocket from 'ws';
import { fmt, pool, startEmulatorProcess, startGatewayProcess, upstreamCalls } from './lib.js';

export interface CallbacksResult {
  subscribers: number;
  ingest: { callbacks: number; seconds: number; perSecond: number; delivered: number; allDeliveredAfterMs: number };
  replays: { callbacks: number; seconds: number; perSecond: number; upstreamShowCalls: number };
}

const CREATE_URL = `mutation($input: CreatePictureModelingJobFromUrlInput!) { createPictureModelingJobFromUrl(input: $input) { ... on PictureModelingJobCreated { jobId } } }`;

export async function benchCallbacks(subscribers = 1000, replays = 20_000): Promise<CallbacksResult> {
  const emulator = await startEmulatorProcess();
  const gw = await startGatewayProcess(emulator, { POLL_INTERVAL_MS: '3600000' });
  // MetaStudio's own callbacks are off: the driver sends them, as fast as the gateway takes them.
  await emulator.control('callbacks', { mode: 'suppress' });
  const jobIds = await pool(Array.from({ length: subscribers }, (_, i) => i), 16, async (i) => {
    const res = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: CREATE_URL, variables: { input: { pictureUrl: 'https://photos.example.com/a.jpg', styleId: 'system_male_001', name: `cb-${i}-${Date.now()}` } } }),
    });
    return ((await res.json()) as any).data.createPictureModelingJobFromUrl.jobId as string;
  });
  const calls = (await emulator.control('calls')) as Array<{ operation: string; body?: { notifyUrl?: string } }>;
  const notifyUrls = calls.filter((c) => c.operation === 'CreatePictureModelingByUrlJob' && c.body?.notifyUrl).map((c) => c.body!.notifyUrl!);

  // One jobId subscription per job, over 10 connections.
  const clients = Array.from({ length: 10 }, () => createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false }));
  const deliveredAt = new Map<string, number>();
  let acknowledged = 0;
  jobIds.forEach((jobId, i) =>
    clients[i % clients.length]!.subscribe({ query: 'subscription($id: ID) { pictureModelingJobCompleted(jobId: $id) { jobId } }', variables: { id: jobId } }, {
      next: () => deliveredAt.set(jobId, performance.now()),
      error: () => {},
      complete: () => {},
    }),
  );
  await new Promise((r) => setTimeout(r, 1000));
  acknowledged = jobIds.length;
  for (const jobId of jobIds) await emulator.control(`jobs/${jobId}/complete`, {});

  const origin = new URL(gw.url).origin;
  const http = new Pool(origin, { connections: 32, pipelining: 1 });
  const post = async (url: string) => {
    const { statusCode, body } = await http.request({ method: 'POST', path: new URL(url).pathname, headers: { 'content-type': 'application/json' }, body: '{}' });
    await body.dump();
    if (statusCode !== 202) throw new Error(`callback answered ${statusCode}`);
  };

  const ingestStart = performance.now();
  await pool(notifyUrls, 64, (url) => post(url));
  const ingestSeconds = (performance.now() - ingestStart) / 1000;
  const deadline = Date.now() + 30_000;
  while (deliveredAt.size < acknowledged && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const lastDelivery = Math.max(...deliveredAt.values());

  const shows = () => upstreamCalls(gw.url, 'ShowPictureModelingJob');
  const showsBefore = await shows();
  const replayUrls = Array.from({ length: replays }, (_, i) => notifyUrls[i % notifyUrls.length]!);
  const replayStart = performance.now();
  await pool(replayUrls, 64, (url) => post(url));
  const replaySeconds = (performance.now() - replayStart) / 1000;
  const showsAfter = await shows();

  await http.close();
  for (const c of clients) await c.dispose();
  await gw.stop();
  await emulator.stop();
  return {
    subscribers,
    ingest: {
      callbacks: notifyUrls.length,
      seconds: ingestSeconds,
      perSecond: notifyUrls.length / ingestSeconds,
      delivered: deliveredAt.size,
      allDeliveredAfterMs: lastDelivery - ingestStart,
    },
    replays: { callbacks: replays, seconds: replaySeconds, perSecond: replays / replaySeconds, upstreamShowCalls: showsAfter - showsBefore },
  };
}

export function reportCallbacks(r: CallbacksResult): string[] {
  return [
    `callbacks (a) ${r.ingest.callbacks} callbacks for ${r.subscribers} waiting subscribers: ${fmt(r.ingest.perSecond, 0)} callbacks/s answered, ${r.ingest.delivered} of ${r.subscribers} delivered, the last ${fmt(r.ingest.allDeliveredAfterMs, 0)} ms after the first callback`,
    `callbacks (b) ${r.replays.callbacks} replays of callbacks for ended jobs: ${fmt(r.replays.perSecond, 0)} replays/s, ${r.replays.upstreamShowCalls} upstream calls`,
  ];
}
