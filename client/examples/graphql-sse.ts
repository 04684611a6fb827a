import { createClient } from 'graphql-sse';

// Distinct connections mode: one event stream per subscription.
export function createSseClient(url: string, token: string) {
  return createClient({ url, headers: { authorization: `Bearer ${token}` } });
}
