import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator } from '../src/emulator/create-emulator.js';
import { createCallbackTokens } from '../src/jobs/webhooks/callback-token.js';
import { createRelay, verifyRelaySignature, SIGNATURE_HEADER } from '../src/jobs/webhooks/relay.js';
import { recordFromUpstream } from '../src/jobs/model/job-record.js';
import { createJobService } from '../src/jobs/sync/job-service.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { makePng } from './support/images.js';
import { uploadPhoto } from './support/multipart.js';
import { gql, startHarness, tempDir, waitFor, type Harness, UNFELT_LIMITS } from './support/harness.js';
import { freePort, gatewayEnv, spawnListening, stopProcess } from './support/process.js';
import { openSubscriptions, sseSubscribe, subscribe, untilSubscriptions, wsClient } from './support/subscriptions.js';

const CALLBACK_SECRET = 'test-callback-secret-0123456789';
let h: Harness;
const clients: Array<{ dispose: () => unknown }> = [];

beforeAll(async () => {
  // Jobs never end by themselves here: each test decides when (and how) they end.
  h = await startHarness({ emulator: { jobDurationMs: 3_600_000 }, env: { CALLBACK_SECRET, SUBSCRIBE_REREAD_AFTER_MS: '300' } });
});
afterAll(async () => {
  await h.close();
});
afterEach(async () => {
  h.emulator.reset();
  for (const c of clients.splice(0)) await c.dispose();
  // Each test counts open subscriptions from zero.
  await untilSubscriptions(h.url, 0);
});

function client() {
  const c = wsClient(h.wsUrl);
  clients.push(c);
  return c;
}

async function createJob(name = `job-${Math.random().toString(36).slice(2)}`, input: Record<string, unknown> = {}) {
  const { body } = await uploadPhoto(h.url, { file: makePng(320, 240), input: { name, ...input } });
  const created = body.data.createPictureModelingJob;
  expect(created.__typename).toBe('PictureModelingJobCreated');
  return created as { jobId: string; modelAssetId: string };
}

function notifyUrlOf(jobName: string): string {
  const call = h.emulator.calls.find((c) => c.operation === 'CreatePictureModelingJob' && (c.body as { name?: string })?.name === jobName);
  return (call!.body as { notifyUrl: string }).notifyUrl;
}

