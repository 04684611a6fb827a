import { readFileSync } from 'node:fs';
import { print } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CreatePictureModelingJob, PictureModelingJob, PictureModelingJobCompleted, PictureModelingJobs } from '../client/operations.js';
import { QUERY_LIMITS } from '../src/gateway.js';
import { printSortedSchema } from '../src/schema/index.js';
import { makePng } from './support/images.js';
import { uploadPhoto } from './support/multipart.js';
import { gql, startHarness, waitFor, type Harness } from './support/harness.js';
import { subscribe, wsClient } from './support/subscriptions.js';

let h: Harness;
const jobIds: string[] = [];
const TOTAL = 250;

const FROM_URL = `mutation($input: CreatePictureModelingJobFromUrlInput!) {
  createPictureModelingJobFromUrl(input: $input) { __typename ... on PictureModelingJobCreated { jobId } ... on MssError { errorCode errorMsg } }
}`;

beforeAll(async () => {
  h = await startHarness({
    emulator: { jobDurationMs: 3_600_000 },
    // Styles are read upstream every time here; test/styles-cache.test.ts covers the cache.
    env: { RATE_LIMIT_CREATES_PER_MINUTE: '100000', MAX_PENDING_JOBS_PER_PRINCIPAL: '100000', STYLES_CACHE_TTL_MS: '0' },
  });
  // Seeded through the gateway itself: only jobs created through it are the caller's.
  for (let i = 0; i < TOTAL; i++) {
    const { body } = await gql(h.url, FROM_URL, { input: { pictureUrl: 'https://example.com/a.jpg', styleId: 'system_male_001', name: `seed-${i}` } });
    jobIds.push(body.data.createPictureModelingJobFromUrl.jobId);
  }
  for (const id of jobIds.slice(0, 10)) h.emulator.world.complete(id, 'FAILED');
  // Their callbacks move the stored state.
  await waitFor(async () => (await h.gateway.services.store.listJobs('anonymous', { offset: 0, limit: 100, states: ['FAILED'] })).total === 10);
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => h.emulator.reset());

describe('schema.graphql', () => {
  it('matches the code (run `npm run schema` after a schema change)', () => {
    expect(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')).toBe(printSortedSchema());
  });
});

describe('queries against the emulator', () => {
  it('pictureModelingJob reads a job; an unknown id is GATEWAY.JOB_NOT_FOUND with no upstream call', async () => {
    const { body } = await gql(h.url, print(PictureModelingJob), { jobId: jobIds[20] });
    expect(body.data.pictureModelingJob).toMatchObject({ __typename: 'PictureModelingJob', id: jobIds[20], jobId: jobIds[20], name: 'seed-20', modelAsset: { assetState: 'CREATING' } });
    h.emulator.reset();
    const missing = await gql(h.url, print(PictureModelingJob), { jobId: 'missing-job' });
    expect(missing.body.data.pictureModelingJob).toMatchObject({ __typename: 'MssError', errorCode: 'GATEWAY.JOB_NOT_FOUND', origin: 'GATEWAY', httpStatus: 404 });
    expect(h.emulator.calls).toHaveLength(0);
  });

  it('the same job twice in one request is read once', async () => {
    await gql(h.url, `query($id: ID!) { a: pictureModelingJob(jobId: $id) { __typename } b: pictureModelingJob(jobId: $id) { __typename } }`, { id: jobIds[30] });
    expect(h.emulator.countReceived('ShowPictureModelingJob')).toBe(1);
  });

  it('pictureModelingJobs pages and filters by state, with totalCount', async () => {
    const page1 = await gql(h.url, print(PictureModelingJobs), { offset: 0, limit: 7 });
    const page2 = await gql(h.url, print(PictureModelingJobs), { offset: 7, limit: 7 });
    const a = page1.body.data.pictureModelingJobs;
    const b = page2.body.data.pictureModelingJobs;
    expect(a.totalCount).toBe(TOTAL);
    expect(a.jobs).toHaveLength(7);
    // Newest first, from the store: no upstream call.
    expect(b.jobs.map((j: { jobId: string }) => j.jobId)).toEqual([...jobIds].reverse().slice(7, 14));
    expect(h.emulator.countReceived('ListPictureModelingJobs')).toBe(0);
    const failed = await gql(h.url, print(PictureModelingJobs), { states: ['FAILED'], limit: 100 });
    expect(failed.body.data.pictureModelingJobs.totalCount).toBe(10);
    expect(failed.body.data.pictureModelingJobs.jobs.every((j: { state: string }) => j.state === 'FAILED')).toBe(true);
    const several = await gql(h.url, print(PictureModelingJobs), { states: ['FAILED', 'WAITING', 'PROCESSING'], limit: 1 });
    expect(several.body.data.pictureModelingJobs.totalCount).toBe(TOTAL);
  });

  it('out-of-range paging is an MssError from the gateway, without an upstream call', async () => {
    for (const variables of [{ limit: 0 }, { limit: 101 }, { offset: -1 }]) {
      const { body } = await gql(h.url, print(PictureModelingJobs), variables);
      expect(body.data.pictureModelingJobs).toMatchObject({ __typename: 'MssError', errorCode: 'MSS.00000003', origin: 'GATEWAY', httpStatus: 400 });
    }
    expect(h.emulator.countReceived('ListPictureModelingJobs')).toBe(0);
  });

  it('pictureModelingStyles lists the system styles; an upstream failure is an MssError', async () => {
    const query = '{ pictureModelingStyles { __typename ... on StyleList { styles { styleId name sex tags } } ... on MssError { errorCode httpStatus origin } } }';
    const ok = await gql(h.url, query);
    expect(ok.body.data.pictureModelingStyles.styles.map((s: { styleId: string }) => s.styleId)).toEqual([
      'system_male_001',
      'system_female_001',
      'system_male_002',
      'system_female_002',
    ]);
    h.emulator.addFault({ operation: 'ListStyles', status: 403, body: { error_code: 'MSS.00000005', error_msg: 'Forbidden' }, times: 3 });
    const failed = await gql(h.url, query);
    expect(failed.body.data.pictureModelingStyles).toEqual({ __typename: 'MssError', errorCode: 'MSS.00000005', httpStatus: 403, origin: 'UPSTREAM' });
  });
});

describe('modelAsset is batched through ListAssetSummary', () => {
  function pagesQuery(total: number): string {
    const fields: string[] = [];
    for (let offset = 0; offset < total; offset += 100) {
      fields.push(
        `p${offset}: pictureModelingJobs(offset: ${offset}, limit: ${Math.min(100, total - offset)}) { ... on PictureModelingJobList { jobs { jobId modelAsset { assetId assetState } } } }`,
      );
    }
    return `{ ${fields.join(' ')} }`;
  }

  for (const n of [1, 5, 100, 250]) {
    it(`${n} jobs -> ${Math.ceil(n / 100)} asset call(s), each of at most 100 ids`, async () => {
      const { body } = await gql(h.url, pagesQuery(n));
      const jobs = Object.values(body.data).flatMap((page: any) => page.jobs);
      expect(jobs).toHaveLength(n);
      expect(jobs.every((j: any) => j.modelAsset?.assetId)).toBe(true);
      const calls = h.emulator.calls.filter((c) => c.operation === 'ListAssetSummary');
      expect(calls).toHaveLength(Math.ceil(n / 100));
      expect(calls.every((c) => (c.body as { ids: string[] }).ids.length <= 100)).toBe(true);
      expect(calls.reduce((sum, c) => sum + (c.body as { ids: string[] }).ids.length, 0)).toBe(n);
    });
  }

  it('one failed asset lookup does not fail the other jobs in the response', async () => {
    // The first chunk of ids fails upstream; the second succeeds.
    h.emulator.addFault({ operation: 'ListAssetSummary', status: 500, body: { error_code: 'MSS.00000004', error_msg: 'Internal Error' } });
    const { body } = await gql(h.url, pagesQuery(150));
    const pages = Object.values(body.data) as any[];
    const jobs = pages.flatMap((p) => p.jobs);
    expect(jobs).toHaveLength(150);
    const withAsset = jobs.filter((j) => j.modelAsset);
    const without = jobs.filter((j) => !j.modelAsset);
    expect(withAsset.length + without.length).toBe(150);
    expect(without.length).toBeGreaterThan(0);
    expect(withAsset.length).toBeGreaterThan(0);
    expect(body.errors.every((e: any) => e.path.at(-1) === 'modelAsset')).toBe(true);
  });

  it('an asset upstream does not know is null, without an error', async () => {
    h.emulator.addFault({ operation: 'ListAssetSummary', status: 200, body: { asset_list: [] } });
    const { body } = await gql(h.url, print(PictureModelingJob), { jobId: jobIds[40] });
    expect(body.data.pictureModelingJob.modelAsset).toBeNull();
    expect(body.errors).toBeUndefined();
  });
});

describe('query safety', () => {
  it(`more than ${QUERY_LIMITS.maxAliases} aliases is refused`, async () => {
    const aliases = Array.from({ length: QUERY_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: pictureModelingStyles { __typename }`).join(' ');
    const { body } = await gql(h.url, `{ ${aliases} }`);
    expect(body.errors[0].message).toMatch(/alias/i);
    expect(body.data).toBeUndefined();
    expect(h.emulator.countReceived('ListStyles')).toBe(0);
  });

  it(`depth over ${QUERY_LIMITS.maxDepth} is refused`, async () => {
    // The schema has no cycles, so depth is reached through nested fragments.
    let selection = 'pictureModelingStyles { __typename }';
    for (let i = 0; i < QUERY_LIMITS.maxDepth + 1; i++) selection = `... on Query { ${selection} }`;
    const { body } = await gql(h.url, `{ ${selection} }`);
    expect(body.errors[0].message).toMatch(/depth/i);
    expect(h.emulator.countReceived('ListStyles')).toBe(0);
  });

  it('an over-cost query is refused', async () => {
    const fields = Array.from({ length: QUERY_LIMITS.maxAliases }, (_, i) => `q${i}: pictureModelingJobs(limit: 100) { ... on PictureModelingJobList { jobs { jobId state name styleId modelAssetId modelCoverUrl startTime endTime errorInfo { errorCode errorMsg } modelAsset { assetId assetName assetState assetType coverUrl thumbnailUrl } } } }`);
    const { body } = await gql(h.url, `{ ${fields.join(' ')} }`);
    expect(body.errors[0].message).toMatch(/cost limit/i);
    expect(h.emulator.countReceived('ListPictureModelingJobs')).toBe(0);
  });

  it(`more than ${QUERY_LIMITS.maxBatch} batched operations is refused`, async () => {
    const batch = Array.from({ length: QUERY_LIMITS.maxBatch + 1 }, () => ({ query: '{ __typename }' }));
    const res = await fetch(`${h.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
    expect(res.status).toBe(413);
    const ok = await fetch(`${h.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch.slice(1)) });
    expect(((await ok.json()) as unknown[]).length).toBe(QUERY_LIMITS.maxBatch);
  });

  it('introspection can be switched off', async () => {
    const closed = await startHarness({ env: { GRAPHQL_INTROSPECTION: 'false' }, sharedEmulator: h.emulator });
    try {
      const { body } = await gql(closed.url, '{ __schema { types { name } } }');
      expect(body.errors[0].message).toMatch(/introspection/i);
      expect((await gql(closed.url, '{ __typename }')).body.data.__typename).toBe('Query');
    } finally {
      await closed.close();
    }
  });
});

describe('typed documents from codegen, end to end', () => {
  it('upload -> created -> completion', async () => {
    const { body } = await uploadPhoto(h.url, { file: makePng(256, 256), query: print(CreatePictureModelingJob), input: { name: 'typed-e2e' } });
    const created = body.data.createPictureModelingJob;
    expect(created.__typename).toBe('PictureModelingJobCreated');
    const client = wsClient(h.wsUrl);
    const sub = subscribe(client, { jobId: created.jobId }, print(PictureModelingJobCompleted));
    h.emulator.world.complete(created.jobId);
    await sub.done;
    expect(sub.events[0].data.pictureModelingJobCompleted).toMatchObject({ jobId: created.jobId, state: 'SUCCEED', modelAssetId: created.modelAssetId });
    await client.dispose();
  });
});
