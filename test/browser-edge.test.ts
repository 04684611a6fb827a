/**
 * The browser edge over real sockets: answers given before the body was read reach a
 * client that is still sending (lingering close), keep-alive is kept for requests read
 * whole, CORS by allow-list, the WebSocket Origin check, GraphiQL served offline, and
 * case-insensitive multipart content types.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { makeJpeg, makePng } from './support/images.js';
import { CREATE_MUTATION, encodeParts, uploadPhoto } from './support/multipart.js';

const ALLOWED = 'https://app.example.com';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ emulator: { jobDurationMs: 3_600_000 }, env: { CORS_ORIGINS: `${ALLOWED},http://localhost:5173`, MAX_UPLOAD_BYTES: String(5 * 1024 * 1024) } });
});
afterAll(async () => {
  await h.close();
});

/** A multipart upload whose body is written in 64 KiB pieces, as a browser on a real link would; returns the status and body. */
function slowUpload(file: Buffer, headers: Record<string, string>, input: Record<string, unknown> = {}): Promise<{ status: number; body: any; error?: string }> {
  const url = new URL(h.url);
  const { body, contentType } = encodeParts([
    { name: 'operations', value: JSON.stringify({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 'system_male_001', name: `slow-${Math.random().toString(36).slice(2)}`, ...input } } }) },
    { name: 'map', value: JSON.stringify({ 0: ['variables.input.file'] }) },
    { name: '0', value: file, filename: 'photo.jpg', type: 'image/jpeg' },
  ]);
  return new Promise((resolve) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: '/graphql', headers: { 'content-type': contentType, 'content-length': body.length, ...headers } });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', (error) => {
      if (!answered) resolve({ status: 0, body: undefined, error: (error as NodeJS.ErrnoException).code ?? error.message });
    });
    let offset = 0;
    const pump = () => {
      while (offset < body.length) {
        const piece = body.subarray(offset, offset + 64 * 1024);
        offset += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

describe('an answer given before the body was read reaches a client still sending', () => {
  const phonePhoto = makeJpeg(4032, 3024, { totalBytes: 3 * 1024 * 1024 });
  const overLimit = makePng(1000, 1000, 6 * 1024 * 1024);

  it('a phone-sized 4032x3024 JPEG: the precise MssError, 20 of 20 times', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await slowUpload(phonePhoto, { 'x-graphql-yoga-csrf': '1' });
      expect(res.error).toBeUndefined();
      expect(res.body.data.createPictureModelingJob).toMatchObject({ __typename: 'MssError', errorCode: 'MSS.00000003' });
      expect(res.body.data.createPictureModelingJob.errorMsg).toMatch(/3840x2160/);
    }
    expect(h.emulator.countReceived('CreatePictureModelingJob')).toBe(0);
  });

  it('a PNG over MAX_UPLOAD_BYTES: the MssError, 20 of 20 times', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await slowUpload(overLimit, { 'x-graphql-yoga-csrf': '1' });
      expect(res.error).toBeUndefined();
      expect(res.body.data.createPictureModelingJob.errorMsg).toMatch(/larger than/);
    }
  });

  it('6 MB without the CSRF header: the 403, 20 of 20 times', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await slowUpload(overLimit, {});
      expect(res.error).toBeUndefined();
      expect(res.status).toBe(403);
      expect(res.body.errors[0].message).toMatch(/x-graphql-yoga-csrf/);
    }
  });

  it('a name over 64 characters: the MssError, with fetch (undici) too', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await uploadPhoto(h.url, { file: phonePhoto, input: { name: 'n'.repeat(65) } });
      expect(res.body.data.createPictureModelingJob).toMatchObject({ errorCode: 'MSS.00000003' });
    }
  });

  it('a client that goes on sending far beyond the bound is cut off, and nothing it sent goes upstream', async () => {
    const url = new URL(h.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((r) => socket.once('connect', r));
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => {});
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.write(`POST /graphql HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: ${200 * 1024 * 1024}\r\n\r\n`);
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    let sent = 0;
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    while (!isClosed && sent < 40 * 1024 * 1024) {
      await new Promise<void>((r) => {
        if (socket.write(chunk)) return r();
        socket.once('drain', () => r());
        void closed.then(() => r());
      });
      sent += chunk.length;
    }
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 403/);
    // Cut after about 2 x MAX_UPLOAD_BYTES + 1 MiB of discarded body, long before the 200 MB it announced.
    expect(sent).toBeLessThan(20 * 1024 * 1024);
    expect(sent).toBeGreaterThan(10 * 1024 * 1024);
    expect(h.emulator.countReceived('CreatePictureModelingJob')).toBe(0);
  });

  it('requests read whole keep their keep-alive connection (GET, pre-flight, /health)', async () => {
    const cases: Array<{ method: string; path: string; headers: Record<string, string> }> = [
      { method: 'GET', path: '/health', headers: {} },
      { method: 'GET', path: '/graphql?query=%7B__typename%7D', headers: { accept: 'application/json' } },
      { method: 'OPTIONS', path: '/graphql', headers: { origin: ALLOWED, 'access-control-request-method': 'POST' } },
    ];
    for (const init of cases) {
      const res = await fetch(`${h.url}${init.path}`, { method: init.method, headers: init.headers });
      expect(res.headers.get('connection')).not.toBe('close');
      await res.arrayBuffer();
    }
  });
});

