/**
 * Completes jobs whose callback never comes. Every POLL_INTERVAL_MS (jittered), one
 * instance (a lease per interval) reads the jobs not yet terminal in pages, not one Show
 * each, so a pass costs about one call per 100 pending jobs:
 *
 * 1. the account's WAITING and PROCESSING jobs (a state seen for the first time is folded
 *    into the store, so WAITING -> PROCESSING reaches subscribers of updates);
 * 2. pending jobs not among them have probably ended: they are looked for in the pages of
 *    ended jobs, most recently updated first (see list-pages.ts);
 * 3. any still not found is read with a Show, a few per pass.
 *
 * Before each call the pass waits while callbacks' re-reads are due, so polling never
 * starves them. A failed pass is tried again no sooner than 2 s later, backing off. Each
 * pass also reconciles creates whose answer never came (see reconciler.ts).
 */
import type { MetaStudioClient } from '../../metastudio/client.js';
import type { JobState } from '../../metastudio/types.js';
import type { Logger } from '../../observability/logger.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import type { JobService } from './job-service.js';
import { findActive, findEnded, PAGE_SIZE } from './list-pages.js';
import type { Reconciler } from './reconciler.js';
import { pollFailureDelayMs } from './retry-delay.js';
import type { GatewayStore } from '../store/store.js';

export interface Poller {
  /** One pass now; resolves when it is done. */
  pollOnce(): Promise<void>;
  stop(): Promise<void>;
}

export function startPoller(deps: {
  store: GatewayStore;
  client: Pick<MetaStudioClient, 'listPictureModelingJobs'>;
  /** Also the callbacks' re-reads: the poller waits for them before each call. */
  jobs: Pick<JobService, 'refresh' | 'apply' | 'applyListed' | 'rereadsIdle'>;
  /** Each pass also looks for jobs whose create answer was lost. */
  reconciler?: Reconciler;
  log: Logger;
  metrics: GatewayMetrics;
  intervalMs: number;
  instanceId: string;
  /** Pending jobs looked at per pass (oldest first). @default 10000 */
  batchSize?: number;
  /** Shows per pass for jobs the pages did not show. @default 10 */
  showsPerPass?: number;
}): Poller {
  const batchSize = deps.batchSize ?? 10_000;
  const showsPerPass = deps.showsPerPass ?? 10;
  /** The state each pending job was last seen in, so an unchanged job costs no store write. */
  const seen = new Map<string, JobState>();
  /** Jobs left to a Show: when each was last shown, and its failures, so each gets its turn. */
  const shown = new Map<string, { at: number; failures: number; nextAt: number }>();
  let lastPassStartedAt: number | undefined;
  let failuresInRow = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const yieldToCallbacks = () => deps.jobs.rereadsIdle();

  async function pass(): Promise<void> {
    // One pass per interval across instances: the others would spend the same budget on the
    // same pages. The lease names the interval's slot, so an instance that stops holds
    // nothing beyond its slot.
    const slot = Math.floor(Date.now() / deps.intervalMs);
    if (await deps.store.acquireLease(`poll-pass:${deps.intervalMs}:${slot}`, deps.instanceId, deps.intervalMs * 2)) {
      const startedAt = Date.now();
      await pollPending();
      lastPassStartedAt = startedAt;
    }
    await deps.reconciler?.pass(deps.instanceId);
  }

  async function pollPending(): Promise<void> {
    const ids = await deps.store.listPendingJobIds(batchSize);
    deps.metrics.pollerBacklog.set(ids.length);
    const wanted = new Set(ids);
    // Jobs completed since the last pass take what was remembered of them with them.
    for (const id of seen.keys()) if (!wanted.has(id)) seen.delete(id);
    for (const id of shown.keys()) if (!wanted.has(id)) shown.delete(id);
    if (wanted.size === 0) return;

    const candidates = await findActive(deps.client, wanted, { maxPages: Number.MAX_SAFE_INTEGER, beforePage: yieldToCallbacks }, async (job) => {
      if (seen.get(job.job_id) === job.state) return;
      await deps.jobs.apply(job.job_id, job);
      seen.set(job.job_id, job.state);
    });
    if (stopped || candidates.size === 0) return;

    // One candidate costs one Show either way; several are looked for among the ended jobs.
    const missing =
      candidates.size === 1
        ? candidates
        : await findEnded(
            deps.client,
            candidates,
            { endedSince: lastPassStartedAt, maxPages: Math.ceil(candidates.size / PAGE_SIZE) + 2, beforePage: yieldToCallbacks },
            (ended) => deps.jobs.applyListed(ended),
          );
    await showSome(missing);
  }

  /** Shows a few of the jobs the pages missed, those shown longest ago first. */
  async function showSome(missing: ReadonlySet<string>): Promise<void> {
    const now = Date.now();
    const turn = [...missing]
      .filter((id) => (shown.get(id)?.nextAt ?? 0) <= now)
      .sort((a, b) => (shown.get(a)?.at ?? 0) - (shown.get(b)?.at ?? 0))
      .slice(0, showsPerPass);
    for (const id of turn) {
      if (stopped) return;
      await yieldToCallbacks();
      const failures = shown.get(id)?.failures ?? 0;
      try {
        await deps.jobs.refresh(id);
        shown.set(id, { at: Date.now(), failures: 0, nextAt: 0 });
      } catch (error) {
        const delay = pollFailureDelayMs(failures + 1, deps.intervalMs);
        shown.set(id, { at: Date.now(), failures: failures + 1, nextAt: Date.now() + delay });
        deps.log.warn({ jobId: id, err: error, retryInMs: delay }, 'poll failed');
      }
    }
  }

  /** The interval, give or take a tenth; after failures, backing off from 2 s, jittered too. */
  function nextDelay(): number {
    if (failuresInRow === 0) return deps.intervalMs * (0.9 + 0.2 * Math.random());
    return pollFailureDelayMs(failuresInRow, deps.intervalMs);
  }

  function tick(): void {
    timer = undefined;
    if (running || stopped) return;
    running = pass()
      .then(
        () => void (failuresInRow = 0),
        (error: unknown) => {
          failuresInRow++;
          deps.log.warn({ err: error, failuresInRow }, 'poll pass failed');
        },
      )
      .finally(() => {
        running = undefined;
        if (!stopped) {
          timer = setTimeout(tick, nextDelay());
          timer.unref();
        }
      });
  }
  // Jobs left pending by a previous run resume at once.
  timer = setTimeout(tick, 0);
  timer.unref();

  return {
    async pollOnce() {
      if (running) await running;
      await pass();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (running) await running;
    },
  };
}
