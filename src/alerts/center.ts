// Raising and resolving alerts from anywhere (activities, webhooks, api): the MongoDB write first
// (idempotent, by _id), then the tenant's mail workflow is woken and the sync workflow's OpenAlerts
// search attribute is brought up to date. Both Temporal calls are best effort: the mail workflow also
// finds the notices the next time it runs, and the count is re-sent with every change.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { alertId, mailboxOf, OPERATOR_MAILBOX, type AlertEvent, type AlertKind } from '../domain/alerts';
import type { Logger } from '../lib/logger';
import { openAlertIds, raiseAlerts, readMailbox, resolveAlerts, type AlertChange } from '../storage/alerts';
import { wakeAlertMailWorkflow } from '../temporal/tenant-workflows';
import { openAlertsChangedSignal } from '../workflows/alert-messages';
import { syncWorkflowId } from '../workflows/messages';

export interface AlertCenterDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
}

export interface AlertCenter {
  /** Opens the alert (one per tenant, kind and subject); a repeat while open changes nothing. */
  raise(tenantId: string, event: AlertEvent): Promise<AlertChange>;
  /** The same for many at once (a push refused for many items). */
  raiseMany(tenantId: string, events: AlertEvent[]): Promise<number>;
  /** Resolves it if open, queuing the short "resolved" notice. */
  resolve(tenantId: string, kind: AlertKind, subject: string): Promise<boolean>;
  /** Resolves every open alert of the kind (optionally only those `which` picks by subject). */
  resolveKind(tenantId: string, kind: AlertKind, which?: (subject: string) => boolean): Promise<number>;
}

export function createAlertCenter(deps: AlertCenterDeps): AlertCenter {
  const afterChange = async (tenantId: string, kinds: AlertKind[]) => {
    const mailboxes = new Set(kinds.map((kind) => mailboxOf(kind, tenantId)));
    await Promise.all([...mailboxes].map((mailbox) => wakeMailWorkflow(deps, mailbox, tenantId)));
    if ([...mailboxes].some((m) => m !== OPERATOR_MAILBOX)) await publishOpenCount(deps, tenantId);
  };
  const raiseMany = async (tenantId: string, events: AlertEvent[]) => {
    const changed = (await raiseAlerts(deps.db, tenantId, events)).filter((r) => r.change !== 'unchanged');
    if (changed.length === 0) return [];
    deps.logger.warn({ tenantId, alerts: changed.slice(0, 20).map((r) => r.id), count: changed.length }, 'alerts raised');
    await afterChange(tenantId, [...new Set(changed.map((r) => r.kind))]);
    return changed;
  };
  const resolveIds = async (tenantId: string, kind: AlertKind, ids: string[]) => {
    const resolved = await resolveAlerts(deps.db, ids);
    if (resolved.length === 0) return 0;
    deps.logger.info({ tenantId, kind, alerts: resolved.slice(0, 20), count: resolved.length }, 'alerts resolved');
    await afterChange(tenantId, [kind]);
    return resolved.length;
  };
  return {
    async raise(tenantId, event) {
      return (await raiseMany(tenantId, [event]))[0]?.change ?? 'unchanged';
    },
    async raiseMany(tenantId, events) {
      return (await raiseMany(tenantId, events)).length;
    },
    async resolve(tenantId, kind, subject) {
      return (await resolveIds(tenantId, kind, [alertId(mailboxOf(kind, tenantId), kind, subject)])) > 0;
    },
    async resolveKind(tenantId, kind, which = () => true) {
      const mailbox = mailboxOf(kind, tenantId);
      const prefix = alertId(mailbox, kind, '');
      const ids = (await openAlertIds(deps.db, mailbox, kind)).filter((id) => which(id.slice(prefix.length)));
      return resolveIds(tenantId, kind, ids);
    },
  };
}

/** An alert must never fail the step that raised it: it is logged instead (the condition is met again later). */
export async function recordSafely(logger: Logger, what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    logger.warn({ err, what }, 'could not record an alert');
  }
}

async function wakeMailWorkflow(deps: AlertCenterDeps, mailbox: string, tenantId: string): Promise<void> {
  try {
    await wakeAlertMailWorkflow(deps.temporal, deps.taskQueue, mailbox, mailbox === OPERATOR_MAILBOX ? null : tenantId);
  } catch (err) {
    deps.logger.warn({ err, mailbox }, 'could not wake the alert mail workflow; the notices stay queued');
  }
}

/** The sync workflow keeps OpenAlerts; it is only told, never started, by an alert. */
async function publishOpenCount(deps: AlertCenterDeps, tenantId: string): Promise<void> {
  const count = (await readMailbox(deps.db, tenantId))?.open.length ?? 0;
  try {
    await deps.temporal.workflow.getHandle(syncWorkflowId(tenantId)).signal(openAlertsChangedSignal, { count, at: Date.now() });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) deps.logger.warn({ err, tenantId }, 'could not update OpenAlerts on the sync workflow');
  }
}
