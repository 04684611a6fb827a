/**
 * Holds a connection's outgoing bytes until the end of the current turn of the event loop.
 * One completion fans out to many subscriptions at once, often dozens on one connection:
 * corked, they leave in one write per connection instead of one system call per message.
 * The socket is the upgraded HTTP request's own (`request.socket`), shared with ws.
 */
import type { Socket } from 'node:net';

export function createWriteBatcher(): (socket: Socket) => void {
  const corked = new Set<Socket>();
  const flush = () => {
    for (const socket of corked) socket.uncork();
    corked.clear();
  };
  return (socket) => {
    if (corked.has(socket) || socket.destroyed) return;
    socket.cork();
    // After this turn's callbacks and the promise jobs they start: every send of the fan-out.
    if (corked.size === 0) setImmediate(flush);
    corked.add(socket);
  };
}
