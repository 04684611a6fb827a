/**
 * The only module that knows node:http, ws and ports: binds a Gateway to a listening
 * server, with graphql-ws on /graphql, and shuts it down gracefully.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parse, validate, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Gateway } from './gateway.js';
import type { GraphQLContext } from './schema/context.js';
import { broadcastKey } from './schema/subscription.js';
import { createSubscriptionSharing } from './ws/share-subscriptions.js';

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  /** Stop accepting, let in-flight requests finish within `graceMs`, close websockets with 1001. */
  close(graceMs?: number): Promise<void>;
}

interface EnvelopRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

const socketIds = new WeakMap<object, string>();
/** A stable id per WebSocket connection, for the request id of its operations. */
function connectionId(socket: object): string {
  let id = socketIds.get(socket);
  if (!id) {
    id = randomUUID();
    socketIds.set(socket, id);
  }
  return id;
}

/** How long an unread request body is drained (and discarded) after answering, before the connection is cut. */
const DRAIN_AFTER_RESPONSE_MS = 5000;

export async function startServer(gateway: Gateway, options: { port: number; host: string }): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const inFlight = new Set<ServerResponse>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
    // Answering before the body has been read (a refused upload, a body over the limit):
    // the rest of the body would sit in front of the next request, so this connection
    // is not reused.
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
      if (!req.complete && !this.headersSent) this.setHeader('connection', 'close');
      return writeHead.apply(this, args);
    } as ServerResponse['writeHead'];
    res.on('finish', () => {
      // Answered before the body was read (a refused upload): stop parsing, discard what
      // is left for a while so the client sees the answer, then cut the connection.
      if (req.complete) return;
      const socket = req.socket as Socket | null;
      req.unpipe();
      req.resume();
      const timer = setTimeout(() => socket?.destroy(), DRAIN_AFTER_RESPONSE_MS);
      timer.unref();
      req.once('end', () => clearTimeout(timer));
      req.once('close', () => clearTimeout(timer));
    });
    gateway.handle(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const wss = new WebSocketServer({ server, path: '/graphql' });
  const yoga = gateway.yoga;
  const { metrics } = gateway.services;
  const sharing = createSubscriptionSharing({
    subscribe: (args) => (args.rootValue as EnvelopRoot).subscribe(args) as never,
    keyOf: (args) => (args.contextValue as { shareKey?: string }).shareKey,
    onExtraJoin: () => metrics.activeSubscriptions.inc(),
    onExtraLeave: () => metrics.activeSubscriptions.dec(),
  });
  useServer<Record<string, unknown>, { request: IncomingMessage; socket: WebSocket }>(
    {
      execute: (args) => (args.rootValue as EnvelopRoot).execute(args) as never,
      // Thousands of identical all-jobs subscriptions run as one execution per event.
      subscribe: (args) => sharing.subscribe(args) as never,
      // Yoga's envelop, so the same plugins (limits, masking) and caches apply over WebSocket.
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse: envParse, validate: envValidate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          requestId: `${connectionId(ctx.extra.socket)}:${_id}`,
        });
        let document;
        try {
          document = (envParse ?? parse)(payload.query);
        } catch (error) {
          return [error as never];
        }
        const context = (await contextFactory()) as unknown as GraphQLContext;
        const shareKey = broadcastKey(document, payload.operationName, payload.variables, payload.query, context.principal);
        const args: ExecutionArgs = {
          schema,
          operationName: payload.operationName ?? null,
          document,
          variableValues: payload.variables ?? null,
          contextValue: { ...context, shareKey },
          rootValue: { execute, subscribe },
        };
        const errors = (envValidate ?? validate)(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    wss,
  );

  // A completion fans out to many subscriptions at once, often several on one connection:
  // cork every WebSocket for the rest of this turn so each connection gets one write, not one per message.
  let corked = false;
  gateway.services.bus.onCompleted(undefined, () => {
    if (corked) return;
    corked = true;
    const raw = [...wss.clients].map((ws) => (ws as unknown as { _socket?: Socket })._socket).filter((s): s is Socket => !!s);
    for (const s of raw) s.cork();
    setImmediate(() => {
      corked = false;
      for (const s of raw) if (!s.destroyed) s.uncork();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    server,
    port,
    url: `http://${host}:${port}`,
    async close(graceMs = 10_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // 1001 Going Away: clients reconnect, possibly to another instance.
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      wss.close();
      // Idle keep-alive sockets are closed now; busy ones after their response or the grace time.
      server.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const socket of sockets) socket.destroy();
      for (const client of wss.clients) client.terminate();
      await closed;
    },
  };
}
