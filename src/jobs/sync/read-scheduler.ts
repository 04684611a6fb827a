/**
 * Re-reads after callbacks (and subscriptions), so that reads grow with jobs, not with
 * callbacks. A callback only marks its job "to re-read"; the marks gathered meanwhile are
 * read together, one batch at a time: one job by a Show, several by pages of recently
 * ended jobs (100 a call), then of running jobs while that costs fewer calls than Shows,
 * and a Show for any not found there. The completion is still what upstream says: the
 * callback is only a trigger. A 429 is not this scheduler's to handle: the upstream budget
 * beneath the client owns that wait (the refused call is sent again no sooner than 2 s
 * later, and the operation's rate is lowered), so a read only fails here once the budget
 * gave up (GATEWAY.UPSTREAM_BUSY) or on a fault. Such a read is tried again no sooner than
 * 2 s later (longer after each failure in a row), never at once.
 */
import { isMetaStudioError } from '../../errors.js';
import type { MetaStudioClient } from '../../metastudio/client.js';
import type { Logger } from '../../observability/logger.js';
import type { JobService } from './job-service.js';
import { findActive, findEnded, PAGE_SIZE } from './list-pages.js';
import { backoffMs } from './retry-delay.js';

export interface ReadScheduler {
  /**
   * Marks the job to be re-read upstream. `ended` (a callback: the job has probably ended)
   * is looked for among ended jobs only; `stale` (a subscription to a job not read for a
   * while) among running jobs too. Never throws.
   */
  markDue(jobId: string, reason?: 'ended' | 'stale'): void;
  /**
   * Resolves once no re-read is due now or under way, or once the next batch has been read
   * (so a steady stream of callbacks cannot starve the poller): other readers wait here.
   */
  idle(): Promise<void>;
  /** Jobs marked and not yet read. */
  readonly pending: number;
  stop(): Promise<void>;
}

export interface ReadSchedulerOptions {
  client: Pick<MetaStudioClient, 'listPictureModelingJobs'>;
  jobs: Pick<JobService, 'refresh' | 'apply' | 'applyListed'>;
  log: Logger;
  /**
   * How long the first mark waits for others to join its batch; a batch also gathers
   * the marks made while the one before it is read. @default 50
   */
  gatherMs?: number;
  /**
   * Batches start at least this far apart, so a stream of callbacks is read in a few
   * batches rather than one read each. @default 1000 (the default show/list budget: 1/s)
   */
  spacingMs?: number;
  /** Shows per batch for jobs the pages did not list; the others wait for the next batch. @default 5 */
  showsPerBatch?: number;
}

/** Failures worth another read later; a job upstream does not know (4xx) is not read again. */
function worthRetrying(error: unknown): boolean {
  return !isMetaStudioError(error) || error.transient || error.origin !== 'UPSTREAM';
}

