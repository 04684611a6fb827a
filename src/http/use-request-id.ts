/**
 * Every response carries X-Request-Id: the caller's well-formed one (a load balancer's),
 * or a new one. It rides on the server context into the GraphQL context and every log line.
 */
import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

export interface RequestIdServerContext {
  requestId?: string;
}

export function useRequestId(): Plugin {
  const ids = new WeakMap<Request, string>();
  const idOf = (request: Request) => {
    let id = ids.get(request);
    if (!id) {
      const given = request.headers.get('x-request-id');
      id = given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
      ids.set(request, id);
    }
    return id;
  };
  return {
    onRequest({ request, serverContext }) {
      (serverContext as RequestIdServerContext).requestId = idOf(request);
    },
    // Also for answers given before this plugin's onRequest ran (/health).
    onResponse({ request, response }) {
      response.headers.set('X-Request-Id', idOf(request));
    },
  };
}
