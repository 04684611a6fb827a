/**
 * Completes jobs whose callback never comes: every POLL_INTERVAL_MS, jobs not yet
 * terminal are re-read upstream with bounded concurrency, backing off per job on upstream
 * errors. A lease per job keeps several instances from polling one job at once. Each pass
 * also reconciles creates whose answer never came (see reconciler.ts).
 */
import type { Logger } from '../../observability/logger.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import type { JobService } from './job-service.js';
import type { Reconciler } from './reconciler.js';
import type { GatewayStore } from '../store/store.js';

export interface Poller {
  /** One pass now; resolves when it is done. */
  pollOnce(): Promise<void>;
  stop(): Promise<void>;
}

export function startPoller(deps: {
  store: GatewayStore;
  jobs: JobService;
  /** Each pass also looks for jobs whose create answer was lost. */
  reconciler?: Reconciler;
  log: Logger;
  metrics: GatewayMetrics;
  intervalMs: number;
  instanceId: string;
  concurrency?: number;
  batchSize?: number;
}): Poller {
  const concurrency = deps.concurrency ?? 8;
  const batchSize = deps.batchSize ?? 1000;
  const failures = new Map<string, { count: number; nextAt: number }>();
  let running: Promise<void> | undefined;
  let stopped = false;

  async function pass(): Promise<void> {
    const ids = await deps.store.listPendingJobIds(batchSize);
    deps.metrics.pollerBacklog.set(ids.length);
    // Jobs completed by a callback since the last pass take their backoff state with them.
    const pending = new Set(ids);
    for (const id of failures.keys()) if (!pending.has(id)) failures.delete(id);
    const now = Date.now();
    const due = ids.filter((id) => (failures.get(id)?.nextAt ?? 0) <= now);
    let next = 0;
    const worker = async () => {
      while (!stopped && next < due.length) {
        const id = due[next++]!;
        if (!(await deps.store.acquireLease(`poll:${id}`, deps.instanceId, Math.max(deps.intervalMs - 5, 5)))) continue;
        try {
          await deps.jobs.refresh(id);
          failures.delete(id);
        } catch (error) {
          const count = (failures.get(id)?.count ?? 0) + 1;
          const delay = Math.min(deps.intervalMs * 2 ** count, deps.intervalMs * 32);
          failures.set(id, { count, nextAt: Date.now() + delay });
          deps.log.warn({ jobId: id, err: error, retryInMs: delay }, 'poll failed');
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await deps.reconciler?.pass(deps.instanceId);
  }

  const tick = () => {
    if (running || stopped) return;
    running = pass()
      .catch((error: unknown) => deps.log.error({ err: error }, 'poll pass failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, deps.intervalMs);
  timer.unref();
  // Jobs left pending by a previous run resume at once.
  setImmediate(tick);

  return {
    async pollOnce() {
      if (running) await running;
      await pass();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (running) await running;
    },
  };
}
