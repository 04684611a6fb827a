/**
 * MAX_CONNECTIONS_PER_PRINCIPAL for SSE: a server-sent event stream takes one of its
 * principal's connection slots once authentication has named the principal, and gives it
 * back when the response closes. (The instance-wide MAX_CONNECTIONS is taken by the server
 * before any of this; graphql-ws claims its slots in src/ws/.)
 */
import type { ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import type { Principal } from '../auth/authenticator.js';
import { tooManyConnectionsBody, type ConnectionLimit } from './connection-limit.js';

export const isEventStreamRequest = (accept: string | null | undefined) => (accept ?? '').includes('text/event-stream');

/** After useAuthentication: it needs the principal. */
export function useStreamShare(connections: ConnectionLimit, perPrincipal: number): Plugin {
  return {
    onRequestParse({ request, serverContext, endResponse, fetchAPI }) {
      const { principal, res } = serverContext as { principal?: Principal; res?: ServerResponse };
      if (!principal || !isEventStreamRequest(request.headers.get('accept'))) return;
      if (!connections.claim(principal.id)) {
        return endResponse(
          new fetchAPI.Response(tooManyConnectionsBody(`You already hold ${perPrincipal} subscription connections on this instance; close one first`), {
            status: 429,
            headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': '5' },
          }),
        );
      }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        connections.unclaim(principal.id);
      };
      if (res) res.once('close', release);
      else request.signal.addEventListener('abort', release, { once: true });
    },
  };
}
