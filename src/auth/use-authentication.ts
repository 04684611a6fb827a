/**
 * Authenticates every GraphQL request over HTTP (POST, GET, multipart, SSE) before its
 * body is read: a refused request runs nothing and sends nothing upstream. The principal
 * rides on the server context, where the GraphQL context factory picks it up.
 */
import type { Plugin } from 'graphql-yoga';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Authenticator, Principal } from './authenticator.js';

export interface AuthenticatedServerContext {
  principal?: Principal;
}

/** GraphiQL's own page is static and needs no credentials: Yoga serves it for any browser GET that accepts HTML. */
function isGraphiQLPage(request: Request): boolean {
  return request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');
}

export function unauthenticatedResponse(reason: string, ResponseImpl: typeof Response): Response {
  return new ResponseImpl(JSON.stringify({ errors: [{ message: `Unauthenticated: ${reason}`, extensions: { code: 'UNAUTHENTICATED' } }] }), {
    status: 401,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'www-authenticate': `Bearer realm="metastudio-gateway", error="invalid_token"`,
      'cache-control': 'no-store',
    },
  });
}

export function useAuthentication(auth: Authenticator, options: { graphqlEndpoint: string; graphiql: boolean; metrics: GatewayMetrics }): Plugin {
  const { graphqlEndpoint, graphiql, metrics } = options;
  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (url.pathname !== graphqlEndpoint || request.method === 'OPTIONS' || (graphiql && isGraphiQLPage(request))) return;
      const result = await auth.authenticate({
        authorization: request.headers.get('authorization'),
        apiKey: request.headers.get('x-api-key'),
      });
      if (!result.ok) {
        metrics.refusals.inc({ reason: 'unauthenticated' });
        return endResponse(unauthenticatedResponse(result.reason, fetchAPI.Response));
      }
      (serverContext as AuthenticatedServerContext).principal = result.principal;
    },
  };
}
