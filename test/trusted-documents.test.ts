/**
 * Trusted documents: the typed client's operations served by their sha256 id over HTTP,
 * multipart and graphql-ws; with TRUSTED_DOCUMENTS_ONLY nothing else runs.
 */
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreatePictureModelingJob, PictureModelingJobCompleted, PictureModelingStyles } from '../client/operations.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { startHarness, type Harness } from './support/harness.js';
import { makePng } from './support/images.js';
import { encodeParts, postRaw } from './support/multipart.js';
import { openSubscriptions, subscribe, untilSubscriptions, wsClient } from './support/subscriptions.js';

const idOf = (document: object) => (document as { __meta__: { hash: string } }).__meta__.hash;
const post = async (url: string, body: unknown) => {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ emulator: { jobDurationMs: 3_600_000 }, env: { TRUSTED_DOCUMENTS_ONLY: 'true', STYLES_CACHE_TTL_MS: '0' } });
});
afterAll(async () => {
  await h.close();
});

describe('TRUSTED_DOCUMENTS_ONLY', () => {
  it('runs a trusted document by documentId and by extensions.persistedQuery', async () => {
    const byId = await post(h.url, { documentId: idOf(PictureModelingStyles) });
    expect(byId.body.data.pictureModelingStyles.__typename).toBe('StyleList');
    const apq = await post(h.url, { extensions: { persistedQuery: { version: 1, sha256Hash: idOf(PictureModelingStyles).replace('sha256:', '') } } });
    expect(apq.body.data.pictureModelingStyles.__typename).toBe('StyleList');
  });

  it('refuses any other operation, and an unknown id, before anything runs', async () => {
    const calls = h.emulator.countReceived('ListStyles');
    const arbitrary = await post(h.url, { query: '{ pictureModelingStyles { __typename } }' });
    expect(arbitrary.status).toBe(400);
    expect(arbitrary.body.errors[0]).toMatchObject({ extensions: { code: 'PERSISTED_QUERY_ONLY' } });
    expect(arbitrary.body.errors[0].message).toMatch(/trusted documents only/);
    const unknown = await post(h.url, { documentId: `sha256:${'0'.repeat(64)}` });
    expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(h.emulator.countReceived('ListStyles')).toBe(calls);
  });

  it('multipart: the operations field carries the documentId', async () => {
    const parts = (operations: unknown) =>
      encodeParts([
        { name: 'operations', value: JSON.stringify(operations) },
        { name: 'map', value: JSON.stringify({ 0: ['variables.input.file'] }) },
        { name: '0', value: makePng(16, 16), filename: 'a.png', type: 'image/png' },
      ]);
    const variables = { input: { file: null, styleId: 'system_male_001', name: `trusted-${Date.now()}` } };
    const trusted = parts({ documentId: idOf(CreatePictureModelingJob), variables });
    const ok = await postRaw(h.url, trusted.body, { 'content-type': trusted.contentType, 'x-graphql-yoga-csrf': '1' });
    expect(ok.body.data.createPictureModelingJob.__typename).toBe('PictureModelingJobCreated');
    const creates = h.emulator.countReceived('CreatePictureModelingJob');
    const arbitrary = parts({ query: print(CreatePictureModelingJob).replace('requestId', 'requestId modelAssetId'), variables: { input: { ...variables.input, name: `other-${Date.now()}` } } });
    const refused = await postRaw(h.url, arbitrary.body, { 'content-type': arbitrary.contentType, 'x-graphql-yoga-csrf': '1' });
    expect(refused.status).toBe(400);
    expect(h.emulator.countReceived('CreatePictureModelingJob')).toBe(creates);
  });

  it('graphql-ws: a trusted document by id runs (the text may ride along); a text alone gets an error', async () => {
    const client = wsClient(h.wsUrl);
    const other = subscribe(client, {}, 'subscription Other { pictureModelingJobCompleted { jobId } }');
    await other.done;
    expect(JSON.stringify(other.errors)).toMatch(/trusted documents only/);
    const textAlone = subscribe(client, {}, print(PictureModelingJobCompleted));
    await textAlone.done;
    expect(JSON.stringify(textAlone.errors)).toMatch(/trusted documents only/);
    const open = await openSubscriptions(h.url);
    const byId = new Promise<unknown[]>((resolve) => {
      const events: unknown[] = [];
      client.subscribe({ query: print(PictureModelingJobCompleted), extensions: { persistedQuery: { version: 1, sha256Hash: idOf(PictureModelingJobCompleted) } } }, {
        next: (v) => {
          events.push(v);
          resolve(events);
        },
        error: (e) => resolve([e]),
        complete: () => resolve(events),
      });
    });
    await untilSubscriptions(h.url, open + 1);
    const created = await post(h.url, { documentId: idOf(PictureModelingStyles) });
    expect(created.status).toBe(200);
    const upload = encodeParts([
      { name: 'operations', value: JSON.stringify({ documentId: idOf(CreatePictureModelingJob), variables: { input: { file: null, styleId: 'system_male_001', name: `ws-${Date.now()}` } } }) },
      { name: 'map', value: JSON.stringify({ 0: ['variables.input.file'] }) },
      { name: '0', value: makePng(16, 16), filename: 'a.png', type: 'image/png' },
    ]);
    const job = (await postRaw(h.url, upload.body, { 'content-type': upload.contentType, 'x-graphql-yoga-csrf': '1' })).body.data.createPictureModelingJob;
    h.emulator.world.complete(job.jobId);
    const events = (await byId) as any[];
    expect(events[0].data.pictureModelingJobCompleted.jobId).toBe(job.jobId);
    await client.dispose();
  });
});

describe('by default', () => {
  it('arbitrary operations run, and documentIds work too', async () => {
    const open = await startHarness({ sharedEmulator: h.emulator });
    try {
      expect((await post(open.url, { query: '{ __typename }' })).body.data.__typename).toBe('Query');
      expect((await post(open.url, { documentId: idOf(PictureModelingStyles) })).body.data.pictureModelingStyles.__typename).toBe('StyleList');
    } finally {
      await open.close();
    }
  });

  it('TRUSTED_DOCUMENTS_ONLY without a manifest stops start-up naming TRUSTED_DOCUMENTS_FILE', () => {
    expect(() => loadConfig({ TRUSTED_DOCUMENTS_ONLY: 'true', TRUSTED_DOCUMENTS_FILE: '/no/such/manifest.json' })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUSTED_DOCUMENTS_ONLY: 'true', TRUSTED_DOCUMENTS_FILE: '/no/such/manifest.json' })).toThrow(/^TRUSTED_DOCUMENTS_FILE: /);
  });
});
