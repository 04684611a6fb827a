/**
 * The README's "Clients" section, run as written: every set-up there is a file in
 * client/examples/ that the README quotes verbatim (checked below) and these tests use
 * against a real gateway, with the client libraries at their current releases as dev
 * dependencies. A release of theirs that breaks a set-up breaks this file.
 */
import { readFileSync } from 'node:fs';
import { print } from 'graphql';
import { SignJWT } from 'jose';
import { pipe, subscribe as subscribeWonka } from 'wonka';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApolloClient } from '../client/examples/apollo-client.js';
import { createApolloHttpClient } from '../client/examples/apollo-client-http-only.js';
import { graphqlFetch, uploadPhoto as fetchUpload } from '../client/examples/fetch.js';
import { createSseClient } from '../client/examples/graphql-sse.js';
import { createWsClient, followJobs } from '../client/examples/graphql-ws.js';
import { createUrqlClient } from '../client/examples/urql.js';
import { CreatePictureModelingJob, PictureModelingJob, PictureModelingJobCompleted, PictureModelingJobUpdated, PictureModelingStyles } from '../client/operations.js';
import { startHarness, waitFor, type Harness } from './support/harness.js';
import { makePng } from './support/images.js';
import { opened } from './support/subscriptions.js';

// Node 22 and later have a global WebSocket, which graphql-ws uses by default; Node 20 does not.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const SECRET = 'clients-test-secret-0123456789-abcdef';
let h: Harness;
let token: string;
let httpUrl: string;
beforeAll(async () => {
  h = await startHarness({ emulator: { jobDurationMs: 3_600_000 }, env: { AUTH_JWT_SECRET: SECRET } });
  token = await new SignJWT({ sub: 'frontend-dev' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));
  httpUrl = `${h.url}/graphql`;
});
afterAll(async () => {
  await h.close();
});

const photo = () => new File([new Uint8Array(makePng(64, 64))], 'face.png', { type: 'image/png' });
const input = (name: string) => ({ file: photo(), styleId: 'system_female_001', name: `${name}-${Math.random().toString(36).slice(2)}` });
const finish = (jobId: string) => {
  h.emulator.world.force(jobId, 'SUCCEED');
  return h.gateway.services.jobs.refresh(jobId);
};

describe('the README quotes the tested set-ups verbatim', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const file of ['apollo-client.ts', 'apollo-client-http-only.ts', 'urql.ts', 'graphql-sse.ts', 'graphql-ws.ts', 'fetch.ts']) {
    it(`client/examples/${file}`, () => {
      const code = readFileSync(new URL(`../client/examples/${file}`, import.meta.url), 'utf8');
      expect(readme).toContain(`\`\`\`ts\n${code}\`\`\``);
    });
  }
});

describe('Apollo Client 4 with UploadHttpLink and GraphQLWsLink (ApolloLink.split)', () => {
  it('query, upload, and a subscription that updates a watched query in the normalized cache', async () => {
    const client = createApolloClient(httpUrl, h.wsUrl, token);
    const styles = await client.query({ query: PictureModelingStyles });
    expect(styles.data?.pictureModelingStyles.__typename).toBe('StyleList');
    const created = await client.mutate({ mutation: CreatePictureModelingJob, variables: { input: input('apollo') } });
    const result = created.data!.createPictureModelingJob;
    if (result.__typename !== 'PictureModelingJobCreated') throw new Error(JSON.stringify(result));
    const jobId = result.jobId;
    const states: string[] = [];
    const watched = client.watchQuery({ query: PictureModelingJob, variables: { jobId } }).subscribe(({ data }) => {
      const job = data?.pictureModelingJob;
      if (job?.__typename === 'PictureModelingJob' && job.state) states.push(job.state);
    });
    await waitFor(() => states.includes('WAITING'));
    const completion = await opened(h.url, () => client.subscribe({ query: PictureModelingJobCompleted, variables: { jobId } }).subscribe({}));
    await finish(jobId);
    // No refetch and no cache configuration: the normalized PictureModelingJob:<id> entry moved.
    await waitFor(() => states.at(-1) === 'SUCCEED');
    watched.unsubscribe();
    completion.unsubscribe();
    client.stop();
  });
});

