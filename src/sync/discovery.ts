import { activeCatalogVersion } from '../storage/catalog-items';
import { advanceOrderCursor, readOrderCursor } from '../storage/order-cursors';
import { markProductsDirty, queueOrders } from '../storage/sync-work';
import type { SyncDeps } from './ports';
import { ORDER_CMD, recordDiscoveredOrders } from './orders';

export interface DiscoverOrdersInput {
  tenantId: string;
}

export interface DiscoverOrdersResult {
  /** Orders MakeShop took that the ledger did not know: now pending (reserved), to be imported. */
  orders: { orderNumber: string; cmd: number }[];
}

/** Re-read a little before the last look: MakeShop's clock and order dates (whole seconds, JST) are not ours. */
const DISCOVERY_OVERLAP_MS = 2 * 60 * 1000;
/** The first look of a tenant reaches back this far (the reconciliation covers anything older). */
const FIRST_DISCOVERY_LOOKBACK_MS = 60 * 60 * 1000;

/**
 * Order discovery before a push (issue 10 #4): asks MakeShop (legacy orderinfo window, apps searchOrder,
 * through the gateway) for orders since the last look and records unseen ones as pending, so their
 * quantities are reserved before targets are computed — a lost or late notification cannot let a push
 * erase MakeShop's own decrement. Unseen orders are also queued for import and their products marked
 * changed (the changed-products store), whoever looked: the workflow's cycle, a push, drift repair.
 */
export async function discoverOrders(deps: SyncDeps, input: DiscoverOrdersInput, now = new Date()): Promise<DiscoverOrdersResult> {
  const { tenantId } = input;
  if ((await activeCatalogVersion(deps.db, tenantId)) === null) return { orders: [] };
  const connection = await deps.tenants.makeshopConnection(tenantId);
  if (!connection) return { orders: [] };
  const cursor = await readOrderCursor(deps.db, tenantId);
  const lastLook = cursor?.discoveredThrough?.getTime() ?? now.getTime() - FIRST_DISCOVERY_LOOKBACK_MS;
  const listed = await deps.makeshop.listOrders(connection, { from: new Date(lastLook - DISCOVERY_OVERLAP_MS), to: now });
  const orders: DiscoverOrdersResult['orders'] = [];
  const productIds = new Set<string>();
  for (const { orderNumber, lines } of await recordDiscoveredOrders(deps, tenantId, listed)) {
    orders.push({ orderNumber, cmd: ORDER_CMD.created });
    for (const line of lines) if (line.smaregiProductId) productIds.add(line.smaregiProductId);
  }
  // A found order is imported without waiting for a notification that may never come, and its items are
  // pushed again: a push that landed before this look may have erased MakeShop's own decrement for it.
  await queueOrders(deps.db, tenantId, orders);
  await markProductsDirty(deps.db, tenantId, productIds);
  await advanceOrderCursor(deps.db, tenantId, 'discoveredThrough', now);
  if (orders.length > 0) deps.logger.info({ tenantId, orders: orders.length }, 'orders found before a push that no notification had announced');
  return { orders };
}
