/**
 * Findings 4 and 5 (high, medium): one caller held every upload slot with trickling
 * uploads, and bare WebSocket upgrades (or one token) filled MAX_CONNECTIONS. Now each
 * principal gets MAX_UPLOADS_PER_PRINCIPAL uploads (each file of a batch counts) and
 * MAX_CONNECTIONS_PER_PRINCIPAL connections; strangers that have not authenticated get
 * MAX_UNAUTHENTICATED_CONNECTIONS and CONNECTION_INIT_TIMEOUT_MS to do it.
 */
import { connect, type Socket } from 'node:net';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { makePng } from '../support/images.js';
import { CREATE_MUTATION, encodeParts, uploadPhoto } from '../support/multipart.js';
import { sseSubscribe } from '../support/subscriptions.js';
import { mintHs256, startGuardedGateway, statusOf, type GuardedGateway } from './attacker.js';

const leftovers: Array<() => unknown> = [];
afterEach(async () => {
  for (const dispose of leftovers.splice(0)) await dispose();
});

/** An upload that sends its parts and the first bytes of its photo, then trickles nothing more. */
function stalledUpload(baseUrl: string, headers: Record<string, string>, name: string): { answer: Promise<string>; socket: Socket } {
  const url = new URL(baseUrl);
  const photo = makePng(64, 64, 50_000);
  const { body, contentType } = encodeParts([
    { name: 'operations', value: JSON.stringify({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 'system_female_001', name } } }) },
    { name: 'map', value: JSON.stringify({ 0: ['variables.input.file'] }) },
    { name: '0', value: photo, filename: 'a.png', type: 'image/png' },
  ]);
  const head = [`POST /graphql HTTP/1.1`, `Host: ${url.host}`, `Content-Type: ${contentType}`, `Content-Length: ${body.length}`, 'x-graphql-yoga-csrf: 1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  const socket = connect(Number(url.port), url.hostname, () => {
    socket.write(head);
    socket.write(body.subarray(0, body.indexOf(photo.subarray(0, 16)) + 100));
  });
  socket.on('error', () => {});
  const answer = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('\r\n\r\n')) resolve(text);
    });
    socket.on('close', () => resolve(text));
  });
  leftovers.push(() => socket.destroy());
  return { answer, socket };
}

describe('upload slots', () => {
  let gw: GuardedGateway;
  beforeAll(async () => {
    gw = await startGuardedGateway({ MAX_CONCURRENT_UPLOADS: '6', MAX_UPLOADS_PER_PRINCIPAL: '2', UPLOAD_IDLE_TIMEOUT_MS: '60000' }, ['mallory']);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('six trickling uploads from one principal hold two slots; the rest are 429 at once and a legitimate user still uploads', async () => {
    const mallory = { 'x-api-key': gw.apiKeys['mallory']! };
    const answered: string[] = [];
    for (let i = 0; i < 6; i++) void stalledUpload(gw.url, mallory, `stall-${i}`).answer.then((a) => answered.push(a));
    await expect.poll(() => answered.length, { timeout: 10_000 }).toBe(4);
    expect(answered.filter((a) => statusOf(a) === 200 && a.includes('GATEWAY.TOO_MANY_UPLOADS') && a.includes('"httpStatus":429'))).toHaveLength(4);

    const alice = { authorization: `Bearer ${await mintHs256({ sub: 'alice' })}` };
    const legit = await Promise.all(Array.from({ length: 2 }, () => uploadPhoto(gw.url, { file: makePng(32, 32), headers: alice })));
    expect(legit.map((r) => r.body.data.createPictureModelingJob.__typename)).toEqual(['PictureModelingJobCreated', 'PictureModelingJobCreated']);
    // Mallory's uploads sent nothing upstream that MetaStudio accepted: the only creates are alice's.
    expect(gw.emulator.calls.filter((c) => c.operation === 'CreatePictureModelingJob' && c.status === 200).map((c) => c.appUserId)).toEqual(['alice', 'alice']);
    // ...while mallory's two still trickle, holding their slots.
    expect(answered).toHaveLength(4);
  });

  it('each file of a batched request takes its own slot', async () => {
    const token = { authorization: `Bearer ${await mintHs256({ sub: 'batcher' })}` };
    const photo = makePng(32, 32);
    const operations = Array.from({ length: 3 }, (_, i) => ({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 'system_female_001', name: `batch-${i}-${Date.now()}` } } }));
    const form = new FormData();
    form.append('operations', JSON.stringify(operations));
    form.append('map', JSON.stringify({ 0: ['0.variables.input.file'], 1: ['1.variables.input.file'], 2: ['2.variables.input.file'] }));
    for (const i of [0, 1, 2]) form.append(String(i), new Blob([new Uint8Array(photo)], { type: 'image/png' }), `${i}.png`);
    const res = await fetch(`${gw.url}/graphql`, { method: 'POST', body: form, headers: { 'x-graphql-yoga-csrf': '1', ...token } });
    const results = ((await res.json()) as Array<{ data: { createPictureModelingJob: { __typename: string; errorCode?: string } } }>).map((r) => r.data.createPictureModelingJob);
    expect(results.filter((r) => r.errorCode === 'GATEWAY.TOO_MANY_UPLOADS')).toHaveLength(1);
    expect(results.filter((r) => r.__typename === 'PictureModelingJobCreated')).toHaveLength(2);
  });
});

