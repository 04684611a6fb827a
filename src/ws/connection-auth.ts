/**
 * graphql-ws connection_init: authenticate the credentials in its payload, claim the
 * principal's share of connections, and close with 4403 when the credentials expire.
 * Refused credentials close with 4403 too.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CloseCode, type ServerOptions } from 'graphql-ws';
import type { WebSocket } from 'ws';
import type { Principal } from '../auth/authenticator.js';
import { msUntil } from '../auth/use-credential-expiry.js';
import type { Gateway } from '../gateway.js';
import type { ConnectionLimit } from '../http/connection-limit.js';
import { TRY_AGAIN_LATER, type SocketShare } from './upgrade-gate.js';

/** What graphql-ws carries for a socket: its request, and who it is once authenticated. */
export interface SocketExtra extends Record<PropertyKey, unknown> {
  request: IncomingMessage;
  socket: WebSocket;
  principal?: Principal;
  connectionId?: string;
}

export function authenticateConnections(deps: {
  authenticator: Gateway['authenticator'];
  metrics: Gateway['services']['metrics'];
  accessLog: Gateway['accessLog'];
  connections: ConnectionLimit;
  shareOf: (socket: WebSocket) => SocketShare | undefined;
}): NonNullable<ServerOptions<Record<string, unknown> | undefined, SocketExtra>['onConnect']> {
  const { authenticator, metrics, accessLog, connections } = deps;
  return async (ctx) => {
    // Its connection_init came: no longer a stranger that may be evicted (it is judged now).
    const held = deps.shareOf(ctx.extra.socket);
    held?.settleStranger();
    const params = ctx.connectionParams ?? {};
    const pick = (...names: string[]) => {
      for (const name of names) if (typeof params[name] === 'string') return params[name] as string;
      return undefined;
    };
    const result = await authenticator.authenticate({ authorization: pick('authorization', 'Authorization'), apiKey: pick('x-api-key', 'X-Api-Key') });
    if (!result.ok) {
      metrics.refusals.inc({ reason: 'unauthenticated' });
      return false; // 4403 Forbidden
    }
    if (held && held.principal === undefined) {
      if (!connections.claim(result.principal.id)) {
        // Not 4403: the credentials are fine, the principal holds its share of connections.
        ctx.extra.socket.close(TRY_AGAIN_LATER, 'Too many connections for this principal');
        return false;
      }
      held.principal = result.principal.id;
    }
    ctx.extra.principal = result.principal;
    accessLog.notePrincipal(ctx.extra.request, result.principal.id);
    ctx.extra.connectionId = randomUUID();
    const expiresAt = result.principal.expiresAt;
    if (expiresAt !== undefined) {
      const socket = ctx.extra.socket;
      const timer = setTimeout(() => socket.close(CloseCode.Forbidden, 'Forbidden: credentials expired'), msUntil(expiresAt));
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    }
    return true;
  };
}
