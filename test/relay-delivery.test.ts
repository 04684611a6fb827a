/**
 * The relay's attempts over real HTTP, on undici's RetryAgent: a 5xx or 429 is tried again
 * (with jittered backoff, each failed attempt logged and counted), another 4xx is not, a
 * target resolving to a non-public address is refused without any attempt, and the one
 * delivery that succeeds verifies on the receiver's side.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { recordFromUpstream } from '../src/jobs/model/job-record.js';
import { createRelay, SIGNATURE_HEADER, verifyRelaySignature, type Relay } from '../src/jobs/webhooks/relay.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';

const SECRET = 's'.repeat(32);
const BASE_DELAY_MS = 5;

interface Received {
  signature: string;
  body: string;
}

/** A receiver answering each request with the next status of `statuses` (the last one repeats). */
async function startReceiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ signature: String(req.headers[SIGNATURE_HEADER.toLowerCase()]), body: Buffer.concat(chunks).toString() });
      res.writeHead(statuses[Math.min(received.length, statuses.length) - 1]!).end('answer');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

const relays: Relay[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.close();
  for (const server of servers.splice(0)) if (server.listening) await new Promise<void>((r) => server.close(() => r()));
});

function startRelay(options: { allowPrivate: boolean; attempts?: number }) {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger('info', new Writable({ write: (chunk, _enc, cb) => (lines.push(JSON.parse(String(chunk))), cb()) }));
  const metrics = createMetrics({ defaultMetrics: false });
  const relay = createRelay({ secret: SECRET, log, metrics, baseDelayMs: BASE_DELAY_MS, ...options });
  relays.push(relay);
  const counts = async () => {
    const text = await metrics.registry.getSingleMetricAsString('gateway_relays_total');
    return Object.fromEntries([...text.matchAll(/result="(\w+)"\} (\d+)/g)].map((m) => [m[1], Number(m[2])]));
  };
  return { relay, lines, counts, messages: () => lines.map((l) => l['msg']) };
}

const record = (jobId: string, notifyUrl: string) => recordFromUpstream({ job_id: jobId, state: 'SUCCEED' }, { notifyUrl });

describe('relay attempts on RetryAgent', () => {
  it('a receiver failing twice with 503 then answering 200 gets 3 attempts and one delivery that verifies', async () => {
    const hook = await startReceiver([503, 503, 200]);
    const { relay, lines, counts } = startRelay({ allowPrivate: true });
    relay.send(record('job-503', hook.url));
    await relay.drain();

    expect(hook.received).toHaveLength(3);
    expect(await counts()).toEqual({ retried: 2, delivered: 1 });
    const accepted = hook.received.at(-1)!;
    expect(verifyRelaySignature(SECRET, accepted.signature, accepted.body)).toBe(true);
    expect(JSON.parse(accepted.body)).toMatchObject({ event: 'pictureModelingJobCompleted', job: { jobId: 'job-503', state: 'SUCCEED' } });
    // The same body each time (RetryAgent re-sends the Buffer), and the same signature.
    expect(new Set(hook.received.map((r) => r.body)).size).toBe(1);
    expect(new Set(hook.received.map((r) => r.signature)).size).toBe(1);
    // One log line per failed attempt, with its status and a jittered doubling wait.
    const failed = lines.filter((l) => l['msg'] === 'relay attempt failed');
    expect(failed.map((l) => [l['jobId'], l['attempt'], l['status']])).toEqual([
      ['job-503', 1, 503],
      ['job-503', 2, 503],
    ]);
    failed.forEach((l, i) => {
      const base = BASE_DELAY_MS * 2 ** i;
      expect(l['retryInMs']).toBeGreaterThanOrEqual(base);
      expect(l['retryInMs']).toBeLessThanOrEqual(base * 1.25);
    });
  });

  it('a 429 is tried again; a 400 is the final answer after one attempt', async () => {
    const throttled = await startReceiver([429, 204]);
    const refusing = await startReceiver([400]);
    const { relay, counts, messages } = startRelay({ allowPrivate: true });
    relay.send(record('job-429', throttled.url));
    relay.send(record('job-400', refusing.url));
    await relay.drain();

    expect(throttled.received).toHaveLength(2);
    expect(refusing.received).toHaveLength(1);
    expect(await counts()).toEqual({ retried: 1, delivered: 1, rejected: 1 });
    expect(messages()).toContain('relay rejected by receiver');
  });

  it('gives up after the limit of attempts, with one line per failed attempt and one for giving up', async () => {
    const hook = await startReceiver([500]);
    const { relay, lines, counts } = startRelay({ allowPrivate: true, attempts: 4 });
    relay.send(record('job-down', hook.url));
    await relay.drain();

    expect(hook.received).toHaveLength(4);
    expect(await counts()).toEqual({ retried: 3, failed: 1 });
    expect(lines.filter((l) => l['msg'] === 'relay attempt failed').map((l) => l['attempt'])).toEqual([1, 2, 3]);
    expect(lines.find((l) => l['msg'] === 'relay gave up')).toMatchObject({ jobId: 'job-down', attempts: 4, status: 500 });
  });

  it('a network error is tried again like a 5xx', async () => {
    // A port that was just listening and is now closed: connections are refused.
    const gone = await startReceiver([200]);
    await new Promise<void>((r) => gone.server.close(() => r()));
    const { relay, lines, counts } = startRelay({ allowPrivate: true, attempts: 3 });
    relay.send(record('job-refused-port', gone.url));
    await relay.drain();

    expect(await counts()).toEqual({ retried: 2, failed: 1 });
    expect(lines.filter((l) => l['msg'] === 'relay attempt failed').map((l) => l['error'])).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
  });

  it('a name resolving to a private address is refused at connect time, without any attempt or retry', async () => {
    const hook = await startReceiver([200]);
    const { relay, counts, messages } = startRelay({ allowPrivate: false });
    // localhost passes the literal-address check; only the connect-time lookup can refuse it.
    relay.send(record('job-by-name', hook.url.replace('127.0.0.1', 'localhost')));
    relay.send(record('job-literal', hook.url));
    await relay.drain();

    expect(hook.received).toHaveLength(0);
    expect(await counts()).toEqual({ refused: 2 });
    expect(messages()).toEqual(['relay refused: notifyUrl is a non-public address', 'relay refused: notifyUrl resolves to a non-public address']);
  });
});
