import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../src/emulator/create-emulator.js';
import { UNFELT_LIMITS, waitFor } from './support/harness.js';
import { createMetaStudioClient, type MetaStudioClient } from '../src/metastudio/client.js';
import { MetaStudioError } from '../src/errors.js';
import { formatSdkDate } from '../src/metastudio/signer.js';
import { prepareRequest } from '../src/metastudio/requests.js';
import { makeJpeg, makePng } from './support/images.js';
import { freePort, spawnListening, stopProcess } from './support/process.js';

let emulator: Emulator;
let client: MetaStudioClient;

function clientFor(em: Emulator, extra: Partial<Parameters<typeof createMetaStudioClient>[0]> = {}) {
  return createMetaStudioClient({
    endpoint: em.url,
    projectId: em.config.projectId,
    credentials: { ak: em.config.ak, sk: em.config.sk },
    timeoutMs: 2000,
    ...extra,
  });
}

async function* once(buffer: Buffer) {
  yield buffer;
}

function photo(buffer = makePng(640, 480)) {
  return { name: 'photo.png', type: 'image/png', stream: once(buffer) };
}

async function expectError(promise: Promise<unknown>): Promise<MetaStudioError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MetaStudioError);
    return error as MetaStudioError;
  }
  throw new Error('expected a MetaStudioError');
}

const uniqueName = () => `m-${Math.random().toString(36).slice(2)}`;

beforeAll(async () => {
  emulator = await createEmulator({ rateLimits: UNFELT_LIMITS, jobDurationMs: 100 });
  client = clientFor(emulator);
});
afterAll(async () => {
  await client.close();
  await emulator.close();
});
beforeEach(() => emulator.reset());

