/**
 * Creates waiting for the budget on this instance, served round-robin across principals:
 * a principal with one create waiting goes before another principal's second. A single
 * dispatcher reserves the operation's next slot on the shared clock, waits for it, and
 * only then picks who goes, so a waiter that left in the meantime costs no upstream call
 * and a newcomer is served in its fair place.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { upstreamBusy, storeUnavailable } from '../errors.js';
import type { BudgetOperation } from './rate-limits.js';
import { intervalOf, LATE_LIMIT_MS, latenessOf, type Reservation, type SlotClock } from './slot-clock.js';
import type { Turn } from './turn.js';

/** Longest the queue waits to learn when a granted create went out before it reserves the next slot. */
const SEND_REPORT_WAIT_MS = 5000;

export interface QueueOptions {
  operation: BudgetOperation;
  limit: number;
  clock: SlotClock;
  /** Most creates waiting on this instance (UPSTREAM_QUEUE_MAX). */
  max: number;
  onDepth?: (depth: number) => void;
  /** A slot given up because the dispatcher woke too late for it. */
  onLateSlot?: () => void;
  /** The turn of a granted slot, which tells the clock when its create went out. */
  turn: (reservation: Reservation) => Turn;
}

export interface WaitRequest {
  principal: string;
  /** Names the wait for pictureModelingCreateQueue. */
  idempotencyKey?: string | null | undefined;
  signal?: AbortSignal | undefined;
  /** performance.now() after which the create is refused with GATEWAY.UPSTREAM_BUSY. */
  deadline: number;
  /** A create that was throttled upstream goes back to the head of its principal's line... */
  front?: boolean;
  /** ...and is not sent before this performance.now() (2 s after the throttle). */
  notBefore?: number | undefined;
}

export interface QueuePosition {
  position: number;
  /** Lower bound at the current rate (other instances can only add to it). */
  estimatedWaitMs: number;
}

interface Waiter {
  principal: string;
  key: string | undefined;
  deadline: number;
  notBefore: number;
  /** Its turn (the create may be sent), or why it never gets one. */
  settle(outcome: { turn: Turn } | { error: unknown }): void;
}

export interface CreateQueue {
  readonly operation: BudgetOperation;
  /** Resolves when it is this create's turn to be sent; rejects GATEWAY.UPSTREAM_BUSY, or the signal's reason. */
  wait(request: WaitRequest): Promise<Turn>;
  /** The place of a waiting create named by its idempotency key, or undefined when it is not waiting here. */
  positionOf(principal: string, idempotencyKey: string): QueuePosition | undefined;
  /** Called after every change of the queue; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
  depth(): number;
  /** Refuses every waiting create (GATEWAY.UPSTREAM_BUSY, nothing sent): the instance is shutting down. */
  close(): void;
}

/** A waiting create's place in whichever of `queues` holds it (principal and idempotency key name it). */
export function positionIn(queues: readonly CreateQueue[], principal: string, idempotencyKey: string): QueuePosition | undefined {
  for (const queue of queues) {
    const found = queue.positionOf(principal, idempotencyKey);
    if (found) return found;
  }
  return undefined;
}

