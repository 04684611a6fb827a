/**
 * Subscriptions over multipart HTTP (Apollo's protocol) on /graphql: Apollo Client's plain
 * HttpLink gets a completion with no extra set-up, the bytes follow the protocol
 * (payload parts, heartbeats, closing boundary), and the request goes through the same
 * authentication and errors as any other.
 */
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreatePictureModelingJob, PictureModelingJobCompleted } from '../client/operations.js';
import { startHarness, tempDir, waitFor, type Harness } from './support/harness.js';
import { writeApiKeys } from './support/identity.js';
import { makePng } from './support/images.js';
import { encodeParts, postRaw, uploadPhoto } from './support/multipart.js';
import { multipartSubscribe } from './support/multipart-subscription.js';
import { COMPLETED_SUBSCRIPTION, openSubscriptions } from './support/subscriptions.js';

let h: Harness;
let keys: Record<string, string>;
const asAlice = () => ({ 'x-api-key': keys['alice']! });
beforeAll(async () => {
  const api = writeApiKeys(tempDir(), ['alice', 'bob']);
  keys = api.keys;
  h = await startHarness({ emulator: { jobDurationMs: 3_600_000 }, env: { AUTH_API_KEYS_FILE: api.file, MULTIPART_HEARTBEAT_MS: '20' } });
});
afterAll(async () => {
  await h.close();
});

async function createJob(headers = asAlice()): Promise<string> {
  const { body } = await uploadPhoto(h.url, { file: makePng(64, 64), headers });
  return body.data.createPictureModelingJob.jobId;
}

describe('multipart HTTP subscriptions', () => {
  it("Apollo Client's plain HttpLink receives the completion and completes, with no extra configuration", async () => {
    const client = new ApolloClient({ link: new HttpLink({ uri: `${h.url}/graphql`, fetch, headers: asAlice() }), cache: new InMemoryCache() });
    const jobId = await createJob();
    const received: any[] = [];
    let completed = false;
    const errors: unknown[] = [];
    const before = await openSubscriptions(h.url);
    const sub = client.subscribe({ query: PictureModelingJobCompleted, variables: { jobId } }).subscribe({
      next: (value) => received.push(value.data?.pictureModelingJobCompleted),
      error: (error) => errors.push(error),
      complete: () => (completed = true),
    });
    await waitFor(async () => (await openSubscriptions(h.url)) === before + 1);
    h.emulator.world.complete(jobId);
    await waitFor(() => completed);
    expect(errors).toEqual([]);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ id: jobId, jobId, state: 'SUCCEED' });
    sub.unsubscribe();
    client.stop();
  });

  it('speaks the protocol: multipart/mixed with boundary "graphql", {} heartbeats, {"payload": ...} parts, the closing boundary', async () => {
    const jobId = await createJob();
    const abort = new AbortController();
    const sub = await multipartSubscribe(h.url, { query: COMPLETED_SUBSCRIPTION, variables: { jobId } }, abort.signal, asAlice());
    expect(sub.status).toBe(200);
    expect(sub.contentType).toBe('multipart/mixed;boundary="graphql";subscriptionSpec="1.0"');
    // Heartbeats at MULTIPART_HEARTBEAT_MS (20 ms here) while nothing happens.
    await waitFor(() => sub.parts.filter((p) => Object.keys(p).length === 0).length >= 2);
    h.emulator.world.complete(jobId, 'FAILED');
    await sub.ended;
    expect(sub.closed()).toBe(true);
    expect(sub.payloads()).toEqual([{ data: { pictureModelingJobCompleted: expect.objectContaining({ jobId, state: 'FAILED' }) } }]);
  });

  it("another principal's job is refused like an unknown one, before any stream opens", async () => {
    const jobId = await createJob();
    for (const id of [jobId, 'no-such-job']) {
      const sub = await multipartSubscribe(h.url, { query: COMPLETED_SUBSCRIPTION, variables: { jobId: id } }, AbortSignal.timeout(5000), { 'x-api-key': keys['bob']! });
      expect(sub.json.errors[0].extensions.code).toBe('GATEWAY.JOB_NOT_FOUND');
      expect(sub.json.errors[0].extensions.http).toBeUndefined();
    }
  });

  it('is behind authentication: no key is a 401 and nothing runs', async () => {
    const before = await openSubscriptions(h.url);
    const sub = await multipartSubscribe(h.url, { query: COMPLETED_SUBSCRIPTION }, AbortSignal.timeout(5000));
    expect(sub.status).toBe(401);
    expect(sub.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(await openSubscriptions(h.url)).toBe(before);
  });

  it('is behind the query limits: a document with too many aliases is refused', async () => {
    const before = await openSubscriptions(h.url);
    const aliases = Array.from({ length: 25 }, (_, i) => `a${i}: jobId`).join(' ');
    const sub = await multipartSubscribe(h.url, { query: `subscription { pictureModelingJobCompleted { ${aliases} } }` }, AbortSignal.timeout(5000), asAlice());
    expect(sub.json.errors[0].message).toMatch(/aliases/i);
    expect(await openSubscriptions(h.url)).toBe(before);
  });

  it('a client that goes away ends its subscription on the gateway', async () => {
    const abort = new AbortController();
    const before = await openSubscriptions(h.url);
    const sub = await multipartSubscribe(h.url, { query: COMPLETED_SUBSCRIPTION }, abort.signal, asAlice());
    await waitFor(() => sub.parts.length > 0);
    expect(await openSubscriptions(h.url)).toBe(before + 1);
    abort.abort();
    await waitFor(async () => (await openSubscriptions(h.url)) === before);
  });
});

describe('multipart HTTP subscriptions with TRUSTED_DOCUMENTS_ONLY', () => {
  let t: Harness;
  beforeAll(async () => {
    t = await startHarness({ emulator: { jobDurationMs: 3_600_000 }, env: { TRUSTED_DOCUMENTS_ONLY: 'true', MULTIPART_HEARTBEAT_MS: '20' } });
  });
  afterAll(async () => {
    await t.close();
  });
  const idOf = (document: object) => (document as { __meta__: { hash: string } }).__meta__.hash;

  it('runs a trusted subscription by its documentId and refuses any other text', async () => {
    const refused = await multipartSubscribe(t.url, { query: COMPLETED_SUBSCRIPTION }, AbortSignal.timeout(5000));
    expect(refused.status).toBe(400);
    expect(refused.json.errors[0].extensions.code).toBe('PERSISTED_QUERY_ONLY');
    const created = encodeParts([
      { name: 'operations', value: JSON.stringify({ documentId: idOf(CreatePictureModelingJob), variables: { input: { file: null, styleId: 'system_male_001', name: `trusted-${Date.now()}` } } }) },
      { name: 'map', value: JSON.stringify({ 0: ['variables.input.file'] }) },
      { name: '0', value: makePng(16, 16), filename: 'a.png', type: 'image/png' },
    ]);
    const { body } = await postRaw(t.url, created.body, { 'content-type': created.contentType, 'x-graphql-yoga-csrf': '1' });
    const jobId = body.data.createPictureModelingJob.jobId as string;
    const sub = await multipartSubscribe(t.url, { documentId: idOf(PictureModelingJobCompleted), variables: { jobId } }, AbortSignal.timeout(10_000));
    expect(sub.status).toBe(200);
    await waitFor(() => sub.parts.length > 0);
    t.emulator.world.complete(jobId);
    await sub.ended;
    expect(sub.payloads()).toEqual([{ data: { pictureModelingJobCompleted: expect.objectContaining({ id: jobId, state: 'SUCCEED' }) } }]);
  });
});
