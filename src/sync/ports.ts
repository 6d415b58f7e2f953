import type { Db } from 'mongodb';
import type { Logger } from '../lib/logger';
import type { OrderImportMethod, StockSettings } from '../domain/sync';
import type { MakeshopConnection, MakeshopGateway } from '../platforms/makeshop/gateway';
import type { SmaregiClient } from '../platforms/smaregi/client';
import type { SyncAlertPort } from '../alerts/sync-alerts';

/** What the sync engine needs to know about a tenant; implemented over the tenants/secrets storage. */
export interface TenantSettingsPort {
  contractId(tenantId: string): Promise<string>;
  stockSettings(tenantId: string): Promise<StockSettings | null>;
  /** The store orders are imported into (出荷元 / 在庫調整 store). */
  shipmentStoreId(tenantId: string): Promise<string | null>;
  orderImportMethod(tenantId: string): Promise<OrderImportMethod>;
  /** The tenant's MakeShop connection in its mode; decrypted only here, inside an activity, never returned to a workflow. */
  makeshopConnection(tenantId: string): Promise<MakeshopConnection | null>;
}

export interface SyncDeps {
  db: Db;
  logger: Logger;
  smaregi: SmaregiClient;
  makeshop: MakeshopGateway;
  tenants: TenantSettingsPort;
  /** Called during long steps so Temporal knows the activity is alive (and can cancel it). */
  heartbeat?: (details?: unknown) => void;
  /** Drift repair (src/sync/drift.ts); absent, the reconciliation does none. */
  driftRepair?: DriftRepairPort;
  /** Told about refused items and held orders (src/alerts/sync-alerts.ts). */
  alerts?: SyncAlertPort;
}

/** How drift repair asks the tenant's sync workflow for a push (wired to its signals). */
export interface DriftRepairPort {
  /** SYNC_DRIFT_REPAIR_INTERVAL_MS. */
  intervalMs: number;
  /**
   * `changed`: every item's target is recomputed and those that differ from what MakeShop is known to show
   * are pushed; `full`: every item is pushed, whatever MakeShop is known to show.
   */
  requestPush(tenantId: string, scope: 'changed' | 'full'): Promise<void>;
}

/** A problem that retrying cannot fix (missing settings): the activity fails without retries. */
export class SyncConfigurationError extends Error {
  override readonly name = 'SyncConfigurationError';
}
