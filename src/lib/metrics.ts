import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Histogram<'method' | 'route' | 'status'>;
  webhooksReceived: Counter<'source' | 'outcome'>;
  /** Where a Smaregi stock webhook's time goes: batching wait, claim write, signal, whole request. */
  webhookStages: Histogram<'stage'>;
}

export function createMetrics(processName: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ process: processName });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Histogram({
      name: 'zaiko_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    webhooksReceived: new Counter({
      name: 'zaiko_webhooks_received_total',
      help: 'Webhooks received by source and outcome (accepted, duplicate, rejected, unavailable)',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    webhookStages: new Histogram({
      name: 'zaiko_webhook_stage_duration_seconds',
      help: 'Smaregi stock webhooks: time in each stage (batch-wait, claim, signal, handler = the whole route)',
      labelNames: ['stage'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2],
      registers: [registry],
    }),
  };
}
