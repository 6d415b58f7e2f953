import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Logger } from '../lib/logger';
import { findTenantByContractId, setTenantActive, type TenantSummary } from '../storage/tenants';
import { signalSyncWorkflow } from '../temporal/tenant-workflows';
import { tenantActiveChangedSignal } from '../workflows/messages';

export interface SubscriptionDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
}

/** App Market subscription actions that switch the tenant off or back on; others (change-plan) change nothing. */
const ACTIVE_AFTER: Record<string, boolean> = { start: true, 'cancel-force-stop': true, end: false, 'force-stop': false };

/**
 * Applies a Smaregi App Market subscription notification: marks the tenant (in)active and tells its
 * sync workflow. Returns the tenant, or null when no tenant has this contract. Safe to repeat.
 */
export async function applySubscriptionNotification(
  deps: SubscriptionDeps,
  notification: { contractId: string; action: string },
): Promise<TenantSummary | null> {
  const active = ACTIVE_AFTER[notification.action];
  if (active === undefined) {
    deps.logger.info({ contractId: notification.contractId, action: notification.action }, 'subscription action changes nothing');
    return findTenantByContractId(deps.db, notification.contractId);
  }
  const tenant = await setTenantActive(deps.db, notification.contractId, active);
  if (!tenant) return null;
  await signalSyncWorkflow(deps.temporal, deps.taskQueue, tenant.tenantId, tenantActiveChangedSignal, [{ active }]);
  deps.logger.info({ tenantId: tenant.tenantId, action: notification.action, active }, 'subscription applied');
  return tenant;
}
