/**
 * Finds jobs whose create answer never reached the gateway (an upstream timeout, a
 * connection lost after the photo was sent, a crash mid-create): each unlinked
 * registration is looked up with ListPictureModelingJobs around its creation time and
 * matched by name (names are unique per account upstream). One that matches nothing
 * after RECONCILE_GIVE_UP_MS is closed as failed and pruned.
 */
import type { MetaStudioClient } from '../metastudio/client.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { JobRecord } from './job-record.js';
import type { JobService } from './job-service.js';
import type { GatewayStore, Registration } from './store.js';

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
}): Reconciler {
  async function reconcile(registration: Registration): Promise<JobRecord | undefined> {
    const createSince = new Date(registration.createdAt - WINDOW_SLACK_MS).toISOString();
    for (let page = 0; page < MAX_PAGES; page++) {
      const { data } = await deps.client.listPictureModelingJobs({ createSince, offset: page * PAGE, limit: PAGE, sortKey: 'create_time', sortDir: 'asc' });
      const jobs = data.picture_modeling_jobs ?? [];
      const match = jobs.find((j) => j.name === registration.name);
      if (match) return deps.jobs.adopt(registration, match);
      if (jobs.length < PAGE) break;
    }
    return undefined;
  }

  return {
    reconcile,
    async pass(instanceId) {
      const now = Date.now();
      const due = await deps.store.listUnlinked(now - deps.afterMs, 100);
      for (const registration of due) {
        if (!(await deps.store.acquireLease(`reconcile:${registration.nonce}`, instanceId, 30_000))) continue;
        try {
          if (await reconcile(registration)) continue;
          if (now - registration.createdAt > deps.giveUpMs) {
            await deps.store.removeRegistration(registration);
            deps.metrics.reconciliations.inc({ result: 'gave_up' });
            deps.log.warn({ nonce: registration.nonce, name: registration.name }, 'no upstream job matches this create; registration closed as failed');
          }
        } catch (error) {
          deps.log.warn({ nonce: registration.nonce, err: (error as Error).message }, 'reconciliation failed; will retry');
        }
      }
    },
  };
}
