/**
 * A repeated idempotencyKey while the first attempt is still creating: wait for that
 * attempt's registration to settle, woken by the "registration settled" event
 * (../completion/settled-registrations.ts) rather than by polling the store.
 */
import { upstreamTimeout } from '../../errors.js';
import type { Services } from '../../services.js';
import type { JobRecord } from '../model/job-record.js';

/** Where the bus can drop events (Redis pub/sub during an outage), the store is also re-read this often. */
export const RECHECK_MS = 1000;

/**
 * The first attempt's job once it is known, or undefined when the first attempt failed and
 * released the key. Gives up as the first attempt's own create would have (its wait in the
 * budget's queue, its upstream call, and a margin); one stale or unanswered is reconciled.
 * @throws MetaStudioError GATEWAY.UPSTREAM_TIMEOUT when the first attempt's job is not found.
 */
export async function waitForFirstAttempt(services: Services, nonce: string): Promise<JobRecord | undefined> {
  const { store, reconciler, config, bus } = services;
  const deadline = Date.now() + config.budget.queueTimeoutMs + config.upstream.timeoutMs + 5000;
  const wake = createWakeUp();
  // Subscribed before the store is read: pub/sub replays nothing, and settling stores before it publishes.
  const offSettled = bus.onRegistrationSettled(nonce, wake.ring);
  const offResubscribed = bus.onResubscribed(wake.ring);
  try {
    for (;;) {
      const registration = await store.findRegistration(nonce);
      if (!registration) return undefined;
      if (registration.jobId) {
        const record = await store.getJob(registration.jobId);
        if (record) return record;
      }
      const staleAt = registration.createdAt + config.reconcileAfterMs;
      if (registration.status === 'unanswered' || Date.now() > staleAt || Date.now() > deadline) {
        const adopted = await reconciler.reconcile(registration);
        if (adopted) return adopted;
        throw upstreamTimeout(
          'The first attempt with this idempotencyKey got no answer from MetaStudio and its job is not found yet; retry later with the same key',
        );
      }
      const untilDue = Math.min(staleAt, deadline) + 1 - Date.now();
      await wake.sleep(services.mayDropEvents ? Math.min(untilDue, RECHECK_MS) : untilDue);
    }
  } finally {
    offSettled();
    offResubscribed();
  }
}

/** A sleep that a ring ends early; a ring while awake ends the next sleep at once. */
function createWakeUp() {
  let rung = false;
  let wakeNow: (() => void) | undefined;
  return {
    ring: () => {
      rung = true;
      wakeNow?.();
    },
    async sleep(ms: number) {
      if (!rung) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          wakeNow = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      rung = false;
      wakeNow = undefined;
    },
  };
}
