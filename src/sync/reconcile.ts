import { orderLedger } from '../storage/orders';
import { advanceOrderCursor, readOrderCursor } from '../storage/order-cursors';
import { activeCatalogVersion } from '../storage/catalog-items';
import { SyncConfigurationError, type SyncDeps } from './ports';
import { ORDER_CMD, editedSinceRecorded, refreshPendingLines } from './orders';
import { repairDriftIfDue } from './drift';

export interface ReconcileInput {
  tenantId: string;
  /** ISO time of the last reconciliation's read; null on the first run. */
  stockCursor: string | null;
}

export interface ReconcileResult {
  stockCursor: string;
  productIds: string[];
  orders: { orderNumber: string; cmd: number }[];
}

/** Smaregi's upd_date_time has second precision and clocks drift: re-read a little of the past. */
const CURSOR_OVERLAP_MS = 2 * 60 * 1000;
/**
 * However recent the settled point, orders are re-read this far back: a cancellation can come days after
 * the order (bank-transfer auto-cancel after 7 days), and its notification may be lost.
 */
const LATE_CANCELLATION_WINDOW_MS = 10 * 24 * 60 * 60 * 1000;
/** The first run has no cursor: look back this far. */
const FIRST_RUN_LOOKBACK_MS = 24 * 60 * 60 * 1000;

/**
 * The safety net for lost webhooks and notifications: Smaregi stock changed since the cursor, and
 * MakeShop orders of the recent window that the ledger has not settled. Once SYNC_DRIFT_REPAIR_INTERVAL_MS
 * has passed it also repairs drift (src/sync/drift.ts).
 */
export async function reconcile(deps: SyncDeps, input: ReconcileInput, now = new Date()): Promise<ReconcileResult> {
  const { tenantId } = input;
  const settings = await deps.tenants.stockSettings(tenantId);
  if (!settings) throw new SyncConfigurationError('no Smaregi stores are selected for stock sync');
  const contractId = await deps.tenants.contractId(tenantId);
  const since = new Date(
    input.stockCursor ? Date.parse(input.stockCursor) - CURSOR_OVERLAP_MS : now.getTime() - FIRST_RUN_LOOKBACK_MS,
  );
  const productIds = new Set<string>();
  for (const storeId of settings.storeIds) {
    for (const row of await deps.smaregi.listStock(contractId, { storeId, updatedFrom: since, updatedTo: now })) {
      productIds.add(row.productId);
    }
    deps.heartbeat?.({ step: 'stock', storeId });
  }
  // Before the order window is read: orders the drift repair's discovery records are among the unsettled.
  await repairDriftIfDue(deps, tenantId, now);
  return { stockCursor: now.toISOString(), productIds: [...productIds], orders: await unsettledOrders(deps, tenantId, now) };
}

async function unsettledOrders(deps: SyncDeps, tenantId: string, now: Date): Promise<ReconcileResult['orders']> {
  if ((await activeCatalogVersion(deps.db, tenantId)) === null) return [];
  const credentials = await deps.tenants.makeshopConnection(tenantId);
  if (!credentials) return [];
  // From the settled point the last complete reconciliation reached (a long 停止 is covered), and at least
  // the late-cancellation window.
  const settled = (await readOrderCursor(deps.db, tenantId))?.settledThrough?.getTime() ?? Number.POSITIVE_INFINITY;
  const from = new Date(Math.min(settled - CURSOR_OVERLAP_MS, now.getTime() - LATE_CANCELLATION_WINDOW_MS));
  const orders = await deps.makeshop.listOrders(credentials, { from, to: now });
  deps.heartbeat?.({ step: 'orders', count: orders.length });
  const ledger = new Map<string, { status: string; lines: { code: string; quantity: number }[]; correcting?: boolean }>();
  const docs = orderLedger(deps.db).find(
    { tenantId, orderNumber: { $in: orders.map((o) => o.orderNumber) } },
    { projection: { orderNumber: 1, status: 1, lines: 1, correcting: 1 } },
  );
  for await (const d of docs) ledger.set(d.orderNumber, d);
  const found: ReconcileResult['orders'] = [];
  for (const order of orders) {
    const recorded = ledger.get(order.orderNumber);
    const status = recorded?.status;
    if (order.status === 'cancelled') {
      if (status !== undefined && status !== 'cancelled') found.push({ orderNumber: order.orderNumber, cmd: ORDER_CMD.cancelled });
    } else if (status === undefined || status === 'pending') {
      if (status === 'pending' && editedSinceRecorded(recorded!.lines, order)) await refreshPendingLines(deps, tenantId, order);
      found.push({ orderNumber: order.orderNumber, cmd: ORDER_CMD.created });
    } else if (status === 'imported' && order.status !== 'provisional' && (recorded!.correcting === true || editedSinceRecorded(recorded!.lines, order))) {
      // An edit whose notification was lost, or whose correction stopped halfway: Smaregi still holds the old quantities.
      found.push({ orderNumber: order.orderNumber, cmd: ORDER_CMD.edited });
    }
  }
  // Pending orders older than the window (a long outage) are retried too.
  for await (const d of orderLedger(deps.db).find({ tenantId, status: 'pending' }, { projection: { orderNumber: 1 } })) {
    if (!found.some((o) => o.orderNumber === d.orderNumber)) found.push({ orderNumber: d.orderNumber, cmd: ORDER_CMD.created });
  }
  await advanceOrderCursor(deps.db, tenantId, 'settledThrough', now);
  return found;
}
