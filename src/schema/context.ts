/** What every resolver gets: the caller, the services, and loaders scoped to one operation. */
import type { GatewayConfig } from '../config.js';
import type { MetaStudioClient } from '../metastudio/client.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { CallbackTokens } from '../jobs/callback-token.js';
import type { JobEventBus } from '../jobs/event-bus.js';
import type { JobService } from '../jobs/job-service.js';
import type { JobStore } from '../jobs/job-store.js';
import type { Loaders } from './loaders.js';

export interface Services {
  config: GatewayConfig;
  client: MetaStudioClient;
  store: JobStore;
  bus: JobEventBus;
  jobs: JobService;
  tokens: CallbackTokens;
  log: Logger;
  metrics: GatewayMetrics;
  /** PUBLIC_URL, or http://HOST:PORT as bound. */
  publicUrl(): string;
}

export interface GraphQLContext {
  /** `anonymous` until authentication exists. */
  principal: string;
  /** This gateway's id for the HTTP request or WebSocket operation (X-Request-Id). */
  requestId: string;
  /** The logger, bound to `requestId`. */
  log: Logger;
  services: Services;
  /** Replaced for each subscription event, so no cache outlives one result. */
  loaders: Loaders;
}
