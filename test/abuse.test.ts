/**
 * Abuse resistance, through real sockets: slow and idle uploads, replayed callbacks,
 * oversized and over-limit graphql-ws messages, unbounded multipart, hostile names.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AsyncQueue, SlowConsumerError } from '../src/lib/async-queue.js';
import { createCallbackTokens } from '../src/jobs/webhooks/callback-token.js';
import { gql, startHarness, waitFor, type Harness } from './support/harness.js';
import { makeJpeg, makePng } from './support/images.js';
import { CREATE_MUTATION, encodeParts, postRaw, uploadPhoto } from './support/multipart.js';
import { openSubscriptions, subscribe, untilSubscriptions, wsClient } from './support/subscriptions.js';

const CALLBACK_SECRET = 'abuse-callback-secret-0123456789';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    emulator: { jobDurationMs: 3_600_000 },
    env: { CALLBACK_SECRET, MAX_CONCURRENT_UPLOADS: '200', RATE_LIMIT_CREATES_PER_MINUTE: '100000', MAX_PENDING_JOBS_PER_PRINCIPAL: '100000', UPLOAD_IDLE_TIMEOUT_MS: '60000' },
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => h.emulator.reset());

/**
 * Opens an upload whose photo header passes (so the upstream create starts streaming),
 * then sends nothing more until told. Returns the socket.
 */
async function openSlowUpload(baseUrl: string, name: string): Promise<Socket> {
  const url = new URL(baseUrl);
  const photo = makeJpeg(800, 600, { totalBytes: 200_000 });
  const { body, contentType } = encodeParts([
    { name: 'operations', value: JSON.stringify({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 'system_male_001', name } } }) },
    { name: 'map', value: JSON.stringify({ 0: ['variables.input.file'] }) },
    { name: '0', value: photo, filename: 'slow.jpg', type: 'image/jpeg' },
  ]);
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  socket.write(`POST /graphql HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\nx-graphql-yoga-csrf: 1\r\n\r\n`);
  // Everything up to 20 KB into the photo: its header is judged and the upstream request begins.
  socket.write(body.subarray(0, body.indexOf(photo.subarray(0, 16)) + 20_000));
  return socket;
}

describe('slow and idle uploads', () => {
  it('150 uploads trickling in: a query and a callback are still answered within 1 s', async () => {
    const { body: created } = await uploadPhoto(h.url, { file: makePng(16, 16) });
    const jobId = created.data.createPictureModelingJob.jobId;
    const sockets = await Promise.all(Array.from({ length: 150 }, (_, i) => openSlowUpload(h.url, `slow-${i}-${Date.now()}`)));
    try {
      // All 128 upload connections to upstream are held by them, streaming their photos (the rest queue).
      await waitFor(() => h.emulator.inFlight() >= 128, 10_000);
      const started = Date.now();
      const { body } = await gql(h.url, '{ pictureModelingStyles { __typename } }');
      expect(body.data.pictureModelingStyles.__typename).toBe('StyleList');
      expect(Date.now() - started).toBeLessThan(1000);
      // The emulator calls the job's notify_url; the gateway re-reads the job and stores it.
      const callbackAt = Date.now();
      h.emulator.world.complete(jobId);
      await waitFor(async () => (await h.gateway.services.store.getJob(jobId))?.state === 'SUCCEED', 1000, 10);
      expect(Date.now() - callbackAt).toBeLessThan(1000);
    } finally {
      for (const s of sockets) s.destroy();
    }
    await waitFor(() => h.emulator.inFlight() === 0, 10_000);
  }, 60_000);

  it('an upload that goes idle for UPLOAD_IDLE_TIMEOUT_MS is aborted, its upstream request with it', async () => {
    const idle = await startHarness({ env: { UPLOAD_IDLE_TIMEOUT_MS: '500' }, sharedEmulator: h.emulator });
    try {
      const socket = await openSlowUpload(idle.url, `idle-${Date.now()}`);
      await waitFor(() => h.emulator.inFlight() === 1, 5000);
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      await waitFor(() => h.emulator.inFlight() === 0, 5000);
      await closed;
      expect(h.emulator.calls.filter((c) => c.operation === 'CreatePictureModelingJob' && c.status === 200)).toHaveLength(0);
      expect(await idle.gateway.services.store.listUnlinked(Date.now() + 1, 10)).toHaveLength(0);
    } finally {
      await idle.close();
    }
  });

  it('beyond MAX_CONCURRENT_UPLOADS an upload is refused with GATEWAY.TOO_MANY_UPLOADS', async () => {
    const capped = await startHarness({ env: { MAX_CONCURRENT_UPLOADS: '2' }, sharedEmulator: h.emulator });
    const sockets = [await openSlowUpload(capped.url, `cap-a-${Date.now()}`), await openSlowUpload(capped.url, `cap-b-${Date.now()}`)];
    try {
      await waitFor(() => h.emulator.inFlight() === 2, 5000);
      const { body } = await uploadPhoto(capped.url, { file: makePng(16, 16) });
      expect(body.data.createPictureModelingJob).toMatchObject({ __typename: 'MssError', errorCode: 'GATEWAY.TOO_MANY_UPLOADS', httpStatus: 503 });
    } finally {
      for (const s of sockets) s.destroy();
      await waitFor(() => h.emulator.inFlight() === 0, 5000);
      await capped.close();
    }
  });
});

