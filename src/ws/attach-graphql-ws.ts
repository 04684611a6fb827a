/**
 * graphql-ws on the gateway's HTTP server: the composition. The upgrade gate decides which
 * sockets get in (upgrade-gate.ts), connection_init authenticates them (connection-auth.ts),
 * and each operation runs through Yoga's envelop (envelop-bridge.ts). Here: the ws server
 * and its message limit, write batching, and shutdown.
 */
import type { Server } from 'node:http';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { GatewayConfig } from '../config.js';
import type { Gateway } from '../gateway.js';
import type { ConnectionLimit } from '../http/connection-limit.js';
import { createWriteBatcher } from './batch-writes.js';
import { authenticateConnections, type SocketExtra } from './connection-auth.js';
import { bridgeEnvelop } from './envelop-bridge.js';
import { closeCodeOf, webSocketReportingClientFaults } from './report-client-faults.js';
import { gateUpgrades } from './upgrade-gate.js';

/** Like an HTTP body: a bigger graphql-ws message is refused by ws itself (close 1009). */
export const MAX_WS_MESSAGE_BYTES = 1024 * 1024;

export interface AttachedGraphQLWs {
  wss: WebSocketServer;
  /** 1001 Going Away to every client (they reconnect, possibly elsewhere). */
  goingAway(): void;
  terminate(): void;
}

export function attachGraphQLWs(
  server: Server,
  gateway: Gateway,
  options: { config: GatewayConfig; connections: ConnectionLimit; ownOrigins: () => string[] },
): AttachedGraphQLWs {
  const { authenticator, accessLog } = gateway;
  const { metrics } = gateway.services;
  const { config, connections } = options;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WS_MESSAGE_BYTES,
    WebSocket: webSocketReportingClientFaults((ws, fault) =>
      fault.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
        ? accessLog.refused(ws, 'ws_message_too_large', { closeCode: closeCodeOf(fault), limitBytes: MAX_WS_MESSAGE_BYTES })
        : accessLog.refused(ws, 'ws_protocol_error', { closeCode: closeCodeOf(fault), code: fault.code }),
    ),
  });
  const shareOf = gateUpgrades(server, wss, { accessLog, metrics, config, connections, ownOrigins: options.ownOrigins });
  const batchWrites = createWriteBatcher();
  useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      // No connection_init within this time: 4408, and the stranger's slot is free again.
      connectionInitWaitTimeout: config.security.connectionInitTimeoutMs,
      onConnect: authenticateConnections({ authenticator, metrics, accessLog, connections, shareOf }),
      ...bridgeEnvelop(gateway, config),
      // Called just before each message of a subscription is sent.
      onNext: (ctx) => batchWrites(ctx.extra.request.socket),
    },
    wss,
  );

  return {
    wss,
    goingAway() {
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      wss.close();
    },
    terminate() {
      for (const client of wss.clients) client.terminate();
    },
  };
}
