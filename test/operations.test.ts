import { spawn } from 'node:child_process';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { createEmulator, type Emulator } from '../src/emulator/create-emulator.js';
import { makePng } from './support/images.js';
import { uploadPhoto } from './support/multipart.js';
import { gql, startHarness, tempDir, waitFor, type Harness, UNFELT_LIMITS } from './support/harness.js';
import { freePort, spawnListening } from './support/process.js';

function metricValue(text: string, name: string, labels = ''): number {
  const escaped = `${name}${labels}`.replace(/[{}"=,]/g, (c) => `\\${c}`);
  return Number(new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
}

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      publicUrl: undefined,
      databasePath: './data/gateway.db',
      maxUploadBytes: 10485760,
      pollIntervalMs: 30000,
      relayAllowPrivate: false,
      upstream: { endpoint: undefined, timeoutMs: 30000 },
    });
  });

  it('maps regions to endpoints; an explicit endpoint wins', () => {
    const base = { METASTUDIO_PROJECT_ID: 'p', CLOUD_SDK_AK: 'ak', CLOUD_SDK_SK: 'sk', AUTH_DISABLED: 'true' };
    expect(loadConfig({ ...base, METASTUDIO_REGION: 'cn-north-4' }).upstream.endpoint).toBe('https://metastudio.cn-north-4.myhuaweicloud.com');
    expect(loadConfig({ ...base, METASTUDIO_REGION: 'cn-east-3' }).upstream.endpoint).toBe('https://metastudio.cn-east-3.myhuaweicloud.com');
    expect(loadConfig({ ...base, METASTUDIO_REGION: 'cn-east-3', METASTUDIO_ENDPOINT: 'https://proxy.example.com/' }).upstream.endpoint).toBe('https://proxy.example.com');
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /^PORT: /],
    [{ PORT: '70000' }, /^PORT: /],
    [{ MAX_UPLOAD_BYTES: '-5' }, /^MAX_UPLOAD_BYTES: /],
    [{ UPSTREAM_TIMEOUT_MS: '1.5' }, /^UPSTREAM_TIMEOUT_MS: /],
    [{ POLL_INTERVAL_MS: 'soon' }, /^POLL_INTERVAL_MS: /],
    [{ PUBLIC_URL: 'gateway.example.com' }, /^PUBLIC_URL: /],
    [{ METASTUDIO_ENDPOINT: 'ftp://x' }, /^METASTUDIO_ENDPOINT: /],
    [{ METASTUDIO_REGION: 'mars-1' }, /^METASTUDIO_REGION: /],
    [{ REDIS_URL: 'http://localhost' }, /^REDIS_URL: /],
    [{ RELAY_ALLOW_PRIVATE: 'maybe' }, /^RELAY_ALLOW_PRIVATE: /],
    [{ METASTUDIO_REGION: 'cn-north-4' }, /^METASTUDIO_PROJECT_ID: /],
    [{ METASTUDIO_REGION: 'cn-north-4', METASTUDIO_PROJECT_ID: 'p' }, /^CLOUD_SDK_AK: /],
    [{ CLOUD_SDK_AK: 'only-ak' }, /^CLOUD_SDK_SK: /],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with one line naming the variable`, () => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      try {
        loadConfig(env);
      } catch (error) {
        expect((error as Error).message).toMatch(message);
        // Every problem is reported at once (here, a missing pair may also miss authentication): one line each.
        for (const problem of (error as ConfigError).problems) expect(problem).not.toContain('\n');
      }
    });
  }

  it('never echoes a secret in its message', () => {
    try {
      loadConfig({ CALLBACK_SECRET: 'short-secret' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/^CALLBACK_SECRET: /);
      expect((error as Error).message).not.toContain('short-secret');
    }
  });

  it('npm start with a bad value stops with one line and exit code 1', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, PORT: 'nope' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Invalid configuration: PORT: /)]);
  });
});

describe('operations: health, readiness, metrics, logs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ emulator: { jobDurationMs: 100 } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('/health and /ready answer 200', async () => {
    expect((await fetch(`${h.url}/health`)).status).toBe(200);
    expect((await fetch(`${h.url}/ready`)).status).toBe(200);
  });

  it('/metrics is Prometheus text and moves with uploads, upstream calls, callbacks and subscriptions', async () => {
    const before = await (await fetch(`${h.url}/metrics`)).text();
    const res = await fetch(`${h.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const { body } = await uploadPhoto(h.url, { file: makePng(32, 32, 3000) });
    const jobId = body.data.createPictureModelingJob.jobId;
    await waitFor(async () => (await h.gateway.services.store.getJob(jobId))?.state === 'SUCCEED');
    await uploadPhoto(h.url, { file: Buffer.from('nope') });
    await fetch(`${h.url}/callbacks/picture-modeling/x.y.z`, { method: 'POST' });
    const after = await (await fetch(`${h.url}/metrics`)).text();
    expect(metricValue(after, 'gateway_uploads_total', '{result="created"}')).toBe(metricValue(before, 'gateway_uploads_total', '{result="created"}') + 1);
    expect(metricValue(after, 'gateway_uploads_total', '{result="refused"}')).toBe(metricValue(before, 'gateway_uploads_total', '{result="refused"}') + 1);
    expect(metricValue(after, 'gateway_upload_bytes_total')).toBeGreaterThanOrEqual(metricValue(before, 'gateway_upload_bytes_total') + 3000);
    expect(metricValue(after, 'gateway_upstream_calls_total', '{operation="CreatePictureModelingJob",status="200"}')).toBeGreaterThan(0);
    expect(metricValue(after, 'gateway_callbacks_total', '{result="accepted"}')).toBeGreaterThan(0);
    expect(metricValue(after, 'gateway_callbacks_total', '{result="refused_forged"}') + metricValue(after, 'gateway_callbacks_total', '{result="refused_malformed"}')).toBeGreaterThan(0);
    expect(after).toMatch(/^gateway_active_subscriptions \d+$/m);
    expect(after).toMatch(/^gateway_poller_backlog \d+$/m);
    expect(after).toMatch(/^gateway_upload_duration_seconds_bucket/m);
  });

  it('logs are JSON, carry the upstream request id, and never a secret or a callback token', async () => {
    const { body, headers } = await uploadPhoto(h.url, { file: makePng(32, 32) });
    const created = body.data.createPictureModelingJob;
    const gatewayRequestId = headers.get('x-request-id');
    expect(gatewayRequestId).toMatch(/^[0-9a-f-]{36}$/);
    const lines = h.logs.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l['requestId'] === gatewayRequestId && l['upstreamRequestId'] === created.requestId && l['jobId'] === created.jobId)).toBe(true);
    // A caller's own request id is kept.
    const traced = await fetch(`${h.url}/health`, { headers: { 'x-request-id': 'lb-trace-42' } });
    expect(traced.headers.get('x-request-id')).toBe('lb-trace-42');
    const all = h.logs.join('');
    expect(all).not.toContain(h.emulator.config.sk);
    const notify = (h.emulator.calls.filter((c) => c.operation === 'CreatePictureModelingJob').at(-1)!.body as { notifyUrl: string }).notifyUrl;
    expect(all).not.toContain(notify.slice(notify.lastIndexOf('/') + 1));
  });

  it('errors never leak the secret key', async () => {
    h.emulator.addFault({ operation: 'ListStyles', status: 500, body: '<html>boom</html>', times: 3 });
    const { body } = await gql(h.url, '{ pictureModelingStyles { ... on MssError { errorCode errorMsg } } }');
    expect(JSON.stringify(body)).not.toContain(h.emulator.config.sk);
    expect(body.data.pictureModelingStyles.errorCode).toBe('GATEWAY.BAD_UPSTREAM_RESPONSE');
  });
});