describe('every operation against the emulator over HTTP', () => {
  it('CreatePictureModelingJob streams a multipart photo and returns ids and X-Request-Id', async () => {
    const result = await client.createPictureModelingJob({ file: photo(), styleId: 'system_male_001', name: uniqueName(), appUserId: 'user-42' });
    expect(result.data.job_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.data.model_asset_id).toMatch(/^[0-9a-f]{32}$/);
    expect(result.requestId).toMatch(/^[0-9a-f]{32}$/);
    const call = emulator.calls.at(-1)!;
    expect(call).toMatchObject({ operation: 'CreatePictureModelingJob', status: 200, appUserId: 'user-42' });
    expect(call.body).toMatchObject({ width: 640, height: 480, styleId: 'system_male_001' });
  });

  it('CreatePictureModelingByUrlJob sends signed JSON', async () => {
    const result = await client.createPictureModelingByUrlJob({ pictureUrl: 'https://example.com/face.jpg', styleId: 'system_female_002', name: uniqueName() });
    expect(result.data.job_id).toBeTruthy();
  });

  it('ShowPictureModelingJob and ListPictureModelingJobs (filters, paging, count)', async () => {
    const created = await client.createPictureModelingJob({ file: photo(), styleId: 'system_male_001', name: uniqueName() });
    const shown = await client.showPictureModelingJob(created.data.job_id);
    expect(shown.data).toMatchObject({ job_id: created.data.job_id, model_asset_id: created.data.model_asset_id });
    expect(['WAITING', 'PROCESSING']).toContain(shown.data.state);
    const all = await client.listPictureModelingJobs({ offset: 0, limit: 1, sortDir: 'desc', sortKey: 'create_time' });
    expect(all.data.picture_modeling_jobs).toHaveLength(1);
    expect(all.data.count).toBeGreaterThanOrEqual(2);
    expect(all.data.picture_modeling_jobs[0]!.job_id).toBe(created.data.job_id);
    const since = new Date(Date.now() - 60_000).toISOString();
    const filtered = await client.listPictureModelingJobs({ states: ['FAILED', 'CANCELED'], createSince: since, createUntil: new Date(Date.now() + 1000).toISOString() });
    expect(filtered.data.picture_modeling_jobs.every((j) => j.state === 'FAILED' || j.state === 'CANCELED')).toBe(true);
  });

  it('ListAssetSummary, ShowAsset and ListStyles', async () => {
    const created = await client.createPictureModelingJob({ file: photo(), styleId: 'system_male_001', name: uniqueName() });
    const summary = await client.listAssetSummary([created.data.model_asset_id, 'no-such-asset']);
    expect(summary.data.asset_list.map((a) => a.asset_id)).toEqual([created.data.model_asset_id]);
    const asset = await client.showAsset(created.data.model_asset_id);
    expect(asset.data).toMatchObject({ asset_id: created.data.model_asset_id, asset_type: 'HUMAN_MODEL' });
    const styles = await client.listStyles();
    expect(styles.data.styles.map((s) => s.style_id)).toEqual(['system_male_001', 'system_female_001', 'system_male_002', 'system_female_002']);
    expect(styles.data.count).toBe(4);
  });

  it('signs paths with reserved characters the way the server canonicalises them', async () => {
    const error = await expectError(client.showPictureModelingJob("odd id(1)!*'~"));
    // Not found, rather than a signature mismatch.
    expect(error).toMatchObject({ httpStatus: 404, origin: 'UPSTREAM' });
  });

  it('accepts an IAM token instead of a signature', async () => {
    const tokenClient = createMetaStudioClient({ endpoint: emulator.url, projectId: emulator.config.projectId, iamToken: emulator.config.iamToken, timeoutMs: 2000 });
    expect((await tokenClient.listStyles()).data.count).toBe(4);
    const wrong = createMetaStudioClient({ endpoint: emulator.url, projectId: emulator.config.projectId, iamToken: 'nope', timeoutMs: 2000 });
    const error = await expectError(wrong.listStyles());
    expect(error).toMatchObject({ code: 'APIGW.0301', httpStatus: 401, origin: 'UPSTREAM' });
    await tokenClient.close();
    await wrong.close();
  });

  it('the emulator enforces upstream rules with upstream error bodies', async () => {
    const name = uniqueName();
    await client.createPictureModelingJob({ file: photo(), styleId: 'system_male_001', name });
    expect(await expectError(client.createPictureModelingJob({ file: photo(), styleId: 'system_male_001', name }))).toMatchObject({
      code: 'MSS.10001005',
      httpStatus: 400,
      origin: 'UPSTREAM',
    });
    expect(await expectError(client.createPictureModelingJob({ file: photo(makePng(3841, 100)), styleId: 'system_male_001', name: uniqueName() }))).toMatchObject({
      code: 'MSS.00000003',
    });
    expect(
      await expectError(client.createPictureModelingJob({ file: { name: 'x.gif', type: 'image/gif', stream: once(Buffer.from('GIF89a....')) }, styleId: 'system_male_001', name: uniqueName() })),
    ).toMatchObject({ code: 'MSS.00000003', httpStatus: 400 });
    expect(await expectError(client.createPictureModelingJob({ file: photo(), styleId: 'no_such_style', name: uniqueName() }))).toMatchObject({ code: 'MSS.00000003' });
    const small = await createEmulator({ rateLimits: UNFELT_LIMITS, maxPhotoBytes: 1000 });
    const smallClient = clientFor(small);
    expect(await expectError(smallClient.createPictureModelingJob({ file: photo(makeJpeg(100, 100, { totalBytes: 5000 })), styleId: 'system_male_001', name: uniqueName() }))).toMatchObject({
      code: 'MSS.10001007',
    });
    await smallClient.close();
    await small.close();
    expect(await expectError(client.listPictureModelingJobs({ limit: 0 }))).toMatchObject({ code: 'MSS.00000003', origin: 'GATEWAY' });
    expect(emulator.countCalls('ListPictureModelingJobs')).toBe(0);
  });

  it('refuses a non-ASCII X-App-UserId before any call', async () => {
    const before = emulator.calls.length;
    expect(await expectError(client.listStyles({ appUserId: '用户' }))).toMatchObject({ code: 'MSS.00000003', origin: 'GATEWAY', httpStatus: 400 });
    expect(await expectError(client.createPictureModelingJob({ file: photo(), styleId: 'system_male_001', name: uniqueName(), appUserId: 'é' }))).toMatchObject({
      code: 'MSS.00000003',
    });
    expect(emulator.calls.length).toBe(before);
  });
});

