/**
 * The only module that knows node:http and ports: mounts the gateway's Yoga on a Node
 * server with deliberate timeouts and lingering close, attaches graphql-ws, and shuts
 * everything down gracefully.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Gateway } from './gateway.js';
import { errorBody } from './http/error-body.js';
import { corsHeadersFor, ownOriginsOf } from './http/cors.js';
import { lingerAfterEarlyAnswer } from './http/linger.js';
import { isEventStreamRequest } from './http/use-stream-share.js';
import { traceRequest } from './observability/tracing.js';
import { attachGraphQLWs } from './ws/attach-graphql-ws.js';

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  /** Stop accepting, let in-flight requests finish within `graceMs`, close websockets with 1001. */
  close(graceMs?: number): Promise<void>;
}

/** How long the rest of a refused request's body may take to arrive (lingering close). */
const LINGER_MS = 10_000;
/** Slack for the other multipart parts, when discarding a refused body. */
const LINGER_SLACK_BYTES = 1024 * 1024;

/** How long a last answer at shutdown may take to leave. */
const LAST_ANSWER_MS = 1000;

/** 503 to a request the server can no longer finish; resolves once it has left (or could not within LAST_ANSWER_MS). */
function answerShuttingDown(res: ServerResponse, corsOrigins: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, LAST_ANSWER_MS);
    res.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    res.once('finish', () => {
      clearTimeout(timer);
      // What was still reading the request (an upload, and the upstream create it feeds) stops now.
      res.req.destroy();
      resolve();
    });
    const origin = res.req.headers.origin;
    res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', connection: 'close', 'retry-after': '1', ...corsHeadersFor(origin, corsOrigins) });
    res.end(errorBody('The gateway is shutting down; retry', 'SHUTTING_DOWN'));
  });
}

/** The responses under way, and a wait for the last of them that ends on its 'close' event. */
function trackResponses() {
  const open = new Set<ServerResponse>();
  /** Resolved, and forgotten, when the last open response closes. */
  let lastClosed: { promise: Promise<void>; resolve: () => void } | undefined;
  return {
    open,
    add(res: ServerResponse): void {
      open.add(res);
      res.once('close', () => {
        open.delete(res);
        if (open.size > 0) return;
        lastClosed?.resolve();
        lastClosed = undefined;
      });
    },
    /** Resolves when no response is open, or after `ms`, whichever comes first. */
    async noneOpen(ms: number): Promise<void> {
      if (open.size === 0) return;
      if (!lastClosed) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        lastClosed = { promise, resolve };
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([lastClosed.promise, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
      clearTimeout(timer);
    },
  };
}

export async function startServer(gateway: Gateway, options: { port: number; host: string }): Promise<RunningServer> {
  const { config } = gateway.services;
  const sockets = new Set<Socket>();
  const inFlight = trackResponses();
  const { connections } = gateway;
  // A photo somewhat over the limit is still drained so its sender reads why it was refused;
  // one that goes on far beyond (twice the limit) is cut off.
  const linger = { maxBytes: 2 * config.maxUploadBytes + LINGER_SLACK_BYTES, maxMs: LINGER_MS };

  const server = createServer(
    {
      // Set on purpose rather than inherited: headers must come quickly; a whole upload may
      // take minutes on a slow phone link (idle uploads are cut sooner, by UPLOAD_IDLE_TIMEOUT_MS).
      headersTimeout: config.security.headersTimeoutMs,
      requestTimeout: Math.max(5 * 60_000, config.security.headersTimeoutMs),
      // Node checks both timeouts only this often (30 s by default): incomplete headers stayed
      // open 35-45 s instead of 15. Checking every second keeps the bound within a second.
      connectionsCheckingInterval: Math.min(1000, config.security.headersTimeoutMs),
      keepAliveTimeout: 5_000,
    },
    (req: IncomingMessage, res: ServerResponse) => {
      inFlight.add(res);
      gateway.accessLog.http(req, res);
      lingerAfterEarlyAnswer(req, res, linger);
      if (isEventStreamRequest(req.headers.accept)) {
        if (!connections.tryOpen('sse')) {
          // A listed origin's browser must be able to read why (as from any other refusal).
          res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5', ...corsHeadersFor(req.headers.origin, config.corsOrigins) });
          res.end(errorBody('This instance holds as many connections as it allows; retry shortly', 'TOO_MANY_CONNECTIONS'));
          return;
        }
        res.once('close', () => connections.close('sse'));
      }
      traceRequest(req, res, () => void gateway.yoga(req, res));
    },
  );
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  let ownOrigins: string[] = [];
  const ws = attachGraphQLWs(server, gateway, {
    config,
    connections,
    ownOrigins: () => ownOrigins,
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
  const url = `http://${host}:${port}`;
  ownOrigins = ownOriginsOf({ host: options.host, port }, config.publicUrl);

  return {
    server,
    port,
    url,
    async close(graceMs = 10_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      ws.goingAway();
      // Idle keep-alive sockets are closed now; busy ones after their response or the grace time.
      server.closeIdleConnections();
      await inFlight.noneOpen(graceMs);
      // Still running after the grace time (an upload mid-body): an answer rather than a cut socket.
      const answered = [...inFlight.open].filter((res) => !res.headersSent && !res.writableEnded).map((res) => answerShuttingDown(res, config.corsOrigins));
      await Promise.all(answered);
      for (const socket of sockets) socket.destroy();
      ws.terminate();
      await closed;
    },
  };
}
