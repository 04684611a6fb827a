/** What one instance accepts (sizes, rates, connections) and the fair shares of it per caller. */
import type { CleanedEnv } from 'envalid';
import { int } from './validators.js';

export const limitsSpec = {
  MAX_UPLOAD_BYTES: int(1, 2 ** 40)({ default: 10485760 }),
  RATE_LIMIT_CREATES_PER_MINUTE: int(1, 1_000_000)({ default: 30 }),
  MAX_PENDING_JOBS_PER_PRINCIPAL: int(1, 1_000_000)({ default: 20 }),
  MAX_SUBSCRIPTIONS_PER_CONNECTION: int(1, 100_000)({ default: 100 }),
  MAX_CONNECTIONS: int(1, 1_000_000)({ default: 10000 }),
  UPLOAD_IDLE_TIMEOUT_MS: int(100, 3_600_000)({ default: 30000 }),
  MAX_CONCURRENT_UPLOADS: int(1, 100_000)({ default: 64 }),
  RECONCILE_GIVE_UP_MS: int(1000, 7 * 86_400_000)({ default: 6 * 3_600_000 }),
  MAX_UPLOADS_PER_PRINCIPAL: int(1, 100_000)({ default: 8 }),
  MAX_CONNECTIONS_PER_PRINCIPAL: int(1, 1_000_000)({ default: 100 }),
  MAX_UNAUTHENTICATED_CONNECTIONS: int(1, 1_000_000)({ default: undefined }),
  CONNECTION_INIT_TIMEOUT_MS: int(100, 600_000)({ default: 3000 }),
  HEADERS_TIMEOUT_MS: int(100, 300_000)({ default: 15_000 }),
};

export interface LimitsConfig {
  createsPerMinute: number;
  maxPendingJobsPerPrincipal: number;
  maxSubscriptionsPerConnection: number;
  maxConnections: number;
  /** An upload that sends nothing for this long is aborted. */
  uploadIdleTimeoutMs: number;
  /** Uploads in flight at once on this instance. */
  maxConcurrentUploads: number;
  /** How long an unanswered create is looked for before its registration is closed. */
  reconcileGiveUpMs: number;
}

/** Fair shares of what one instance holds, so one caller (or a crowd of strangers) cannot take it all. */
export interface SecurityConfig {
  /** Uploads one principal streams at once on this instance (each file of a batch counts); only with authentication on. */
  maxUploadsPerPrincipal: number;
  /** graphql-ws and SSE connections one principal holds at once on this instance; only with authentication on. */
  maxConnectionsPerPrincipal: number;
  /** WebSocket connections that have not yet authenticated (no connection_init accepted), at once. */
  maxUnauthenticatedConnections: number;
  /** Time a WebSocket has to send its connection_init before it is closed (4408). */
  connectionInitTimeoutMs: number;
  /** Time a request's headers may take to arrive in full; then 408 and the connection is closed. */
  headersTimeoutMs: number;
}

export function limitsConfig(e: CleanedEnv<typeof limitsSpec>): { maxUploadBytes: number; limits: LimitsConfig; security: SecurityConfig } {
  return {
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    limits: {
      createsPerMinute: e.RATE_LIMIT_CREATES_PER_MINUTE,
      maxPendingJobsPerPrincipal: e.MAX_PENDING_JOBS_PER_PRINCIPAL,
      maxSubscriptionsPerConnection: e.MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxConnections: e.MAX_CONNECTIONS,
      uploadIdleTimeoutMs: e.UPLOAD_IDLE_TIMEOUT_MS,
      maxConcurrentUploads: e.MAX_CONCURRENT_UPLOADS,
      reconcileGiveUpMs: e.RECONCILE_GIVE_UP_MS,
    },
    security: {
      maxUploadsPerPrincipal: e.MAX_UPLOADS_PER_PRINCIPAL,
      maxConnectionsPerPrincipal: e.MAX_CONNECTIONS_PER_PRINCIPAL,
      // Unset: a tenth of MAX_CONNECTIONS (at least 10, at most all of it).
      maxUnauthenticatedConnections: e.MAX_UNAUTHENTICATED_CONNECTIONS ?? Math.max(Math.min(e.MAX_CONNECTIONS, 10), Math.ceil(e.MAX_CONNECTIONS / 10)),
      connectionInitTimeoutMs: e.CONNECTION_INIT_TIMEOUT_MS,
      headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    },
  };
}