describe('replayed and misdirected callbacks', () => {
  const acceptedCallbacks = async () =>
    Number(/^gateway_callbacks_total\{result="accepted"\} (\d+)$/m.exec(await (await fetch(`${h.url}/metrics`)).text())?.[1] ?? 0);

  async function createAndFinish(): Promise<{ jobId: string; notifyUrl: string }> {
    const name = `replay-${Math.random().toString(36).slice(2)}`;
    const { body } = await uploadPhoto(h.url, { file: makePng(16, 16), input: { name } });
    const jobId = body.data.createPictureModelingJob.jobId;
    const notifyUrl = (h.emulator.calls.find((c) => (c.body as { name?: string })?.name === name)!.body as { notifyUrl: string }).notifyUrl;
    h.emulator.world.complete(jobId);
    await waitFor(async () => (await h.gateway.services.store.getJob(jobId))?.state === 'SUCCEED');
    return { jobId, notifyUrl };
  }

  it('1,000 replays of a terminal job\'s callback cost 0 upstream calls', async () => {
    const { notifyUrl } = await createAndFinish();
    const shows = h.emulator.countReceived('ShowPictureModelingJob');
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(Array.from({ length: 100 }, () => fetch(notifyUrl, { method: 'POST', body: '{}' }).then((r) => r.status)));
      expect(answers.every((s) => s === 202)).toBe(true);
    }
    expect(h.emulator.countReceived('ShowPictureModelingJob')).toBe(shows);
  });

  it('repeated callbacks for an unfinished job within a short window share one read', async () => {
    const name = `burst-${Math.random().toString(36).slice(2)}`;
    await uploadPhoto(h.url, { file: makePng(16, 16), input: { name } });
    const notifyUrl = (h.emulator.calls.find((c) => (c.body as { name?: string })?.name === name)!.body as { notifyUrl: string }).notifyUrl;
    const shows = h.emulator.countReceived('ShowPictureModelingJob');
    const accepted = await acceptedCallbacks();
    for (let i = 0; i < 50; i++) expect((await fetch(notifyUrl, { method: 'POST' })).status).toBe(202);
    // Only a callback counted as accepted marks its job for a read (at most one each); the
    // others are counted as repeats and read nothing. So the reads are known once answered.
    const marked = (await acceptedCallbacks()) - accepted;
    expect(marked).toBeGreaterThanOrEqual(1);
    expect(marked).toBeLessThanOrEqual(2);
    await waitFor(() => h.emulator.countReceived('ShowPictureModelingJob') > shows);
    expect(h.emulator.countReceived('ShowPictureModelingJob') - shows).toBeLessThanOrEqual(marked);
  });

  it('the callback path matches exactly; a token from the future is refused', async () => {
    const { notifyUrl } = await createAndFinish();
    const path = new URL(notifyUrl).pathname;
    expect((await fetch(`${h.url}/graphql${path}`, { method: 'POST' })).status).not.toBe(202);
    expect((await fetch(`${h.url}/x${path}`, { method: 'POST' })).status).not.toBe(202);
    const future = createCallbackTokens(CALLBACK_SECRET, 7 * 86400).issue(Date.now() + 10 * 365 * 86400_000).token;
    expect((await fetch(`${h.url}/callbacks/picture-modeling/${future}`, { method: 'POST' })).status).toBe(401);
  });

  it('a bad token is refused before the body is read', async () => {
    const url = new URL(h.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((r) => socket.once('connect', r));
    const answer = new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString('latin1'))));
    // Announces 60 KB and sends none of it: only a server that answers before reading replies.
    socket.write(`POST /callbacks/picture-modeling/AAAAAAAAAAAAAAAAAAAAAAAA.a.forged HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 60000\r\n\r\n`);
    expect(await answer).toMatch(/^HTTP\/1\.1 401/);
    socket.destroy();
  });
});

