/**
 * Authenticates every request that reaches GraphQL parsing over HTTP (POST, GET,
 * multipart, SSE, multipart subscriptions), whatever its path: the decision sits in
 * Yoga's `onRequestParse`, which every request bound for execution passes and no other
 * route does, so no path variant can route around it. It runs before the body is read:
 * a refused request runs nothing and sends nothing upstream. The principal rides on the
 * server context, where the GraphQL context factory picks it up.
 */
import type { Plugin } from 'graphql-yoga';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Authenticator, Principal } from './authenticator.js';
import { errorBody } from '../http/error-body.js';

export interface AuthenticatedServerContext {
  principal?: Principal;
}

export function unauthenticatedResponse(reason: string, ResponseImpl: typeof Response): Response {
  return new ResponseImpl(errorBody(`Unauthenticated: ${reason}`, 'UNAUTHENTICATED'), {
    status: 401,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'www-authenticate': `Bearer realm="metastudio-gateway", error="invalid_token"`,
      'cache-control': 'no-store',
    },
  });
}

/** Must come before every plugin whose onRequestParse reads or parses the body (uploads, body limit). */
export function useAuthentication(auth: Authenticator, options: { metrics: GatewayMetrics }): Plugin {
  const { metrics } = options;
  return {
    async onRequestParse({ request, serverContext, endResponse, fetchAPI }) {
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
