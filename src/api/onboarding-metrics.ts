import { Gauge } from 'prom-client';
import { countOnboardingGauges } from '../storage/tenants';
import type { AppDeps } from './deps';

/**
 * Onboarding gauges, computed from MongoDB at scrape time so that every api replica reports the same
 * values whichever process recorded them. Registered once per registry.
 */
export function registerOnboardingMetrics(deps: Pick<AppDeps, 'db' | 'metrics' | 'logger'>): void {
  const { registry } = deps.metrics;
  if (registry.getSingleMetric('zaiko_onboarding_applications_waiting_too_long')) return;
  let latest: Promise<Awaited<ReturnType<typeof countOnboardingGauges>> | null> | null = null;
  /** One MongoDB round per scrape, shared by the three gauges. */
  const counts = () => {
    latest ??= countOnboardingGauges(deps.db)
      .catch((err: unknown) => {
        deps.logger.warn({ err }, 'could not compute onboarding metrics');
        return null;
      })
      .finally(() => setImmediate(() => (latest = null)));
    return latest;
  };
  new Gauge({
    name: 'zaiko_onboarding_applications_waiting_too_long',
    help: 'MakeShop applications waiting for operator approval longer than the report threshold (7 days)',
    registers: [registry],
    async collect() {
      const c = await counts();
      if (c) this.set(c.waitingTooLong);
    },
  });
  new Gauge({
    name: 'zaiko_onboarding_applications_waiting',
    help: 'MakeShop applications waiting for operator approval',
    registers: [registry],
    async collect() {
      const c = await counts();
      if (c) this.set(c.waiting);
    },
  });
  new Gauge({
    name: 'zaiko_onboarding_tenants',
    help: 'Tenants by their next open onboarding step (done = all six steps done)',
    labelNames: ['next_step'],
    registers: [registry],
    async collect() {
      const c = await counts();
      if (c) for (const [step, count] of Object.entries(c.byNextStep)) this.set({ next_step: step }, count);
    },
  });
}
