/**
 * Places of waiting creates across instances (Redis mode): behind a load balancer without
 * sticky sessions, pictureModelingCreateQueue often runs on another instance than the create.
 *
 * Only followed creates cost messages. A follower announces (principal, key) on one channel
 * every instance hears, at once and every `reannounceMs`. The instance where that create
 * waits answers each announcement on the create's own channel with its place, publishes
 * again at each change of it, and publishes `left` once the create was sent or refused.
 * A holder stops publishing `silenceMs` after the last announcement (the followers left);
 * a follower that hears nothing for `silenceMs` from a holder that had answered takes the
 * holder for gone (it answers every announcement, so that is several missed answers).
 * Pub/sub replays nothing: after a resubscribe a follower announces at once and a holder
 * publishes every followed place again.
 *
 * Channels carry hash tags so a Cluster's sharded pub/sub serves them: the announcements'
 * one tag, and one per (principal, key) for the places, spread over the shards.
 */
import type { Logger } from '../observability/logger.js';
import type { RedisEventTarget } from '../jobs/completion/redis-event-target.js';
import { positionIn, type CreateQueue } from './create-queue.js';

/** How often a follower announces itself again. */
export const REANNOUNCE_MS = 3000;
/** How long a follower waits for a word from a holder that had answered, and a holder keeps publishing without an announcement. */
export const SILENCE_MS = 10_000;

export const ANNOUNCE_CHANNEL = 'pictureModelingCreateQueue:announce:{%createQueue}';
/** encodeURIComponent escapes braces, so a principal or key cannot end the hash tag early. */
export const placeChannel = (principal: string, key: string) =>
  `pictureModelingCreateQueue:{${encodeURIComponent(principal)}:${encodeURIComponent(key)}}`;

/** What a follower hears: the create's place on the instance that holds it, or that it left the queue there. */
export type RemotePlace = { position: number; estimatedWaitMs: number } | { left: true };

export interface CreateQueueRelay {
  /** How long a follower may hear nothing from a holder that had answered before it ends. */
  readonly silenceMs: number;
  /** Announces (principal, key) now and every `reannounceMs`, and hands over what its holder publishes; returns the stop function. */
  follow(principal: string, key: string, listener: (place: RemotePlace) => void): () => void;
  /** Stops answering announcements (shutdown). */
  close(): void;
}

export interface RelayOptions {
  /** The backend's event target (Redis pub/sub); `onResubscribed` is used when it has one. */
  target: EventTarget & Partial<Pick<RedisEventTarget, 'onResubscribed'>>;
  /** This instance's create queues, whose waiters it answers for. */
  queues: readonly CreateQueue[];
  /** Announcements from this instance are not answered: its followers read its queues directly. */
  instanceId: string;
  log: Logger;
  /** @default REANNOUNCE_MS */
  reannounceMs?: number;
  /** @default SILENCE_MS */
  silenceMs?: number;
}

interface Followed {
  principal: string;
  key: string;
  /** Date.now() after which nobody is taken to follow it any more. */
  until: number;
  /** The place last published, once it has been seen waiting here. */
  last: number | undefined;
}

function asAnnouncement(detail: unknown): { principal: string; key: string; from: string } | undefined {
  const d = detail as Record<string, unknown> | null;
  return d && typeof d.principal === 'string' && typeof d.key === 'string' && typeof d.from === 'string'
    ? { principal: d.principal, key: d.key, from: d.from }
    : undefined;
}

function asPlace(detail: unknown): RemotePlace | undefined {
  const d = detail as Record<string, unknown> | null;
  if (d?.left === true) return { left: true };
  return d && Number.isInteger(d.position) && (d.position as number) >= 1 && typeof d.estimatedWaitMs === 'number'
    ? { position: d.position as number, estimatedWaitMs: d.estimatedWaitMs }
    : undefined;
}