describe('connection slots', () => {
  let gw: GuardedGateway;
  beforeAll(async () => {
    gw = await startGuardedGateway({ MAX_CONNECTIONS: '20', MAX_UNAUTHENTICATED_CONNECTIONS: '5', MAX_CONNECTIONS_PER_PRINCIPAL: '3', CONNECTION_INIT_TIMEOUT_MS: '800' }, ['mallory']);
  });
  afterAll(async () => {
    await gw?.close();
  });

  /** A bare upgrade that never sends connection_init: its close code, or its HTTP refusal. */
  function bareUpgrade(): Promise<number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(gw.wsUrl, 'graphql-transport-ws');
      leftovers.push(() => ws.terminate());
      ws.on('close', (code) => resolve(code));
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
  }

  async function connectAs(connectionParams: Record<string, unknown>): Promise<{ client: Client; outcome: Promise<'acked' | number> }> {
    let settle!: (v: 'acked' | number) => void;
    const outcome = new Promise<'acked' | number>((r) => (settle = r));
    const client = createClient({
      url: gw.wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams,
      on: { connected: () => settle('acked'), closed: (e) => settle((e as { code: number }).code) },
      onNonLazyError: () => {},
    });
    leftovers.push(() => client.dispose());
    return { client, outcome };
  }

  it('a flood of bare upgrades, re-opened as fast as they close, keeps 5 stranger slots at most and a legitimate user gets in 10 of 10 times', async () => {
    let flooding = true;
    const codes: number[] = [];
    const flood = Array.from({ length: 30 }, async () => {
      while (flooding) codes.push(await bareUpgrade());
    });
    await expect.poll(() => codes.length, { timeout: 5000 }).toBeGreaterThan(30);
    const alice = { authorization: `Bearer ${await mintHs256({ sub: 'alice' })}` };
    const tries: Array<'acked' | number> = [];
    for (let i = 0; i < 10; i++) {
      const { client, outcome } = await connectAs(alice);
      tries.push(await outcome);
      await client.dispose();
    }
    flooding = false;
    await Promise.all(flood);
    expect(tries).toEqual(Array(10).fill('acked'));
    // Strangers were evicted (1013) to make room, never let in beyond their share: the instance never filled up (no 503).
    expect(codes.filter((c) => c === 1013).length).toBeGreaterThan(0);
    expect(codes.filter((c) => c !== 1013 && c !== 4408)).toEqual([]);
  });

  it('a stranger that never authenticates is closed with 4408 after CONNECTION_INIT_TIMEOUT_MS', async () => {
    expect(await bareUpgrade()).toBe(4408);
  });

  it('one token holds at most 3 connections (graphql-ws and SSE together); the 4th is closed 1013, an SSE is 429; others still connect', async () => {
    const mallory = { authorization: `Bearer ${await mintHs256({ sub: 'mallory' })}` };
    const held = await Promise.all(Array.from({ length: 3 }, () => connectAs(mallory)));
    expect(await Promise.all(held.map((h) => h.outcome))).toEqual(['acked', 'acked', 'acked']);
    const fourth = await connectAs(mallory);
    expect(await fourth.outcome).toBe(1013);
    const controller = new AbortController();
    leftovers.push(() => controller.abort());
    const sse = await sseSubscribe(gw.url, {}, controller.signal, mallory);
    expect(sse.status).toBe(429);
    // An API key principal of the same name is another principal, with its own share.
    const key = await connectAs({ 'x-api-key': gw.apiKeys['mallory']! });
    expect(await key.outcome).toBe('acked');
    // Giving one back frees the slot.
    await held[0]!.client.dispose();
    await expect.poll(async () => (await connectAs(mallory)).outcome, { timeout: 5000 }).toBe('acked');
  });
});
