import { Gauge } from 'prom-client';
import { ALERT_DEFINITIONS, ALERT_KINDS } from '../domain/alerts';
import { countOpenAlerts } from '../storage/alerts';
import { failureCause, listWorkflowsFailingTasks } from '../alerts/workflow-health';
import type { AppDeps } from './deps';

/** Open alerts per audience and kind, computed from MongoDB at scrape time (the same on every replica). */
export function registerAlertMetrics(deps: Pick<AppDeps, 'db' | 'metrics' | 'logger' | 'temporal'>): void {
  const { registry } = deps.metrics;
  if (registry.getSingleMetric('zaiko_alerts_open')) return;
  new Gauge({
    name: 'zaiko_alerts_open',
    help: 'Open alerts by audience (merchant, operator) and kind',
    labelNames: ['audience', 'kind'],
    registers: [registry],
    async collect() {
      try {
        const counts = await countOpenAlerts(deps.db);
        // Every kind is reported, 0 included, so a cleared alert shows as 0 rather than vanishing.
        for (const kind of ALERT_KINDS) this.set({ audience: ALERT_DEFINITIONS[kind].audience, kind }, 0);
        for (const c of counts) this.set({ audience: c.audience, kind: c.kind }, c.count);
      } catch (err) {
        deps.logger.warn({ err }, 'could not compute alert metrics');
      }
    },
  });
}

/**
 * Workflows whose tasks keep failing (non-determinism after a deploy, a throwing bug, task timeouts), by
 * workflow type and cause, from Temporal's own TemporalReportedProblems flag at scrape time. Above 0 means a
 * tenant's sync or onboarding is stuck: see docs/operations.md.
 */
export function registerWorkflowHealthMetrics(deps: Pick<AppDeps, 'metrics' | 'logger' | 'temporal'>): void {
  const { registry } = deps.metrics;
  if (registry.getSingleMetric('zaiko_workflows_failing_tasks')) return;
  new Gauge({
    name: 'zaiko_workflows_failing_tasks',
    help: 'Running workflows whose workflow tasks keep failing or timing out, by workflow type and cause',
    labelNames: ['workflow_type', 'cause'],
    registers: [registry],
    async collect() {
      try {
        const failing = await listWorkflowsFailingTasks(deps.temporal);
        this.reset();
        for (const w of failing) this.inc({ workflow_type: w.workflowType, cause: failureCause(w.problems) });
      } catch (err) {
        deps.logger.warn({ err }, 'could not list workflows failing their tasks');
      }
    },
  });
}
