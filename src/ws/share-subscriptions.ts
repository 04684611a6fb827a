/**
 * Runs identical broadcast subscriptions once and fans each result out to every
 * subscriber, instead of executing the same selection for each of thousands of them.
 * Only operations given a key are shared; the key must cover everything a result
 * depends on (query, variables, caller).
 */
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { AsyncQueue } from '../lib/async-queue.js';

type SubscribeResult = AsyncIterable<ExecutionResult> | ExecutionResult;

export interface SharingOptions {
  subscribe(args: ExecutionArgs): SubscribeResult | Promise<SubscribeResult>;
  keyOf(args: ExecutionArgs): string | undefined;
  /** A subscriber beyond the first joined or left a shared stream (the first is counted by the stream itself). */
  onExtraJoin?(): void;
  onExtraLeave?(): void;
}

interface Hub {
  subscribers: Set<AsyncQueue<ExecutionResult>>;
  source: AsyncIterator<ExecutionResult>;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof (value as AsyncIterable<unknown>)?.[Symbol.asyncIterator] === 'function';
}

export function createSubscriptionSharing(options: SharingOptions) {
  const hubs = new Map<string, Hub>();

  function join(key: string, hub: Hub): AsyncQueue<ExecutionResult> {
    const queue: AsyncQueue<ExecutionResult> = new AsyncQueue(() => {
      hub.subscribers.delete(queue);
      if (hub.subscribers.size > 0) {
        options.onExtraLeave?.();
        return;
      }
      if (hubs.get(key) === hub) hubs.delete(key);
      void hub.source.return?.();
    });
    if (hub.subscribers.size > 0) options.onExtraJoin?.();
    hub.subscribers.add(queue);
    return queue;
  }

  function start(key: string, stream: AsyncIterable<ExecutionResult>): Hub {
    const hub: Hub = { subscribers: new Set(), source: stream[Symbol.asyncIterator]() };
    hubs.set(key, hub);
    void (async () => {
      try {
        for (;;) {
          const next = await hub.source.next();
          if (next.done) break;
          for (const queue of hub.subscribers) queue.push(next.value);
        }
      } catch {
        // The stream failed: its subscribers complete, as they would on their own stream.
      } finally {
        if (hubs.get(key) === hub) hubs.delete(key);
        for (const queue of [...hub.subscribers]) queue.close();
      }
    })();
    return hub;
  }

  return {
    async subscribe(args: ExecutionArgs): Promise<SubscribeResult> {
      const key = options.keyOf(args);
      if (key === undefined) return options.subscribe(args);
      const existing = hubs.get(key);
      if (existing) return join(key, existing);
      const result = await options.subscribe(args);
      if (!isAsyncIterable(result)) return result;
      const raced = hubs.get(key);
      if (raced) {
        // Another subscriber started the same stream while this one was being set up.
        void result[Symbol.asyncIterator]().return?.();
        return join(key, raced);
      }
      return join(key, start(key, result));
    },
  };
}
