/** Prometheus metrics (prom-client), one registry per gateway so tests and instances stay apart. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createBudgetMetrics, type BudgetMetrics } from '../budget/budget-metrics.js';

export interface GatewayMetrics {
  registry: Registry;
  uploads: Counter<'result'>;
  uploadBytes: Counter;
  uploadSeconds: Histogram<'result'>;
  upstreamCalls: Counter<'operation' | 'status'>;
  upstreamSeconds: Histogram<'operation'>;
  callbacks: Counter<'result'>;
  activeSubscriptions: Gauge;
  pollerBacklog: Gauge;
  completions: Counter<'state'>;
  relays: Counter<'result'>;
  adoptions: Counter;
  reconciliations: Counter<'result'>;
  refusals: Counter<'reason'>;
  connections: Gauge<'transport'>;
  unlinkedRegistrations: Gauge;
  /** The upstream budget, per operation: calls sent, 429s, waits, queue depth, current rate. */
  budget: BudgetMetrics;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    uploads: new Counter({ name: 'gateway_uploads_total', help: 'Photo uploads by result', labelNames: ['result'], registers }),
    uploadBytes: new Counter({ name: 'gateway_upload_bytes_total', help: 'Photo bytes streamed upstream', registers }),
    uploadSeconds: new Histogram({
      name: 'gateway_upload_duration_seconds',
      help: 'Time from mutation start to upstream answer',
      labelNames: ['result'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    upstreamCalls: new Counter({
      name: 'gateway_upstream_calls_total',
      help: 'MetaStudio calls by operation and HTTP status (or fault code)',
      labelNames: ['operation', 'status'],
      registers,
    }),
    upstreamSeconds: new Histogram({
      name: 'gateway_upstream_duration_seconds',
      help: 'MetaStudio call latency',
      labelNames: ['operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    callbacks: new Counter({ name: 'gateway_callbacks_total', help: 'notify_url callbacks by result', labelNames: ['result'], registers }),
    activeSubscriptions: new Gauge({ name: 'gateway_active_subscriptions', help: 'Open pictureModelingJobCompleted subscriptions', registers }),
    pollerBacklog: new Gauge({ name: 'gateway_poller_backlog', help: 'Jobs not yet terminal at the last poll', registers }),
    completions: new Counter({ name: 'gateway_job_completions_total', help: 'Jobs that reached a terminal state', labelNames: ['state'], registers }),
    relays: new Counter({ name: 'gateway_relays_total', help: 'Completions relayed to client notifyUrl', labelNames: ['result'], registers }),
    adoptions: new Counter({ name: 'gateway_adopted_jobs_total', help: 'Jobs stored after their create answer was lost', registers }),
    reconciliations: new Counter({ name: 'gateway_reconciliations_total', help: 'Unanswered creates closed without a job', labelNames: ['result'], registers }),
    // By reason only, never by principal: one series per caller would not scale.
    refusals: new Counter({ name: 'gateway_refusals_total', help: 'Requests refused by authentication or limits', labelNames: ['reason'], registers }),
    unlinkedRegistrations: new Gauge({ name: 'gateway_unlinked_registrations', help: 'Creates whose job is not known yet (under way, or answer lost), at the last reconciliation pass', registers }),
    connections: new Gauge({ name: 'gateway_open_connections', help: 'Open WebSocket and SSE connections', labelNames: ['transport'], registers }),
    budget: createBudgetMetrics(registry),
  };
}
