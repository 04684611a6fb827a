/**
 * nginx's lingering close, inside the server: a request answered before its body was read
 * (a CSRF 403, a 401, a refused photo, a 413) keeps its connection while the rest of the
 * body is read and discarded, so a client that is still sending (a browser mid-upload)
 * reads the answer instead of a reset. The discarding is bounded in bytes and time; past
 * either bound the connection is cut. Nothing discarded goes anywhere. A request read
 * whole keeps its keep-alive connection as usual.
 *
 * Two halves: `useUnreadBodyDrain` starts reading a body nobody has read yet as the answer
 * leaves (Node's own "dump" of an unread request can leave its socket stalled), and
 * `lingerAfterEarlyAnswer` bounds what is read after the answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { listenToBody } from './body-events.js';

export interface LingerBounds {
  /** Body bytes discarded at most after the answer. */
  maxBytes: number;
  /** How long the rest of the body may take to arrive after the answer. */
  maxMs: number;
}

export function useUnreadBodyDrain(): Plugin {
  return {
    onResponse({ serverContext }) {
      const req = (serverContext as { req?: IncomingMessage } | undefined)?.req;
      // Never read by anyone (flowing is null): start now, before Node answers and gives up on it.
      if (req && !req.complete && req.readableFlowing === null) req.resume();
    },
  };
}

export function lingerAfterEarlyAnswer(req: IncomingMessage, res: ServerResponse, bounds: LingerBounds): void {
  res.once('finish', () => {
    if (req.complete || req.destroyed) return;
    const socket = req.socket;
    let discarded = 0;
    const cut = () => {
      cleanup();
      socket.destroy();
    };
    const onData = (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > bounds.maxBytes) cut();
    };
    const timer = setTimeout(cut, bounds.maxMs);
    timer.unref();
    const cleanup = () => {
      clearTimeout(timer);
      unlisten();
    };
    // Whoever was reading (busboy) is done with this request: the rest is ours to drop.
    req.unpipe();
    const unlisten = listenToBody(req, { data: onData, end: cleanup, close: cleanup });
    req.resume();
  });
}
