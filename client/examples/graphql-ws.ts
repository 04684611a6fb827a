import { createClient, type Client } from 'graphql-ws';

export function createWsClient(url: string, token: string): Client {
  return createClient({ url, connectionParams: { authorization: `Bearer ${token}` } });
}

/**
 * Every state change of the caller's jobs. Keep the last cursor; subscribing again with
 * it (after a reconnect, a reload) replays what was missed, exactly once, then goes live.
 */
export function followJobs(client: Client, after: string | undefined, onEvent: (event: { cursor: string; job: { jobId: string; state: string } }) => void) {
  return client.subscribe<{ pictureModelingJobUpdated: { cursor: string; job: { jobId: string; state: string } } }>(
    { query: 'subscription($after: String) { pictureModelingJobUpdated(after: $after) { cursor job { jobId state } } }', variables: { after } },
    { next: ({ data }) => data && onEvent(data.pictureModelingJobUpdated), error: console.error, complete: () => {} },
  );
}
