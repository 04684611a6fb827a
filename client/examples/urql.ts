import { Client, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient } from 'graphql-ws';

export function createUrqlClient(httpUrl: string, wsUrl: string, token: string) {
  const ws = createClient({ url: wsUrl, connectionParams: { authorization: `Bearer ${token}` } });
  return new Client({
    url: httpUrl,
    // x-graphql-yoga-csrf is the CSRF header the gateway requires on uploads (urql sends File variables as multipart).
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}`, 'x-graphql-yoga-csrf': '1' } }),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({ subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink as Parameters<typeof ws.subscribe>[1]) }) }),
      }),
    ],
  });
}
