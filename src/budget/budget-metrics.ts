/** The budget's Prometheus series, per budget operation (create, createByUrl, show, list, styles, assets). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface BudgetMetrics {
  sent: Counter<'operation'>;
  throttled: Counter<'operation'>;
  waitSeconds: Histogram<'operation'>;
  queueDepth: Gauge<'operation'>;
  rate: Gauge<'operation'>;
  lateSlots: Counter<'operation'>;
  lateSends: Histogram<'operation'>;
}

export function createBudgetMetrics(registry: Registry): BudgetMetrics {
  const registers = [registry];
  const labelNames = ['operation'] as const;
  return {
    sent: new Counter({ name: 'gateway_budget_calls_sent_total', help: 'Upstream calls sent within the budget, by operation', labelNames, registers }),
    throttled: new Counter({ name: 'gateway_budget_throttled_total', help: 'Upstream 429 throttles (APIG.0308), by operation', labelNames, registers }),
    waitSeconds: new Histogram({
      name: 'gateway_budget_wait_seconds',
      help: 'Time a call waited for its turn in the upstream budget, by operation',
      labelNames,
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
    queueDepth: new Gauge({ name: 'gateway_budget_queue_depth', help: 'Creates waiting for the budget on this instance, by operation', labelNames, registers }),
    lateSlots: new Counter({
      name: 'gateway_budget_late_slots_total',
      help: 'Budget slots given up because the event loop woke too late to keep the spacing, by operation',
      labelNames,
      registers,
    }),
    lateSends: new Histogram({
      name: 'gateway_budget_send_lateness_seconds',
      help: 'How long after its slot a call went out (undici started writing it), by operation; beyond 20 ms the slots after it move on',
      labelNames,
      buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    rate: new Gauge({ name: 'gateway_budget_rate', help: 'Current rate of the operation (calls/s, all instances), lowered after 429s', labelNames, registers }),
  };
}
