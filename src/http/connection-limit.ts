/** MAX_CONNECTIONS: long-lived connections (graphql-ws and SSE together) one instance holds at once. */
import type { GatewayMetrics } from '../observability/metrics.js';

export type LongLivedTransport = 'ws' | 'sse';

export interface ConnectionLimit {
  /** Takes a slot, or returns false when the instance is full. */
  tryOpen(transport: LongLivedTransport): boolean;
  close(transport: LongLivedTransport): void;
  readonly open: number;
}

export function createConnectionLimit(max: number, metrics: GatewayMetrics): ConnectionLimit {
  let open = 0;
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
    get open() {
      return open;
    },
  };
}
