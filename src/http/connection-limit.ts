/**
 * Long-lived connections (graphql-ws and SSE together) one instance holds at once:
 * MAX_CONNECTIONS in all; of them at most MAX_UNAUTHENTICATED_CONNECTIONS WebSockets that
 * have not authenticated yet, and at most MAX_CONNECTIONS_PER_PRINCIPAL held by any one
 * principal. A new stranger beyond its share evicts the oldest one, which has had the
 * longest to authenticate: a crowd of bare upgrades, re-opened as fast as they close,
 * cannot keep out a client that sends its connection_init as it opens.
 */
import { createPrincipalSlots } from '../auth/principal-slots.js';
import type { GatewayMetrics } from '../observability/metrics.js';

export type LongLivedTransport = 'ws' | 'sse';

export interface ConnectionLimit {
  /** Takes a slot, or returns false when the instance is full. */
  tryOpen(transport: LongLivedTransport): boolean;
  close(transport: LongLivedTransport): void;
  /**
   * A WebSocket not yet authenticated. When strangers hold their whole share the oldest is
   * evicted (`evict` is called, synchronously). Returns what to call once it has
   * authenticated or left (any number of times).
   */
  admitStranger(evict: () => void): () => void;
  /** One of the principal's connections, or false when it holds its share. */
  claim(principal: string): boolean;
  unclaim(principal: string): void;
  readonly open: number;
}

export interface ConnectionShares {
  maxUnauthenticated: number;
  /** `Infinity` when every caller is one principal (authentication off). */
  perPrincipal: number;
}

export function createConnectionLimit(max: number, metrics: GatewayMetrics, shares: ConnectionShares = { maxUnauthenticated: max, perPrincipal: Infinity }): ConnectionLimit {
  let open = 0;
  /** Oldest first (a Set iterates in insertion order). */
  const strangers = new Set<{ evict: () => void }>();
  const principals = createPrincipalSlots(shares.perPrincipal);
  return {
    tryOpen(transport) {
      if (open >= max) {
        metrics.refusals.inc({ reason: 'too_many_connections' });
        return false;
      }
      open++;
      metrics.connections.inc({ transport });
      return true;
    },
    close(transport) {
      open--;
      metrics.connections.dec({ transport });
    },
    admitStranger(evict) {
      while (strangers.size >= shares.maxUnauthenticated) {
        const oldest = strangers.values().next().value!;
        strangers.delete(oldest);
        metrics.refusals.inc({ reason: 'unauthenticated_connection_evicted' });
        oldest.evict();
      }
      const entry = { evict };
      strangers.add(entry);
      return () => void strangers.delete(entry);
    },
    claim(principal) {
      if (principals.take(principal)) return true;
      metrics.refusals.inc({ reason: 'too_many_connections_per_principal' });
      return false;
    },
    unclaim: (principal) => principals.release(principal),
    get open() {
      return open;
    },
  };
}
