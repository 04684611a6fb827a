/** What subscription clients get: multipart heartbeats and how far back `after` replays reach. */
import type { CleanedEnv } from 'envalid';
import { int } from './validators.js';

export const clientsSpec = {
  MULTIPART_HEARTBEAT_MS: int(10, 3_600_000)({ default: 5000 }),
  JOB_EVENTS_RETENTION_HOURS: int(24, 24 * 365)({ default: 24 }),
  JOB_EVENTS_MAX_PER_PRINCIPAL: int(100, 10_000_000)({ default: 10_000 }),
};

export interface ClientsConfig {
  /** A `{}` part this often on multipart HTTP subscriptions, so proxies keep them open. */
  multipartHeartbeatMs: number;
  /** pictureModelingJobUpdated events are kept this long for `after` replays (at least 24 h). */
  jobEventsRetentionMs: number;
  /** At most this many events kept per principal, newest kept. */
  jobEventsMaxPerPrincipal: number;
}

export function clientsConfig(e: CleanedEnv<typeof clientsSpec>): ClientsConfig {
  return {
    multipartHeartbeatMs: e.MULTIPART_HEARTBEAT_MS,
    jobEventsRetentionMs: e.JOB_EVENTS_RETENTION_HOURS * 3_600_000,
    jobEventsMaxPerPrincipal: e.JOB_EVENTS_MAX_PER_PRINCIPAL,
  };
}
