/**
 * Everything decided about a WebSocket upgrade before `handleUpgrade`: the path, the browser
 * Origin (cross-site WebSocket hijacking), MAX_CONNECTIONS; then, once upgraded, the
 * stranger's share a socket holds until its connection_init is accepted.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { GatewayConfig } from '../config.js';
import { GRAPHQL_ENDPOINT, type Gateway } from '../gateway.js';
import { isAllowedSocketOrigin } from '../http/cors.js';
import type { ConnectionLimit } from '../http/connection-limit.js';

/** RFC 6455 1013: the server is overloaded for this client; it may retry later. */
export const TRY_AGAIN_LATER = 1013;

/** What a socket holds of the connection shares, given back when it closes. */
export interface SocketShare {
  /** No longer a stranger (authenticated, or gone). */
  settleStranger: () => void;
  /** The principal whose connection share it holds. */
  principal: string | undefined;
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
}

/** Lets through to `wss` only the upgrades the gateway accepts; returns each socket's share. */
export function gateUpgrades(
  server: Server,
  wss: WebSocketServer,
  deps: {
    accessLog: Gateway['accessLog'];
    metrics: Gateway['services']['metrics'];
    config: GatewayConfig;
    connections: ConnectionLimit;
    ownOrigins: () => string[];
  },
): (socket: WebSocket) => SocketShare | undefined {
  const { accessLog, metrics, config, connections } = deps;
  const shares = new WeakMap<WebSocket, SocketShare>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, reason: string) => {
      accessLog.upgradeRefused(req, status);
      refuseUpgrade(socket, status, reason);
    };
    const pathname = new URL(req.url ?? '/', 'http://gateway').pathname;
    if (pathname !== GRAPHQL_ENDPOINT) return refuse(404, 'Not Found');
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    if (!isAllowedSocketOrigin(origin, deps.ownOrigins(), config.corsOrigins)) {
      metrics.refusals.inc({ reason: 'forbidden_origin' });
      return refuse(403, 'Forbidden');
    }
    if (!connections.tryOpen('ws')) return refuse(503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Until its connection_init is accepted a socket is a stranger's: strangers get a share, not every slot.
      const held: SocketShare = {
        settleStranger: connections.admitStranger(() => ws.close(TRY_AGAIN_LATER, 'Too many connections waiting to authenticate')),
        principal: undefined,
      };
      shares.set(ws, held);
      accessLog.webSocket(req, ws);
      ws.once('close', () => {
        held.settleStranger();
        if (held.principal !== undefined) connections.unclaim(held.principal);
        connections.close('ws');
      });
      wss.emit('connection', ws, req);
    });
  });
  return (ws) => shares.get(ws);
}
