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
  const socket = req.socket;
  // When the connection is not kept alive (`Connection: close`), Node destroys the socket as
  // soon as the answer is written (destroySoon), with the body still arriving: the client
  // gets a reset, and a reset makes its kernel drop the answer it had not read yet. While
  // the body is unfinished, closing waits for the lingering below: the answer and a FIN go
  // out now (half-close, as nginx does), the socket is destroyed once the body has been read.
  let lingering: Promise<void> | undefined;
  const destroySoon = socket.destroySoon.bind(socket);
  socket.destroySoon = () => {
    if (!lingering) return destroySoon();
    socket.end();
    void lingering.then(() => socket.destroy());
  };
  res.once('close', () => {
    if (!lingering) socket.destroySoon = destroySoon;
  });
  // Before Node's own 'finish' handler, which is what calls destroySoon.
  res.prependOnceListener('finish', () => {
    if (req.complete || req.destroyed) return;
    let discarded = 0;
    let settle!: () => void;
    lingering = new Promise((resolve) => (settle = resolve));
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
      socket.destroySoon = destroySoon;
      settle();
    };
    // Whoever was reading (busboy) is done with this request: the rest is ours to drop.
    req.unpipe();
    const unlisten = listenToBody(req, { data: onData, end: cleanup, close: cleanup });
    req.resume();
  });
}