export function createReadScheduler(options: ReadSchedulerOptions): ReadScheduler {
  const gatherMs = options.gatherMs ?? 50;
  const spacingMs = options.spacingMs ?? 1000;
  const showsPerBatch = options.showsPerBatch ?? 5;
  let lastFlushAt = -Infinity;
  /** Job id -> when it was first marked, and the earliest time it may be read. */
  const due = new Map<string, { markedAt: number; notBefore: number }>();
  /** Marked jobs that may still be running (no callback said otherwise). */
  const maybeRunning = new Set<string>();
  let failuresInRow = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let idleWaiters: Array<() => void> = [];

  function schedule(): void {
    if (stopped || running || timer || due.size === 0) {
      if (!running && !timer && dueNow() === 0) wakeIdle();
      return;
    }
    const now = Date.now();
    let earliest = Infinity;
    for (const { notBefore } of due.values()) earliest = Math.min(earliest, notBefore);
    timer = setTimeout(
      () => {
        timer = undefined;
        running = flush().finally(() => {
          running = undefined;
          // Whoever waited gets one turn per batch, even while marks keep coming.
          wakeIdle();
          schedule();
        });
      },
      Math.max(gatherMs, earliest - now, lastFlushAt + spacingMs - now),
    );
    timer.unref();
    if (dueNow() === 0) wakeIdle();
  }

  /** Jobs that may be read now (ones waiting out a failure do not hold the poller back). */
  function dueNow(): number {
    const now = Date.now();
    let n = 0;
    for (const { notBefore } of due.values()) if (notBefore <= now) n++;
    return n;
  }

  function wakeIdle(): void {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  }

  function retryLater(jobIds: Iterable<string>, markedAt: Map<string, number>, error: unknown): void {
    if (!worthRetrying(error)) {
      options.log.warn({ jobs: markedAt.size, err: (error as Error).message }, 'callback re-read refused upstream; not retried');
      return;
    }
    failuresInRow++;
    const notBefore = Date.now() + backoffMs(failuresInRow);
    for (const jobId of jobIds) {
      const existing = due.get(jobId);
      // A mark made during the failed read keeps its own time, but waits out the backoff too.
      due.set(jobId, { markedAt: Math.min(existing?.markedAt ?? Infinity, markedAt.get(jobId) ?? Date.now()), notBefore });
    }
    options.log.warn({ jobs: markedAt.size, err: (error as Error).message, retryInMs: notBefore - Date.now() }, 'callback re-read failed; will retry');
  }

  async function flush(): Promise<void> {
    const now = Date.now();
    lastFlushAt = now;
    const batch = new Map<string, number>();
    for (const [jobId, mark] of due) {
      if (mark.notBefore > now) continue;
      batch.set(jobId, mark.markedAt);
      due.delete(jobId);
    }
    if (batch.size === 0) return;
    const stale = new Set([...batch.keys()].filter((jobId) => maybeRunning.delete(jobId)));
    if (batch.size === 1) {
      const [jobId] = batch.keys();
      await show(jobId!, batch);
      return;
    }
    let missing: Set<string>;
    try {
      missing = await findEnded(
        options.client,
        new Set(batch.keys()),
        // A job a callback marked ended before that: pages of jobs that ended earlier hold none
        // of them. A stale job may have ended any time: no cut-off then.
        // Jobs that ended after this batch's (their callbacks still on the way) come first: a
        // few pages more than the batch fills are allowed, and they complete those jobs too.
        { endedSince: stale.size === 0 ? Math.min(...batch.values()) : undefined, maxPages: Math.ceil(batch.size / PAGE_SIZE) + 4 },
        (ended) => options.jobs.applyListed(ended),
      );
      failuresInRow = 0;
    } catch (error) {
      retryLater(batch.keys(), batch, error);
      return;
    }
    // Not among the ended jobs: still running (a subscription's re-read), or listed too far
    // down. Several that may be running are looked for among the running jobs while that
    // costs fewer calls than a Show each.
    const mayRun = new Set([...missing].filter((jobId) => stale.has(jobId)));
    if (mayRun.size > 2) {
      try {
        const notRunning = await findActive(options.client, mayRun, { maxPages: mayRun.size - 1 }, (info) => options.jobs.apply(info.job_id, info));
        for (const jobId of mayRun) if (!notRunning.has(jobId)) missing.delete(jobId);
      } catch (error) {
        retryLater(missing, batch, error);
        return;
      }
    }
    // Not found in the pages: one Show each for the longest waiting; the rest go into the
    // next batch, whose pages may well list them (jobs that ended while these were read).
    const byAge = [...missing].sort((a, b) => batch.get(a)! - batch.get(b)!);
    for (const jobId of byAge.slice(showsPerBatch)) {
      if (!due.has(jobId)) due.set(jobId, { markedAt: batch.get(jobId)!, notBefore: 0 });
    }
    for (const jobId of byAge.slice(0, showsPerBatch)) {
      if (stopped) return;
      await show(jobId, batch);
    }
  }

  async function show(jobId: string, batch: Map<string, number>): Promise<void> {
    try {
      await options.jobs.refresh(jobId);
      failuresInRow = 0;
    } catch (error) {
      retryLater([jobId], new Map([[jobId, batch.get(jobId) ?? Date.now()]]), error);
    }
  }

  return {
    markDue(jobId, reason = 'ended') {
      if (stopped) return;
      const now = Date.now();
      const existing = due.get(jobId);
      if (reason === 'stale' && (!existing || maybeRunning.has(jobId))) maybeRunning.add(jobId);
      if (reason === 'ended') maybeRunning.delete(jobId);
      if (!existing) due.set(jobId, { markedAt: now, notBefore: now });
      schedule();
    },
    idle() {
      if (!running && dueNow() === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    get pending() {
      return due.size;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      if (running) await running;
      wakeIdle();
    },
  };
}
