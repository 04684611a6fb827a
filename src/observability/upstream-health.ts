/**
 * Whether MetaStudio can be reached, as the calls themselves find it: `/ready` does not
 * depend on the upstream (every instance would fail alike, and taking them all out of
 * the load balancer helps nobody), so this is where an operator sees it. A gauge
 * `gateway_upstream_up` (1 after a call that got an HTTP answer, whatever its status; 0
 * after one that could not connect or timed out), the time of the last such failure, and a
 * log line for failures: the first at once, then at most one per `logEveryMs` with how many
 * were not logged; and one line when calls get through again.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from './logger.js';

export interface UpstreamCallEvent {
  operation: string;
  /** The HTTP status, or the gateway's error code when no answer came. */
  status: number | string;
}

export interface UpstreamHealth {
  observe(event: UpstreamCallEvent): void;
}

/** Error codes that mean no answer came from upstream (a client aborting its own call is not one). */
const UNREACHABLE = new Set(['GATEWAY.UPSTREAM_UNAVAILABLE', 'GATEWAY.UPSTREAM_TIMEOUT']);

export function createUpstreamHealth(options: { registry: Registry; log: Logger; logEveryMs?: number; now?: () => number }): UpstreamHealth {
  const { registry, log } = options;
  const logEveryMs = options.logEveryMs ?? 30_000;
  const now = options.now ?? Date.now;
  const registers = [registry];
  const up = new Gauge({ name: 'gateway_upstream_up', help: '1 if the last MetaStudio call got an HTTP answer, 0 if it could not connect or timed out', registers });
  const lastError = new Gauge({ name: 'gateway_upstream_last_error_timestamp_seconds', help: 'When a MetaStudio call last failed to get an answer (Unix time, s); 0 if never', registers });
  const failures = new Counter({ name: 'gateway_upstream_unreachable_total', help: 'MetaStudio calls that got no answer (connection failure or timeout), by operation', labelNames: ['operation'], registers });
  up.set(1);
  lastError.set(0);

  let down = false;
  let downSince = 0;
  let lastLogged = -Infinity;
  let unlogged = 0;

  return {
    observe({ operation, status }) {
      if (typeof status === 'number') {
        up.set(1);
        if (down) {
          down = false;
          log.info({ upstream: 'reachable', downForMs: now() - downSince, unloggedFailures: unlogged }, 'MetaStudio answers again');
          unlogged = 0;
        }
        return;
      }
      if (!UNREACHABLE.has(status)) return;
      const at = now();
      up.set(0);
      lastError.set(Math.floor(at / 1000));
      failures.inc({ operation });
      if (!down) {
        down = true;
        downSince = at;
      }
      if (at - lastLogged < logEveryMs) {
        unlogged++;
        return;
      }
      log.warn({ upstream: 'unreachable', operation, code: status, ...(unlogged ? { unloggedFailures: unlogged } : {}) }, 'MetaStudio could not be reached');
      lastLogged = at;
      unlogged = 0;
    },
  };
}
