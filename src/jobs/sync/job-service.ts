/**
 * Re-reads a job upstream (the only source of truth), stores what moved, then publishes
 * completions. Callbacks, the poller, reconciliation and queries all come through here:
 * `refresh` reads one job now, `reread` marks it to be read soon with others.
 */
import type { MetaStudioClient } from '../../metastudio/client.js';
import { isTerminal, type PictureModelingInfo } from '../../metastudio/types.js';
import type { Logger } from '../../observability/logger.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import type { JobEventBus } from '../completion/event-bus.js';
import { ACCOUNT_OWNER, recordForRegistration, recordFromUpstream, type JobRecord } from '../model/job-record.js';
import type { GatewayStore, Registration } from '../store/store.js';
import { createReadScheduler } from './read-scheduler.js';

export interface JobService {
  /**
   * Reads the job upstream (one Show) and folds it into the store. Every call is answered
   * by a read sent after it: calls made in the same turn share one read, and calls made
   * while it is under way share the next one.
   * Throws MetaStudioError when upstream fails.
   */
  refresh(jobId: string): Promise<JobRecord | undefined>;
  /** Folds a reading already made into the store, publishing a completion. */
  apply(jobId: string, info: PictureModelingInfo): Promise<JobRecord | undefined>;
  /**
   * Folds readings from a list page into the store: only jobs this gateway holds as not yet
   * terminal (one store read for the page); the others are left alone.
   */
  applyListed(infos: readonly PictureModelingInfo[]): Promise<void>;
  /**
   * A job whose create answer was lost: stored for the registration's owner when the
   * reading matches the registration (same name), then published like any other.
   */
  adopt(registration: Registration, info: PictureModelingInfo): Promise<JobRecord | undefined>;
  /**
   * For holders of the admin scope: a job of the account that this gateway did not create.
   * For callers that found no record in the store: reads the job upstream (one Show) and
   * stores it, unless a record appeared meanwhile (then that one is kept and returned).
   */
  adoptForeign(jobId: string): Promise<JobRecord>;
  /**
   * Marks the job to be re-read soon, together with the others marked meanwhile: `ended`
   * for a callback (the default), `stale` for a job not read for a while that may still
   * be running (see read-scheduler.ts).
   * Never throws; a failed read is tried again later.
   */
  reread(jobId: string, reason?: 'ended' | 'stale'): void;
  /** Resolves once no marked job waits to be read: the poller waits here before each call. */
  rereadsIdle(): Promise<void>;
  /** Stops reading marked jobs (on close); waits for a batch under way. */
  stop(): Promise<void>;
}

export function createJobService(deps: {
  client: MetaStudioClient;
  store: GatewayStore;
  bus: JobEventBus;
  log: Logger;
  metrics: GatewayMetrics;
  onCompleted?: (record: JobRecord) => void;
}): JobService {
  /**
   * One read of one job. It is sent on the next turn of the event loop, so every refresh
   * asked for before then (a DataLoader batch, a burst of callbacks) shares it.
   */
  interface Flight {
    sent: boolean;
    promise: Promise<JobRecord | undefined>;
    settle: { resolve: (record: JobRecord | undefined) => void; reject: (error: unknown) => void };
    /** The read that answers whoever asks once this one has been sent. */
    next?: Flight;
  }
  const flights = new Map<string, Flight>();

  function newFlight(): Flight {
    let settle!: Flight['settle'];
    const promise = new Promise<JobRecord | undefined>((resolve, reject) => (settle = { resolve, reject }));
    return { sent: false, promise, settle };
  }

  function dispatch(jobId: string, flight: Flight): void {
    flights.set(jobId, flight);
    setImmediate(() => {
      flight.sent = true;
      refreshNow(jobId)
        .then(flight.settle.resolve, flight.settle.reject)
        .finally(() => {
          if (flight.next) dispatch(jobId, flight.next);
          else if (flights.get(jobId) === flight) flights.delete(jobId);
        });
    });
  }

  async function refreshNow(jobId: string): Promise<JobRecord | undefined> {
    const { data: info } = await deps.client.showPictureModelingJob(jobId);
    return apply(jobId, info);
  }

  async function apply(jobId: string, info: PictureModelingInfo): Promise<JobRecord | undefined> {
    const result = await deps.store.applyUpstream(jobId, info);
    if (!result) return undefined;
    if (result.becameTerminal) {
      // Stored above, published here: a subscriber that misses the event finds it in the store.
      deps.bus.publishCompleted(result.record);
      deps.metrics.completions.inc({ state: result.record.state });
      // Subscribers' messages go out in this turn's promise jobs; the log line and the relay wait for the next.
      const completed = result.record;
      setImmediate(() => {
        deps.log.info({ jobId, state: completed.state }, 'job completed');
        deps.onCompleted?.(completed);
      });
    }
    return result.record;
  }

  function refresh(jobId: string): Promise<JobRecord | undefined> {
    const flight = flights.get(jobId);
    if (!flight) {
      const first = newFlight();
      dispatch(jobId, first);
      return first.promise;
    }
    if (!flight.sent) return flight.promise;
    // The read under way may have left before whatever asked for this one (a callback
    // arriving mid-poll): queue exactly one more read, shared by everyone who asks meanwhile.
    flight.next ??= newFlight();
    return flight.next.promise;
  }

  async function applyListed(infos: readonly PictureModelingInfo[]): Promise<void> {
    if (infos.length === 0) return;
    const stored = await deps.store.getJobs(infos.map((info) => info.job_id));
    for (const info of infos) {
      const record = stored.get(info.job_id);
      if (record && !isTerminal(record.state) && record.state !== info.state) await apply(info.job_id, info);
    }
  }

  const rereads = createReadScheduler({ client: deps.client, jobs: { refresh, apply, applyListed }, log: deps.log });

  return {
    refresh,
    apply,
    applyListed,
    reread: (jobId, reason) => rereads.markDue(jobId, reason),
    rereadsIdle: () => rereads.idle(),
    stop: () => rereads.stop(),
    async adopt(registration, info) {
      // Show may omit the name (it is optional upstream); when it gives one, it must be ours.
      if (!info.job_id || (info.name != null && info.name !== registration.name)) {
        deps.log.warn({ nonce: registration.nonce, jobId: info.job_id }, 'upstream job does not match the registration; not adopted');
        return undefined;
      }
      // Stored as WAITING and then merged, so a job that has already ended is published as it would have been.
      const waiting = recordForRegistration(registration, info);
      const { record } = await deps.store.linkRegistration(registration.nonce, waiting);
      deps.metrics.adoptions.inc();
      deps.log.info({ jobId: record.jobId, owner: record.owner }, 'job adopted after a lost create answer');
      return (await apply(record.jobId, info)) ?? record;
    },
    async adoptForeign(jobId) {
      // No second store read: insertJob keeps a record stored since the caller's read.
      const { data: info } = await deps.client.showPictureModelingJob(jobId);
      return deps.store.insertJob(recordFromUpstream({ ...info, job_id: info.job_id || jobId }, { owner: ACCOUNT_OWNER }));
    },
  };
}
