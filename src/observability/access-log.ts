/**
 * The access log: one line per HTTP request and one per WebSocket connection, written when
 * it ends, with what an operator needs to find it again (request id, a hash of the
 * principal) and never what would let someone act as the caller: no query string, no
 * headers, the callback token cut out of its path, the principal hashed.
 *
 * Refusals of abusive input on a connection (a graphql-ws message over the limit, a frame
 * that breaks the protocol) are one structured line per connection and a count in
 * `gateway_refusals_total`, never a stack trace per message.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Plugin } from 'graphql-yoga';
import type { Counter } from 'prom-client';
import type { Logger } from './logger.js';

interface WebSocketLike {
  once(event: 'close', listener: (code: number) => void): unknown;
}

/** What the pipeline learns about a request, noted for its access-log line. */
interface Facts {
  requestId?: string | undefined;
  principal?: string | undefined;
  /** The code the gateway closed with; ws reports 1006 when it cut the socket after sending it. */
  closeCode?: number | undefined;
}

export interface AccessLog {
  /** A Yoga plugin that notes each request's id and principal for its line. */
  plugin(): Plugin;
  /** Writes the request's line once its response is over (sent or broken off). */
  http(req: IncomingMessage, res: ServerResponse): void;
  /** Writes the connection's line once it closes; `socket` is the upgraded request's. */
  webSocket(req: IncomingMessage, ws: WebSocketLike): void;
  /** An upgrade refused before it became a connection (path, Origin, MAX_CONNECTIONS). */
  upgradeRefused(req: IncomingMessage, status: number): void;
  /** The principal a WebSocket connection authenticated as. */
  notePrincipal(req: IncomingMessage, principalId: string): void;
  /** Abusive input on a connection (its request, or a WebSocket given to webSocket()): logged and counted once per connection. */
  refused(connection: IncomingMessage | object, reason: string, detail: Record<string, unknown>): void;
}

/** Enough of a digest to tell principals apart in the logs, not to look one up by brute force cheaply. */
export const hashPrincipal = (id: string) => createHash('sha256').update(id).digest('base64url').slice(0, 16);

/** The path without its query string, and with the callback token (a credential) cut out. */
export function loggedPath(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0]!;
  return path.startsWith('/callbacks/') ? path.replace(/^(\/callbacks\/[^/]+\/).*$/, '$1:token') : path.slice(0, 256);
}

interface Position {
  read: number;
  written: number;
}
/** Bytes a socket has carried so far, to take the difference over one request. */
const carried = (socket: Socket | null): Position => ({ read: socket?.bytesRead ?? 0, written: socket?.bytesWritten ?? 0 });

const WELL_FORMED_ID = /^[\w.:-]{1,128}$/;

export function createAccessLog(log: Logger, refusals: Counter<'reason'>): AccessLog {
  const facts = new WeakMap<IncomingMessage, Facts>();
  const factsOf = (req: IncomingMessage) => {
    let known = facts.get(req);
    if (!known) facts.set(req, (known = {}));
    return known;
  };
  const requestOfSocket = new WeakMap<WebSocketLike, IncomingMessage>();
  // Where the socket's previous request ended: a request's headers are read before it is
  // handed over, so its bytes count from there (from 0 on a fresh connection).
  const ended = new WeakMap<Socket, Position>();
  const start = (socket: Socket | null) => (socket && ended.get(socket)) ?? { read: 0, written: 0 };
  const end = (socket: Socket | null) => {
    const at = carried(socket);
    if (socket) ended.set(socket, at);
    return at;
  };
  const refusedAlready = new WeakSet<object>();

  return {
    plugin() {
      return {
        onResponse({ serverContext }) {
          const context = serverContext as { req?: IncomingMessage; requestId?: string; principal?: { id: string } };
          if (!context.req) return;
          const known = factsOf(context.req);
          known.requestId = context.requestId;
          if (context.principal) known.principal = hashPrincipal(context.principal.id);
        },
      };
    },

    http(req, res) {
      const started = performance.now();
      const before = start(req.socket);
      res.once('close', () => {
        const after = end(req.socket);
        const known = facts.get(req) ?? {};
        const requestId = known.requestId ?? (res.getHeader('x-request-id') as string | undefined);
        log.info(
          {
            access: 'http',
            method: req.method,
            path: loggedPath(req.url),
            status: res.statusCode,
            ...(res.writableFinished ? {} : { aborted: true }),
            ms: Math.round(performance.now() - started),
            bytesIn: after.read - before.read,
            bytesOut: after.written - before.written,
            ...(requestId ? { requestId } : {}),
            ...(known.principal ? { principal: known.principal } : {}),
          },
          'access',
        );
      });
    },

    webSocket(req, ws) {
      requestOfSocket.set(ws, req);
      const started = performance.now();
      const before = start(req.socket);
      const given = req.headers['x-request-id'];
      const known = factsOf(req);
      known.requestId = typeof given === 'string' && WELL_FORMED_ID.test(given) ? given : randomUUID();
      ws.once('close', (code) => {
        const after = end(req.socket);
        log.info(
          {
            access: 'ws',
            method: req.method,
            path: loggedPath(req.url),
            closeCode: known.closeCode ?? code,
            ms: Math.round(performance.now() - started),
            bytesIn: after.read - before.read,
            bytesOut: after.written - before.written,
            requestId: known.requestId,
            ...(known.principal ? { principal: known.principal } : {}),
          },
          'access',
        );
      });
    },

    upgradeRefused(req, status) {
      log.info({ access: 'ws', method: req.method, path: loggedPath(req.url), status, requestId: randomUUID() }, 'access');
    },

    notePrincipal(req, principalId) {
      factsOf(req).principal = hashPrincipal(principalId);
    },

    refused(connection, reason, detail) {
      const req = requestOfSocket.get(connection as WebSocketLike) ?? (connection as IncomingMessage);
      if (refusedAlready.has(req)) return;
      refusedAlready.add(req);
      refusals.inc({ reason });
      const known = factsOf(req);
      if (typeof detail['closeCode'] === 'number') known.closeCode = detail['closeCode'];
      log.warn({ refused: reason, path: loggedPath(req.url as string | undefined), ...detail, ...(known.requestId ? { requestId: known.requestId } : {}), ...(known.principal ? { principal: known.principal } : {}) }, 'refused abusive input');
    },
  };
}
