/** What every resolver gets: the caller, the services, and loaders scoped to one operation. */
import type { Logger } from '../observability/logger.js';
import type { Principal } from '../auth/authenticator.js';
import type { Loaders } from './loaders.js';
import type { Services } from '../services.js';
import type { RequestUploads } from '../uploads/use-streaming-uploads.js';

export type { Services };

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
  /** Aborted when an HTTP caller goes away (a create waiting for the budget then leaves its queue). */
  signal?: AbortSignal | undefined;
  /** SSE's Last-Event-ID header: where a reconnecting EventSource left off. */
  lastEventId?: string | undefined;
  /** A multipart request's files, as the upload plugin parsed them. */
  uploads?: RequestUploads | undefined;
}
