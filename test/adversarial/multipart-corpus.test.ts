/**
 * Finding 2 (critical): one multipart request ended the process. A corpus of hostile
 * bodies (oversized part headers, thousands of header lines, bodies cut at every
 * boundary, bad encodings) goes to a live gateway process; every answer is a 4xx (or a
 * 4xx MssError for a photo cut short), the process still answers /health afterwards, and
 * MetaStudio accepted nothing.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/create-emulator.js';
import { tempDir } from '../support/harness.js';
import { writeApiKeys } from '../support/identity.js';
import { makePng } from '../support/images.js';
import { CREATE_MUTATION } from '../support/multipart.js';
import { freePort, gatewayEnv, spawnListening, stopProcess } from '../support/process.js';
import { rawSocket, statusOf } from './attacker.js';

const B = 'corpus-boundary';
const OPERATIONS = JSON.stringify({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 'system_female_001', name: 'corpus' } } });
const MAP = JSON.stringify({ 0: ['variables.input.file'] });
const PHOTO = makePng(64, 64, 2048);

const part = (name: string, value: string | Buffer, extraHeaders = '', filename?: string) =>
  Buffer.concat([
    Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"\r\nContent-Type: image/png` : ''}\r\n${extraHeaders}\r\n`),
    Buffer.isBuffer(value) ? value : Buffer.from(value),
    Buffer.from('\r\n'),
  ]);
const close = Buffer.from(`--${B}--\r\n`);
const valid = Buffer.concat([part('operations', OPERATIONS), part('map', MAP), part('0', PHOTO, '', 'a.png'), close]);

/** Every offset where a multipart structure begins or ends: the cuts a truncated body can stop at. */
function boundaryCuts(body: Buffer): number[] {
  const cuts = new Set<number>();
  for (const marker of [`--${B}`, '\r\n\r\n', '\r\n', `--${B}--`]) {
    for (let at = body.indexOf(marker); at >= 0; at = body.indexOf(marker, at + 1)) {
      cuts.add(at);
      cuts.add(at + marker.length);
      cuts.add(at + 1);
    }
  }
  // A body that ends with its close delimiter is complete (the final CRLF is optional).
  const complete = body.lastIndexOf(`--${B}--`) + `--${B}--`.length;
  return [...cuts].filter((n) => n > 0 && n < complete).sort((a, b) => a - b);
}

function corpus(): Array<{ name: string; body: Buffer; contentType?: string }> {
  const cases: Array<{ name: string; body: Buffer; contentType?: string }> = [
    { name: 'file part header over 16 KiB', body: Buffer.concat([part('operations', OPERATIONS), part('map', MAP), part('0', PHOTO, `X-Pad: ${'a'.repeat(17_000)}\r\n`, 'a.png'), close]) },
    { name: 'operations part header over 16 KiB', body: Buffer.concat([part('operations', OPERATIONS, `X-Pad: ${'a'.repeat(17_000)}\r\n`), part('map', MAP), close]) },
    { name: 'map part header of 64 KiB', body: Buffer.concat([part('operations', OPERATIONS), part('map', MAP, `X-Pad: ${'b'.repeat(65_536)}\r\n`), close]) },
    { name: '2,100 header lines on the file', body: Buffer.concat([part('operations', OPERATIONS), part('map', MAP), part('0', PHOTO, 'X-A: b\r\n'.repeat(2100), 'a.png'), close]) },
    { name: '5,000 header lines on operations', body: Buffer.concat([part('operations', OPERATIONS, 'X-A: b\r\n'.repeat(5000)), close]) },
    { name: 'body ends right after the file header', body: Buffer.concat([part('operations', OPERATIONS), part('map', MAP), Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="0"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`)]) },
    { name: 'invalid UTF-8 in operations', body: Buffer.concat([part('operations', Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d])), part('map', MAP), close]) },
    { name: 'RFC 5987 filename with an unknown charset', body: Buffer.concat([part('operations', OPERATIONS), part('map', MAP), Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="0"; filename*=x-bogus''%ff%fe\r\nContent-Type: image/png\r\n\r\n`), PHOTO, Buffer.from('\r\n'), close]) },
    { name: 'latin-1 bytes and NUL in a part header', body: Buffer.concat([part('operations', OPERATIONS, 'X-\u0000\u00ff: \u00e9\r\n'), part('map', MAP), close]) },
    { name: 'bare LF line endings', body: Buffer.from(`--${B}\nContent-Disposition: form-data; name="operations"\n\n${OPERATIONS}\n--${B}--\n`) },
    { name: 'a part with no Content-Disposition', body: Buffer.concat([Buffer.from(`--${B}\r\nContent-Type: text/plain\r\n\r\nhello\r\n`), close]) },
    { name: 'map before operations', body: Buffer.concat([part('map', MAP), part('operations', OPERATIONS), close]) },
    { name: 'map with a prototype path', body: Buffer.concat([part('operations', OPERATIONS), part('map', JSON.stringify({ 0: ['__proto__.polluted'] })), part('0', PHOTO, '', 'a.png'), close]) },
    { name: 'map naming 10,000 files', body: Buffer.concat([part('operations', OPERATIONS), part('map', JSON.stringify(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [i, ['variables.input.file']])))), close]) },
    { name: 'operations over the field limit', body: Buffer.concat([part('operations', `{"query":"${'a'.repeat(1_100_000)}"}`), close]) },
    { name: 'empty body', body: Buffer.alloc(0) },
    { name: 'only the closing delimiter', body: close },
    { name: 'no boundary in content-type', body: valid, contentType: 'multipart/form-data; charset=utf-8' },
    { name: 'empty boundary', body: valid, contentType: 'multipart/form-data; boundary=' },
    { name: 'boundary of 200 characters', body: valid, contentType: `multipart/form-data; boundary=${'z'.repeat(200)}` },
    { name: 'garbage instead of multipart', body: Buffer.from('\u0000\u0001\u0002 not multipart at all \r\n\r\n--') },
  ];
  for (const cut of boundaryCuts(valid)) cases.push({ name: `valid body cut at byte ${cut}`, body: valid.subarray(0, cut) });
  return cases;
}