describe('CORS by allow-list', () => {
  const preflight = (origin: string, url = h.url) =>
    fetch(`${url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-graphql-yoga-csrf,authorization' },
    });

  it('a listed origin gets its own origin back, with credentials', async () => {
    const res = await preflight(ALLOWED);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/x-graphql-yoga-csrf/);
    const post = await fetch(`${h.url}/graphql`, { method: 'POST', headers: { origin: ALLOWED, 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(post.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('any other origin gets no CORS headers at all', async () => {
    for (const origin of ['http://evil.example', 'https://app.example.com.evil.example', 'null']) {
      const res = await preflight(origin);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      const post = await fetch(`${h.url}/graphql`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      expect(post.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('with CORS_ORIGINS unset, no cross-origin caller is allowed', async () => {
    const plain = await startHarness({ sharedEmulator: h.emulator });
    try {
      const res = await preflight(ALLOWED, plain.url);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await plain.close();
    }
  });
});

describe('WebSocket Origin check at the upgrade', () => {
  const open = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const socket = new WebSocket(h.wsUrl, 'graphql-transport-ws', { headers });
      socket.once('open', () => {
        socket.close();
        resolve(101);
      });
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('error', () => {});
    });

  it('a forged Origin gets 403 and no upgrade; listed, own and absent origins pass', async () => {
    expect(await open({ origin: 'http://evil.example' })).toBe(403);
    expect(await open({ origin: 'https://app.example.com.evil.example' })).toBe(403);
    expect(await open({ origin: ALLOWED })).toBe(101);
    expect(await open({ origin: h.url })).toBe(101);
    expect(await open({})).toBe(101);
  });

  it('another path gets 404', async () => {
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(h.wsUrl.replace('/graphql', '/elsewhere'), 'graphql-transport-ws');
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('error', () => {});
    });
    expect(status).toBe(404);
  });
});

describe('GraphiQL', () => {
  it('is served with every asset inline (no CDN)', async () => {
    const res = await fetch(`${h.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/YogaGraphiQL/);
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
    expect(html).not.toMatch(/<link[^>]+href=["']https?:[^>]+stylesheet/);
    expect(html).not.toMatch(/unpkg\.com|jsdelivr/);
  });

  it('GRAPHIQL=false turns it off', async () => {
    const off = await startHarness({ env: { GRAPHIQL: 'false' }, sharedEmulator: h.emulator });
    try {
      const res = await fetch(`${off.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(await res.text()).not.toMatch(/YogaGraphiQL/);
    } finally {
      await off.close();
    }
  });
});

describe('multipart content types are case-insensitive', () => {
  it('Multipart/Form-Data; BOUNDARY=... is an upload like any other', async () => {
    const { body, contentType } = encodeParts([
      { name: 'operations', value: JSON.stringify({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 'system_male_001', name: `case-${Date.now()}` } } }) },
      { name: 'map', value: JSON.stringify({ 0: ['variables.input.file'] }) },
      { name: '0', value: makePng(8, 8), filename: 'a.png', type: 'image/png' },
    ]);
    const shouting = contentType.replace('multipart/form-data', 'Multipart/Form-Data').replace('boundary=', 'BOUNDARY=');
    const res = await fetch(`${h.url}/graphql`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': shouting, 'x-graphql-yoga-csrf': '1' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data.createPictureModelingJob.__typename).toBe('PictureModelingJobCreated');
  });
});
