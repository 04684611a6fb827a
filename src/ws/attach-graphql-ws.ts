/**
 * graphql-ws on the gateway's HTTP server, through Yoga's documented envelop integration
 * (the same plugins, limits and context as HTTP). The upgrade is checked first: the path,
 * the browser Origin (cross-site WebSocket hijacking), MAX_CONNECTIONS. Credentials come
 * in connection_init; refused or expired ones close the socket with 4403. Anything that
 * goes wrong in one operation is an `error` message for that operation only.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, parse, validate, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { createWriteBatcher } from './batch-writes.js';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../auth/authenticator.js';
import type { GatewayConfig } from '../config.js';
import { GRAPHQL_ENDPOINT, type Gateway } from '../gateway.js';
import { isAllowedSocketOrigin } from '../http/cors.js';
import { documentIdOf, ONLY_TRUSTED_MESSAGE } from '../http/trusted-documents.js';
import type { ConnectionLimit } from '../http/connection-limit.js';
import type { GraphQLContext } from '../schema/context.js';
import { broadcastKey } from '../schema/subscription.js';
import { closeCodeOf, webSocketReportingClientFaults } from './report-client-faults.js';
import { createSubscriptionSharing } from './share-subscriptions.js';

/** Like an HTTP body: a bigger graphql-ws message is refused by ws itself (close 1009). */
export const MAX_WS_MESSAGE_BYTES = 1024 * 1024;
/** setTimeout cannot wait longer than this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface EnvelopRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

interface SocketShare {
  /** No longer a stranger (authenticated, or gone). */
  settleStranger: () => void;
  /** The principal whose connection share it holds. */
  principal: string | undefined;
}

/** RFC 6455 1013: the server is overloaded for this client; it may retry later. */
const TRY_AGAIN_LATER = 1013;

interface Extra extends Record<PropertyKey, unknown> {
  request: IncomingMessage;
  socket: WebSocket;
  principal?: Principal;
  connectionId?: string;
}

export interface AttachedGraphQLWs {
  wss: WebSocketServer;
  /** 1001 Going Away to every client (they reconnect, possibly elsewhere). */
  goingAway(): void;
  terminate(): void;
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
}

const asErrors = (error: unknown): GraphQLError[] =>
  error instanceof GraphQLError ? [error] : [new GraphQLError(error instanceof Error ? error.message : 'The operation could not be run')];