/** Callbacks answered 2xx: read upstream (accepted), or answered from the store (terminal, repeat). */
async function callbacksAccepted(): Promise<number> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  let sum = 0;
  for (const result of ['accepted', 'terminal', 'repeat']) {
    sum += Number(new RegExp(`^gateway_callbacks_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  }
  return sum;
}

describe('completion reaches subscribers whatever the timing', () => {
  it('subscribe, then the callback: one event over graphql-ws, then complete', async () => {
    const job = await createJob();
    const sub = subscribe(client(), { jobId: job.jobId });
    await untilSubscriptions(h.url, 1);
    expect(sub.events).toHaveLength(0);
    h.emulator.world.complete(job.jobId);
    await sub.done;
    expect(sub.completed()).toBe(true);
    expect(sub.events).toHaveLength(1);
    expect(sub.events[0].data.pictureModelingJobCompleted).toMatchObject({ jobId: job.jobId, state: 'SUCCEED', modelAssetId: job.modelAssetId, modelCoverUrl: expect.any(String) });
  });

  it('the callback, then a late subscriber: emitted at once from the store', async () => {
    const job = await createJob();
    const accepted = await callbacksAccepted();
    h.emulator.world.complete(job.jobId);
    await waitFor(async () => (await h.gateway.services.store.getJob(job.jobId))?.state === 'SUCCEED');
    expect(await callbacksAccepted()).toBe(accepted + 1);
    const shows = h.emulator.countReceived('ShowPictureModelingJob');
    const sub = subscribe(client(), { jobId: job.jobId });
    await sub.done;
    expect(sub.events.map((e) => e.data.pictureModelingJobCompleted.state)).toEqual(['SUCCEED']);
    // Terminal jobs are answered from the store.
    const { body } = await gql(h.url, 'query($id: ID!) { pictureModelingJob(jobId: $id) { ... on PictureModelingJob { state } } }', { id: job.jobId });
    expect(body.data.pictureModelingJob.state).toBe('SUCCEED');
    expect(h.emulator.countReceived('ShowPictureModelingJob')).toBe(shows);
  });

  it('a callback that arrives before the create call has returned still completes the job', async () => {
    h.emulator.world.completeBeforeReply = true;
    const all = subscribe(client());
    const job = await createJob();
    await waitFor(() => all.events.length > 0);
    expect(all.events[0].data.pictureModelingJobCompleted).toMatchObject({ jobId: job.jobId, state: 'SUCCEED' });
    expect(h.emulator.world.callbacks.filter((c) => c.jobId === job.jobId).map((c) => c.status)).toEqual([202]);
  });

  it('FAILED carries errorInfo', async () => {
    const job = await createJob(`fail-${Math.random().toString(36).slice(2)}`);
    const sub = subscribe(client(), { jobId: job.jobId });
    h.emulator.world.complete(job.jobId);
    await sub.done;
    expect(sub.events[0].data.pictureModelingJobCompleted).toMatchObject({
      state: 'FAILED',
      errorInfo: { errorCode: 'MSS.10001006', errorMsg: 'Asset create job failed' },
    });
  });

  for (const state of ['PARTIAL_SUCCEED', 'CANCELED'] as const) {
    it(`${state} counts as terminal`, async () => {
      const job = await createJob();
      const sub = subscribe(client(), { jobId: job.jobId });
      h.emulator.world.complete(job.jobId, state);
      await sub.done;
      expect(sub.events.map((e) => e.data.pictureModelingJobCompleted.state)).toEqual([state]);
      expect(await h.gateway.services.store.listPendingJobIds(1000)).not.toContain(job.jobId);
    });
  }

  it('duplicate callbacks give one event', async () => {
    h.emulator.world.callbackMode = 'repeat';
    const all = subscribe(client());
    const job = await createJob();
    const accepted = await callbacksAccepted();
    h.emulator.world.complete(job.jobId);
    await waitFor(async () => (await callbacksAccepted()) >= accepted + 3);
    const eventsOf = (jobId: string) => all.events.filter((e) => e.data.pictureModelingJobCompleted.jobId === jobId);
    await waitFor(() => eventsOf(job.jobId).length > 0);
    // A later job's completion comes through the same bus: anything more for the first would be here by then.
    const marker = await createJob();
    h.emulator.world.complete(marker.jobId);
    await waitFor(() => eventsOf(marker.jobId).length > 0);
    expect(eventsOf(job.jobId)).toHaveLength(1);
  });

  it('a GET on the notify_url works as a trigger too', async () => {
    h.emulator.world.callbackMode = 'suppress';
    const name = `get-${Math.random().toString(36).slice(2)}`;
    const job = await createJob(name);
    const sub = subscribe(client(), { jobId: job.jobId });
    h.emulator.world.complete(job.jobId);
    const res = await fetch(notifyUrlOf(name));
    expect(res.status).toBe(202);
    await sub.done;
    expect(sub.events[0].data.pictureModelingJobCompleted.state).toBe('SUCCEED');
  });

  it('an empty or non-JSON POST body is fine', async () => {
    h.emulator.world.callbackMode = 'suppress';
    const name = `empty-${Math.random().toString(36).slice(2)}`;
    const job = await createJob(name);
    h.emulator.world.complete(job.jobId);
    expect((await fetch(notifyUrlOf(name), { method: 'POST' })).status).toBe(202);
    expect((await fetch(`${notifyUrlOf(name)}/`, { method: 'POST' })).status).toBe(202);
    expect((await fetch(`${notifyUrlOf(name)}?secret=x&time_stamp=1`, { method: 'POST' })).status).toBe(202);
    expect((await fetch(notifyUrlOf(name), { method: 'POST', body: 'not json', headers: { 'content-type': 'text/plain' } })).status).toBe(202);
    await waitFor(async () => (await h.gateway.services.store.getJob(job.jobId))?.state === 'SUCCEED');
  });

  it('SSE: the same subscription over server-sent events', async () => {
    const job = await createJob();
    const abort = new AbortController();
    const sse = await sseSubscribe(h.url, { jobId: job.jobId }, abort.signal);
    expect(sse.status).toBe(200);
    expect(sse.contentType).toMatch(/text\/event-stream/);
    h.emulator.world.complete(job.jobId);
    await waitFor(() => sse.ended());
    expect(sse.events.map((e) => e.data.pictureModelingJobCompleted.state)).toEqual(['SUCCEED']);
    abort.abort();
  });

  it('a subscriber to a job whose callback was lost gets it from upstream at once', async () => {
    h.emulator.world.callbackMode = 'suppress';
    const job = await createJob();
    h.emulator.world.complete(job.jobId);
    expect((await h.gateway.services.store.getJob(job.jobId))?.state).toBe('WAITING');
    // Right after creating, the stored state counts as fresh: no upstream read.
    const shows = h.emulator.countReceived('ShowPictureModelingJob');
    const fresh = subscribe(client(), { jobId: job.jobId });
    await untilSubscriptions(h.url, 1);
    // Once the stored state is older than SUBSCRIBE_REREAD_AFTER_MS (300 ms here), a new
    // subscriber re-reads it. Waiting for that age is also the window in which a re-read by
    // the fresh subscriber would have completed it: it must still have nothing.
    const { updatedAt } = (await h.gateway.services.store.getJob(job.jobId))!;
    await waitFor(() => Date.now() - updatedAt > 300, 5000, 10);
    expect(h.emulator.countReceived('ShowPictureModelingJob')).toBe(shows);
    expect(fresh.events).toHaveLength(0);
    const sub = subscribe(client(), { jobId: job.jobId });
    await sub.done;
    expect(sub.events.map((e) => e.data.pictureModelingJobCompleted.state)).toEqual(['SUCCEED']);
    // The completion the stale subscriber's read published reaches the fresh one too.
    await fresh.done;
    expect(fresh.events.map((e) => e.data.pictureModelingJobCompleted.state)).toEqual(['SUCCEED']);
    expect(h.emulator.countReceived('ShowPictureModelingJob')).toBe(shows + 1);
  });

  it('a callback that arrives while a poll is under way is not answered by that older read', async () => {
    h.emulator.world.callbackMode = 'suppress';
    const job = await createJob();
    // The gateway's job service over its own client, except that the first Show, once
    // upstream has answered it, is held until released: a read under way for as long as
    // the test needs, whatever the machine's load.
    const { client, store, bus, metrics } = h.gateway.services;
    let answered!: () => void;
    const upstreamAnswered = new Promise<void>((r) => (answered = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let shows = 0;
    const holding: typeof client = {
      ...client,
      async showPictureModelingJob(jobId, options) {
        const first = shows++ === 0;
        const result = await client.showPictureModelingJob(jobId, options);
        if (first) {
          answered();
          await released;
        }
        return result;
      },
    };
    const jobs = createJobService({ client: holding, store, bus, metrics, log: createLogger('silent') });
    try {
      // An upstream read starts, and is answered, before the job ends...
      const stale = jobs.refresh(job.jobId);
      await upstreamAnswered;
      h.emulator.world.complete(job.jobId);
      // ...and the callback comes while that read is still under way.
      const fresh = jobs.refresh(job.jobId);
      release();
      expect((await stale)?.state).toBe('WAITING');
      expect((await fresh)?.state).toBe('SUCCEED');
      expect(shows).toBe(2);
    } finally {
      release();
      await jobs.stop();
    }
  });

  it('an unknown jobId is an error, not a hang', async () => {
    const sub = subscribe(client(), { jobId: 'no-such-job' });
    await sub.done;
    // graphql-ws delivers the subscribe error as one result with errors, then completes.
    expect(sub.events).toHaveLength(1);
    expect(sub.events[0].data ?? null).toBeNull();
    expect(sub.events[0].errors[0]).toMatchObject({ message: 'No picture-modeling job no-such-job for this caller', extensions: { code: 'GATEWAY.JOB_NOT_FOUND' } });
    expect(sub.completed()).toBe(true);
  });
});

describe('identical all-jobs subscriptions share one execution', () => {
  const active = () => openSubscriptions(h.url);

  it('every subscriber gets each completion, leaving ones stop, and each one is counted', async () => {
    const base = await active();
    const c1 = client();
    const c2 = client();
    const a = subscribe(c1);
    const b = subscribe(c2);
    const c = subscribe(c2);
    await waitFor(async () => (await active()) === base + 3);
    const first = await createJob();
    h.emulator.world.complete(first.jobId);
    await waitFor(() => a.events.length === 1 && b.events.length === 1 && c.events.length === 1);
    expect([a, b, c].map((s) => s.events[0].data.pictureModelingJobCompleted.jobId)).toEqual([first.jobId, first.jobId, first.jobId]);
    b.dispose();
    await waitFor(async () => (await active()) === base + 2);
    const second = await createJob();
    h.emulator.world.complete(second.jobId);
    await waitFor(() => a.events.length === 2 && c.events.length === 2);
    // b shared c's connection: the server writes to one socket in order, so anything for b
    // would have come no later than c's event.
    expect(b.events).toHaveLength(1);
    a.dispose();
    c.dispose();
    await waitFor(async () => (await active()) === base);
  });

  it('one completion fanned out to 60 subscriptions on one connection: each gets it once, and the next event is not held back', async () => {
    const base = await active();
    const c = client();
    const first = await createJob();
    const second = await createJob();
    const all = Array.from({ length: 30 }, () => subscribe(c));
    const byId = Array.from({ length: 30 }, (_, i) => subscribe(c, { jobId: i % 2 === 0 ? first.jobId : second.jobId }));
    await waitFor(async () => (await active()) === base + 60);
    h.emulator.world.complete(first.jobId);
    await waitFor(() => all.every((s) => s.events.length === 1) && byId.filter((_, i) => i % 2 === 0).every((s) => s.events.length === 1));
    // Writes are held only until the end of the turn: the next completion comes through on its own.
    h.emulator.world.complete(second.jobId);
    await waitFor(() => all.every((s) => s.events.length === 2) && byId.every((s) => s.events.length === 1));
    expect(all.map((s) => s.events.map((e) => e.data.pictureModelingJobCompleted.jobId))).toEqual(all.map(() => [first.jobId, second.jobId]));
    expect(byId.map((s) => s.events[0].data.pictureModelingJobCompleted.jobId)).toEqual(byId.map((_, i) => (i % 2 === 0 ? first.jobId : second.jobId)));
  });

  it('jobId subscriptions are not shared: a late one for the same job still gets the stored state', async () => {
    const job = await createJob();
    const early = subscribe(client(), { jobId: job.jobId });
    h.emulator.world.complete(job.jobId);
    await early.done;
    const late = subscribe(client(), { jobId: job.jobId });
    await late.done;
    expect(late.events.map((e) => e.data.pictureModelingJobCompleted.jobId)).toEqual([job.jobId]);
  });
});

describe('the callback endpoint refuses what it cannot trust', () => {
  it('missing, malformed, forged, altered and expired tokens change nothing', async () => {
    h.emulator.world.callbackMode = 'suppress';
    const name = `forge-${Math.random().toString(36).slice(2)}`;
    const job = await createJob(name);
    h.emulator.world.complete(job.jobId);
    const real = notifyUrlOf(name);
    const base = real.slice(0, real.lastIndexOf('/') + 1);
    const token = real.slice(real.lastIndexOf('/') + 1);
    const [nonce, issued, sig] = token.split('.') as [string, string, string];
    const shows = h.emulator.countReceived('ShowPictureModelingJob');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const expired = createCallbackTokens(CALLBACK_SECRET, 60).issue(Date.now() - 10 * 86400_000).token;
    const cases: Array<[string, number]> = [
      [base.slice(0, -1), 404],
      [base, 404],
      [`${base}garbage`, 404],
      [`${base}${nonce}.${issued}.${flip(sig)}`, 401],
      [`${base}${flip(nonce)}.${issued}.${sig}`, 401],
      [`${base}${nonce}.${(parseInt(issued, 36) + 1).toString(36)}.${sig}`, 401],
      [`${base}${createCallbackTokens('another-secret-0123456789', 3600).issue().token}`, 401],
      [`${base}${expired}`, 401],
    ];
    for (const [url, status] of cases) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ job_id: job.jobId, result: 'SUCCEED' }) });
      expect({ url, status: res.status }).toEqual({ url, status });
    }
    expect((await fetch(real, { method: 'PUT' })).status).toBe(405);
    expect((await fetch(real, { method: 'POST', body: 'x'.repeat(100_000) })).status).toBe(413);
    expect((await h.gateway.services.store.getJob(job.jobId))?.state).toBe('WAITING');
    // The genuine callback, sent last, is the marker: once its read has completed the job,
    // a read any refused one had started would have been counted too.
    const accepted = await callbacksAccepted();
    expect((await fetch(real, { method: 'POST' })).status).toBe(202);
    await waitFor(async () => (await h.gateway.services.store.getJob(job.jobId))?.state === 'SUCCEED');
    expect(h.emulator.countReceived('ShowPictureModelingJob')).toBe(shows + 1);
    expect(await callbacksAccepted()).toBe(accepted + 1);
  });
});

describe('PUBLIC_URL with a base path', () => {
  it('notify_url carries the base path and callbacks arriving under it are accepted', async () => {
    const port = await freePort();
    const based = await startHarness({ port, env: { PUBLIC_URL: `http://127.0.0.1:${port}/gw/` }, sharedEmulator: h.emulator });
    try {
      const name = `based-${Math.random().toString(36).slice(2)}`;
      const { body } = await uploadPhoto(based.url, { file: makePng(16, 16), input: { name } });
      const jobId = body.data.createPictureModelingJob.jobId;
      expect(notifyUrlOf(name)).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/gw/callbacks/picture-modeling/`));
      h.emulator.world.complete(jobId);
      await waitFor(async () => (await based.gateway.services.store.getJob(jobId))?.state === 'SUCCEED');
    } finally {
      await based.close();
    }
  });
});

describe('graphql-ws protocol', () => {
  it('a connection that never sends connection_init is closed with 4408', async () => {
    const socket = new WebSocket(h.wsUrl, 'graphql-transport-ws');
    const code = await new Promise<number>((resolve) => socket.on('close', (c) => resolve(c)));
    expect(code).toBe(4408);
  });
});

describe('the poller completes jobs whose callback never comes', () => {
  it('no callback at all -> the poller completes the subscription', async () => {
    const emulator = await createEmulator({ rateLimits: UNFELT_LIMITS, jobDurationMs: 300, callbackMode: 'suppress' });
    const polled = await startHarness({ sharedEmulator: emulator, env: { POLL_INTERVAL_MS: '100' } });
    try {
      const { body } = await uploadPhoto(polled.url, { file: makePng(64, 64) });
      const jobId = body.data.createPictureModelingJob.jobId;
      const c = wsClient(polled.wsUrl);
      const sub = subscribe(c, { jobId });
      await sub.done;
      expect(sub.events[0].data.pictureModelingJobCompleted.state).toBe('SUCCEED');
      expect(emulator.world.callbacks).toHaveLength(0);
      // Terminal jobs are never polled again: a second job, completed by the poller too, is
      // the marker that passes have run since; none of them read the first.
      const readsOfFirst = () => emulator.calls.filter((call) => call.path.includes(jobId)).length;
      const before = readsOfFirst();
      const { body: second } = await uploadPhoto(polled.url, { file: makePng(64, 64) });
      const marker = subscribe(c, { jobId: second.data.createPictureModelingJob.jobId });
      await marker.done;
      expect(marker.events[0].data.pictureModelingJobCompleted.state).toBe('SUCCEED');
      expect(readsOfFirst()).toBe(before);
      await c.dispose();
    } finally {
      await polled.close();
      await emulator.close();
    }
  });
});

describe('the poller backs off while upstream fails', () => {
  it('reads again no sooner than 2 s after a failed pass, then completes the job once upstream recovers', async () => {
    const emulator = await createEmulator({ rateLimits: UNFELT_LIMITS, jobDurationMs: 3_600_000, callbackMode: 'suppress' });
    const polled = await startHarness({ sharedEmulator: emulator, env: { POLL_INTERVAL_MS: '100' } });
    try {
      const { body } = await uploadPhoto(polled.url, { file: makePng(16, 16) });
      const jobId = body.data.createPictureModelingJob.jobId;
      emulator.addFault({ operation: 'ListPictureModelingJobs', status: 500, body: { error_code: 'MSS.00000004', error_msg: 'Internal Error' }, times: 1000 });
      const before = emulator.countReceived('ListPictureModelingJobs');
      await waitFor(() => emulator.countReceived('ListPictureModelingJobs') > before, 5000, 5);
      const failedFrom = Date.now();
      // A 500 is not retried by the client: the next call is the next pass's, 2 s or more later.
      await waitFor(() => emulator.countReceived('ListPictureModelingJobs') > before + 1, 8000, 5);
      expect(Date.now() - failedFrom).toBeGreaterThanOrEqual(2000 - 10);
      emulator.reset();
      emulator.world.callbackMode = 'suppress';
      emulator.world.complete(jobId);
      await waitFor(async () => (await polled.gateway.services.store.getJob(jobId))?.state === 'SUCCEED', 8000);
    } finally {
      await polled.close();
      await emulator.close();
    }
  });
});

describe('a gateway restart between create and callback', () => {
  it('still delivers: new process, same DATABASE_PATH', async () => {
    const emulator = await createEmulator({ rateLimits: UNFELT_LIMITS, jobDurationMs: 3_600_000 });
    const dir = tempDir();
    const port = await freePort();
    const env = gatewayEnv(emulator, port, dir);
    const url = `http://127.0.0.1:${port}`;
    // The gateway that creates the job runs in this process (one cold start of a child
    // fewer: on a loaded machine two of them took most of the test's time); the one that
    // gets the callback is a new process on the same port and DATABASE_PATH.
    const first = await startHarness({ sharedEmulator: emulator, port, env: { DATABASE_PATH: env['DATABASE_PATH']! } });
    let closed: Promise<void> | undefined;
    const closeFirst = () => (closed ??= first.close());
    let child: Awaited<ReturnType<typeof spawnListening>> | undefined;
    try {
      const { body } = await uploadPhoto(url, { file: makePng(64, 64) });
      const jobId = body.data.createPictureModelingJob.jobId;
      await closeFirst();
      child = await spawnListening(env);
      const c = wsClient(`ws://127.0.0.1:${port}/graphql`);
      const sub = subscribe(c, { jobId });
      // The subscription is open in the new process before the job ends: the completion
      // reaches it through the callback, not from the store.
      await untilSubscriptions(url, 1);
      emulator.world.complete(jobId);
      await sub.done;
      expect(sub.events[0]?.data.pictureModelingJobCompleted).toMatchObject({ jobId, state: 'SUCCEED' });
      // The callback reached the new process (its 202 may land just after the event).
      await waitFor(() => emulator.world.callbacks.at(-1)?.status === 202);
      await c.dispose();
    } finally {
      await closeFirst();
      if (child) await stopProcess(child);
      await emulator.close();
    }
  });
});

