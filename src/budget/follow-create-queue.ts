/**
 * pictureModelingCreateQueue: the place of one waiting create, named by its principal and
 * idempotency key, each time it changes; the stream ends once the create has left the
 * queue (sent, or refused). A create that has not reached the queue yet is waited for a
 * short while, so a client may subscribe before or just after it sends the mutation.
 * Positions are this instance's: a create waits on the instance that received it.
 */
import { Repeater } from 'graphql-yoga';
import type { CreateQueue } from './create-queue.js';

/** How long a create named by a subscription may take to reach the queue. */
export const APPEAR_GRACE_MS = 10_000;

export interface CreateQueuePosition {
  idempotencyKey: string;
  position: number;
  /** Whole seconds, rounded up; a lower bound (other instances may share the budget). */
  estimatedWaitSeconds: number | null;
}

export function followCreateQueue(queues: readonly CreateQueue[], principal: string, idempotencyKey: string, graceMs = APPEAR_GRACE_MS): AsyncIterableIterator<CreateQueuePosition> {
  return new Repeater<CreateQueuePosition>(async (push, stop) => {
    let seen = false;
    let last: number | undefined;
    const check = () => {
      const found = queues.map((q) => q.positionOf(principal, idempotencyKey)).find((p) => p !== undefined);
      if (!found) {
        if (seen) stop();
        return;
      }
      seen = true;
      if (found.position === last) return;
      last = found.position;
      void push({ idempotencyKey, position: found.position, estimatedWaitSeconds: Math.ceil(found.estimatedWaitMs / 1000) });
    };
    const unsubscribe = queues.map((q) => q.onChange(check));
    const grace = setTimeout(() => seen || stop(), graceMs);
    check();
    await stop;
    clearTimeout(grace);
    for (const off of unsubscribe) off();
  });
}