export function attachGraphQLWs(
  server: Server,
  gateway: Gateway,
  options: { config: GatewayConfig; connections: ConnectionLimit; ownOrigins: () => string[] },
): AttachedGraphQLWs {
  const { yoga, authenticator } = gateway;
  const { metrics, log } = gateway.services;
  const { config, connections } = options;
  const { accessLog } = gateway;
  /** What each socket holds of the connection shares, given back when it closes. */
  const shares = new WeakMap<WebSocket, SocketShare>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WS_MESSAGE_BYTES,
    WebSocket: webSocketReportingClientFaults((ws, fault) =>
      fault.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
        ? accessLog.refused(ws, 'ws_message_too_large', { closeCode: closeCodeOf(fault), limitBytes: MAX_WS_MESSAGE_BYTES })
        : accessLog.refused(ws, 'ws_protocol_error', { closeCode: closeCodeOf(fault), code: fault.code }),
    ),
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, reason: string) => {
      accessLog.upgradeRefused(req, status);
      refuseUpgrade(socket, status, reason);
    };
    const pathname = new URL(req.url ?? '/', 'http://gateway').pathname;
    if (pathname !== GRAPHQL_ENDPOINT) return refuse(404, 'Not Found');
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    if (!isAllowedSocketOrigin(origin, options.ownOrigins(), config.corsOrigins)) {
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

  const sharing = createSubscriptionSharing({
    subscribe: (args) => (args.rootValue as EnvelopRoot).subscribe(args) as never,
    keyOf: (args) => (args.contextValue as { shareKey?: string }).shareKey,
    onExtraJoin: () => metrics.activeSubscriptions.inc(),
    onExtraLeave: () => metrics.activeSubscriptions.dec(),
  });

  /** An operation's failure, reported for that operation and logged once, never a dead socket. */
  const failed = (error: unknown, operation: string): ExecutionResult => {
    if (!(error instanceof GraphQLError)) log.error({ err: error, operation }, 'graphql-ws operation failed');
    return { errors: error instanceof GraphQLError ? [error] : [new GraphQLError('Unexpected error.')] };
  };
  /**
   * A failing event stream (a stalled subscriber, a store gone) ends with one result that
   * carries the error. Not an async generator: its return() would wait for the next event,
   * and an unsubscribe must reach the source at once.
   */
  function guarded(source: AsyncIterable<ExecutionResult>): AsyncIterableIterator<ExecutionResult> {
    const iterator = source[Symbol.asyncIterator]();
    let finished = false;
    return {
      async next() {
        if (finished) return { value: undefined, done: true };
        try {
          return await iterator.next();
        } catch (error) {
          finished = true;
          return { value: failed(error, 'subscription'), done: false };
        }
      },
      async return() {
        finished = true;
        return (await iterator.return?.()) ?? { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  const batchWrites = createWriteBatcher();
  useServer<Record<string, unknown> | undefined, Extra>(
    {
      // No connection_init within this time: 4408, and the stranger's slot is free again.
      connectionInitWaitTimeout: config.security.connectionInitTimeoutMs,
      async onConnect(ctx) {
        // Its connection_init came: no longer a stranger that may be evicted (it is judged now).
        const held = shares.get(ctx.extra.socket);
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
          const timer = setTimeout(() => socket.close(CloseCode.Forbidden, 'Forbidden: credentials expired'), Math.max(0, Math.min(expiresAt - Date.now(), MAX_TIMER_MS)));
          timer.unref();
          socket.once('close', () => clearTimeout(timer));
        }
        return true;
      },
      execute: async (args) => {
        try {
          return (await (args.rootValue as EnvelopRoot).execute(args)) as never;
        } catch (error) {
          return failed(error, 'execute') as never;
        }
      },
      // Thousands of identical all-jobs subscriptions run as one execution per event.
      subscribe: async (args) => {
        try {
          const result = await sharing.subscribe(args);
          return (Symbol.asyncIterator in (result as object) ? guarded(result as AsyncIterable<ExecutionResult>) : result) as never;
        } catch (error) {
          return failed(error, 'subscribe') as never;
        }
      },
      // Called just before each message of a subscription is sent.
      onNext: (ctx) => batchWrites(ctx.extra.request.socket),
      onSubscribe: async (ctx, id, payload) => {
        // graphql-ws reserves the new operation's id before onSubscribe: it is counted here too.
        if (Object.keys(ctx.subscriptions).length > config.limits.maxSubscriptionsPerConnection) {
          metrics.refusals.inc({ reason: 'too_many_subscriptions' });
          return [new GraphQLError(`At most ${config.limits.maxSubscriptionsPerConnection} operations may run at once on one connection`, { extensions: { code: 'TOO_MANY_OPERATIONS' } })];
        }
        // Trusted documents: an id names the operation (any text sent along is ignored); with TRUSTED_DOCUMENTS_ONLY an id is required.
        let query = payload.query;
        const documentId = documentIdOf(payload as { documentId?: unknown; extensions?: unknown });
        if (documentId) {
          const trusted = gateway.trustedDocuments.get(documentId);
          if (!trusted) return [new GraphQLError('Unknown documentId: not a trusted document of this gateway', { extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } })];
          query = trusted;
        } else if (gateway.trustedDocuments.only) {
          return [new GraphQLError(ONLY_TRUSTED_MESSAGE, { extensions: { code: 'PERSISTED_QUERY_ONLY' } })];
        }
        try {
          const enveloped = yoga.getEnveloped({
            ...ctx,
            req: ctx.extra.request,
            socket: ctx.extra.socket,
            params: payload,
            principal: ctx.extra.principal,
            requestId: `${ctx.extra.connectionId ?? 'ws'}:${id}`,
          });
          const document = (enveloped.parse ?? parse)(query);
          const errors = (enveloped.validate ?? validate)(enveloped.schema, document);
          if (errors.length) return errors;
          const context = (await enveloped.contextFactory()) as unknown as GraphQLContext;
          const shareKey = broadcastKey(document, payload.operationName, payload.variables, query, context.principal);
          const args: ExecutionArgs = {
            schema: enveloped.schema,
            operationName: payload.operationName ?? null,
            document,
            variableValues: payload.variables ?? null,
            contextValue: { ...context, shareKey },
            rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
          };
          return args;
        } catch (error) {
          // A query-limit violation (graphql-armor throws) or a parse error: this operation only.
          return asErrors(error);
        }
      },
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
