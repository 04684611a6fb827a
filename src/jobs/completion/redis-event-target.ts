/**
 * An EventTarget whose events travel through Redis pub/sub, so every instance's listeners
 * hear every instance's dispatches. It replaces @graphql-yoga/redis-event-target, whose
 * subscribe, unsubscribe and publish promises reject unhandled when Redis is down and so
 * ended the process (issue 22): here every Redis call's failure is logged and absorbed.
 *
 * Pub/sub replays nothing, so an event published while a subscriber was cut off is lost;
 * that is harmless because the state is always stored before it is published, and
 * `onResubscribed` tells listeners when to re-read it. Channels this instance wants are
 * kept here and subscribed again whenever the subscriber connection is ready again (also
 * those whose SUBSCRIBE failed during the outage). On a Cluster it uses sharded pub/sub
 * (SSUBSCRIBE/SPUBLISH): each channel lives on the shard that owns its slot.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from '../../observability/logger.js';
import type { RedisClient } from '../store/redis-connection.js';

export interface RedisEventTarget extends EventTarget {
  /** `listener` runs each time the subscriber is back after a disconnect: events may have been missed. */
  onResubscribed(listener: () => void): () => void;
  /** Whether the subscriber connection is up. */
  ready(): boolean;
}

export function createRedisEventTarget(options: { publisher: RedisClient; subscriber: RedisClient; sharded: boolean; log: Logger }): RedisEventTarget {
  const { publisher, subscriber, sharded, log } = options;
  const local = new EventTarget();
  // One listener per open subscription: thousands are expected, not a leak.
  setMaxListeners(0, local);
  const counts = new Map<string, number>();
  const resubscribed = new Set<() => void>();
  const warn = (what: string, channel: string) => (error: unknown) => log.warn({ channel, err: (error as Error).message }, `redis ${what} failed`);

  const subscribe = (channel: string) => {
    const done = sharded ? subscriber.ssubscribe(channel) : subscriber.subscribe(channel);
    done.catch(warn('subscribe', channel));
  };
  const unsubscribe = (channel: string) => {
    const done = sharded ? subscriber.sunsubscribe(channel) : subscriber.unsubscribe(channel);
    done.catch(warn('unsubscribe', channel));
  };

  const deliver = (channel: string, message: string) => {
    let detail: unknown;
    try {
      detail = JSON.parse(message);
    } catch {
      log.warn({ channel }, 'unparsable event on redis; ignored');
      return;
    }
    local.dispatchEvent(new CustomEvent(channel, { detail }));
  };
  subscriber.on(sharded ? 'smessage' : 'message', deliver);

  let wasReady = false;
  let lostSinceReady = false;
  const markLost = () => {
    if (wasReady) lostSinceReady = true;
  };
  subscriber.on('close', markLost);
  subscriber.on('end', markLost);
  // A Cluster's sharded subscribers reconnect on their own, under the group: -subscriber/+subscriber.
  subscriber.on('-subscriber', markLost);
  const onReady = () => {
    const again = lostSinceReady;
    wasReady = true;
    lostSinceReady = false;
    // ioredis re-subscribes what it had; a SUBSCRIBE that failed while down is sent again here.
    for (const channel of counts.keys()) subscribe(channel);
    if (!again) return;
    for (const listener of resubscribed) {
      try {
        listener();
      } catch (error) {
        log.warn({ err: (error as Error).message }, 'resubscribe listener failed');
      }
    }
  };
  subscriber.on('ready', onReady);
  // ...and a Cluster's group says so once its shard subscribers are back and re-subscribed.
  subscriber.on('subscribersReady', onReady);

  return {
    addEventListener(type, callback, opts) {
      if (!callback) return;
      local.addEventListener(type, callback, opts);
      const n = counts.get(type) ?? 0;
      counts.set(type, n + 1);
      if (n === 0) subscribe(type);
    },
    removeEventListener(type, callback, opts) {
      if (!callback) return;
      local.removeEventListener(type, callback, opts);
      const n = counts.get(type);
      if (n === undefined) return;
      if (n > 1) return void counts.set(type, n - 1);
      counts.delete(type);
      unsubscribe(type);
    },
    dispatchEvent(event) {
      const message = JSON.stringify((event as CustomEvent<unknown>).detail);
      const done = sharded ? publisher.spublish(event.type, message) : publisher.publish(event.type, message);
      done.catch(warn('publish', event.type));
      return true;
    },
    onResubscribed(listener) {
      resubscribed.add(listener);
      return () => resubscribed.delete(listener);
    },
    ready: () => subscriber.status === 'ready' && publisher.status === 'ready',
  };
}
