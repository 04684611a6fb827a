/**
 * Every HTTP route is part of one Yoga pipeline, so the gateway can be driven in process
 * with `yoga.fetch`: no socket, no port.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createEmulator, type Emulator } from '../src/emulator/create-emulator.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { createLogger } from '../src/observability/logger.js';
import { tempDir, UNFELT_LIMITS, UNFELT_RATE_LIMITS } from './support/harness.js';

let emulator: Emulator;
let gateway: Gateway;
const base = 'http://gateway.test';

beforeAll(async () => {
  emulator = await createEmulator({ rateLimits: UNFELT_LIMITS, jobDurationMs: 3_600_000 });
  gateway = await createGateway(loadConfig({ DATABASE_PATH: join(tempDir(), 'in-process.db'), POLL_INTERVAL_MS: '600000', PUBLIC_URL: base, UPSTREAM_RATE_LIMITS: UNFELT_RATE_LIMITS }), {
    upstream: { endpoint: emulator.url, projectId: emulator.config.projectId, ak: emulator.config.ak, sk: emulator.config.sk },
    logger: createLogger('silent'),
    publicUrl: () => base,
  });
});
afterAll(async () => {
  await gateway.close();
  await emulator.close();
});

describe('yoga.fetch, in process', () => {
  it('serves /health, /ready and /metrics, each with an X-Request-Id', async () => {
    for (const path of ['/health', '/ready']) {
      const res = await gateway.yoga.fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
    }
    const metrics = await gateway.yoga.fetch(`${base}/metrics`);
    expect(await metrics.text()).toMatch(/^# HELP gateway_uploads_total/m);
  });

  it('runs a query and a create from a URL', async () => {
    const post = async (query: string, variables: Record<string, unknown> = {}) => {
      const res = await gateway.yoga.fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      return (await res.json()) as any;
    };
    expect((await post('{ pictureModelingStyles { __typename } }')).data.pictureModelingStyles.__typename).toBe('StyleList');
    const created = await post('mutation($i: CreatePictureModelingJobFromUrlInput!) { createPictureModelingJobFromUrl(input: $i) { __typename ... on PictureModelingJobCreated { jobId job { id state } } } }', {
      i: { pictureUrl: 'https://photos.example.com/a.jpg', styleId: 'system_male_001', name: `in-process-${Date.now()}` },
    });
    expect(created.data.createPictureModelingJobFromUrl).toMatchObject({ __typename: 'PictureModelingJobCreated', job: { state: 'WAITING' } });
  });

  it('answers the callback path: 405, 404 and 401 before any body is read', async () => {
    expect((await gateway.yoga.fetch(`${base}/callbacks/picture-modeling/x`, { method: 'PUT' })).status).toBe(405);
    expect((await gateway.yoga.fetch(`${base}/callbacks/picture-modeling/not-a-token`, { method: 'POST' })).status).toBe(404);
    expect((await gateway.yoga.fetch(`${base}/callbacks/picture-modeling/AAAAAAAAAAAAAAAAAAAAAAAA.a.forged`, { method: 'POST' })).status).toBe(401);
  });
});
