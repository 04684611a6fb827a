/**
 * The low findings, from the attacker's side: incomplete headers held a connection 35-45 s
 * instead of the configured 15; CORS answers that echo an origin lacked `Vary: Origin`; the
 * WebSocket Origin check trusted the `Host` header; on SIGTERM, uploads still running after
 * the grace period got a cut socket instead of an answer.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config.js';
import { startHarness, type Harness } from '../support/harness.js';
import { makePng } from '../support/images.js';
import { CREATE_MUTATION, encodeParts } from '../support/multipart.js';
import { rawRequest, rawSocket, statusOf } from './attacker.js';

const APP = 'https://app.example.test';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { CORS_ORIGINS: APP, HEADERS_TIMEOUT_MS: '1000' } });
});
afterAll(async () => {
  await h?.close();
});

describe('incomplete request headers', () => {
  it('are answered 408 and closed at HEADERS_TIMEOUT_MS (here 1 s), not at the next 30 s sweep', async () => {
    const started = Date.now();
    const answer = await rawSocket(h.url, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', { endAfterWrite: false, timeoutMs: 10_000 });
    const elapsed = Date.now() - started;
    expect(statusOf(answer)).toBe(408);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(2500);
  });

  it('the default is 15 s, and Node checks it every second', () => {
    expect(loadConfig({}).security.headersTimeoutMs).toBe(15_000);
    expect(h.server.server.headersTimeout).toBe(1000);
    expect(h.server.server.requestTimeout).toBeGreaterThanOrEqual(h.server.server.headersTimeout);
  });
});

describe('CORS answers vary by Origin', () => {
  it('an answer that echoes a listed origin carries Vary: Origin, and so does a preflight and an unlisted one', async () => {
    const listed = await fetch(`${h.url}/graphql`, { method: 'POST', headers: { origin: APP, 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(listed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listed.headers.get('vary')).toMatch(/\bOrigin\b/);
    const preflight = await fetch(`${h.url}/graphql`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP);
    expect(preflight.headers.get('vary')).toMatch(/\bOrigin\b/);
    const unlisted = await fetch(`${h.url}/graphql`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(unlisted.headers.get('access-control-allow-origin')).toBeNull();
    expect(unlisted.headers.get('vary')).toMatch(/\bOrigin\b/);
  });
});

describe('the WebSocket Origin check', () => {
  const upgrade = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(h.wsUrl, 'graphql-transport-ws', { headers });
      ws.on('open', () => {
        ws.terminate();
        resolve(101);
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });

  it('does not trust a Host header that matches a hostile Origin', async () => {
    expect(await upgrade({ origin: 'https://evil.example', host: 'evil.example' })).toBe(403);
    expect(await upgrade({ origin: 'http://evil.example:80', host: 'evil.example:80' })).toBe(403);
  });

  it('admits the bound address and its loopback names, PUBLIC_URL and CORS_ORIGINS', async () => {
    const port = new URL(h.url).port;
    expect(await upgrade({ origin: h.url })).toBe(101);
    expect(await upgrade({ origin: `http://localhost:${port}` })).toBe(101);
    expect(await upgrade({ origin: APP })).toBe(101);
    expect(await upgrade({ origin: `http://localhost:${Number(port) + 1}` })).toBe(403);
  });
});

describe('shutdown', () => {
  it('an upload still running after the grace period is answered 503, not cut, and its upstream create is aborted at once', async () => {
    const own = await startHarness({ env: { UPLOAD_IDLE_TIMEOUT_MS: '60000' }, sharedEmulator: h.emulator });
    const name = `shutdown-${Date.now()}`;
    const url = new URL(own.url);
    const photo = makePng(64, 64, 50_000);
    const { body, contentType } = encodeParts([
      { name: 'operations', value: JSON.stringify({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 'system_female_001', name } } }) },
      { name: 'map', value: JSON.stringify({ 0: ['variables.input.file'] }) },
      { name: '0', value: photo, filename: 'a.png', type: 'image/png' },
    ]);
    let answer = '';
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`POST /graphql HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\nx-graphql-yoga-csrf: 1\r\n\r\n`);
      socket.write(body.subarray(0, body.indexOf(photo.subarray(0, 16)) + 2000));
    });
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    socket.on('error', () => {});
    const receivedBefore = h.emulator.countReceived('CreatePictureModelingJob');
    // The upload is under way: its create is streaming upstream.
    await expect.poll(() => h.emulator.countReceived('CreatePictureModelingJob'), { timeout: 5000 }).toBe(receivedBefore + 1);
    await own.server.close(200);
    await expect.poll(() => statusOf(answer), { timeout: 5000 }).toBe(503);
    expect(answer).toContain('SHUTTING_DOWN');
    socket.destroy();
    // The upstream create it began was aborted with the request (not left to the 60 s idle timeout): the gateway closes now.
    await own.gateway.close();
    await expect.poll(() => h.emulator.inFlight(), { timeout: 5000 }).toBe(0);
    expect(h.emulator.calls.filter((c) => c.operation === 'CreatePictureModelingJob' && c.status === 200 && (c.body as { name?: string } | undefined)?.name === name)).toEqual([]);
  });
});

describe('sanity', () => {
  it('the gateway under test answers', async () => {
    expect((await rawRequest(h.url, { path: '/health' })).status).toBe(200);
  });
});
