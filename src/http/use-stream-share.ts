/**
 * MAX_CONNECTIONS_PER_PRINCIPAL for SSE: a server-sent event stream takes one of its
 * principal's connection slots once authentication has named the principal, and gives it
 * back when the response closes. (The instance-wide MAX_CONNECTIONS is taken by the server
 * before any of this; graphql-ws claims its slots in src/ws/.)
 */
import type { ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import type { Principal } from '../auth/authenticator.js';
import type { ConnectionLimit } from './connection-limit.js';
import { errorBody } from './error-body.js';

export const isEventStreamRequest = (accept: string | null | undefined) => (accept ?? '').includes('text/event-stream');

/** After useAuthentication: it needs the principal. */
export function useStreamShare(connections: ConnectionLimit, perPrincipal: number): Plugin {
  return {
    onRequestParse({ request, serverContext, endResponse, fetchAPI }) {
      const { principal, res } = serverContext as { principal?: Principal; res?: ServerResponse };
      if (!principal || !isEventStreamRequest(request.headers.get('accept'))) return;
      if (!connections.claim(principal.id)) {
        return endResponse(
          new fetchAPI.Response(errorBody(`You already hold ${perPrincipal} subscription connections on this instance; close one first`, 'TOO_MANY_CONNECTIONS'), {
            status: 429,
            headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': '5' },
          }),
        );
      }
      // Exactly one of the two is listened to, once: the share is given back once.
      const release = () => connections.unclaim(principal.id);
      if (res) res.once('close', release);
      else request.signal.addEventListener('abort', release, { once: true });
    },
  };
}