describe('upstream errors keep code, message, status and request id', () => {
  const cases = [
    { status: 400, body: { error_code: 'MSS.00000003', error_msg: 'Invalid parameter' } },
    { status: 401, body: { error_code: 'MSS.00000001', error_msg: 'Unauthorized' } },
    { status: 403, body: { error_code: 'MSS.00000005', error_msg: 'Forbidden' } },
    { status: 500, body: { error_code: 'MSS.00000004', error_msg: 'Internal Error' } },
  ];
  for (const c of cases) {
    it(`${c.status} {error_code, error_msg}`, async () => {
      emulator.addFault({ operation: 'ListStyles', status: c.status, body: c.body, times: 3 });
      const error = await expectError(client.listStyles());
      expect(error).toMatchObject({ code: c.body.error_code, message: c.body.error_msg, httpStatus: c.status, origin: 'UPSTREAM' });
      expect(error.requestId).toMatch(/^[0-9a-f]{32}$/);
    });
  }

  it('APIGW body with request_id', async () => {
    emulator.addFault({ operation: 'ShowAsset', status: 401, body: { error_code: 'APIGW.0301', error_msg: 'Incorrect IAM authentication information', request_id: 'rid-1' } });
    const error = await expectError(client.showAsset('a'));
    expect(error).toMatchObject({ code: 'APIGW.0301', httpStatus: 401, origin: 'UPSTREAM' });
  });

  it('nested {error: {code, message}} body', async () => {
    emulator.addFault({ operation: 'ShowAsset', status: 404, body: { error: { code: 'MSS.404', message: 'not here' } } });
    expect(await expectError(client.showAsset('a'))).toMatchObject({ code: 'MSS.404', message: 'not here', httpStatus: 404, origin: 'UPSTREAM' });
  });

  it('HTML body -> GATEWAY.BAD_UPSTREAM_RESPONSE (502)', async () => {
    emulator.addFault({ operation: 'ListStyles', status: 502, body: '<html>Bad Gateway</html>', times: 3 });
    expect(await expectError(client.listStyles())).toMatchObject({ code: 'GATEWAY.BAD_UPSTREAM_RESPONSE', httpStatus: 502, origin: 'GATEWAY' });
  });

  it('200 with an unparsable body -> GATEWAY.BAD_UPSTREAM_RESPONSE', async () => {
    emulator.addFault({ operation: 'ListStyles', status: 200, body: 'not json' });
    expect(await expectError(client.listStyles())).toMatchObject({ code: 'GATEWAY.BAD_UPSTREAM_RESPONSE', httpStatus: 502 });
  });

  it('unexpected status (304) -> GATEWAY.BAD_UPSTREAM_RESPONSE', async () => {
    emulator.addFault({ operation: 'ListStyles', status: 304 });
    expect(await expectError(client.listStyles())).toMatchObject({ code: 'GATEWAY.BAD_UPSTREAM_RESPONSE', httpStatus: 502 });
  });
});

describe('faults', () => {
  it('a real timeout -> GATEWAY.UPSTREAM_TIMEOUT (504), create not retried', async () => {
    const fast = clientFor(emulator, { timeoutMs: 150 });
    emulator.addFault({ operation: 'CreatePictureModelingJob', delayMs: 600 });
    const error = await expectError(fast.createPictureModelingJob({ file: photo(), styleId: 'system_male_001', name: uniqueName() }));
    expect(error).toMatchObject({ code: 'GATEWAY.UPSTREAM_TIMEOUT', httpStatus: 504, origin: 'GATEWAY' });
    // The emulator records the call once it has answered (600 ms in): by then a retry, sent
    // no later than the timeout, would have arrived.
    await waitFor(() => emulator.countCalls('CreatePictureModelingJob') === 1);
    expect(emulator.countReceived('CreatePictureModelingJob')).toBe(1);
    await fast.close();
  });

  it('a refused connection -> GATEWAY.UPSTREAM_UNAVAILABLE (502)', async () => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const dead = createMetaStudioClient({ endpoint: `http://127.0.0.1:${port}`, projectId: 'p', credentials: { ak: 'a', sk: 's' }, timeoutMs: 1000, retries: 0 });
    expect(await expectError(dead.listStyles())).toMatchObject({ code: 'GATEWAY.UPSTREAM_UNAVAILABLE', httpStatus: 502, origin: 'GATEWAY' });
    await dead.close();
  });

  it('a dropped connection is retried for GETs (bounded), never for creates', async () => {
    emulator.addFault({ operation: 'ListStyles', drop: true });
    expect((await client.listStyles()).data.count).toBe(4);
    emulator.addFault({ operation: 'ListStyles', drop: true, times: 5 });
    expect(await expectError(client.listStyles())).toMatchObject({ code: 'GATEWAY.UPSTREAM_UNAVAILABLE' });
    emulator.reset();
    emulator.addFault({ operation: 'CreatePictureModelingJob', drop: true });
    expect(await expectError(client.createPictureModelingJob({ file: photo(), styleId: 'system_male_001', name: uniqueName() }))).toMatchObject({
      code: 'GATEWAY.UPSTREAM_UNAVAILABLE',
    });
    const listed = await client.listPictureModelingJobs({ limit: 100 });
    expect(listed.data.count).toBeGreaterThan(0);
  });
});

