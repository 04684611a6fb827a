/**
 * Announces every registration that settles (linked to its job, marked unanswered, removed)
 * on the event bus, so a repeated idempotencyKey waiting on the first attempt wakes at once
 * instead of polling. Taken where it is stored (a decorator over the store, like
 * ./event-log.ts's), so whoever settles it (the create, a callback's adoption, the
 * reconciler) is heard without knowing of the waiters. The store write comes first: a
 * waiter subscribes, then re-reads.
 */
import type { GatewayStore } from '../store/store.js';
import type { JobEventBus } from './event-bus.js';

export function announcingSettledRegistrations(store: GatewayStore, bus: Pick<JobEventBus, 'publishRegistrationSettled'>): GatewayStore {
  return {
    ...store,
    async linkRegistration(nonce, record) {
      const linked = await store.linkRegistration(nonce, record);
      bus.publishRegistrationSettled(nonce);
      return linked;
    },
    async markUnanswered(nonce) {
      await store.markUnanswered(nonce);
      bus.publishRegistrationSettled(nonce);
    },
    async removeRegistration(registration) {
      await store.removeRegistration(registration);
      bus.publishRegistrationSettled(registration.nonce);
    },
  };
}
