// Pure sync rules shared by the workflow, the activities and the api (no Node imports).

export type SyncState = 'running' | 'stopped';

/** How MakeShop orders are imported into Smaregi (DESIGN §1, §5 /order-import). */
export type OrderImportMethod = 'shipment' | 'stockAdjustment';
export const ORDER_IMPORT_METHODS: readonly OrderImportMethod[] = ['shipment', 'stockAdjustment'];

/** What 稼働 needs, as the onboarding workflow sees it. `missing` is the merchant's checklist. */
export interface Readiness {
  ready: boolean;
  missing: { key: string; message: string }[];
}

export interface SyncStatus {
  state: SyncState;
  active: boolean;
  readiness: Readiness;
  catalogVersion: number | null;
  pending: { orders: number; items: number; fullPush: boolean };
  lastPushAt: string | null;
  lastError: { at: string; message: string } | null;
  counters: { pushes: number; ordersImported: number; ordersCancelled: number; reconciliations: number };
}

/** target = max(0, total − buffer − reserved): never offer more than the stores hold. */
export function stockTarget(total: number, buffer: number, reserved: number): number {
  return Math.max(0, Math.floor(total) - Math.max(0, buffer) - Math.max(0, reserved));
}

export interface StockSettings {
  storeIds: string[];
  buffer: number;
  overrides: { code: string; buffer: number }[];
}

/** The buffer for one Smaregi product code: its override if there is one, else the default. */
export function bufferFor(settings: StockSettings, smaregiProductCode: string): number {
  const override = settings.overrides.find((o) => o.code === smaregiProductCode);
  return override ? override.buffer : settings.buffer;
}
