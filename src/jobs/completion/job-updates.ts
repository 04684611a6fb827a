/**
 * The events behind pictureModelingJobUpdated, scoped to the caller: its own stream of
 * the event log (the account's for admins). The live listener is attached before the log
 * is read, events that arrive during the replay wait, and an event is delivered only if
 * its cursor is past the last one delivered: a replay joins the live events with no gap
 * and no duplicate. Both the log and its live channel are in the log's order, so one
 * cursor is enough to dedupe.
 */
import { createGraphQLError } from 'graphql-yoga';
import type { Principal } from '../../auth/authenticator.js';
import { isTerminal } from '../../metastudio/types.js';
import { AsyncQueue } from '../../lib/async-queue.js';
import type { JobRecord } from '../model/job-record.js';
import { seesWholeAccount } from '../model/visibility.js';
import type { GatewayStore } from '../store/store.js';
import type { JobService } from '../sync/job-service.js';
import { findVisibleJob } from './completion-stream.js';
import { ACCOUNT_STREAM, compareCursors, isCursor, type JobEvent, type JobEventLog } from './event-log.js';

export interface JobUpdatesDeps {
  events: JobEventLog;
  store: GatewayStore;
  jobs: Pick<JobService, 'adoptForeign' | 'reread'>;
  onOpen?: () => void;
  onClose?: () => void;
  /** Set for logs whose live channel can drop events (Redis pub/sub): re-read the log this often. */
  recheckMs?: number | undefined;
  /** A stored state older than this is re-read upstream when a subscription for one job opens. */
  rereadAfterMs: number;
  /** Events read from the log per call. @default 500 */
  pageSize?: number;
}

/**
 * @param after a cursor from an earlier event: replay what came after it, then go live.
 * Without it: with a jobId, the job's events still in the log (or its stored state), then
 * live; without a jobId, live only.
 * @throws GraphQLError (before any event) for a malformed cursor, or a job the caller cannot see.
 */
export async function openJobUpdates(
  deps: JobUpdatesDeps,
  principal: Principal,
  jobId: string | null | undefined,
  after: string | null | undefined,
): Promise<AsyncIterableIterator<JobEvent>> {
  if (after != null && !isCursor(after)) {
    throw createGraphQLError(`"after" is not a cursor of pictureModelingJobUpdated: ${JSON.stringify(after.slice(0, 40))}`, {
      extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
    });
  }
  const stream = seesWholeAccount(principal) ? ACCOUNT_STREAM : principal.id;
  const pageSize = deps.pageSize ?? 500;
  let timer: NodeJS.Timeout | undefined;
  let off = () => {};
  const queue = new AsyncQueue<JobEvent>(() => {
    off();
    clearInterval(timer);
    deps.onClose?.();
  });
  deps.onOpen?.();

  let last: string | undefined = after ?? undefined;
  let sawJob = false;
  const deliver = (event: JobEvent) => {
    if (last !== undefined && compareCursors(event.cursor, last) <= 0) return;
    last = event.cursor;
    if (jobId != null && event.job.jobId !== jobId) return;
    sawJob = true;
    queue.push(event);
    // With a jobId the subscription completes after the job's terminal state.
    if (jobId != null && isTerminal(event.job.state)) queue.close();
  };
  let replaying = true;
  const waiting: JobEvent[] = [];
  off = deps.events.listen(stream, (event) => (replaying ? waiting.push(event) : deliver(event)));

  const readOn = async () => {
    for (;;) {
      const page = await deps.events.read(stream, last, pageSize);
      for (const event of page) deliver(event);
      if (page.length < pageSize) return;
    }
  };

  let record: JobRecord | undefined;
  try {
    // As for every read: only admins reach upstream for a job the store does not hold.
    // Any other failure (the store's, the log's) is rethrown as it is.
    if (jobId != null) record = (await findVisibleJob(deps, principal, jobId, (error) => error)).record;
    if (after != null || jobId != null) await readOn();
  } catch (error) {
    queue.close();
    throw error;
  }
  replaying = false;
  for (const event of waiting.splice(0)) deliver(event);

  if (record && !sawJob && after == null) {
    // A job the log no longer holds (older than its retention): its stored state stands in,
    // with the cursor of the stream's position so a reconnect goes on from here.
    queue.push({ cursor: last ?? '0', job: record });
    if (isTerminal(record.state)) queue.close();
  }
  if (record && !isTerminal(record.state) && Date.now() - record.updatedAt > deps.rereadAfterMs) {
    // Not read upstream for a while: one read soon logs a change that has already happened.
    // Marked rather than read at once: many subscriptions opening together share list pages.
    deps.jobs.reread(record.jobId, 'stale');
  }
  if (deps.recheckMs) {
    // Live events dropped during an outage are in the log: read on from the last cursor.
    timer = setInterval(() => void readOn().catch(() => {}), deps.recheckMs);
    timer.unref();
  }
  return queue;
}