export function createCreateQueueRelay(options: RelayOptions): CreateQueueRelay {
  const { target, queues, instanceId, log } = options;
  const reannounceMs = options.reannounceMs ?? REANNOUNCE_MS;
  const silenceMs = options.silenceMs ?? SILENCE_MS;
  const followed = new Map<string, Followed>();
  /** Creates that left after being followed, so a follower that missed `left` (a Redis blip) hears it again. */
  const left = new Map<string, number>();
  const idOf = (principal: string, key: string) => JSON.stringify([principal, key]);
  // A throw in an EventTarget listener would end the process, and one in a queue listener its dispatcher.
  const guarded =
    <A extends unknown[]>(what: string, run: (...args: A) => void) =>
    (...args: A) => {
      try {
        run(...args);
      } catch (error) {
        log.warn({ err: (error as Error).message }, `${what} failed`);
      }
    };

  const publish = (principal: string, key: string, place: RemotePlace) =>
    target.dispatchEvent(new CustomEvent(placeChannel(principal, key), { detail: place }));

  /** Publishes the followed create's place if it changed (or always, when `force`), or that it left. */
  function refresh(id: string, entry: Followed, force: boolean) {
    const found = positionIn(queues, entry.principal, entry.key);
    if (found) {
      if (!force && found.position === entry.last) return;
      entry.last = found.position;
      publish(entry.principal, entry.key, { position: found.position, estimatedWaitMs: Math.round(found.estimatedWaitMs) });
    } else if (entry.last !== undefined) {
      followed.delete(id);
      left.set(id, entry.until);
      publish(entry.principal, entry.key, { left: true });
    }
  }

  function sweep() {
    const now = Date.now();
    for (const [id, entry] of followed) if (entry.until < now) followed.delete(id);
    for (const [id, until] of left) if (until < now) left.delete(id);
  }
  const sweeper = setInterval(sweep, silenceMs);
  sweeper.unref();

  // With nobody following, a change costs one empty loop and no message.
  const onChange = () => {
    const now = Date.now();
    for (const [id, entry] of followed) {
      if (entry.until < now) followed.delete(id);
      else refresh(id, entry, false);
    }
  };
  const offChanges = queues.map((queue) => queue.onChange(guarded('create queue relay', onChange)));

  const onAnnouncement = guarded('create queue announcement', (event: Event) => {
    const announced = asAnnouncement((event as CustomEvent<unknown>).detail);
    if (!announced) return log.debug({ channel: ANNOUNCE_CHANNEL }, 'malformed create queue announcement; ignored');
    if (announced.from === instanceId) return;
    const id = idOf(announced.principal, announced.key);
    const until = Date.now() + silenceMs;
    // A create sent again with its key after a refusal is waiting anew: its place, not the old `left`.
    if (left.has(id) && !positionIn(queues, announced.principal, announced.key)) {
      left.set(id, until);
      return void publish(announced.principal, announced.key, { left: true });
    }
    left.delete(id);
    let entry = followed.get(id);
    if (entry) entry.until = until;
    else followed.set(id, (entry = { principal: announced.principal, key: announced.key, until, last: undefined }));
    refresh(id, entry, true);
  });
  target.addEventListener(ANNOUNCE_CHANNEL, onAnnouncement);
  const offResubscribed =
    target.onResubscribed?.(() => {
      for (const [id, entry] of followed) if (entry.last !== undefined) refresh(id, entry, true);
    }) ?? (() => {});

  return {
    silenceMs,
    follow(principal, key, listener) {
      const channel = placeChannel(principal, key);
      const onPlace = guarded('create queue place', (event: Event) => {
        const place = asPlace((event as CustomEvent<unknown>).detail);
        if (place) listener(place);
        else log.debug({ channel }, 'malformed create queue place; ignored');
      });
      // Listening before announcing: the holder answers at once.
      target.addEventListener(channel, onPlace);
      const announce = () =>
        target.dispatchEvent(new CustomEvent(ANNOUNCE_CHANNEL, { detail: { principal, key, from: instanceId } }));
      announce();
      const again = setInterval(announce, reannounceMs);
      again.unref();
      const offAgain = target.onResubscribed?.(announce) ?? (() => {});
      return () => {
        clearInterval(again);
        offAgain();
        target.removeEventListener(channel, onPlace);
      };
    },
    close() {
      clearInterval(sweeper);
      for (const off of offChanges) off();
      offResubscribed();
      target.removeEventListener(ANNOUNCE_CHANNEL, onAnnouncement);
      followed.clear();
      left.clear();
    },
  };
}
