/**
 * Relay: global object identification (Node, node, nodes) with PictureModelingJob.id =
 * jobId, scoped to the caller like every read, and a cursor connection of the caller's
 * jobs with the state filter (Pothos's relay plugin).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startHarness, tempDir, type Harness } from './support/harness.js';
import { writeApiKeys } from './support/identity.js';
import { makePng } from './support/images.js';
import { uploadPhoto } from './support/multipart.js';

let h: Harness;
let keys: Record<string, string>;
const as = (p: 'alice' | 'bob') => ({ 'x-api-key': keys[p]! });
const alices: string[] = [];
let bobs: string;
beforeAll(async () => {
  const api = writeApiKeys(tempDir(), ['alice', 'bob']);
  keys = api.keys;
  h = await startHarness({ emulator: { jobDurationMs: 3_600_000 }, env: { AUTH_API_KEYS_FILE: api.file } });
  const create = async (p: 'alice' | 'bob') => (await uploadPhoto(h.url, { file: makePng(64, 64), headers: as(p) })).body.data.createPictureModelingJob.jobId as string;
  for (let i = 0; i < 5; i++) alices.push(await create('alice'));
  bobs = await create('bob');
  // One of alice's jobs ends, for the state filter; terminal jobs are read from the store.
  h.emulator.world.force(alices[1]!, 'SUCCEED');
  await h.gateway.services.jobs.refresh(alices[1]!);
});
afterAll(async () => {
  await h.close();
});

const NODE = `query($id: ID!) { node(id: $id) { __typename id ... on PictureModelingJob { jobId state } } }`;
const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on PictureModelingJob { jobId } } }`;
const CONNECTION = `query($first: Int, $after: String, $last: Int, $before: String, $states: [PictureModelingJobState!]) {
  pictureModelingJobsConnection(first: $first, after: $after, last: $last, before: $before, states: $states) {
    edges { cursor node { id jobId state } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

describe('Relay global object identification', () => {
  it("node(id:) answers the caller's job, with id equal to jobId", async () => {
    const { body } = await gql(h.url, NODE, { id: alices[1] }, as('alice'));
    expect(body.errors).toBeUndefined();
    expect(body.data.node).toEqual({ __typename: 'PictureModelingJob', id: alices[1], jobId: alices[1], state: 'SUCCEED' });
  });

  it("another principal's job and an unknown id are both null, with no upstream call", async () => {
    const shows = h.emulator.countReceived('ShowPictureModelingJob');
    for (const id of [bobs, 'no-such-job']) {
      const { body } = await gql(h.url, NODE, { id }, as('alice'));
      expect(body).toEqual({ data: { node: null } });
    }
    expect(h.emulator.countReceived('ShowPictureModelingJob')).toBe(shows);
  });

  it('nodes(ids:) keeps the order and answers null where node would', async () => {
    const { body } = await gql(h.url, NODES, { ids: [alices[1], bobs, 'no-such-job', alices[1]] }, as('alice'));
    expect(body.errors).toBeUndefined();
    expect(body.data.nodes).toEqual([{ id: alices[1], jobId: alices[1] }, null, null, { id: alices[1], jobId: alices[1] }]);
  });
});

describe('pictureModelingJobsConnection', () => {
  const newestFirst = () => [...alices].reverse();

  it("walks the caller's jobs newest first with first/after, and only theirs", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const { body } = await gql(h.url, CONNECTION, { first: 2, after }, as('alice'));
      expect(body.errors).toBeUndefined();
      const conn = body.data.pictureModelingJobsConnection;
      seen.push(...conn.edges.map((e: any) => e.node.jobId));
      for (const e of conn.edges) expect(e.node.id).toBe(e.node.jobId);
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual(newestFirst());
  });

  it('last without before gives the oldest page; last/before walks back', async () => {
    const { body } = await gql(h.url, CONNECTION, { last: 2 }, as('alice'));
    const conn = body.data.pictureModelingJobsConnection;
    expect(conn.edges.map((e: any) => e.node.jobId)).toEqual(newestFirst().slice(3));
    expect(conn.pageInfo.hasPreviousPage).toBe(true);
    const back = await gql(h.url, CONNECTION, { last: 2, before: conn.pageInfo.startCursor }, as('alice'));
    expect(back.body.data.pictureModelingJobsConnection.edges.map((e: any) => e.node.jobId)).toEqual(newestFirst().slice(1, 3));
  });

  it('filters by state', async () => {
    const { body } = await gql(h.url, CONNECTION, { first: 10, states: ['SUCCEED'] }, as('alice'));
    expect(body.data.pictureModelingJobsConnection.edges.map((e: any) => e.node.jobId)).toEqual([alices[1]]);
    const bob = await gql(h.url, CONNECTION, { first: 10 }, as('bob'));
    expect(bob.body.data.pictureModelingJobsConnection.edges.map((e: any) => e.node.jobId)).toEqual([bobs]);
  });

  it('refuses a negative page size with a GraphQL error', async () => {
    const { body } = await gql(h.url, CONNECTION, { first: -1 }, as('alice'));
    expect(body.errors[0].message).toBe('Argument "first" must be a non-negative integer');
    expect(body.data).toBeNull();
  });
});
