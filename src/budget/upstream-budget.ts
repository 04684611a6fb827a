/**
 * The account's upstream budget, beneath every caller: the MetaStudio client asks it for
 * a turn before each call it sends (reads, retries and creates alike) and tells it about
 * each 429. Reads wait for their slot; creates wait in a fair queue per operation.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { upstreamBusy } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { BudgetMetrics } from './budget-metrics.js';
import { createCreateQueue, type CreateQueue } from './create-queue.js';
import type { BudgetOperation, RateLimits } from './rate-limits.js';
import { BACKOFF_JITTER_MS, BACKOFF_MS, LATE_LIMIT_MS, latenessOf, type Reservation, type SlotClock } from './slot-clock.js';
import { createTurn, type Turn } from './turn.js';

/** API Gateway names the limit in its 429: `...policy user over ratelimit,limit:1,time:1 second`. */
export function statedLimit(message: string | undefined): number | undefined {
  const match = /limit:\s*(\d+(?:\.\d+)?)\s*,\s*time:\s*1\s*second/i.exec(message ?? '');
  const value = match ? Number(match[1]) : NaN;
  return value > 0 ? value : undefined;
}

export interface BudgetOptions {
  limits: RateLimits;
  clock: SlotClock;
  /** UPSTREAM_QUEUE_TIMEOUT_MS: how long a call may wait for its turn. */
  queueTimeoutMs: number;
  /** UPSTREAM_QUEUE_MAX: creates waiting per operation on this instance. */
  queueMax: number;
  log: Logger;
  metrics?: BudgetMetrics | undefined;
}

export interface TurnOptions {
  signal?: AbortSignal | undefined;
  /** performance.now() after which the call gives up waiting; @default now + queueTimeoutMs */
  deadline?: number | undefined;
}

export interface UpstreamBudget {
  readonly limits: RateLimits;
  readonly queueTimeoutMs: number;
  /** Waits for the next slot of a read operation; rejects GATEWAY.UPSTREAM_BUSY when none is free before the deadline. */
  take(operation: BudgetOperation, options?: TurnOptions): Promise<Turn>;
  /** The fair queue of creates (`create`, `createByUrl`). */
  queue(operation: 'create' | 'createByUrl'): CreateQueue;
  /** Waits in the operation's fair queue and counts the call as sent. */
  takeCreateTurn(operation: 'create' | 'createByUrl', request: Parameters<CreateQueue['wait']>[0]): Promise<Turn>;
  /**
   * An upstream 429 for this operation: lowers its rate (logged; to the limit the 429's
   * message states, when it is lower) and answers the performance.now() before which the
   * refused call must not be sent again (2 s, plus jitter).
   */
  throttled(operation: BudgetOperation, message?: string): Promise<number>;
  /** Refuses every create still waiting (shutdown). */
  close(): void;
}

export function createUpstreamBudget(options: BudgetOptions): UpstreamBudget {
  const { limits, clock, log, metrics } = options;
  const turnOf = (operation: BudgetOperation) => (reservation: Reservation) =>
    createTurn(
      reservation,
      (latenessMs) => clock.late(operation, limits[operation], latenessMs),
      (latenessMs) => metrics?.lateSends.observe({ operation }, latenessMs / 1000),
    );
  const queueOf = (operation: 'create' | 'createByUrl') =>
    createCreateQueue({
      operation,
      limit: limits[operation],
      clock,
      max: options.queueMax,
      turn: turnOf(operation),
      onDepth: (d) => metrics?.queueDepth.set({ operation }, d),
      onLateSlot: () => metrics?.lateSlots.inc({ operation }),
    });
  const queues = { create: queueOf('create'), createByUrl: queueOf('createByUrl') };
  const sent = (operation: BudgetOperation, started: number) => {
    metrics?.sent.inc({ operation });
    metrics?.waitSeconds.observe({ operation }, (performance.now() - started) / 1000);
  };

  return {
    limits,
    queueTimeoutMs: options.queueTimeoutMs,
    async take(operation, turn = {}) {
      const started = performance.now();
      const deadline = turn.deadline ?? started + options.queueTimeoutMs;
      for (;;) {
        const reservation = await clock.reserve(operation, limits[operation], Math.max(0, deadline - performance.now()));
        metrics?.rate.set({ operation }, reservation.rate);
        if (!reservation.granted) {
          throw upstreamBusy(reservation.waitMs, `MetaStudio's rate limit for ${operation} calls is fully used`);
        }
        if (reservation.waitMs > 0) await sleep(reservation.waitMs, undefined, turn.signal ? { signal: turn.signal } : undefined);
        // Woken too late to keep the spacing (for the timer or the clock's reply): this slot goes unused, the call takes the next.
        if (latenessOf(reservation) <= LATE_LIMIT_MS) {
          sent(operation, started);
          return turnOf(operation)(reservation);
        }
        metrics?.lateSlots.inc({ operation });
      }
    },
    queue: (operation) => queues[operation],
    async takeCreateTurn(operation, request) {
      const started = performance.now();
      const granted = await queues[operation].wait(request);
      sent(operation, started);
      return granted;
    },
    async throttled(operation, message) {
      const notBefore = performance.now() + BACKOFF_MS + Math.random() * BACKOFF_JITTER_MS;
      metrics?.throttled.inc({ operation });
      const stated = statedLimit(message);
      const { lowered, rate } = await clock.throttled(operation, limits[operation], stated);
      metrics?.rate.set({ operation }, rate);
      if (lowered) {
        log.warn(
          { operation, rate: Number(rate.toFixed(3)), configured: limits[operation] },
          `MetaStudio throttled ${operation} calls (429${stated ? `, stated limit ${stated}/s` : ''}): rate lowered to ${rate.toFixed(2)}/s; it grows back slowly to ${limits[operation]}/s`,
        );
      }
      return notBefore;
    },
    close() {
      queues.create.close();
      queues.createByUrl.close();
    },
  };
}