describe('graphql-ws messages', () => {
  it('a 2 MiB message is refused (1009) and leaves memory where it was', async () => {
    // Over a raw socket: the frame announces 2 MiB and only its first 64 KiB are sent, so
    // the 1009 proves the refusal comes from the header, before any of it is buffered.
    // (A ws client would also mask, i.e. copy, every message: garbage in this very process
    // that RSS would count as the server's.)
    const frame = textFrameStart(2 * 1024 * 1024, 64 * 1024);
    expect(await sendRawFrame(h.url, frame)).toBe(1009); // warm-up: code paths and pools
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 30; i++) expect(await sendRawFrame(h.url, frame)).toBe(1009);
    expect(process.memoryUsage().rss - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('an over-limit operation gets an error for its own id; the other subscriptions go on; nothing raw on stderr', async () => {
    const stderr = vi.spyOn(process.stderr, 'write');
    const consoleError = vi.spyOn(console, 'error');
    try {
      const client = wsClient(h.wsUrl);
      const open = await openSubscriptions(h.url);
      const live = subscribe(client);
      await untilSubscriptions(h.url, open + 1);
      const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: pictureModelingStyles { __typename }`).join(' ');
      const over = subscribe(client, {}, `query Over { ${aliases} }`);
      await over.done;
      expect(JSON.stringify(over.errors)).toMatch(/alias/i);
      const { body } = await uploadPhoto(h.url, { file: makePng(16, 16) });
      h.emulator.world.complete(body.data.createPictureModelingJob.jobId);
      await waitFor(() => live.events.length === 1);
      expect(live.completed()).toBe(false);
      expect(stderr).not.toHaveBeenCalled();
      expect(consoleError).not.toHaveBeenCalled();
      await client.dispose();
    } finally {
      stderr.mockRestore();
      consoleError.mockRestore();
    }
  });

  it('a subscriber that stops reading is dropped with an error instead of buffering forever', async () => {
    const queue = new AsyncQueue<number>(() => {}, 3);
    for (let i = 0; i < 4; i++) queue.push(i);
    await expect(queue.next()).rejects.toBeInstanceOf(SlowConsumerError);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });
});

describe('unbounded multipart', () => {
  const operations = JSON.stringify({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 'system_male_001', name: 'parts' } } });
  const map = JSON.stringify({ 0: ['variables.input.file'] });

  it('2,000 extra parts are a 400, and nothing goes upstream', async () => {
    const extra = Array.from({ length: 2000 }, (_, i) => ({ name: `extra${i}`, value: 'x' }));
    const { body, contentType } = encodeParts([{ name: 'operations', value: operations }, { name: 'map', value: map }, ...extra, { name: '0', value: makePng(8, 8), filename: 'a.png', type: 'image/png' }]);
    const res = await postRaw(h.url, body, { 'content-type': contentType, 'x-graphql-yoga-csrf': '1' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toMatch(/only the operations, the map and the mapped file/);
    expect(h.emulator.countReceived('CreatePictureModelingJob')).toBe(0);
  });

  it('an extra file, or a part after the file, is a 400 and creates nothing', async () => {
    const twoFiles = encodeParts([
      { name: 'operations', value: operations },
      { name: 'map', value: map },
      { name: '0', value: makePng(8, 8), filename: 'a.png', type: 'image/png' },
      { name: '1', value: makePng(8, 8), filename: 'b.png', type: 'image/png' },
    ]);
    const a = await postRaw(h.url, twoFiles.body, { 'content-type': twoFiles.contentType, 'x-graphql-yoga-csrf': '1' });
    const after = encodeParts([
      { name: 'operations', value: operations.replace('"parts"', '"parts-after"') },
      { name: 'map', value: map },
      { name: '0', value: makePng(8, 8), filename: 'a.png', type: 'image/png' },
      { name: 'trailer', value: 'sneaky' },
    ]);
    const b = await postRaw(h.url, after.body, { 'content-type': after.contentType, 'x-graphql-yoga-csrf': '1' });
    for (const res of [a, b]) {
      expect(res.status).toBe(400);
      expect(res.body.errors[0].message).toMatch(/only the operations, the map and the mapped file/);
    }
    expect(h.emulator.calls.filter((c) => c.operation === 'CreatePictureModelingJob' && c.status === 200)).toHaveLength(0);
  });
});

describe('names', () => {
  it('control, format and separator characters are refused; length counts as MetaStudio does', async () => {
    for (const name of ['bell\u0007', 'c1\u0085control', 'rtl\u202Eoverride', 'line\u2028sep', 'para\u2029sep', 'zero\u200Bwidth', '\uD83D\uDE00'.repeat(33)]) {
      const { body } = await uploadPhoto(h.url, { file: makePng(8, 8), input: { name } });
      expect({ name, result: body.data.createPictureModelingJob }).toMatchObject({ result: { errorCode: 'MSS.00000003', origin: 'GATEWAY' } });
    }
    expect(h.emulator.countReceived('CreatePictureModelingJob')).toBe(0);
    // 32 emoji are 64 UTF-16 code units: accepted by the gateway and by the emulator alike.
    const { body } = await uploadPhoto(h.url, { file: makePng(8, 8), input: { name: '\uD83D\uDE00'.repeat(32) } });
    expect(body.data.createPictureModelingJob.__typename).toBe('PictureModelingJobCreated');
  });
});

/** The start of a masked text frame that announces `announced` bytes: its header and `sent` bytes (zero mask key: the payload is as written). */
function textFrameStart(announced: number, sent: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x81; // FIN, text
  header[1] = 0x80 | 127; // masked, 64-bit length
  header.writeBigUInt64BE(BigInt(announced), 2);
  // header[10..13]: the mask key, zero
  return Buffer.concat([header, Buffer.alloc(sent, 0x78)]);
}

/** Opens a graphql-transport-ws connection by hand, sends `frame`, and resolves with the close code the server sends. */
function sendRawFrame(baseUrl: string, frame: Buffer): Promise<number> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = Buffer.alloc(0);
    let upgraded = false;
    socket.on('error', () => {}); // the server may reset while the rest of the frame is in flight
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (!upgraded) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!received.subarray(0, end).toString('latin1').startsWith('HTTP/1.1 101')) return reject(new Error(received.toString('latin1')));
        upgraded = true;
        received = received.subarray(end + 4);
        socket.write(frame);
      }
      // A close frame: 0x88, its length, then the code.
      if (received.length >= 4 && received[0] === 0x88) {
        resolve(received.readUInt16BE(2));
        socket.destroy();
      }
    });
    socket.once('close', () => reject(new Error('closed without a close frame')));
    socket.write(
      `GET /graphql HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${Buffer.alloc(16, 1).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
    );
  });
}
