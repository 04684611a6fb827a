/**
 * A client that asked for `Connection: close` and is still sending its body when the
 * gateway refuses the request: the answer and a FIN come first, the rest of the body is
 * read and dropped, and only then is the socket closed. Node on its own destroys such a
 * socket as soon as the answer is written; the client then gets a reset while it writes,
 * and a reset makes its kernel drop the answer it had not read yet.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, tempDir, type Harness } from './support/harness.js';
import { writeApiKeys } from './support/identity.js';

let h: Harness;
beforeAll(async () => {
  const { file } = writeApiKeys(tempDir(), ['someone']);
  h = await startHarness({ env: { AUTH_API_KEYS_FILE: file } });
});
afterAll(async () => {
  await h.close();
});

describe('a refusal before the body was read, on a Connection: close request', () => {
  it('delivers the answer, reads the rest of the body, and closes without a reset', async () => {
    const url = new URL(h.url);
    const rest = Buffer.alloc(2 * 1024 * 1024, 0x61);
    const head =
      `POST /graphql HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: multipart/form-data; boundary=b\r\n` +
      `x-graphql-yoga-csrf: 1\r\nContent-Length: ${1024 + rest.length}\r\nConnection: close\r\n\r\n`;
    const outcome = await new Promise<{ answer: string; error?: string; ended: boolean }>((resolve) => {
      const chunks: Buffer[] = [];
      let error: string | undefined;
      let ended = false;
      let sentRest = false;
      const socket = connect(Number(url.port), url.hostname, () => socket.write(Buffer.concat([Buffer.from(head), Buffer.alloc(1024, 0x61)])));
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        // The answer came while the body is unfinished: only now send the rest of it.
        if (!sentRest) {
          sentRest = true;
          socket.write(rest);
        }
      });
      socket.on('end', () => (ended = true));
      socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
      socket.on('close', () => resolve({ answer: Buffer.concat(chunks).toString('latin1'), ...(error ? { error } : {}), ended }));
    });
    expect(outcome.answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(outcome.error).toBeUndefined();
    expect(outcome.ended).toBe(true);
  });
});
