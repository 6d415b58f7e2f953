import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Logger } from '../lib/logger';
import { findTenantByContractId, setTenantActive, type TenantSummary } from '../storage/tenants';
import { signalSyncWorkflow } from '../temporal/tenant-workflows';
import { tenantActiveChangedSignal } from '../workflows/messages';
import { createAlertCenter, type AlertCenter } from '../alerts/center';

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
  await subscriptionAlert(createAlertCenter(deps), tenant.tenantId, active);
  deps.logger.info({ tenantId: tenant.tenantId, action: notification.action, active }, 'subscription applied');
  return tenant;
}

/** An ended subscription stops the sync: the merchant hears it at once; a restarted one resolves it. */
async function subscriptionAlert(center: AlertCenter, tenantId: string, active: boolean): Promise<void> {
  if (active) {
    await center.resolve(tenantId, 'smaregi-subscription-ended', 'smaregi');
    return;
  }
  await center.raise(tenantId, {
    kind: 'smaregi-subscription-ended',
    subject: 'smaregi',
    message:
      'スマレジ・アプリマーケットでこのアプリの契約が終了（または利用停止）したため、在庫連携を止めています。MakeShop の在庫はこれ以上更新されません。続けて使う場合は、アプリマーケットで契約を再開してください。',
  });
}
