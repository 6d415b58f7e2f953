import type { Db } from 'mongodb';
import type { TenantSettingsPort } from '../sync/ports';
import type { SecretBox } from './crypto';
import { makeshopModeOf } from '../domain/onboarding';
import { loadAppsConnection } from './makeshop-apps';
import { loadMakeshopCredentials } from './secrets';
import { findTenantById, getOrderImportMethod, getShipmentStoreId, getStockSettings, tenantsCollection } from './tenants';

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
    orderImportMethod: (tenantId) => getOrderImportMethod(db, tenantId),
    /** The mode chosen at step 2 decides: apps → the linked installation's token, else the legacy credentials. */
    async makeshopConnection(tenantId) {
      const doc = await tenantsCollection(db).findOne({ _id: tenantId }, { projection: { 'onboarding.state.makeshopMode': 1, 'onboarding.state.apps': 1 } });
      const state = doc?.onboarding?.state;
      if (state && makeshopModeOf(state) === 'apps') return state.apps ? loadAppsConnection(db, secretBox, tenantId, state.apps.shopId) : null;
      return loadMakeshopCredentials(db, secretBox, tenantId);
    },
  };
}
