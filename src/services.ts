/** The services every transport and resolver share, built once by the composition root (gateway.ts). */
import type { GatewayConfig } from './config.js';
import type { MetaStudioClient } from './metastudio/client.js';
import type { Logger } from './observability/logger.js';
import type { GatewayMetrics } from './observability/metrics.js';
import type { CallbackTokens } from './jobs/webhooks/callback-token.js';
import type { JobEventBus } from './jobs/completion/event-bus.js';
import type { JobEventLog } from './jobs/completion/event-log.js';
import type { JobService } from './jobs/sync/job-service.js';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Reconciler } from './jobs/sync/reconciler.js';
import type { GatewayStore } from './jobs/store/store.js';
import type { UploadSlots } from './uploads/upload-slots.js';
import type { UpstreamBudget } from './budget/upstream-budget.js';
import type { CreateQueueRelay } from './budget/create-queue-relay.js';

export interface Services {
  config: GatewayConfig;
  client: MetaStudioClient;
  store: GatewayStore;
  /** Events can be lost (Redis): subscriptions re-check the store. */
  mayDropEvents: boolean;
  /** Creates per principal per minute, shared by all instances. */
  limiter: RateLimiterAbstract;
  reconciler: Reconciler;
  /** MAX_CONCURRENT_UPLOADS on this instance, MAX_UPLOADS_PER_PRINCIPAL of them per principal. */
  uploadSlots: UploadSlots;
  bus: JobEventBus;
  /** Every state change per principal, for pictureModelingJobUpdated and its replays. */
  events: JobEventLog;
  jobs: JobService;
  tokens: CallbackTokens;
  log: Logger;
  metrics: GatewayMetrics;
  /** PUBLIC_URL, or http://HOST:PORT as bound. */
  publicUrl(): string;
  /** The upstream budget (UPSTREAM_RATE_LIMITS); the client paces every call through it. */
  budget: UpstreamBudget;
  /** Redis mode: pictureModelingCreateQueue hears creates waiting on other instances through it. */
  createQueueRelay?: CreateQueueRelay | undefined;
}