export function createCreateQueue(options: QueueOptions): CreateQueue {
  const { operation, limit, clock } = options;
  const lanes = new Map<string, Waiter[]>();
  /** Principals with waiters, in the order they are served next. */
  const ring: string[] = [];
  const listeners = new Set<() => void>();
  let size = 0;
  let running = false;
  let rate = limit;
  let nextSlotAt = 0;
  const interval = () => intervalOf(rate);

  function changed() {
    options.onDepth?.(size);
    for (const listener of listeners) listener();
  }

  function add(waiter: Waiter, front: boolean) {
    let lane = lanes.get(waiter.principal);
    if (!lane) {
      lanes.set(waiter.principal, (lane = []));
      if (front) ring.unshift(waiter.principal);
      else ring.push(waiter.principal);
    }
    if (front) lane.unshift(waiter);
    else lane.push(waiter);
    size++;
  }

  function remove(waiter: Waiter): boolean {
    const lane = lanes.get(waiter.principal);
    const index = lane?.indexOf(waiter) ?? -1;
    if (!lane || index < 0) return false;
    lane.splice(index, 1);
    size--;
    if (lane.length === 0) {
      lanes.delete(waiter.principal);
      ring.splice(ring.indexOf(waiter.principal), 1);
    }
    return true;
  }

  /** The next principal in the ring whose first waiting create may go now (a throttled one waits out its back-off). */
  function takeNext(now = Infinity): Waiter | undefined {
    const at = ring.findIndex((principal) => lanes.get(principal)![0]!.notBefore <= now);
    if (at < 0) return undefined;
    const [principal] = ring.splice(at, 1) as [string];
    const lane = lanes.get(principal)!;
    const waiter = lane.shift()!;
    size--;
    if (lane.length > 0) ring.push(principal);
    else lanes.delete(principal);
    return waiter;
  }

  /** When the first waiting create that may go now, or soonest, may go. */
  function firstEligibleAt(): number {
    let soonest = Infinity;
    for (const principal of ring) soonest = Math.min(soonest, lanes.get(principal)![0]!.notBefore);
    return soonest;
  }

  /** 1-based: how many would be served before it, plus one, if nobody else arrived. */
  function placeOf(waiter: Waiter): number {
    const lane = lanes.get(waiter.principal)!;
    const index = lane.indexOf(waiter);
    const at = ring.indexOf(waiter.principal);
    let ahead = 0;
    ring.forEach((principal, k) => {
      const length = lanes.get(principal)!.length;
      ahead += Math.min(length, index) + (k < at && length > index ? 1 : 0);
    });
    return ahead + 1;
  }

  const estimate = (place: number) => Math.max(0, nextSlotAt - performance.now()) + (place - 1) * interval();

  async function dispatch() {
    if (running) return;
    running = true;
    try {
      while (size > 0) {
        // Only throttled creates still in their back-off wait: no slot is reserved for nobody.
        const eligibleIn = firstEligibleAt() - performance.now();
        if (eligibleIn > 0) {
          await sleep(Math.min(eligibleIn, 250), undefined, { ref: false });
          continue;
        }
        const now = performance.now();
        let latest = now;
        for (const lane of lanes.values()) for (const w of lane) latest = Math.max(latest, w.deadline);
        let reservation;
        try {
          reservation = await clock.reserve(operation, limit, latest - now);
        } catch (error) {
          // A clock that fails (the Redis clock does not: it paces in memory while Redis is out of
          // reach): nobody can be paced, so nobody is sent, and the dispatcher never rejects.
          for (let w = takeNext(); w; w = takeNext()) w.settle({ error: storeUnavailable(error) });
          changed();
          break;
        }
        rate = reservation.rate;
        nextSlotAt = performance.now() + reservation.waitMs;
        if (!reservation.granted) {
          // No waiter here can be served in its time; each is refused at its deadline.
          await sleep(Math.min(1000, Math.max(10, reservation.waitMs - (latest - now))), undefined, { ref: false });
          continue;
        }
        changed();
        if (reservation.waitMs > 0) await sleep(reservation.waitMs);
        // Woken too late to keep the spacing (a busy event loop, late either for the timer or
        // for the clock's reply): this slot goes unused, and the next create takes a new one.
        if (latenessOf(reservation) > LATE_LIMIT_MS) {
          options.onLateSlot?.();
          continue;
        }
        const waiter = takeNext(performance.now());
        // Everyone left while the slot came near: the slot goes unused, and nothing is sent.
        if (!waiter) continue;
        const turn = options.turn(reservation);
        waiter.settle({ turn });
        changed();
        // The next slot is not reserved before this create is on the wire (or given up): had
        // it gone out late, the clock has moved the slots after it by then.
        // Bounded, should a caller never report: the queue must not stall behind one create.
        await Promise.race([turn.settled, sleep(SEND_REPORT_WAIT_MS, undefined, { ref: false })]);
      }
    } finally {
      running = false;
    }
  }

  return {
    operation,
    wait(request) {
      return new Promise<Turn>((resolve, reject) => {
        if (request.signal?.aborted) return reject(request.signal.reason);
        const why = `MetaStudio's rate limit for ${operation === 'create' ? 'creates' : 'creates by URL'} is fully used`;
        if (size >= options.max) return reject(upstreamBusy(estimate(size + 1), `${why} and ${options.max} creates are already waiting here`));
        let timer: NodeJS.Timeout | undefined;
        const onAbort = () => {
          if (remove(waiter)) changed();
          waiter.settle({ error: request.signal!.reason });
        };
        let settled = false;
        const waiter: Waiter = {
          principal: request.principal,
          key: request.idempotencyKey ?? undefined,
          deadline: request.deadline,
          notBefore: request.notBefore ?? 0,
          settle(outcome) {
            if (settled) {
              // Too late to be used (the caller already left): nothing will be sent in this slot.
              if ('turn' in outcome) outcome.turn.release();
              return;
            }
            settled = true;
            clearTimeout(timer);
            request.signal?.removeEventListener('abort', onAbort);
            if ('turn' in outcome) resolve(outcome.turn);
            else reject(outcome.error);
          },
        };
        add(waiter, request.front === true);
        const remaining = request.deadline - performance.now();
        const expected = estimate(placeOf(waiter));
        if (expected > remaining) {
          remove(waiter);
          return reject(upstreamBusy(expected, `${why}: this create would not get its turn within its queue time`));
        }
        request.signal?.addEventListener('abort', onAbort, { once: true });
        timer = setTimeout(() => {
          if (remove(waiter)) changed();
          waiter.settle({ error: upstreamBusy(estimate(size + 1), `${why}: this create did not get its turn within its queue time`) });
        }, remaining);
        changed();
        void dispatch();
      });
    },
    positionOf(principal, idempotencyKey) {
      const waiter = lanes.get(principal)?.find((w) => w.key === idempotencyKey);
      if (!waiter) return undefined;
      const position = placeOf(waiter);
      return { position, estimatedWaitMs: estimate(position) };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    depth: () => size,
    close() {
      for (let w = takeNext(); w; w = takeNext()) w.settle({ error: upstreamBusy(1000, 'This gateway instance is shutting down') });
      changed();
    },
  };
}
