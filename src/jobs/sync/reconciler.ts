/**
 * Finds jobs whose create answer never reached the gateway (an upstream timeout, a
 * connection lost after the photo was sent, a crash mid-create): each unlinked
 * registration is looked up with ListPictureModelingJobs around its creation time and
 * matched by name (names are unique per account upstream). One that matches nothing
 * after RECONCILE_GIVE_UP_MS is closed as failed and pruned.
 */
import type { MetaStudioClient } from '../../metastudio/client.js';
import type { Logger } from '../../observability/logger.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import type { PictureModelingInfo } from '../../metastudio/types.js';
import type { JobRecord } from '../model/job-record.js';
import type { JobService } from './job-service.js';
import type { GatewayStore, Registration } from '../store/store.js';

/** Upstream and gateway clocks differ: the search window starts this much before the registration. */
const WINDOW_SLACK_MS = 10 * 60_000;
const PAGE = 100;
const MAX_PAGES = 20;

export interface Reconciler {
  /** Looks the registration's job up now; adopts and returns it when found. */
  reconcile(registration: Registration): Promise<JobRecord | undefined>;
  /** One pass over registrations left unlinked for longer than `afterMs`. */
  pass(instanceId: string): Promise<void>;
}

export function createReconciler(deps: {
  store: GatewayStore;
  client: MetaStudioClient;
  jobs: JobService;
  log: Logger;
  metrics: GatewayMetrics;
  /** A registration still unlinked after this long is looked for. */
  afterMs: number;
  giveUpMs: number;
  /** Linked registrations are kept this long (the notify_url token's lifetime), then pruned. */
  keepLinkedMs: number;
}): Reconciler {
  /** Upstream jobs created since `since`, by name (names are unique per account). */
  async function jobsByNameSince(since: number, wanted: ReadonlySet<string>): Promise<Map<string, PictureModelingInfo>> {
    // RFC 3339 to the second: the form the API reference shows.
    const createSince = new Date(since - WINDOW_SLACK_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const found = new Map<string, PictureModelingInfo>();
    for (let page = 0; page < MAX_PAGES && found.size < wanted.size; page++) {
      // Callbacks' re-reads go first: reconciling can wait a moment, a delivery should not.
      await deps.jobs.rereadsIdle();
      // Newest first: the jobs looked for are recent, even where create_since is not honoured.
      const { data } = await deps.client.listPictureModelingJobs({ createSince, offset: page * PAGE, limit: PAGE, sortKey: 'create_time', sortDir: 'desc' });
      const jobs = data.picture_modeling_jobs ?? [];
      for (const job of jobs) if (job.name && wanted.has(job.name)) found.set(job.name, job);
      if (jobs.length < PAGE) break;
    }
    return found;
  }

  async function reconcile(registration: Registration): Promise<JobRecord | undefined> {
    const match = (await jobsByNameSince(registration.createdAt, new Set([registration.name]))).get(registration.name);
    return match ? deps.jobs.adopt(registration, match) : undefined;
  }

  return {
    reconcile,
    async pass(instanceId) {
      const now = Date.now();
      await deps.store.pruneRegistrations(now - deps.keepLinkedMs);
      // One read serves the gauge and the pass: the oldest 100 old enough are looked for.
      const unlinked = await deps.store.listUnlinked(now + 1, 10_000);
      deps.metrics.unlinkedRegistrations.set(unlinked.length);
      const due: Registration[] = [];
      for (const registration of unlinked.filter((r) => r.createdAt < now - deps.afterMs).slice(0, 100)) {
        if (await deps.store.acquireLease(`reconcile:${registration.nonce}`, instanceId, 30_000)) due.push(registration);
      }
      if (due.length === 0) return;
      // One listing for the whole pass, from the oldest attempt on.
      let found: Map<string, PictureModelingInfo>;
      try {
        found = await jobsByNameSince(Math.min(...due.map((r) => r.createdAt)), new Set(due.map((r) => r.name)));
      } catch (error) {
        deps.log.warn({ err: (error as Error).message }, 'reconciliation failed; will retry');
        return;
      }
      for (const registration of due) {
        try {
          const match = found.get(registration.name);
          if (match) {
            if (await deps.jobs.adopt(registration, match)) deps.metrics.unlinkedRegistrations.dec();
          } else if (now - registration.createdAt > deps.giveUpMs) {
            await deps.store.removeRegistration(registration);
            deps.metrics.reconciliations.inc({ result: 'gave_up' });
            deps.metrics.unlinkedRegistrations.dec();
            deps.log.warn({ nonce: registration.nonce, name: registration.name }, 'no upstream job matches this create; registration closed as failed');
          }
        } catch (error) {
          deps.log.warn({ nonce: registration.nonce, err: (error as Error).message }, 'reconciliation failed; will retry');
        }
      }
    },
  };
}
