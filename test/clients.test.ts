/**
 * What Apollo Client, urql and graphql-sse users do, with those libraries: a watched job
 * query in Apollo's default InMemoryCache updates by itself when the completion arrives
 * (PictureModelingJob.id), and urql and graphql-sse run queries and subscriptions.
 */
import { ApolloClient, HttpLink, InMemoryCache, split } from '@apollo/client/core';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { Client as UrqlClient, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createSseClient } from 'graphql-sse';
import { pipe, subscribe as subscribeWonka } from 'wonka';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PictureModelingJob, PictureModelingJobCompleted, PictureModelingStyles } from '../client/operations.js';
import { startHarness, waitFor, type Harness } from './support/harness.js';
import { makePng } from './support/images.js';
import { uploadPhoto } from './support/multipart.js';
import { wsClient } from './support/subscriptions.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ emulator: { jobDurationMs: 3_600_000 } });
});
afterAll(async () => {
  await h.close();
});

async function createJob(): Promise<string> {
  const { body } = await uploadPhoto(h.url, { file: makePng(64, 64) });
  return body.data.createPictureModelingJob.jobId;
}

describe('Apollo Client 3 with its default InMemoryCache', () => {
  it('a watched job query updates when the subscription delivers the completion', async () => {
    const ws = wsClient(h.wsUrl, { lazy: true });
    const link = split(
      ({ query }) => {
        const definition = getMainDefinition(query);
        return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
      },
      new GraphQLWsLink(ws),
      new HttpLink({ uri: `${h.url}/graphql`, fetch }),
    );
    const client = new ApolloClient({ link, cache: new InMemoryCache() });
    const jobId = await createJob();
    const states: string[] = [];
    const watched = client.watchQuery({ query: PictureModelingJob, variables: { jobId } }).subscribe(({ data }) => {
      const job = data?.pictureModelingJob;
      if (job?.__typename === 'PictureModelingJob') states.push(job.state);
    });
    await waitFor(() => states.includes('WAITING'));
    const completion = client.subscribe({ query: PictureModelingJobCompleted, variables: { jobId } }).subscribe({});
    await new Promise((r) => setTimeout(r, 200));
    h.emulator.world.complete(jobId);
    // No refetch and no cache configuration: the normalized PictureModelingJob:<id> entry moved.
    await waitFor(() => states.at(-1) === 'SUCCEED');
    expect(h.emulator.countReceived('ShowPictureModelingJob')).toBeGreaterThan(0);
    watched.unsubscribe();
    completion.unsubscribe();
    client.stop();
    await ws.dispose();
  });
});

describe('urql', () => {
  it('runs a query over HTTP and a subscription over graphql-ws', async () => {
    const ws = wsClient(h.wsUrl, { lazy: true });
    const client = new UrqlClient({
      url: `${h.url}/graphql`,
      exchanges: [
        cacheExchange,
        fetchExchange,
        subscriptionExchange({
          forwardSubscription: (request) => ({
            subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink as Parameters<typeof ws.subscribe>[1]) }),
          }),
        }),
      ],
    });
    const styles = await client.query(PictureModelingStyles, {}).toPromise();
    expect(styles.data?.pictureModelingStyles.__typename).toBe('StyleList');
    const jobId = await createJob();
    const events: unknown[] = [];
    const { unsubscribe } = pipe(
      client.subscription(PictureModelingJobCompleted, { jobId }),
      subscribeWonka((result) => events.push(result.data?.pictureModelingJobCompleted ?? result.error?.message)),
    );
    await new Promise((r) => setTimeout(r, 200));
    h.emulator.world.complete(jobId);
    await waitFor(() => events.length > 0);
    // urql's document cache may re-emit the same result: every emission is this completion.
    expect(events.every((e) => (e as { id: string; state: string }).id === jobId && (e as { state: string }).state === 'SUCCEED')).toBe(true);
    unsubscribe();
    await ws.dispose();
  });
});

describe('graphql-sse (distinct connections mode)', () => {
  it('subscribes over server-sent events', async () => {
    const client = createSseClient({ url: `${h.url}/graphql` });
    const jobId = await createJob();
    const events: any[] = [];
    const done = new Promise<void>((resolve, reject) => {
      client.subscribe({ query: print(PictureModelingJobCompleted), variables: { jobId } }, { next: (v) => events.push(v), error: reject, complete: resolve });
    });
    await new Promise((r) => setTimeout(r, 200));
    h.emulator.world.complete(jobId);
    await done;
    expect(events[0].data.pictureModelingJobCompleted).toMatchObject({ jobId, state: 'SUCCEED' });
    client.dispose();
  });
});