describe('the emulator checks signatures like API Gateway', () => {
  async function send(mutate: (headers: Record<string, string>) => void, date = new Date()) {
    const prepared = prepareRequest(
      { endpoint: new URL(emulator.url), projectId: emulator.config.projectId, credentials: { ak: emulator.config.ak, sk: emulator.config.sk }, date },
      { method: 'GET', path: '/styles', query: { limit: 5 } },
    );
    mutate(prepared.headers);
    const res = await request(`${emulator.url}${prepared.path}`, { method: 'GET', headers: prepared.headers });
    return { status: res.statusCode, body: (await res.body.json()) as { error_code?: string }, requestId: res.headers['x-request-id'] };
  }

  it('accepts the untouched request', async () => {
    expect((await send(() => {})).status).toBe(200);
  });
  it('refuses a tampered signature with 401 MSS.00000001', async () => {
    const result = await send((h) => {
      h['Authorization'] = h['Authorization']!.replace(/Signature=(.)/, (_, c: string) => `Signature=${c === 'a' ? 'b' : 'a'}`);
    });
    expect(result).toMatchObject({ status: 401, body: { error_code: 'MSS.00000001' } });
    expect(result.requestId).toBeTruthy();
  });
  it('refuses a tampered signed header', async () => {
    expect(await send((h) => (h['X-Project-Id'] = 'f'.repeat(32)))).toMatchObject({ status: 401, body: { error_code: 'MSS.00000001' } });
  });
  it('refuses a stale X-Sdk-Date with APIGW.0303', async () => {
    const stale = new Date(Date.now() - 16 * 60_000);
    expect(formatSdkDate(stale)).toMatch(/Z$/);
    expect(await send(() => {}, stale)).toMatchObject({ status: 401, body: { error_code: 'APIGW.0303' } });
  });
  it('refuses a wrong project id', async () => {
    const other = createMetaStudioClient({ endpoint: emulator.url, projectId: 'f'.repeat(32), credentials: { ak: emulator.config.ak, sk: emulator.config.sk }, timeoutMs: 2000 });
    expect(await expectError(other.listStyles())).toMatchObject({ httpStatus: 403, code: 'MSS.00000005' });
    await other.close();
  });
  it('refuses a wrong secret key', async () => {
    const other = createMetaStudioClient({ endpoint: emulator.url, projectId: emulator.config.projectId, credentials: { ak: emulator.config.ak, sk: 'wrong' }, timeoutMs: 2000 });
    expect(await expectError(other.listStyles())).toMatchObject({ httpStatus: 401, code: 'MSS.00000001' });
    await other.close();
  });
  it('sends X-Request-Id on every response, unknown paths included', async () => {
    const res = await request(`${emulator.url}/v1/x/nothing`);
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(((await res.body.json()) as { error_code: string }).error_code).toBe('APIGW.0101');
  });
});

describe('npm run emulator', () => {
  it('runs the emulator alone, with credentials from the environment', async () => {
    const port = await freePort();
    const child = await spawnListening(
      { ...process.env, EMULATOR_PORT: String(port), CLOUD_SDK_AK: 'standalone-ak', CLOUD_SDK_SK: 'standalone-sk', METASTUDIO_PROJECT_ID: 'standalone-project' },
      { entry: 'src/emulator/main.ts' },
    );
    try {
      const standalone = createMetaStudioClient({
        endpoint: `http://127.0.0.1:${port}`,
        projectId: 'standalone-project',
        credentials: { ak: 'standalone-ak', sk: 'standalone-sk' },
        timeoutMs: 2000,
      });
      expect((await standalone.listStyles()).data.count).toBe(4);
      await standalone.close();
    } finally {
      expect(await stopProcess(child)).toBe(0);
    }
  });
});

describe('jobs move through their states', () => {
  it('WAITING/PROCESSING -> SUCCEED, with a model asset and a notify_url callback', async () => {
    const received: unknown[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ method: req.method, body: JSON.parse(body) });
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const notifyUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const ok = await client.createPictureModelingJob({ file: photo(), styleId: 'system_male_001', name: uniqueName(), notifyUrl });
    const failed = await client.createPictureModelingJob({ file: photo(), styleId: 'system_male_001', name: `fail-${uniqueName()}`, notifyUrl });
    // Each job calls its notify_url once it has ended.
    await waitFor(() => received.length === 2);
    expect((await client.showPictureModelingJob(ok.data.job_id)).data).toMatchObject({ state: 'SUCCEED', model_cover_url: expect.any(String) });
    const failedInfo = (await client.showPictureModelingJob(failed.data.job_id)).data;
    expect(failedInfo.state).toBe('FAILED');
    expect(failedInfo.error_info?.error_code).toBeTruthy();
    expect(received).toContainEqual({ method: 'POST', body: { job_id: ok.data.job_id, result: 'SUCCEED', asset_id: ok.data.model_asset_id } });
    expect(received).toContainEqual({ method: 'POST', body: { job_id: failed.data.job_id, result: 'FAILED', asset_id: failed.data.model_asset_id } });
    expect((await client.listAssetSummary([ok.data.model_asset_id])).data.asset_list[0]!.asset_state).toBe('ACTIVED');
    await new Promise<void>((r) => hook.close(() => r()));
  });
});
