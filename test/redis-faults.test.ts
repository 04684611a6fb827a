/**
 * Redis faults never end the gateway process (issue 22): a real gateway child process whose
 * Redis is killed while WebSocket jobId subscriptions open and close, while callbacks come
 * in and while creates are tried. The old event target rejected unhandled there and the
 * process died.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../src/emulator/create-emulator.js';
import { makePng } from './support/images.js';
import { uploadPhoto } from './support/multipart.js';
import { tempDir, waitFor } from './support/harness.js';
import { freePort, gatewayEnv, spawnListening, stopProcess } from './support/process.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { openSubscriptions, subscribe, wsClient } from './support/subscriptions.js';

let redis: RedisServer;
let emulator: Emulator;
let gateway: ChildProcess;
let url: string;
let output = '';

beforeAll(async () => {
  redis = await startRedis();
  emulator = await createEmulator({ jobDurationMs: 3_600_000 });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  gateway = await spawnListening(gatewayEnv(emulator, port, tempDir(), { REDIS_URL: redis.url, CALLBACK_SECRET: 'faults-callback-secret-0123456789', POLL_INTERVAL_MS: '300' }));
  gateway.stdout!.on('data', (c: Buffer) => (output += String(c)));
  gateway.stderr!.on('data', (c: Buffer) => (output += String(c)));
});
afterAll(async () => {
  if (gateway) await stopProcess(gateway);
  await emulator?.close();
  await redis?.stop();
});

async function create(): Promise<any> {
  const { body } = await uploadPhoto(url, { file: makePng(32, 32) });
  return body.data.createPictureModelingJob;
}

describe('Redis killed under a running gateway process', () => {
  it('subscriptions opening and closing, callbacks and creates while Redis is down: the process survives, answers 503 / STORE_UNAVAILABLE, and recovers', async () => {
    // A callback URL of this gateway, from a job that completed while Redis was up.
    const done = await create();
    expect(done.__typename).toBe('PictureModelingJobCreated');
    emulator.world.complete(done.jobId);
    const callback = await waitFor(() => emulator.world.callbacks.find((c) => c.jobId === done.jobId && c.status === 202));

    const pending = await create();
    const client = wsClient(url.replace(/^http/, 'ws') + '/graphql');
    const held = subscribe(client, { jobId: pending.jobId });
    // The subscription is open (and listening through Redis) once the server counts it.
    await waitFor(async () => (await openSubscriptions(url)) > 0);

    await redis.stop();
    await waitFor(async () => (await fetch(`${url}/ready`)).status === 503);

    // Closing a subscription unsubscribes from Redis; opening ones subscribes: both used to crash the process.
    held.dispose();
    const opened = Array.from({ length: 5 }, () => subscribe(client, { jobId: pending.jobId }));
    await Promise.all(opened.map((s) => s.done));
    // Each ends at once with the code the contract gives reads that need the store.
    for (const s of opened) expect(s.events.map((e) => e.errors?.[0]?.extensions?.code)).toEqual(['GATEWAY.STORE_UNAVAILABLE']);
    const all = subscribe(client);
    all.dispose();

    const refused = await create();
    expect(refused).toMatchObject({ __typename: 'MssError', errorCode: 'GATEWAY.STORE_UNAVAILABLE', httpStatus: 503 });
    expect(refused.errorMsg).not.toMatch(/READONLY|MaxRetries|ECONNREFUSED|Connection is closed/);

    const answered = await fetch(callback.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(answered.status).toBe(503);
    expect(answered.headers.get('retry-after')).toBe('5');

    expect(gateway.exitCode).toBeNull();
    expect((await fetch(`${url}/health`)).status).toBe(200);

    await redis.start();
    await waitFor(async () => (await fetch(`${url}/ready`)).status === 200, 15_000);
    expect((await create()).__typename).toBe('PictureModelingJobCreated');
    const after = subscribe(client, { jobId: pending.jobId });
    emulator.world.complete(pending.jobId);
    await after.done;
    expect(after.events[0]?.data.pictureModelingJobCompleted).toMatchObject({ jobId: pending.jobId, state: 'SUCCEED' });
    await client.dispose();

    expect(gateway.exitCode).toBeNull();
    // Every failure was handled where it happened: the last-resort handler never had to act.
    expect(output).not.toMatch(/unhandled rejection/i);
  });
});
