import type { Client } from '@temporalio/client';
import type { Logger } from '../lib/logger';
import type { Db } from 'mongodb';
import type { SecretBox } from '../storage/crypto';
import { revokeRefusedToken } from '../storage/makeshop-apps';
import type { TenantSettingsPort } from '../sync/ports';
import type { MakeshopGateway } from '../platforms/makeshop/gateway';
import { signalMakeshopAppsRevoked } from '../temporal/tenant-workflows';

/**
 * A sync step found MakeShop refusing the tenant's makeshop apps token (the app was uninstalled and its
 * webhook lost): the installation is marked revoked and onboarding told, as the uninstall webhook does, so
 * the admin shows 「接続が切れています」, not 連携済み. MakeShop is asked once more first: a token that
 * works (a reinstall stored a fresh one meanwhile) is kept. The sync workflow stops itself (its activity
 * failure says `makeshop-revoked`) and the alert is raised by src/alerts/sync-alerts.ts.
 */
export function makeshopTokenRefusedHandler(deps: {
  db: Db;
  secretBox: SecretBox;
  tenants: TenantSettingsPort;
  makeshop: MakeshopGateway;
  temporal: Client;
  logger: Logger;
}): (tenantId: string) => Promise<void> {
  return async (tenantId) => {
    const connection = await deps.tenants.makeshopConnection(tenantId);
    if (connection?.mode !== 'apps') return;
    const check = await deps.makeshop.testConnection(connection);
    if (check.ok || check.reason !== 'credentials') return;
    if (!(await revokeRefusedToken(deps.db, deps.secretBox, tenantId, connection, new Date()))) return;
    deps.logger.warn({ tenantId, shopId: connection.shopId }, 'makeshop app token refused during sync: installation revoked');
    await signalMakeshopAppsRevoked(deps.temporal, tenantId, connection.shopId);
  };
}
