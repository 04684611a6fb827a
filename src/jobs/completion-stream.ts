/**
 * The events behind pictureModelingJobCompleted. The bus is subscribed to before the store
 * is read, so a completion cannot fall between the read and the subscribe; a job that is
 * already terminal is emitted at once.
 */
import { createGraphQLError } from 'graphql-yoga';
import { isMetaStudioError } from '../metastudio/errors.js';
import { isTerminal } from '../metastudio/types.js';
import { AsyncQueue } from './async-queue.js';
import type { JobEventBus } from './event-bus.js';
import type { JobRecord } from './job-record.js';
import type { JobService } from './job-service.js';
import type { JobStore } from './job-store.js';

export interface CompletionDeps {
  bus: JobEventBus;
  store: JobStore;
  jobs: JobService;
  onOpen?: () => void;
  onClose?: () => void;
  /** Safety net for buses that can drop events (Redis during an outage): re-read the store this often. */
  recheckMs?: number;
  /** A stored state older than this is re-read upstream when the subscription opens. */
  rereadAfterMs: number;
}

/**
 * @throws GraphQLError (before any event) for a job that neither the store nor upstream knows.
 */
export async function openCompletionStream(
  deps: CompletionDeps,
  principal: string,
  jobId: string | null | undefined,
): Promise<AsyncIterableIterator<JobRecord>> {
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
      if (record.owner === principal) queue.push(record);
    });
    return queue;
  }

  let emitted = false;
  const emitOnce = (r: JobRecord) => {
    if (emitted || !isTerminal(r.state)) return;
    emitted = true;
    queue.push(r);
    // With a jobId the subscription completes after its one event.
    queue.close();
  };
  const early: JobRecord[] = [];
  let listening = false;
  off = deps.bus.onCompleted(jobId, (r) => (listening ? emitOnce(r) : early.push(r)));
  let record: JobRecord;
  let fromStore = false;
  try {
    const stored = await deps.store.getJob(jobId);
    fromStore = stored !== undefined;
    record = stored ?? (await deps.jobs.adopt(jobId));
  } catch (error) {
    queue.close();
    if (isMetaStudioError(error) && error.origin === 'UPSTREAM' && error.httpStatus < 500) {
      throw createGraphQLError(`Unknown picture-modeling job: ${jobId}`, { extensions: { code: 'JOB_NOT_FOUND', upstreamCode: error.code } });
    }
    throw createGraphQLError(`The job ${jobId} could not be looked up: ${isMetaStudioError(error) ? error.message : 'internal error'}`, {
      extensions: { code: isMetaStudioError(error) ? error.code : 'INTERNAL' },
    });
  }
  if (record.owner !== principal) {
    queue.close();
    throw createGraphQLError(`Unknown picture-modeling job: ${jobId}`, { extensions: { code: 'JOB_NOT_FOUND' } });
  }
  listening = true;
  emitOnce(record);
  for (const r of early) emitOnce(r);
  if (!emitted && fromStore && Date.now() - record.updatedAt > deps.rereadAfterMs) {
    // Not read upstream for a while (a lost callback, a poll not yet due): one read now
    // publishes the completion if it has already happened. Fresh records are left alone,
    // so subscribing right after creating costs no upstream call.
    deps.jobs.refresh(jobId).catch(() => {});
  }
  if (!emitted && deps.recheckMs) {
    timer = setInterval(() => {
      deps.store.getJob(jobId).then((r) => r && emitOnce(r), () => {});
    }, deps.recheckMs);
    timer.unref();
  }
  return queue;
}
