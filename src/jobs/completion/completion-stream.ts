/**
 * The events behind pictureModelingJobCompleted, scoped to the caller. The bus is
 * subscribed to before the store is read, so a completion cannot fall between the read
 * and the subscribe; a job that is already terminal is emitted at once.
 */
import { createGraphQLError } from 'graphql-yoga';
import type { Principal } from '../../auth/authenticator.js';
import type { MetaStudioClient } from '../../metastudio/client.js';
import { isMetaStudioError, isUpstreamRefusal, jobNotFound, storeUnavailable, type MetaStudioError } from '../../errors.js';
import { isTerminal } from '../../metastudio/types.js';
import { markSpan } from '../../observability/tracing.js';
import { AsyncQueue } from '../../lib/async-queue.js';
import type { JobEventBus } from './event-bus.js';
import { recordFromUpstream, type JobRecord } from '../model/job-record.js';
import type { JobService } from '../sync/job-service.js';
import type { GatewayStore } from '../store/store.js';
import { canSee, seesWholeAccount } from '../model/visibility.js';

export interface CompletionDeps {
  bus: JobEventBus;
  store: GatewayStore;
  jobs: JobService;
  client: Pick<MetaStudioClient, 'showPictureModelingJob'>;
  onOpen?: () => void;
  onClose?: () => void;
  /** Set for buses that can drop events (Redis during an outage): re-read the store this often. */
  recheckMs?: number | undefined;
  /** A stored state older than this is re-read upstream when the subscription opens. */
  rereadAfterMs: number;
}

/** The GraphQL error a subscription ends with: the same codes queries and mutations use. */
export function subscriptionError(error: MetaStudioError) {
  return createGraphQLError(error.message, { extensions: { code: error.code, http: { status: error.httpStatus } } });
}

/**
 * The job a subscription for one job follows, as the caller may see it: the stored record,
 * or for an admin a job of the account this gateway does not hold (read upstream once).
 * `fromStore` tells which. A refusal upstream reads as an unknown job; other upstream and
 * gateway failures end with their own code.
 * @param otherwise makes what is thrown for any other failure (the store's driver, say).
 * @throws GraphQLError for a job the caller cannot see: unknown, or another principal's.
 */
export async function findVisibleJob(
  deps: { store: Pick<GatewayStore, 'getJob'>; jobs: Pick<JobService, 'adoptForeign'> },
  principal: Principal,
  jobId: string,
  otherwise: (error: unknown) => unknown,
): Promise<{ record: JobRecord; fromStore: boolean }> {
  let record: JobRecord | undefined;
  let fromStore = false;
  try {
    record = await deps.store.getJob(jobId);
    fromStore = record !== undefined;
    // Only admins reach upstream for a job the store does not hold: for anyone else an
    // unknown id costs nothing upstream and reads the same as another principal's job.
    if (!record && seesWholeAccount(principal)) record = await deps.jobs.adoptForeign(jobId);
  } catch (error) {
    if (isUpstreamRefusal(error)) throw subscriptionError(jobNotFound(jobId));
    if (isMetaStudioError(error)) throw subscriptionError(error);
    throw otherwise(error);
  }
  if (!record || !canSee(principal, record)) throw subscriptionError(jobNotFound(jobId));
  return { record, fromStore };
}

/**
 * @throws GraphQLError (before any event) for a job the caller cannot see: unknown, or another principal's.
 */
export async function openCompletionStream(deps: CompletionDeps, principal: Principal, jobId: string | null | undefined): Promise<AsyncIterableIterator<JobRecord>> {
  let off = () => {};
  let timer: NodeJS.Timeout | undefined;
  const queue = new AsyncQueue<JobRecord>(() => {
    off();
    if (timer) clearInterval(timer);
    deps.onClose?.();
  });
  deps.onOpen?.();

  if (jobId == null) {
    off = deps.bus.onCompleted(undefined, (record) => {
      if (!canSee(principal, record)) return;
      markSpan('pictureModelingJobCompleted delivery', { 'metastudio.job.id': record.jobId, 'metastudio.job.state': record.state });
      queue.push(record);
    });
    return queue;
  }

  let emitted = false;
  const emitOnce = (r: JobRecord) => {
    if (emitted || !isTerminal(r.state)) return;
    emitted = true;
    markSpan('pictureModelingJobCompleted delivery', { 'metastudio.job.id': r.jobId, 'metastudio.job.state': r.state });
    queue.push(r);
    // With a jobId the subscription completes after its one event.
    queue.close();
  };
  const early: JobRecord[] = [];
  let listening = false;
  off = deps.bus.onCompleted(jobId, (r) => (listening ? emitOnce(r) : early.push(r)));
  let found: Awaited<ReturnType<typeof findVisibleJob>>;
  try {
    // The store failed (Redis down, a failover): the contract's code, never the driver's message.
    found = await findVisibleJob(deps, principal, jobId, (error) => subscriptionError(storeUnavailable(error)));
  } catch (error) {
    queue.close();
    throw error;
  }
  const { record, fromStore } = found;
  const owner = record.owner;
  listening = true;
  emitOnce(record);
  for (const r of early) emitOnce(r);
  if (!emitted && fromStore && Date.now() - record.updatedAt > deps.rereadAfterMs) {
    // Not read upstream for a while (a lost callback, a poll not yet due): one read now
    // publishes the completion if it has already happened. Fresh records are left alone,
    // so subscribing right after creating costs no upstream call.
    // Marked rather than read at once: many subscriptions opening together share list pages.
    deps.jobs.reread(jobId, 'stale');
  }
  if (!emitted && deps.recheckMs) {
    const recheck = () => {
      deps.store.getJob(jobId).then(
        (r) => (r ? emitOnce(r) : restoreLost(owner)),
        () => {},
      );
    };
    timer = setInterval(recheck, deps.recheckMs);
    timer.unref();
    // Back from an outage that may have swallowed the completion: re-read now, not at the next tick.
    const offResync = deps.bus.onResubscribed(recheck);
    const offEvents = off;
    off = () => {
      offEvents();
      offResync();
    };
  }
  return queue;

  /** The store lost the job (Redis restarted without persistence): read it upstream again, or end with an error. */
  async function restoreLost(owner: string) {
    try {
      const { data } = await deps.client.showPictureModelingJob(jobId!);
      const restored = await deps.store.insertJob(recordFromUpstream({ ...data, job_id: data.job_id || jobId! }, { owner }));
      emitOnce(restored);
    } catch (error) {
      if (isUpstreamRefusal(error)) queue.fail(subscriptionError(jobNotFound(jobId!)));
    }
  }
}
