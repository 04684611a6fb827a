/** How jobs are kept in step with upstream: polling, re-reads, reconciling, and the webhooks in and out. */
import { bool, type CleanedEnv } from 'envalid';
import { int, secret } from './validators.js';

export const jobsSpec = {
  POLL_INTERVAL_MS: int(10, 86_400_000)({ default: 30000 }),
  SUBSCRIBE_REREAD_AFTER_MS: int(0, 86_400_000)({ default: 5000 }),
  RECONCILE_AFTER_MS: int(0, 86_400_000)({ default: 60_000 }),
  CALLBACK_SECRET: secret({ default: undefined }),
  CALLBACK_TOKEN_TTL_SECONDS: int(60, 365 * 86400)({ default: 7 * 86400 }),
  RELAY_SIGNING_SECRET: secret({ default: undefined }),
  RELAY_ALLOW_PRIVATE: bool({ default: false }),
};

/** Never echoed in a problem line. */
export const jobsSecrets = ['CALLBACK_SECRET', 'RELAY_SIGNING_SECRET'];

export interface JobsConfig {
  pollIntervalMs: number;
  /** A stored job state older than this is re-read upstream when a subscription for it opens. */
  rereadAfterMs: number;
  /** A create still without a job id after this long is looked for upstream (its answer was lost). */
  reconcileAfterMs: number;
  callbackSecret: string | undefined;
  callbackTokenTtlSeconds: number;
  relaySigningSecret: string | undefined;
  relayAllowPrivate: boolean;
}

export function jobsConfig(e: CleanedEnv<typeof jobsSpec>): JobsConfig {
  return {
    pollIntervalMs: e.POLL_INTERVAL_MS,
    rereadAfterMs: e.SUBSCRIBE_REREAD_AFTER_MS,
    reconcileAfterMs: e.RECONCILE_AFTER_MS,
    callbackSecret: e.CALLBACK_SECRET,
    callbackTokenTtlSeconds: e.CALLBACK_TOKEN_TTL_SECONDS,
    relaySigningSecret: e.RELAY_SIGNING_SECRET,
    relayAllowPrivate: e.RELAY_ALLOW_PRIVATE,
  };
}
