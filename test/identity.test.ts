/**
 * Identity and access, through the real interfaces: JWTs from a JWKS the test serves, API
 * keys from a file, two principals side by side on every read path, and upstream call
 * counts proving that refused and foreign requests cost nothing upstream.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { gql, startHarness, tempDir, waitFor, type Harness } from './support/harness.js';
import { startIdentityProvider, writeApiKeys, type IdentityProvider } from './support/identity.js';
import { makePng } from './support/images.js';
import { uploadPhoto } from './support/multipart.js';
import { openSubscriptions, sseSubscribe, subscribe, untilSubscriptions, wsClient } from './support/subscriptions.js';

let idp: IdentityProvider;
let h: Harness;
let apiKeys: Record<string, string>;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  idp = await startIdentityProvider();
  const keys = writeApiKeys(tempDir('keys-'), ['batch-service']);
  apiKeys = keys.keys;
  h = await startHarness({
    emulator: { jobDurationMs: 3_600_000 },
    env: {
      AUTH_JWT_JWKS_URL: idp.jwksUrl,
      AUTH_JWT_ISSUER: idp.issuer,
      AUTH_JWT_AUDIENCE: idp.audience,
      // Rotation is tested by refetching at once; production keeps jose's 30 s cooldown.
      AUTH_JWKS_COOLDOWN_MS: '0',
      AUTH_API_KEYS_FILE: keys.file,
      RATE_LIMIT_CREATES_PER_MINUTE: '1000',
      MAX_PENDING_JOBS_PER_PRINCIPAL: '1000',
    },
  });
});
afterAll(async () => {
  await h.close();
  await idp.close();
});
beforeEach(() => h.emulator.reset());

async function createAs(headers: Record<string, string>, input: Record<string, unknown> = {}) {
  const { body } = await uploadPhoto(h.url, { file: makePng(32, 32), headers, input });
  const created = body.data.createPictureModelingJob;
  expect(created.__typename).toBe('PictureModelingJobCreated');
  return created as { jobId: string; modelAssetId: string };
}

const JOB = `query($id: ID!) { pictureModelingJob(jobId: $id) { __typename ... on PictureModelingJob { id jobId state } ... on MssError { errorCode httpStatus origin } } }`;
const LIST = `{ pictureModelingJobs(limit: 100) { __typename ... on PictureModelingJobList { totalCount jobs { jobId } } } }`;

describe('refused credentials: 401, WWW-Authenticate, UNAUTHENTICATED, nothing upstream', () => {
  const cases: Array<[string, () => Promise<Record<string, string>>]> = [
    ['no credentials', async () => ({})],
    ['not a Bearer header', async () => ({ authorization: 'Basic YWxpY2U6c2VjcmV0' })],
    ['a malformed token', async () => bearer('not.a.jwt')],
    ['an expired token', async () => bearer(await idp.mint({ sub: 'alice' }, { expiresInSeconds: -120 }))],
    ['a token signed by another key', async () => bearer(await idp.mintWithWrongKey())],
    ['a wrong issuer', async () => bearer(await idp.mint({ sub: 'alice' }, { issuer: 'https://evil.example/' }))],
    ['a wrong audience', async () => bearer(await idp.mint({ sub: 'alice' }, { audience: 'someone-else' }))],
    ['no principal claim', async () => bearer(await idp.mint({ name: 'no subject' }))],
    ['not valid yet (nbf)', async () => bearer(await idp.mint({ sub: 'alice' }, { notBefore: Math.floor(Date.now() / 1000) + 3600 }))],
    ['an unknown API key', async () => ({ 'x-api-key': 'not-a-key' })],
  ];
  for (const [name, headers] of cases) {
    it(`${name}: query and upload are refused`, async () => {
      const given = await headers();
      const query = await fetch(`${h.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...given },
        body: JSON.stringify({ query: '{ pictureModelingStyles { __typename } }' }),
      });
      expect(query.status).toBe(401);
      expect(query.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const body = (await query.json()) as any;
      expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(body.data).toBeUndefined();
      // A multipart upload is answered the same way, before its body is read.
      const upload = await uploadPhoto(h.url, { file: makePng(2000, 1000, 3_000_000), headers: given });
      expect(upload.status).toBe(401);
      expect(upload.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(h.emulator.countReceived('ListStyles') + h.emulator.countReceived('CreatePictureModelingJob')).toBe(0);
    });
  }

  it('the GraphiQL page needs no credentials; a GET query does', async () => {
    const page = await fetch(`${h.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/YogaGraphiQL/);
    const query = await fetch(`${h.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/graphql-response+json' } });
    expect(query.status).toBe(401);
  });

  it('SSE without credentials is refused with 401', async () => {
    const res = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { pictureModelingJobCompleted { jobId } }' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('graphql-ws: no or bad credentials in connection_init close the socket with 4403', async () => {
    for (const params of [undefined, { authorization: 'Bearer garbage' }, { authorization: `Bearer ${await idp.mint({ sub: 'a' }, { expiresInSeconds: -120 })}` }, { 'x-api-key': 'nope' }]) {
      const socket = new WebSocket(h.wsUrl, 'graphql-transport-ws');
      await new Promise((r) => socket.once('open', r));
      socket.send(JSON.stringify({ type: 'connection_init', ...(params ? { payload: params } : {}) }));
      const code = await new Promise<number>((resolve) => socket.once('close', (c) => resolve(c)));
      expect(code).toBe(4403);
    }
  });
});

describe('accepted credentials', () => {
  it('a JWT and an API key both reach the schema', async () => {
    const query = '{ pictureModelingStyles { __typename } }';
    expect((await gql(h.url, query, {}, bearer(await idp.mint({ sub: 'alice' })))).body.data.pictureModelingStyles.__typename).toBe('StyleList');
    expect((await gql(h.url, query, {}, { 'x-api-key': apiKeys['batch-service']! })).body.data.pictureModelingStyles.__typename).toBe('StyleList');
  });

  it('X-App-UserId defaults to the principal; an explicit appUserId wins', async () => {
    const alice = bearer(await idp.mint({ sub: 'alice' }));
    await createAs(alice);
    await createAs(alice, { appUserId: 'tenant-7' });
    const creates = h.emulator.calls.filter((c) => c.operation === 'CreatePictureModelingJob');
    expect(creates.map((c) => c.appUserId)).toEqual(['alice', 'tenant-7']);
  });

  it('the signing key rotates: a token from the new key is accepted after one JWKS refetch', async () => {
    await idp.rotate();
    const fetches = idp.jwksFetches();
    const { status } = await gql(h.url, '{ __typename }', {}, bearer(await idp.mint({ sub: 'alice' })));
    expect(status).toBe(200);
    expect(idp.jwksFetches()).toBe(fetches + 1);
  });

  it('a graphql-ws connection whose JWT expires is closed with 4403 when it does', async () => {
    const token = await idp.mint({ sub: 'alice' }, { expiresInSeconds: 2 });
    const expiresAt = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;
    let closedWith: number | undefined;
    let closedAt = 0;
    const onClosed = (code: number) => {
      closedWith = code;
      closedAt = Date.now();
    };
    const client = wsClient(h.wsUrl, { connectionParams: { authorization: `Bearer ${token}` }, onClosed });
    const open = await openSubscriptions(h.url);
    const sub = subscribe(client);
    // Accepted and listening while the token is valid...
    await untilSubscriptions(h.url, open + 1);
    expect(closedWith).toBeUndefined();
    // ...and closed when it expires, not before.
    await waitFor(() => closedWith !== undefined, 5000);
    expect(closedWith).toBe(4403);
    expect(closedAt).toBeGreaterThanOrEqual(expiresAt);
    sub.dispose();
  });
});

describe('every job belongs to its creator', () => {
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let admin: Record<string, string>;
  beforeAll(async () => {
    alice = bearer(await idp.mint({ sub: 'alice' }, { expiresInSeconds: 3600 }));
    bob = bearer(await idp.mint({ sub: 'bob' }, { expiresInSeconds: 3600 }));
    admin = bearer(await idp.mint({ sub: 'ops', scope: 'openid metastudio:admin' }, { expiresInSeconds: 3600 }));
  });

  it('pictureModelingJob: another principal\'s job and an unknown id read alike, with no upstream call', async () => {
    const job = await createAs(alice);
    h.emulator.reset();
    const own = await gql(h.url, JOB, { id: job.jobId }, alice);
    expect(own.body.data.pictureModelingJob).toMatchObject({ __typename: 'PictureModelingJob', id: job.jobId, jobId: job.jobId });
    const shows = h.emulator.countReceived('ShowPictureModelingJob');
    const foreign = await gql(h.url, JOB, { id: job.jobId }, bob);
    const unknown = await gql(h.url, JOB, { id: 'no-such-job' }, bob);
    const expected = { __typename: 'MssError', errorCode: 'GATEWAY.JOB_NOT_FOUND', httpStatus: 404, origin: 'GATEWAY' };
    expect(foreign.body.data.pictureModelingJob).toEqual(expected);
    expect(unknown.body.data.pictureModelingJob).toEqual(expected);
    expect(h.emulator.countReceived('ShowPictureModelingJob')).toBe(shows);
  });

  it('200 unknown ids in one request cost nothing upstream', async () => {
    const fields = Array.from({ length: 10 }, (_, i) => `j${i}: pictureModelingJob(jobId: "unknown-${i}") { __typename }`).join(' ');
    const batch = Array.from({ length: 10 }, () => ({ query: `{ ${fields} }` }));
    h.emulator.reset();
    const res = await fetch(`${h.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...bob }, body: JSON.stringify(batch) });
    const results = (await res.json()) as any[];
    expect(results.flatMap((r) => Object.values(r.data)).every((v: any) => v.__typename === 'MssError')).toBe(true);
    expect(h.emulator.calls).toHaveLength(0);
  });

  it('pictureModelingJobs lists only the caller\'s jobs, from the store; an admin lists the account', async () => {
    const mine = await createAs(bob);
    const bobs = await gql(h.url, LIST, {}, bob);
    const ids = bobs.body.data.pictureModelingJobs.jobs.map((j: { jobId: string }) => j.jobId);
    expect(ids).toContain(mine.jobId);
    const alices = await gql(h.url, LIST, {}, alice);
    expect(alices.body.data.pictureModelingJobs.jobs.map((j: { jobId: string }) => j.jobId)).not.toContain(mine.jobId);
    expect(h.emulator.countReceived('ListPictureModelingJobs')).toBe(0);
    const all = await gql(h.url, LIST, {}, admin);
    expect(all.body.data.pictureModelingJobs.jobs.map((j: { jobId: string }) => j.jobId)).toContain(mine.jobId);
    expect(h.emulator.countReceived('ListPictureModelingJobs')).toBe(1);
    // The admin reads anyone's job.
    expect((await gql(h.url, JOB, { id: mine.jobId }, admin)).body.data.pictureModelingJob.jobId).toBe(mine.jobId);
  });

  it('a jobId subscription to another principal\'s job is GATEWAY.JOB_NOT_FOUND, with no upstream call', async () => {
    const job = await createAs(alice);
    h.emulator.reset();
    const client = wsClient(h.wsUrl, { connectionParams: bob });
    const sub = subscribe(client, { jobId: job.jobId });
    await sub.done;
    expect(sub.events[0].errors[0].extensions.code).toBe('GATEWAY.JOB_NOT_FOUND');
    expect(h.emulator.calls).toHaveLength(0);
    await client.dispose();
  });

  it('all-jobs subscriptions (graphql-ws and SSE) deliver only the caller\'s completions', async () => {
    const aliceWs = wsClient(h.wsUrl, { connectionParams: alice });
    const bobWs = wsClient(h.wsUrl, { connectionParams: bob });
    const adminWs = wsClient(h.wsUrl, { connectionParams: admin });
    const open = await openSubscriptions(h.url);
    const aliceAll = subscribe(aliceWs);
    const bobAll = subscribe(bobWs);
    const adminAll = subscribe(adminWs);
    const abort = new AbortController();
    const aliceSse = await sseSubscribe(h.url, {}, abort.signal, alice);
    const bobSse = await sseSubscribe(h.url, {}, abort.signal, bob);
    expect(aliceSse.status).toBe(200);
    await untilSubscriptions(h.url, open + 5);
    const job = await createAs(alice);
    h.emulator.world.complete(job.jobId);
    await waitFor(() => aliceAll.events.length === 1 && aliceSse.events.length === 1 && adminAll.events.length === 1);
    expect(aliceAll.events[0].data.pictureModelingJobCompleted.jobId).toBe(job.jobId);
    // Bob's own job, completed after Alice's, is the marker: each stream delivers in the
    // order of publishing, so Alice's would have reached Bob before it.
    const bobs = await createAs(bob);
    h.emulator.world.complete(bobs.jobId);
    await waitFor(() => bobAll.events.length > 0 && bobSse.events.length > 0);
    expect(bobAll.events.map((e) => e.data.pictureModelingJobCompleted.jobId)).toEqual([bobs.jobId]);
    expect(bobSse.events.map((e) => e.data.pictureModelingJobCompleted.jobId)).toEqual([bobs.jobId]);
    abort.abort();
    for (const c of [aliceWs, bobWs, adminWs]) await c.dispose();
  });

  it('a relay goes only to the creator\'s notifyUrl', async () => {
    const received: Array<{ url: string; body: string }> = [];
    const hook = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ url: req.url ?? '', body });
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
    const a = await createAs(alice, { notifyUrl: `${base}/alice` });
    const b = await createAs(bob, { notifyUrl: `${base}/bob` });
    h.emulator.world.complete(a.jobId);
    await waitFor(() => received.length === 1);
    expect(received[0]!.url).toBe('/alice');
    expect(JSON.parse(received[0]!.body).job.jobId).toBe(a.jobId);
    // Bob's job, completed after Alice's, is the marker: a second relay of hers would not come after his.
    h.emulator.world.complete(b.jobId);
    await waitFor(() => received.some((r) => r.url === '/bob'));
    expect(received.map((r) => [r.url, JSON.parse(r.body).job.jobId])).toEqual([
      ['/alice', a.jobId],
      ['/bob', b.jobId],
    ]);
    await new Promise<void>((r) => hook.close(() => r()));
  });
});

describe('secure by default', () => {
  it('a real upstream with no authentication stops start-up naming AUTH_JWT_JWKS_URL', () => {
    const env = { METASTUDIO_REGION: 'cn-north-4', METASTUDIO_PROJECT_ID: 'p', CLOUD_SDK_AK: 'ak', CLOUD_SDK_SK: 'sk' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/^AUTH_JWT_JWKS_URL: /);
    expect(loadConfig({ ...env, AUTH_DISABLED: 'true' }).auth.enabled).toBe(false);
    expect(loadConfig({ ...env, AUTH_JWT_SECRET: 'x'.repeat(32) }).auth.enabled).toBe(true);
  });

  it('the embedded emulator with nothing configured serves everyone as anonymous', () => {
    expect(loadConfig({}).auth.enabled).toBe(false);
  });

  it('bad identity settings stop start-up with one line naming the variable', () => {
    expect(() => loadConfig({ AUTH_JWT_SECRET: 'short' })).toThrow(/^AUTH_JWT_SECRET: /);
    expect(() => loadConfig({ AUTH_API_KEYS_FILE: '/no/such/file' })).toThrow(/^AUTH_API_KEYS_FILE: /);
    expect(() => loadConfig({ AUTH_JWT_JWKS_URL: 'not a url' })).toThrow(/^AUTH_JWT_JWKS_URL: /);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://ok.example, javascript:alert(1)' })).toThrow(/^CORS_ORIGINS: /);
  });

  it('an HS256 shared secret works as the alternative to a JWKS', async () => {
    const { SignJWT } = await import('jose');
    const secret = 's'.repeat(40);
    const hs = await startHarness({ env: { AUTH_JWT_SECRET: secret }, sharedEmulator: h.emulator });
    try {
      const token = await new SignJWT({ sub: 'carol' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
      expect((await gql(hs.url, '{ __typename }', {}, bearer(token))).status).toBe(200);
      const forged = await new SignJWT({ sub: 'carol' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode('t'.repeat(40)));
      expect((await gql(hs.url, '{ __typename }', {}, bearer(forged))).status).toBe(401);
    } finally {
      await hs.close();
    }
  });
});

describe('limits per principal and per connection', () => {
  const secret = 'limits-secret-'.padEnd(40, 'x');
  const tokenFor = async (sub: string) => {
    const { SignJWT } = await import('jose');
    return bearer(await new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(secret)));
  };
  const create = async (url: string, headers: Record<string, string>) => (await uploadPhoto(url, { file: makePng(16, 16), headers })).body.data.createPictureModelingJob;

  it('RATE_LIMIT_CREATES_PER_MINUTE: the next create is GATEWAY.RATE_LIMITED (429), says when to retry, and sends nothing', async () => {
    const lh = await startHarness({ env: { AUTH_JWT_SECRET: secret, RATE_LIMIT_CREATES_PER_MINUTE: '3' }, sharedEmulator: h.emulator });
    try {
      const dave = await tokenFor('dave');
      for (let i = 0; i < 3; i++) expect((await create(lh.url, dave)).__typename).toBe('PictureModelingJobCreated');
      const creates = h.emulator.countReceived('CreatePictureModelingJob');
      const refused = await create(lh.url, dave);
      expect(refused).toMatchObject({ __typename: 'MssError', errorCode: 'GATEWAY.RATE_LIMITED', httpStatus: 429, origin: 'GATEWAY' });
      expect(refused.errorMsg).toMatch(/retry in \d+ s/);
      expect(h.emulator.countReceived('CreatePictureModelingJob')).toBe(creates);
      // Another principal has its own budget.
      expect((await create(lh.url, await tokenFor('erin'))).__typename).toBe('PictureModelingJobCreated');
      const metrics = await (await fetch(`${lh.url}/metrics`)).text();
      expect(metrics).toMatch(/^gateway_refusals_total\{reason="rate_limited"\} 1$/m);
      expect(metrics).not.toMatch(/dave/);
    } finally {
      await lh.close();
    }
  });

  it('MAX_PENDING_JOBS_PER_PRINCIPAL: GATEWAY.QUOTA_EXCEEDED until one of the jobs ends', async () => {
    const lh = await startHarness({ env: { AUTH_JWT_SECRET: secret, MAX_PENDING_JOBS_PER_PRINCIPAL: '2' }, sharedEmulator: h.emulator });
    try {
      const frank = await tokenFor('frank');
      const first = await create(lh.url, frank);
      expect((await create(lh.url, frank)).__typename).toBe('PictureModelingJobCreated');
      const creates = h.emulator.countReceived('CreatePictureModelingJob');
      const refused = await create(lh.url, frank);
      expect(refused).toMatchObject({ __typename: 'MssError', errorCode: 'GATEWAY.QUOTA_EXCEEDED', httpStatus: 429 });
      expect(refused.errorMsg).toMatch(/retry when/);
      expect(h.emulator.countReceived('CreatePictureModelingJob')).toBe(creates);
      h.emulator.world.complete(first.jobId);
      await waitFor(async () => (await lh.gateway.services.store.getJob(first.jobId))?.state === 'SUCCEED');
      expect((await create(lh.url, frank)).__typename).toBe('PictureModelingJobCreated');
    } finally {
      await lh.close();
    }
  });

  it('MAX_SUBSCRIPTIONS_PER_CONNECTION: one more operation gets an error; the others live on', async () => {
    const lh = await startHarness({ env: { MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' }, sharedEmulator: h.emulator });
    try {
      const client = wsClient(lh.wsUrl);
      const a = subscribe(client);
      const b = subscribe(client, {}, 'subscription Other { pictureModelingJobCompleted { jobId state } }');
      await untilSubscriptions(lh.url, 2);
      const c = subscribe(client, {}, 'subscription Third { pictureModelingJobCompleted { jobId } }');
      await c.done;
      expect((c.errors[0] as Array<{ message: string }>)[0]!.message).toMatch(/At most 2 operations/);
      const { body } = await uploadPhoto(lh.url, { file: makePng(16, 16) });
      h.emulator.world.complete(body.data.createPictureModelingJob.jobId);
      await waitFor(() => a.events.length === 1 && b.events.length === 1);
      await client.dispose();
    } finally {
      await lh.close();
    }
  });

  it('MAX_CONNECTIONS: graphql-ws and SSE together; beyond it an upgrade is 503 and SSE is 503 (readable by a listed origin)', async () => {
    const lh = await startHarness({ env: { MAX_CONNECTIONS: '2', CORS_ORIGINS: 'https://app.example' }, sharedEmulator: h.emulator });
    try {
      const abort = new AbortController();
      const sse = await sseSubscribe(lh.url, {}, abort.signal);
      expect(sse.status).toBe(200);
      const ws1 = new WebSocket(lh.wsUrl, 'graphql-transport-ws');
      await new Promise((r) => ws1.once('open', r));
      const ws2 = new WebSocket(lh.wsUrl, 'graphql-transport-ws');
      const refused = await new Promise<number>((resolve) => ws2.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
      expect(refused).toBe(503);
      const moreSse = await fetch(`${lh.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: 'subscription { pictureModelingJobCompleted { jobId } }' }),
      });
      expect(moreSse.status).toBe(503);
      const sseFrom = (origin: string) =>
        fetch(`${lh.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', origin },
          body: JSON.stringify({ query: 'subscription { pictureModelingJobCompleted { jobId } }' }),
        });
      const listed = await sseFrom('https://app.example');
      expect(listed.status).toBe(503);
      expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect((await listed.json()) as unknown).toMatchObject({ errors: [{ extensions: { code: 'TOO_MANY_CONNECTIONS' } }] });
      const stranger = await sseFrom('https://evil.example');
      expect(stranger.status).toBe(503);
      expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
      // A slot frees when a connection closes.
      ws1.close();
      await waitFor(async () => {
        const text = await (await fetch(`${lh.url}/metrics`)).text();
        return /^gateway_open_connections\{transport="ws"\} 0$/m.test(text);
      });
      const ws3 = new WebSocket(lh.wsUrl, 'graphql-transport-ws');
      await new Promise((r) => ws3.once('open', r));
      ws3.close();
      abort.abort();
    } finally {
      await lh.close();
    }
  });
});