describe('SIGTERM drains gracefully', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator({ rateLimits: UNFELT_LIMITS, jobDurationMs: 3_600_000 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('stops accepting, lets the in-flight upload finish, closes websockets with 1001, exits 0', async () => {
    const port = await freePort();
    const child = await spawnListening({
      ...process.env,
      PORT: String(port),
      DATABASE_PATH: join(tempDir(), 'gw.db'),
      METASTUDIO_ENDPOINT: emulator.url,
      AUTH_DISABLED: 'true',
      METASTUDIO_PROJECT_ID: emulator.config.projectId,
      CLOUD_SDK_AK: emulator.config.ak,
      CLOUD_SDK_SK: emulator.config.sk,
      SHUTDOWN_GRACE_MS: '5000',
      LOG_LEVEL: 'warn',
    });
    const url = `http://127.0.0.1:${port}`;
    const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
    await new Promise((r) => socket.once('open', r));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise((r) => socket.once('message', r));
    const closeCode = new Promise<number>((r) => socket.once('close', (code) => r(code)));

    emulator.addFault({ operation: 'CreatePictureModelingJob', delayMs: 800 });
    const upload = uploadPhoto(url, { file: makePng(64, 64) });
    await waitFor(() => emulator.countReceived('CreatePictureModelingJob') === 1);
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');

    expect(await closeCode).toBe(1001);
    const { body } = await upload;
    expect(body.data.createPictureModelingJob.__typename).toBe('PictureModelingJobCreated');
    expect(await exit).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
