import { isMetaStudioError, storeUnavailable } from '../../../errors.js';
import type { GatewayStore } from '../store.js';

/**
 * Every store call that fails for a Redis reason (down, failing over, READONLY, a driver
 * timeout) rejects with GATEWAY.STORE_UNAVAILABLE, the driver's error as its cause: what
 * callers answer clients, whichever path they come from.
 */
export function failuresAsStoreUnavailable(store: GatewayStore): GatewayStore {
  const guarded = { ...store } as Record<string, unknown>;
  for (const [name, method] of Object.entries(store) as Array<[string, (...args: unknown[]) => Promise<unknown>]>) {
    if (name === 'ready' || name === 'close') continue;
    guarded[name] = async (...args: unknown[]) => {
      try {
        return await method(...args);
      } catch (error) {
        throw isMetaStudioError(error) ? error : storeUnavailable(error);
      }
    };
  }
  return guarded as unknown as GatewayStore;
}
