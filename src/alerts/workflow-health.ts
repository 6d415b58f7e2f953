// Workflows whose tasks keep failing: a non-determinism error after a deploy, a bug that throws in workflow
// code, a task that times out. Temporal retries such a task forever while webhooks still answer 200, so
// nothing else would notice. The Temporal server (1.28+) flags them itself with the system search attribute
// `TemporalReportedProblems` after two consecutive task failures and clears it on the next success; this
// module turns that flag into an operator alert (raised and resolved) and a metric.
import type { Client } from '@temporalio/client';
import { OPERATOR_MAILBOX } from '../domain/alerts';
import type { Logger } from '../lib/logger';
import { TenantIdKey } from '../temporal/search-attributes';
import type { AlertCenter } from './center';

export const FAILING_TASKS_QUERY =
  'ExecutionStatus="Running" AND TemporalReportedProblems IN ("category=WorkflowTaskFailed", "category=WorkflowTaskTimedOut")';

/** Enough to alert on every failing workflow of a bad deploy without listing a whole namespace. */
const LIST_LIMIT = 1000;

export interface WorkflowFailingTasks {
  workflowId: string;
  workflowType: string;
  tenantId: string | null;
  /** `category=…` and `cause=…` as the server reports them, e.g. `cause=WorkflowTaskFailedCauseNonDeterministicError`. */
  problems: string[];
}

export async function listWorkflowsFailingTasks(client: Client): Promise<WorkflowFailingTasks[]> {
  const found: WorkflowFailingTasks[] = [];
  for await (const execution of client.workflow.list({ query: FAILING_TASKS_QUERY })) {
    const problems = execution.searchAttributes?.TemporalReportedProblems;
    found.push({
      workflowId: execution.workflowId,
      workflowType: execution.type,
      tenantId: execution.typedSearchAttributes.get(TenantIdKey) ?? null,
      problems: Array.isArray(problems) ? problems.map(String) : [],
    });
    if (found.length >= LIST_LIMIT) break;
  }
  return found;
}

/** The cause label of a failing workflow (`NonDeterministicError`, `WorkflowWorkerUnhandledFailure`, `TimedOut`…). */
export function failureCause(problems: string[]): string {
  const cause = problems.find((p) => p.startsWith('cause='))?.slice('cause='.length);
  if (cause) return cause.replace(/^WorkflowTaskFailedCause/, '');
  return problems.includes('category=WorkflowTaskTimedOut') ? 'TimedOut' : 'Unknown';
}

export interface WorkflowHealthDeps {
  client: Client;
  alerts: AlertCenter;
  logger: Logger;
}

/**
 * One pass: an operator alert per workflow whose tasks keep failing (subject: its workflow id), and the
 * alerts of workflows that recovered (or were terminated) resolved. Idempotent, so every worker replica may run it.
 */
export async function checkWorkflowHealth(deps: WorkflowHealthDeps): Promise<{ failing: number; resolved: number }> {
  const failing = await listWorkflowsFailingTasks(deps.client);
  for (const workflow of failing) {
    const cause = failureCause(workflow.problems);
    await deps.alerts.raise(workflow.tenantId ?? OPERATOR_MAILBOX, {
      kind: 'workflow-task-failing',
      subject: workflow.workflowId,
      message:
        `ワークフロー ${workflow.workflowId}（${workflow.workflowType}${workflow.tenantId ? `、テナント ${workflow.tenantId}` : ''}）` +
        `のタスクが失敗し続けています（原因: ${cause}）。この間、このテナントの同期は止まっています。` +
        'docs/operations.md の「止まった・非決定的なワークフロー」の手順で原因を確かめてください。',
    });
  }
  if (failing.length > 0) {
    deps.logger.error(
      { workflows: failing.slice(0, 20).map((w) => ({ workflowId: w.workflowId, cause: failureCause(w.problems) })), count: failing.length },
      'workflows are failing their workflow tasks',
    );
  }
  const stillFailing = new Set(failing.map((w) => w.workflowId));
  const resolved = await deps.alerts.resolveKind(OPERATOR_MAILBOX, 'workflow-task-failing', (subject) => !stillFailing.has(subject));
  return { failing: failing.length, resolved };
}

/** Runs the check every `intervalMs` in this process until the returned stop is called. */
export function scheduleWorkflowHealthChecks(deps: WorkflowHealthDeps, intervalMs: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    checkWorkflowHealth(deps)
      .catch((err: unknown) => deps.logger.warn({ err }, 'workflow health check failed'))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