function requestBytes(body: Buffer, contentType: string, apiKey: string | undefined): Buffer {
  const head =
    `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\nx-graphql-yoga-csrf: 1\r\n` +
    `${apiKey ? `X-Api-Key: ${apiKey}\r\n` : ''}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** A 4xx status, or a 200 whose only result is a 4xx MssError (the photo was judged and refused). */
function isClientError(answer: string): boolean {
  const status = statusOf(answer);
  if (status >= 400 && status < 500) return true;
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  return status === 200 && /"__typename":"MssError"/.test(body) && /"httpStatus":4\d\d/.test(body) && !body.includes('"jobId"');
}

let emulator: Emulator;
let child: ChildProcess;
let baseUrl: string;
let dir: string;
let apiKey: string;

beforeAll(async () => {
  dir = tempDir();
  emulator = await createEmulator({ jobDurationMs: 200 });
  const { file, keys } = writeApiKeys(dir, ['corpus-service']);
  apiKey = keys['corpus-service']!;
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  child = await spawnListening(gatewayEnv(emulator, port, dir, { AUTH_DISABLED: 'false', AUTH_API_KEYS_FILE: file }));
}, 60_000);

afterAll(async () => {
  if (child) await stopProcess(child);
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a hostile multipart corpus against a live gateway process', () => {
  for (const credentials of ['with a valid API key', 'without credentials'] as const) {
    it(`${credentials}: every answer is a 4xx and the process lives on`, async () => {
      const key = credentials === 'with a valid API key' ? apiKey : undefined;
      const wrong: string[] = [];
      const cases = corpus();
      for (const { name, body, contentType } of cases) {
        const answer = await rawSocket(baseUrl, requestBytes(body, contentType ?? `multipart/form-data; boundary=${B}`, key), { endAfterWrite: false });
        if (!isClientError(answer)) wrong.push(`${name}: ${answer.slice(0, 300)}`);
        expect(child.exitCode, `the gateway died on "${name}"`).toBeNull();
      }
      expect(wrong).toEqual([]);
      expect(cases.length).toBeGreaterThan(60);
      expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
      expect(child.exitCode).toBeNull();
      // MetaStudio accepted nothing: any create that began was aborted before its last byte.
      expect(emulator.calls.filter((call) => call.operation.startsWith('Create') && call.status < 300)).toEqual([]);
    }, 120_000);
  }

  it('the same gateway still creates a job from the valid body (the corpus is a near miss, not noise)', async () => {
    const answer = await rawSocket(baseUrl, requestBytes(valid, `multipart/form-data; boundary=${B}`, apiKey), { endAfterWrite: false });
    expect(statusOf(answer)).toBe(200);
    expect(answer).toContain('"__typename":"PictureModelingJobCreated"');
  });
});
