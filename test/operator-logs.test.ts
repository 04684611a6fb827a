/**
 * What an operator reads (issue 24, point 4): one access-log line per HTTP request and per
 * WebSocket connection, with no credential in it; abusive input refused with one structured
 * line per connection and a count in /metrics, never a stack trace; upstream failures
 * logged (rate-limited) and visible in /metrics while /ready stays 200.
 */
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashPrincipal, loggedPath } from '../src/observability/access-log.js';
import { createLogger } from '../src/observability/logger.js';
import { createUpstreamHealth } from '../src/observability/upstream-health.js';
import { startHarness, tempDir, waitFor, type Harness } from './support/harness.js';
import { writeApiKeys } from './support/identity.js';

type Line = Record<string, unknown>;
const linesOf = (logs: string[]): Line[] => logs.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((l) => JSON.parse(l) as Line);
const accessLines = (h: Harness, access: 'http' | 'ws') => linesOf(h.logs).filter((l) => l['msg'] === 'access' && l['access'] === access);
const metricValue = async (h: Harness, series: string) => {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('the access log', () => {
  let h: Harness;
  let key: string;
  beforeAll(async () => {
    const dir = tempDir();
    const apiKeys = writeApiKeys(dir, ['billing-service']);
    key = apiKeys.keys['billing-service']!;
    h = await startHarness({ env: { AUTH_API_KEYS_FILE: apiKeys.file } });
  });
  afterAll(() => h.close());

  it('writes one line per HTTP request: method, path, status, duration, bytes, request id, hashed principal, no credential', async () => {
    const query = encodeURIComponent('{ __typename }');
    const res = await fetch(`${h.url}/graphql?query=${query}&variables=${encodeURIComponent('{"secret":"hunter2"}')}`, {
      headers: { 'x-api-key': key, 'x-request-id': 'req-access-1', accept: 'application/json' },
    });
    expect(res.status).toBe(200);
    await res.text();
    const line = await waitFor(() => accessLines(h, 'http').find((l) => l['requestId'] === 'req-access-1'));
    expect(line).toMatchObject({ method: 'GET', path: '/graphql', status: 200, level: 30 });
    expect(line['ms']).toEqual(expect.any(Number));
    expect(line['bytesIn']).toBeGreaterThan(0);
    expect(line['bytesOut']).toBeGreaterThan(0);
    expect(line['principal']).toMatch(/^[\w-]{16}$/);
    const logged = h.logs.join('');
    expect(logged).not.toContain(key);
    expect(logged).not.toContain('hunter2');
    expect(logged).not.toContain('billing-service');
  });

  it('logs refused requests too, and cuts the callback token out of the path', async () => {
    const unauthenticated = await fetch(`${h.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'req-access-2' }, body: '{"query":"{ __typename }"}' });
    expect(unauthenticated.status).toBe(401);
    await unauthenticated.text();
    expect(await waitFor(() => accessLines(h, 'http').find((l) => l['requestId'] === 'req-access-2'))).toMatchObject({ method: 'POST', path: '/graphql', status: 401 });
    expect(accessLines(h, 'http').find((l) => l['requestId'] === 'req-access-2')).not.toHaveProperty('principal');

    const forged = 'AAAAAAAAAAAAAAAAAAAAAAAA.a.forged-token-value';
    const callback = await fetch(`${h.url}/callbacks/picture-modeling/${forged}`, { method: 'POST', headers: { 'x-request-id': 'req-access-3' } });
    await callback.text();
    const line = await waitFor(() => accessLines(h, 'http').find((l) => l['requestId'] === 'req-access-3'));
    expect(line['path']).toBe('/callbacks/picture-modeling/:token');
    expect(h.logs.join('')).not.toContain('forged-token-value');
  });

  it('writes one line per WebSocket connection when it closes, with its close code and principal', async () => {
    const socket = new WebSocket(h.wsUrl, 'graphql-transport-ws', { headers: { 'x-request-id': 'ws-access-1' } });
    await new Promise((r) => socket.once('open', r));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { 'x-api-key': key } }));
    await new Promise((r) => socket.once('message', r));
    socket.close(1000);
    const line = await waitFor(() => accessLines(h, 'ws').find((l) => l['requestId'] === 'ws-access-1'));
    expect(line).toMatchObject({ method: 'GET', path: '/graphql', closeCode: 1000 });
    expect(line['bytesIn']).toBeGreaterThan(0);
    expect(line['bytesOut']).toBeGreaterThan(0);
    // The same principal as over HTTP: one hash per caller, whichever transport.
    expect(line['principal']).toBe(accessLines(h, 'http').find((l) => l['requestId'] === 'req-access-1')!['principal']);
    expect(h.logs.join('')).not.toContain(key);
  });

  it('logs an upgrade refused before it became a connection', async () => {
    const socket = new WebSocket(`${h.url.replace(/^http/, 'ws')}/elsewhere`, 'graphql-transport-ws');
    await new Promise((r) => socket.once('error', r));
    expect(await waitFor(() => accessLines(h, 'ws').find((l) => l['path'] === '/elsewhere'))).toMatchObject({ status: 404 });
  });

  it('refuses oversized graphql-ws messages with one structured line per connection, a count in /metrics and nothing on stderr', async () => {
    const stderr = vi.spyOn(process.stderr, 'write');
    const consoleError = vi.spyOn(console, 'error');
    try {
      const before = (await metricValue(h, 'gateway_refusals_total{reason="ws_message_too_large"}')) ?? 0;
      for (let i = 0; i < 3; i++) {
        const socket = new WebSocket(h.wsUrl, 'graphql-transport-ws', { headers: { 'x-request-id': `ws-big-${i}` } });
        await new Promise((r) => socket.once('open', r));
        socket.send(JSON.stringify({ type: 'connection_init', payload: { 'x-api-key': key } }));
        await new Promise((r) => socket.once('message', r));
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ __typename }', variables: { pad: 'x'.repeat(2 * 1024 * 1024) } } }));
        socket.on('error', (e) => console.log('client error', i, e.message));
        expect(await new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))).toBe(1009);
      }
      await waitFor(() => accessLines(h, 'ws').filter((l) => String(l['requestId']).startsWith('ws-big-')).length === 3);
      const refused = linesOf(h.logs).filter((l) => l['msg'] === 'refused abusive input' && String(l['requestId']).startsWith('ws-big-'));
      expect(refused).toHaveLength(3);
      expect(refused[0]).toMatchObject({ level: 40, refused: 'ws_message_too_large', closeCode: 1009, limitBytes: 1024 * 1024, path: '/graphql' });
      expect(refused[0]!['principal']).toMatch(/^[\w-]{16}$/);
      for (const l of accessLines(h, 'ws').filter((a) => String(a['requestId']).startsWith('ws-big-'))) expect(l['closeCode']).toBe(1009);
      expect(await metricValue(h, 'gateway_refusals_total{reason="ws_message_too_large"}')).toBe(before + 3);
      expect(stderr).not.toHaveBeenCalled();
      expect(consoleError).not.toHaveBeenCalled();
      expect(h.logs.join('')).not.toMatch(/\\n\s+at /);
    } finally {
      stderr.mockRestore();
      consoleError.mockRestore();
    }
  });

  it('a broken frame is a protocol refusal, also one line and no stack', async () => {
    const consoleError = vi.spyOn(console, 'error');
    try {
      const socket = new WebSocket(h.wsUrl, 'graphql-transport-ws', { headers: { 'x-request-id': 'ws-bad-frame' } });
      await new Promise((r) => socket.once('open', r));
      // Text that is not UTF-8: ws refuses it (1007).
      socket.send(Buffer.from([0xff, 0xfe, 0xfd]), { binary: false });
      expect(await new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))).toBe(1007);
      const line = await waitFor(() => linesOf(h.logs).find((l) => l['msg'] === 'refused abusive input' && l['requestId'] === 'ws-bad-frame'));
      expect(line).toMatchObject({ refused: 'ws_protocol_error', code: 'WS_ERR_INVALID_UTF8' });
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      consoleError.mockRestore();
    }
  });

  it('names paths without query strings or tokens', () => {
    expect(loggedPath('/graphql?query={a}&variables={"k":"v"}')).toBe('/graphql');
    expect(loggedPath('/callbacks/picture-modeling/abc.def.ghi')).toBe('/callbacks/picture-modeling/:token');
    expect(hashPrincipal('a')).not.toBe(hashPrincipal('b'));
  });
});

describe('upstream health', () => {
  it('an unreachable upstream is logged, counted and gauged, while /ready stays 200', async () => {
    const h = await startHarness({ env: { STYLES_CACHE_TTL_MS: '0' } });
    try {
      await h.emulator.close();
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${h.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ pictureModelingStyles { __typename ... on MssError { errorCode } } }"}' });
        expect(JSON.stringify(await res.json())).toContain('GATEWAY.UPSTREAM_UNAVAILABLE');
      }
      expect(await metricValue(h, 'gateway_upstream_up')).toBe(0);
      expect(await metricValue(h, 'gateway_upstream_last_error_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
      const text = await (await fetch(`${h.url}/metrics`)).text();
      const unreachable = text.split('\n').filter((l) => l.startsWith('gateway_upstream_unreachable_total{'));
      expect(unreachable.reduce((sum, l) => sum + Number(l.split(' ')[1]), 0)).toBeGreaterThanOrEqual(3);
      // Three failures in a row, one line: the rest are counted into the next.
      expect(linesOf(h.logs).filter((l) => l['msg'] === 'MetaStudio could not be reached')).toHaveLength(1);
      expect((await fetch(`${h.url}/ready`)).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('logs at most once per interval, says how many it left out, and says when calls get through again', () => {
    const logs: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (logs.push(String(chunk)), cb()) });
    let now = 1_000_000;
    const registry = new Registry();
    const health = createUpstreamHealth({ registry, log: createLogger('info', sink), logEveryMs: 30_000, now: () => now });
    const fail = () => health.observe({ operation: 'show', status: 'GATEWAY.UPSTREAM_UNAVAILABLE' });
    fail();
    now += 1_000;
    fail();
    fail();
    now += 30_000;
    fail();
    // A client giving up on its own call says nothing about the upstream.
    health.observe({ operation: 'show', status: 'GATEWAY.INVALID_PARAMETER' });
    now += 5_000;
    health.observe({ operation: 'show', status: 503 });
    const lines = linesOf(logs);
    expect(lines.map((l) => l['msg'])).toEqual(['MetaStudio could not be reached', 'MetaStudio could not be reached', 'MetaStudio answers again']);
    expect(lines[1]).toMatchObject({ unloggedFailures: 2, code: 'GATEWAY.UPSTREAM_UNAVAILABLE', level: 40 });
    expect(lines[2]).toMatchObject({ downForMs: 36_000, level: 30 });
  });
});
