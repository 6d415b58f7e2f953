import type { Db } from 'mongodb';
import type { TenantSettingsPort } from '../sync/ports';
import type { SecretBox } from './crypto';
import { loadMakeshopCredentials } from './secrets';
import { findTenantById, getShipmentStoreId, getStockSettings } from './tenants';

/** The sync engine's view of a tenant's settings, over the tenants and secrets collections. */
export function createTenantSettings(db: Db, secretBox: SecretBox): TenantSettingsPort {
  return {
    async contractId(tenantId) {
      const tenant = await findTenantById(db, tenantId);
      if (!tenant) throw new Error(`unknown tenant ${tenantId}`);
      // Sync runs only once onboarding is ready, which needs the contract linked; a released contract ends here.
      if (tenant.smaregiContractId === undefined) throw new Error(`tenant ${tenantId} has no linked Smaregi contract`);
      return tenant.smaregiContractId;
    },
    stockSettings: (tenantId) => getStockSettings(db, tenantId),
    shipmentStoreId: (tenantId) => getShipmentStoreId(db, tenantId),
    makeshopConnection: (tenantId) => loadMakeshopCredentials(db, secretBox, tenantId),
  };
}
