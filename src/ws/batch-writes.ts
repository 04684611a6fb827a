/**
 * Holds a connection's outgoing bytes until the promise jobs running now have settled.
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
    // Every send of a fan-out happens in the promise jobs that the publish started, and a tick
    // queued from one runs once they have all settled: one write per connection, without
    // waiting (as setImmediate would) behind the rest of this turn's I/O callbacks.
    if (corked.size === 0) process.nextTick(flush);
    corked.add(socket);
  };
}
