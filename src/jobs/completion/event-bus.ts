/**
 * Completion events. Publishing goes through Yoga's createPubSub; subscribing attaches a
 * listener to the same EventTarget at once, so a subscriber is listening before it reads
 * the store (a Repeater from pubsub.subscribe would only attach on its first pull).
 * The EventTarget is in memory, or Redis-backed when several instances act as one
 * (./redis-event-target.ts, which absorbs every Redis failure).
 */
import { setMaxListeners } from 'node:events';
import { createPubSub } from 'graphql-yoga';
import type { JobRecord } from '../model/job-record.js';
import type { RedisEventTarget } from './redis-event-target.js';

export const COMPLETED_TOPIC = 'pictureModelingJobCompleted';
export const REGISTRATION_SETTLED_TOPIC = 'registrationSettled';

export interface JobEventBus {
  /** Callers store the state first: a late subscriber reads it from the store, not the bus. */
  publishCompleted(record: JobRecord): void;
  /** Listens for completions of one job, or of all jobs; returns the unsubscribe function. */
  onCompleted(jobId: string | undefined, listener: (record: JobRecord) => void): () => void;
  /**
   * `listener` runs when the bus is back after an outage in which events may have been
   * lost (Redis pub/sub): a subscriber re-reads the store then. Never on an in-memory bus.
   */
  onResubscribed(listener: () => void): () => void;
  /**
   * A registration was linked to its job, marked unanswered or removed. Callers store the
   * change first and the event carries nothing: a listener re-reads the registration.
   */
  publishRegistrationSettled(nonce: string): void;
  /** Listens for one registration's settling; returns the unsubscribe function. */
  onRegistrationSettled(nonce: string, listener: () => void): () => void;
}

export function createJobEventBus(eventTarget: EventTarget = new EventTarget()): JobEventBus {
  // One listener per open subscription: thousands are expected, not a leak.
  if (eventTarget instanceof EventTarget) setMaxListeners(0, eventTarget);
  const pubsub = createPubSub<Record<string, [JobRecord] | [string, JobRecord]>>({ eventTarget: eventTarget as never });
  return {
    publishCompleted(record) {
      // The all-jobs topic first: its first listener (the server's) batches socket writes.
      pubsub.publish(COMPLETED_TOPIC, record);
      pubsub.publish(COMPLETED_TOPIC, record.jobId, record);
    },
    onCompleted(jobId, listener) {
      const type = jobId === undefined ? COMPLETED_TOPIC : `${COMPLETED_TOPIC}:${jobId}`;
      const handler = (event: Event) => listener((event as CustomEvent<JobRecord>).detail);
      eventTarget.addEventListener(type, handler);
      return () => eventTarget.removeEventListener(type, handler);
    },
    onResubscribed(listener) {
      const target = eventTarget as Partial<Pick<RedisEventTarget, 'onResubscribed'>>;
      return target.onResubscribed ? target.onResubscribed(listener) : () => {};
    },
    publishRegistrationSettled(nonce) {
      eventTarget.dispatchEvent(new CustomEvent(`${REGISTRATION_SETTLED_TOPIC}:${nonce}`, { detail: nonce }));
    },
    onRegistrationSettled(nonce, listener) {
      const type = `${REGISTRATION_SETTLED_TOPIC}:${nonce}`;
      // One handler per call: an EventTarget would merge two subscriptions of one function.
      const handler = () => listener();
      eventTarget.addEventListener(type, handler);
      return () => eventTarget.removeEventListener(type, handler);
    },
  };
}