describe('relay to the client notifyUrl', () => {
  it('POSTs the completed job, signed; the receiver can verify it', async () => {
    const received: Array<{ signature: string; body: string }> = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ signature: String(req.headers[SIGNATURE_HEADER.toLowerCase()]), body });
        res.writeHead(received.length === 1 ? 503 : 204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const notifyUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const job = await createJob(undefined, { notifyUrl });
    h.emulator.world.complete(job.jobId);
    // The first delivery gets a 503 and is retried.
    await waitFor(() => received.length >= 2, 8000);
    const secret = await h.gateway.services.store.getOrCreateSecret('relay', () => 'unused');
    const last = received.at(-1)!;
    expect(verifyRelaySignature(secret, last.signature, last.body)).toBe(true);
    expect(verifyRelaySignature(secret, last.signature, last.body.replace('SUCCEED', 'FAILED'))).toBe(false);
    expect(verifyRelaySignature('wrong-secret', last.signature, last.body)).toBe(false);
    expect(JSON.parse(last.body)).toMatchObject({ event: 'pictureModelingJobCompleted', job: { jobId: job.jobId, state: 'SUCCEED' } });
    await new Promise<void>((r) => hook.close(() => r()));
  });

  it('refuses loopback and private targets unless allowed, and never fails the subscription', async () => {
    let hits = 0;
    const hook = createServer((_req, res) => {
      hits++;
      res.end();
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const metrics = createMetrics({ defaultMetrics: false });
    const relay = createRelay({ secret: 's'.repeat(32), allowPrivate: false, log: createLogger('silent'), metrics, baseDelayMs: 10 });
    const record = recordFromUpstream({ job_id: 'j1', state: 'SUCCEED' }, { notifyUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/x` });
    relay.send(record);
    relay.send({ ...record, notifyUrl: 'http://169.254.169.254/latest/meta-data' });
    relay.send({ ...record, notifyUrl: 'http://[::1]:1/x' });
    await relay.drain();
    expect(hits).toBe(0);
    expect((await metrics.registry.getSingleMetricAsString('gateway_relays_total')).match(/refused"\} (\d+)/)?.[1]).toBe('3');
    await relay.close();
    await new Promise<void>((r) => hook.close(() => r()));
  });
});