describe("Apollo Client 4's plain HttpLink", () => {
  it('query, and a subscription over multipart HTTP with no WebSocket link', async () => {
    const client = createApolloHttpClient(httpUrl, token);
    const styles = await client.query({ query: PictureModelingStyles });
    expect(styles.data?.pictureModelingStyles.__typename).toBe('StyleList');
    const created = await fetchUpload(httpUrl, token, photo(), 'system_female_001', `http-only-${Date.now()}`);
    const jobId = created.data.createPictureModelingJob.jobId as string;
    const states: string[] = [];
    let completed = false;
    const sub = client.subscribe({ query: PictureModelingJobUpdated, variables: { jobId } }).subscribe({
      next: ({ data }) => data && states.push(data.pictureModelingJobUpdated.job.state),
      complete: () => (completed = true),
    });
    await waitFor(() => states.length === 1);
    await finish(jobId);
    await waitFor(() => completed);
    expect(states).toEqual(['WAITING', 'SUCCEED']);
    sub.unsubscribe();
    client.stop();
  });
});

describe('urql with the CSRF header', () => {
  it('query, upload (a File variable), and a subscription over graphql-ws', async () => {
    const client = createUrqlClient(httpUrl, h.wsUrl, token);
    const styles = await client.query(PictureModelingStyles, {}).toPromise();
    expect(styles.data?.pictureModelingStyles.__typename).toBe('StyleList');
    const created = await client.mutation(CreatePictureModelingJob, { input: input('urql') }).toPromise();
    expect(created.error).toBeUndefined();
    const result = created.data!.createPictureModelingJob;
    if (result.__typename !== 'PictureModelingJobCreated') throw new Error(JSON.stringify(result));
    const events: Array<{ id: string; state: string }> = [];
    const { unsubscribe } = await opened(h.url, () =>
      pipe(
        client.subscription(PictureModelingJobCompleted, { jobId: result.jobId }),
        subscribeWonka((r) => r.data && events.push(r.data.pictureModelingJobCompleted)),
      ),
    );
    await finish(result.jobId);
    await waitFor(() => events.length > 0);
    // urql's document cache may re-emit the same result: every emission is this completion.
    expect(events.every((e) => e.id === result.jobId && e.state === 'SUCCEED')).toBe(true);
    unsubscribe();
  });
});

describe('graphql-sse (distinct connections mode)', () => {
  it('a subscription over server-sent events, with the token in a header', async () => {
    const client = createSseClient(httpUrl, token);
    const created = await fetchUpload(httpUrl, token, photo(), 'system_female_001', `sse-${Date.now()}`);
    const jobId = created.data.createPictureModelingJob.jobId as string;
    const events: any[] = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    await opened(h.url, () =>
      client.subscribe({ query: print(PictureModelingJobCompleted), variables: { jobId } }, { next: (v) => events.push(v), error: (e) => events.push(e), complete: resolveDone }),
    );
    await finish(jobId);
    await done;
    expect(events).toHaveLength(1);
    expect(events[0].data.pictureModelingJobCompleted).toMatchObject({ jobId, state: 'SUCCEED' });
    client.dispose();
  });
});

describe('graphql-ws', () => {
  it('follows every state change, and a new subscription with the last cursor replays what was missed, once', async () => {
    const client = createWsClient(h.wsUrl, token);
    const seen: Array<{ cursor: string; job: { jobId: string; state: string } }> = [];
    const stop = await opened(h.url, () => followJobs(client, undefined, (e) => seen.push(e)));
    const a = (await fetchUpload(httpUrl, token, photo(), 'system_female_001', `ws-a-${Date.now()}`)).data.createPictureModelingJob.jobId as string;
    await waitFor(() => seen.length === 1);
    stop();
    const b = (await fetchUpload(httpUrl, token, photo(), 'system_female_001', `ws-b-${Date.now()}`)).data.createPictureModelingJob.jobId as string;
    await finish(a);
    const resumed: typeof seen = [];
    followJobs(client, seen.at(-1)!.cursor, (e) => resumed.push(e));
    await waitFor(() => resumed.length === 2);
    expect(resumed.map((e) => `${e.job.jobId}:${e.job.state}`)).toEqual([`${b}:WAITING`, `${a}:SUCCEED`]);
    await client.dispose();
  });
});

describe('plain fetch', () => {
  it('a query as JSON and an upload as multipart', async () => {
    const styles = await graphqlFetch(httpUrl, token, '{ pictureModelingStyles { __typename } }');
    expect(styles.data.pictureModelingStyles.__typename).toBe('StyleList');
    const created = await fetchUpload(httpUrl, token, photo(), 'system_female_001', `fetch-${Date.now()}`);
    expect(created.data.createPictureModelingJob.__typename).toBe('PictureModelingJobCreated');
  });
});
