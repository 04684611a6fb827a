/**
 * Re-reads a job upstream (the only source of truth), stores what moved, then publishes
 * completions. Callbacks, the poller and queries all come through here.
 */
import type { MetaStudioClient } from '../metastudio/client.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { JobEventBus } from './event-bus.js';
import { recordFromUpstream, type JobRecord } from './job-record.js';
import type { JobStore } from './job-store.js';

export interface JobService {
  /**
   * Reads the job upstream and folds it into the store. Concurrent refreshes of one job
   * share a single upstream call. Throws MetaStudioError when upstream fails.
   */
  refresh(jobId: string): Promise<JobRecord | undefined>;
  /** Stored record for a job this gateway does not know yet (e.g. created elsewhere). */
  adopt(jobId: string): Promise<JobRecord>;
}

export function createJobService(deps: {
  client: MetaStudioClient;
  store: JobStore;
  bus: JobEventBus;
  log: Logger;
  metrics: GatewayMetrics;
  onCompleted?: (record: JobRecord) => void;
}): JobService {
  const inFlight = new Map<string, Promise<JobRecord | undefined>>();

  async function refreshNow(jobId: string): Promise<JobRecord | undefined> {
    const { data: info } = await deps.client.showPictureModelingJob(jobId);
    const result = await deps.store.applyUpstream(jobId, info);
    if (!result) return undefined;
    if (result.becameTerminal) {
      // Stored above, published here: a subscriber that misses the event finds it in the store.
      deps.metrics.completions.inc({ state: result.record.state });
      deps.log.info({ jobId, state: result.record.state }, 'job completed');
      deps.bus.publishCompleted(result.record);
      deps.onCompleted?.(result.record);
    }
    return result.record;
  }

  return {
    refresh(jobId) {
      let pending = inFlight.get(jobId);
      if (!pending) {
        pending = refreshNow(jobId).finally(() => inFlight.delete(jobId));
        inFlight.set(jobId, pending);
      }
      return pending;
    },
    async adopt(jobId) {
      const existing = await deps.store.getJob(jobId);
      if (existing) return existing;
      const { data: info } = await deps.client.showPictureModelingJob(jobId);
      return deps.store.insertJob(recordFromUpstream({ ...info, job_id: info.job_id || jobId }));
    },
  };
}
