/** What every resolver gets: the caller, the services, and loaders scoped to one operation. */
import type { GatewayConfig } from '../config.js';
import type { MetaStudioClient } from '../metastudio/client.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { CallbackTokens } from '../jobs/callback-token.js';
import type { JobEventBus } from '../jobs/event-bus.js';
import type { JobService } from '../jobs/job-service.js';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Principal } from '../auth/authenticator.js';
import type { Reconciler } from '../jobs/reconciler.js';
import type { GatewayStore } from '../jobs/store.js';
import type { LinkAfterReply } from '../jobs/link-after-reply.js';
import type { Loaders } from './loaders.js';

export interface Services {
  config: GatewayConfig;
  client: MetaStudioClient;
  store: GatewayStore;
  /** Links created jobs to their registrations once the create's reply is out. */
  links: LinkAfterReply;
  /** Events can be lost (Redis): subscriptions re-check the store. */
  mayDropEvents: boolean;
  /** Creates per principal per minute, shared by all instances. */
  limiter: RateLimiterAbstract;
  reconciler: Reconciler;
  /** MAX_CONCURRENT_UPLOADS on this instance. */
  uploadSlots: { take(): boolean; release(): void };
  bus: JobEventBus;
  jobs: JobService;
  tokens: CallbackTokens;
  log: Logger;
  metrics: GatewayMetrics;
  /** PUBLIC_URL, or http://HOST:PORT as bound. */
  publicUrl(): string;
}

export interface GraphQLContext {
  /** Who is calling (`anonymous` when authentication is off). */
  principal: Principal;
  /** This gateway's id for the HTTP request or WebSocket operation (X-Request-Id). */
  requestId: string;
  /** The logger, bound to `requestId`. */
  log: Logger;
  services: Services;
  /** Replaced for each subscription event, so no cache outlives one result. */
  loaders: Loaders;
}
