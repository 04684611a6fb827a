/**
 * pictureModelingCreateQueue: the place of one waiting create, named by its principal and
 * idempotency key, each time it changes; the stream ends once the create has left the
 * queue (sent, or refused). A create that has not reached the queue yet is waited for a
 * short while, so a client may subscribe before or just after it sends the mutation.
 * A create waits on the instance that received it: this instance's queues are read
 * directly, and with a relay (Redis mode) another instance's create is heard through it
 * (./create-queue-relay.ts). A holder heard once and then silent for the relay's
 * `silenceMs` is taken for gone, and the stream ends.
 */
import { Repeater } from 'graphql-yoga';
import { positionIn, type CreateQueue } from './create-queue.js';
import type { CreateQueueRelay, RemotePlace } from './create-queue-relay.js';

/** How long a create named by a subscription may take to reach the queue. */
export const APPEAR_GRACE_MS = 10_000;

export interface CreateQueuePosition {
  idempotencyKey: string;
  position: number;
  /** Whole seconds, rounded up; a lower bound (other instances may share the budget). */
  estimatedWaitSeconds: number | null;
}

export interface FollowOptions {
  /** @default APPEAR_GRACE_MS */
  graceMs?: number;
  /** Hears creates waiting on other instances; without it only this instance's are seen. */
  relay?: CreateQueueRelay | undefined;
}

export function followCreateQueue(
  queues: readonly CreateQueue[],
  principal: string,
  idempotencyKey: string,
  options: FollowOptions = {},
): AsyncIterableIterator<CreateQueuePosition> {
  const { graceMs = APPEAR_GRACE_MS, relay } = options;
  return new Repeater<CreateQueuePosition>(async (push, stop) => {
    /** Where the create was seen waiting: here, or on another instance through the relay. */
    let seen: 'here' | 'there' | undefined;
    let last: number | undefined;
    let stopRemote = () => {};
    let silence: NodeJS.Timeout | undefined;
    const emit = (position: number, estimatedWaitMs: number) => {
      if (position === last) return;
      last = position;
      void push({ idempotencyKey, position, estimatedWaitSeconds: Math.ceil(estimatedWaitMs / 1000) });
    };
    const check = () => {
      if (seen === 'there') return;
      const found = positionIn(queues, principal, idempotencyKey);
      if (!found) {
        if (seen) stop();
        return;
      }
      if (!seen) {
        seen = 'here';
        // Its place is read here from now on: no more announcements.
        stopRemote();
      }
      emit(found.position, found.estimatedWaitMs);
    };
    const heard = (place: RemotePlace) => {
      if (seen === 'here') return;
      // A `left` for a create never seen is an earlier create's with this key: this one may still come.
      if ('left' in place) {
        if (seen === 'there') stop();
        return;
      }
      seen = 'there';
      clearTimeout(silence);
      silence = setTimeout(stop, relay!.silenceMs);
      emit(place.position, place.estimatedWaitMs);
    };
    const unsubscribe = queues.map((q) => q.onChange(check));
    const grace = setTimeout(() => seen || stop(), graceMs);
    check();
    if (!seen && relay) stopRemote = relay.follow(principal, idempotencyKey, heard);
    await stop;
    clearTimeout(grace);
    clearTimeout(silence);
    stopRemote();
    for (const off of unsubscribe) off();
  });
}
