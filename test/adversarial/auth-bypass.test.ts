/**
 * Finding 1 (critical): authentication skipped on path variants of /graphql. A stranger
 * with no credentials tries every transport on every spelling of the path; each answer is
 * 401 or 404, and MetaStudio never hears of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHarness } from '../support/harness.js';
import { makePng } from '../support/images.js';
import { CREATE_MUTATION, encodeParts } from '../support/multipart.js';
import { mintHs256, rawRequest, startGuardedGateway, type GuardedGateway } from './attacker.js';

const PATH_VARIANTS = [
  '/graphql/',
  '//graphql',
  '/x/graphql',
  '/?a=/graphql',
  '/graphql/?x',
  '/callbacks/../graphql/',
  '/callbacks/../graphql/..%2Fgraphql',
  '/%67raphql',
  '/graphql%2F',
  '/graphql%2f',
  '/%2Fgraphql',
  '/graphql.',
  '/graphql./',
  '/graphql/.',
  '/graphql/%2e',
  '/graphql//',
  '/GRAPHQL',
  '/GraphQL',
  '/graphql;a=b',
  '/graphql%00',
  '/graphql%20',
  '/health/graphql',
  '/callbacks/graphql',
  '/demo.js?/graphql',
  '/graphql', // the real path: 401 without credentials
];

const FROM_URL = `mutation { createPictureModelingJobFromUrl(input: {pictureUrl: "https://example.test/a.jpg", styleId: "system_female_001", name: "stranger"}) { __typename } }`;
const ALL_JOBS = 'subscription { pictureModelingJobCompleted { jobId state } }';

type Transport = (path: string) => { method: string; path: string; headers: Record<string, string>; body?: string | Buffer };
const withQuery = (path: string, params: Record<string, string>) => `${path}${path.includes('?') ? '&' : '?'}${new URLSearchParams(params).toString()}`;

const TRANSPORTS: Record<string, Transport> = {
  'POST JSON': (path) => ({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: FROM_URL }) }),
  'GET query': (path) => ({ method: 'GET', path: withQuery(path, { query: '{ pictureModelingJobs { __typename } }' }), headers: { accept: 'application/json' } }),
  'HTML form (no CSRF header)': (path) => ({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: FROM_URL }).toString(),
  }),
  'application/graphql': (path) => ({ method: 'POST', path, headers: { 'content-type': 'application/graphql' }, body: FROM_URL }),
  'multipart upload': (path) => {
    const { body, contentType } = encodeParts([
      { name: 'operations', value: JSON.stringify({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 'system_female_001', name: 'stranger-upload' } } }) },
      { name: 'map', value: JSON.stringify({ 0: ['variables.input.file'] }) },
      { name: '0', value: makePng(64, 64), filename: 'a.png', type: 'image/png' },
    ]);
    return { method: 'POST', path, headers: { 'content-type': contentType, 'x-graphql-yoga-csrf': '1' }, body };
  },
  'SSE GET': (path) => ({ method: 'GET', path: withQuery(path, { query: ALL_JOBS }), headers: { accept: 'text/event-stream' } }),
  'SSE POST': (path) => ({ method: 'POST', path, headers: { accept: 'text/event-stream', 'content-type': 'application/json' }, body: JSON.stringify({ query: ALL_JOBS }) }),
  'multipart subscription': (path) => ({
    method: 'POST',
    path,
    headers: { accept: 'multipart/mixed;subscriptionSpec=1.0', 'content-type': 'application/json' },
    body: JSON.stringify({ query: ALL_JOBS }),
  }),
};

let gw: GuardedGateway;
beforeAll(async () => {
  gw = await startGuardedGateway();
});
afterAll(async () => {
  await gw?.close();
});

describe('a stranger without credentials on every spelling of /graphql', () => {
  for (const [name, transport] of Object.entries(TRANSPORTS)) {
    it(`${name}: every variant is 401 or 404, nothing goes upstream`, async () => {
      const answers: Record<string, number> = {};
      for (const variant of PATH_VARIANTS) {
        const answer = await rawRequest(gw.url, transport(variant));
        // `/?a=/graphql` and `/demo.js?/graphql` are the demo page's own routes (static HTML and script), not GraphQL.
        const demoPage = answer.status === 200 && /^text\/(html|javascript)/.test(String(answer.headers['content-type'])) && !answer.body.includes('"data"');
        answers[variant] = demoPage ? 404 : answer.status;
      }
      const executed = Object.entries(answers).filter(([, status]) => status !== 401 && status !== 404);
      expect(executed).toEqual([]);
      expect(answers['/graphql']).toBe(401);
      expect(answers['//graphql']).toBe(404);
      expect(gw.emulator.calls).toEqual([]);
    });
  }

  it('graphql-ws: an upgrade on any variant is 404; on /graphql without credentials it is closed 4403', async () => {
    const statusOfUpgrade = (path: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${gw.url.replace('http', 'ws')}${path}`, 'graphql-transport-ws');
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} })));
        ws.on('close', (code) => resolve(code));
        ws.on('error', () => {});
      });
    for (const path of PATH_VARIANTS.filter((p) => p !== '/graphql' && !p.includes('..') && !p.includes('/.'))) expect([path, await statusOfUpgrade(path)]).toEqual([path, 404]);
    expect(await statusOfUpgrade('/graphql')).toBe(4403);
    expect(gw.emulator.calls).toEqual([]);
  });

  it('with authentication off, a plain HTML form (no CSRF header) cannot create: 403, nothing upstream', async () => {
    const open = await startHarness({ sharedEmulator: gw.emulator });
    try {
      const before = gw.emulator.calls.length;
      const form = TRANSPORTS['HTML form (no CSRF header)']!('/graphql');
      const refused = await rawRequest(open.url, form);
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body).errors[0].extensions.code).toBe('CSRF_PREVENTION');
      expect(gw.emulator.calls.length).toBe(before);
      // A client that can set headers (not a cross-site form) still may.
      const allowed = await rawRequest(open.url, { ...form, headers: { ...form.headers, 'x-graphql-yoga-csrf': '1' } });
      expect(JSON.parse(allowed.body).data.createPictureModelingJobFromUrl.__typename).toBe('PictureModelingJobCreated');
    } finally {
      await open.close();
    }
  });

  it('GraphiQL is not served off the GraphQL path either', async () => {
    for (const path of ['/x/graphql', '/graphql/', '//graphql']) {
      expect((await rawRequest(gw.url, { path, headers: { accept: 'text/html' } })).status).toBe(404);
    }
    expect((await rawRequest(gw.url, { path: '/graphql', headers: { accept: 'text/html' } })).status).toBe(200);
  });

  it('the same requests with a valid token on /graphql do execute (the probe above can tell)', async () => {
    const token = await mintHs256({ sub: 'alice' });
    const answer = await rawRequest(gw.url, { ...TRANSPORTS['GET query']!('/graphql'), headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).data.pictureModelingJobs).toBeDefined();
    // ...and on a variant the token buys nothing: it is still not GraphQL.
    const variant = await rawRequest(gw.url, { ...TRANSPORTS['GET query']!('/x/graphql'), headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
    expect(variant.status).toBe(404);
  });
});
