/**
 * The log behind pictureModelingJobUpdated: every state change the gateway stores, per
 * principal, each with a cursor, kept for replays after a reconnect (SQLite table or a
 * Redis stream per principal, both bounded by age and count). Appending also publishes
 * the event to live listeners, in the log's order.
 *
 * Changes are taken where they are stored (a decorator over the job store), so whoever
 * moves a job (create, callback, poller, reconciler) is heard without knowing of the log.
 */
import type { Logger } from '../../observability/logger.js';
import { ACCOUNT_OWNER, type JobRecord } from '../model/job-record.js';
import type { GatewayStore } from '../store/store.js';

/** The stream holders of the admin scope read: every job of the account (no principal is ''). */
export const ACCOUNT_STREAM = '';

export interface JobEvent {
  /** Increases with each event of a stream; `after` a cursor replays what came later. */
  cursor: string;
  job: JobRecord;
}

export interface JobEventLog {
  /**
   * Appends the job's state to `stream` and publishes it, unless the stream already holds
   * this state or a later one of the job (a repeated or out-of-order write): events of one
   * job are in state order, each state once. Returns the event, or undefined when skipped.
   */
  append(stream: string, job: JobRecord): Promise<JobEvent | undefined>;
  /** Events after `after` (from the oldest kept when undefined), oldest first, at most `limit`. */
  read(stream: string, after: string | undefined, limit: number): Promise<JobEvent[]>;
  /** Listens for events appended to `stream` from now on; returns the unsubscribe function. */
  listen(stream: string, listener: (event: JobEvent) => void): () => void;
  close(): Promise<void>;
}

export interface EventLogLimits {
  retentionMs: number;
  maxPerStream: number;
}

/** Cursors are `<ms>-<seq>` (Redis stream ids) or `<n>` (SQLite row ids). */
export function isCursor(value: string): boolean {
  return /^\d{1,20}(-\d{1,20})?$/.test(value);
}

/** Orders two cursors of the same stream. */
export function compareCursors(a: string, b: string): number {
  const [a1 = '0', a2 = '0'] = a.split('-');
  const [b1 = '0', b2 = '0'] = b.split('-');
  const major = BigInt(a1) - BigInt(b1);
  if (major !== 0n) return major < 0n ? -1 : 1;
  const minor = BigInt(a2) - BigInt(b2);
  return minor === 0n ? 0 : minor < 0n ? -1 : 1;
}

/** Streams a job's events go to: its owner's, and the account's for admins. */
export function streamsOf(job: JobRecord): string[] {
  return job.owner === ACCOUNT_OWNER ? [ACCOUNT_STREAM] : [job.owner, ACCOUNT_STREAM];
}

/**
 * `store` whose writes that change a job's state also append to the log. The store write
 * comes first: a subscriber that misses an event still reads the state from the store.
 * A log that cannot be written is logged, never turned into a failed store write.
 */
export function recordingJobEvents(store: GatewayStore, events: JobEventLog, log: Logger): GatewayStore {
  const record = async (job: JobRecord) => {
    for (const stream of streamsOf(job)) {
      try {
        await events.append(stream, job);
      } catch (error) {
        log.warn({ jobId: job.jobId, err: (error as Error).message }, 'job event not logged');
      }
    }
  };
  return {
    ...store,
    async insertJob(job) {
      const stored = await store.insertJob(job);
      await record(stored);
      return stored;
    },
    async linkRegistration(nonce, job) {
      const linked = await store.linkRegistration(nonce, job);
      await record(linked.record);
      return linked;
    },
    async applyUpstream(jobId, info) {
      const result = await store.applyUpstream(jobId, info);
      if (result?.changed) await record(result.record);
      return result;
    },
  };
}
