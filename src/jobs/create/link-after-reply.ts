/**
 * Links a created job to its registration just after the create's reply has gone out, so
 * the client waits for no store write once MetaStudio has answered. Nothing is at risk in
 * the gap: the registration was stored before the create was sent, so an early callback
 * finds it by its token, and a crash before the link leaves it to the reconciler. Reads
 * of a job on this instance wait for its link, so a query or subscription sent right
 * after the reply finds the job.
 */
import type { JobRecord } from '../model/job-record.js';
import type { GatewayStore } from '../store/store.js';

export type Linked = Awaited<ReturnType<GatewayStore['linkRegistration']>>;

export interface LinkAfterReply {
  /** Links after the current turn of the event loop (the reply is written in this one); `then` runs once linked. */
  schedule(nonce: string, record: JobRecord, then: (result: { linked: Linked } | { error: Error }) => void): void;
  /** `store` whose job reads first wait for links of those jobs still in flight. */
  readonly store: GatewayStore;
  /** Resolves once every scheduled link has settled. */
  drain(): Promise<void>;
}

export function linkAfterReply(store: GatewayStore): LinkAfterReply {
  const pending = new Map<string, Promise<void>>();
  const settled = (ids: readonly string[]): Promise<unknown> | undefined => {
    if (pending.size === 0) return undefined;
    const waits = ids.map((id) => pending.get(id)).filter((p) => p !== undefined);
    return waits.length > 0 ? Promise.all(waits) : undefined;
  };
  return {
    schedule(nonce, record, then) {
      const done = new Promise<void>((resolve) => {
        // setImmediate runs after this turn's I/O callbacks, the reply's socket write among them.
        setImmediate(() => {
          void store
            .linkRegistration(nonce, record)
            .then(
              (linked) => ({ linked }),
              (error: unknown) => ({ error: error as Error }),
            )
            .then((outcome) => {
              pending.delete(record.jobId);
              resolve();
              try {
                then(outcome);
              } catch {
                // `then` only logs and starts work with its own error handling; a throw there
                // must not become an unhandled rejection that stops the process.
              }
            });
        });
      });
      pending.set(record.jobId, done);
    },
    store: {
      ...store,
      async getJob(jobId) {
        await settled([jobId]);
        return store.getJob(jobId);
      },
      async getJobs(jobIds) {
        await settled(jobIds);
        return store.getJobs(jobIds);
      },
    },
    async drain() {
      await Promise.all(pending.values());
    },
  };
}
