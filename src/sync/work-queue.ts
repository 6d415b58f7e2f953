import {
  pendingProductIds,
  markProductsDirty,
  queueOrders,
  readQueuedOrders,
  releaseDeferredOrders,
  releaseRetryProducts,
  settleQueuedOrder,
  settleTakenProducts,
  takeDirtyProducts,
  type QueuedOrder,
} from '../storage/sync-work';
import { discoverOrders, type DiscoverOrdersInput } from './discovery';
import { processOrder, type OrderOutcome } from './orders';
import type { SyncDeps } from './ports';
import { pushStock, type PushStockInput, type PushStockResult } from './push';
import { reconcile, type ReconcileInput } from './reconcile';

/**
 * The sync engine's steps for a workflow run that keeps its work in MongoDB (src/storage/sync-work.ts):
 * each step reads and writes the tenant's work sets itself, and answers the workflow with counts only,
 * so no list of ids grows in workflow history whatever the backlog.
 */

/** How much work is waiting in MongoDB: the workflow learns from it whether a push or an import is due. */
export interface QueuedWork {
  products: number;
  orders: number;
}

/** A push of the stored dirty products (or of every item: `full`, `allItems`). */
export async function pushQueuedStock(deps: SyncDeps, input: Omit<PushStockInput, 'productIds'>): Promise<PushStockResult> {
  const taken = await takeDirtyProducts(deps.db, input.tenantId);
  if (!input.full && !input.allItems && taken.productIds.length === 0) {
    return { catalogVersion: null, pushed: 0, unchanged: 0, failed: 0, makeshopCalls: 0, retryProductIds: [] };
  }
  const result = await pushStock(deps, { ...input, productIds: taken.productIds });
  await settleTakenProducts(deps.db, input.tenantId, taken, result.retryProductIds);
  // The refused products wait in MongoDB for the reconciliation, not in the workflow.
  return { ...result, retryProductIds: [] };
}

/** One queued order: processed, its affected products marked dirty, and taken off the queue (or deferred). */
export async function processQueuedOrder(
  deps: SyncDeps,
  input: QueuedOrder & { tenantId: string },
): Promise<{ outcome: OrderOutcome; affectedProducts: number }> {
  const { tenantId, orderNumber, cmd } = input;
  const result = await processOrder(deps, { tenantId, orderNumber, cmd });
  const affectedProducts = await markProductsDirty(deps.db, tenantId, result.affectedProductIds);
  // MakeShop did not return it: looked up again after the next reconciliation, a bounded number of times.
  await settleQueuedOrder(deps.db, tenantId, input, result.outcome === 'not-found' ? 'deferred' : 'done');
  return { outcome: result.outcome, affectedProducts };
}

/**
 * Order discovery whose finds are queued (by discoverOrders) rather than returned to the workflow. Answers
 * how many orders it found and how many changed products are waiting for a push — those of its finds, and
 * those a push's own look marked after that push had taken its products.
 */
export async function discoverIntoQueue(
  deps: SyncDeps,
  input: DiscoverOrdersInput,
): Promise<{ orders: []; queued: number; /** Absent in results recorded before it was added. */ products?: number }> {
  const found = await discoverOrders(deps, input);
  return { orders: [], queued: found.orders.length, products: (await pendingProductIds(deps.db, input.tenantId)).length };
}

/**
 * The reconciliation whose finds are stored, and the moment refused rows and deferred orders get their
 * next chance. Answers how much work is waiting now.
 */
export async function reconcileIntoQueue(
  deps: SyncDeps,
  input: ReconcileInput,
): Promise<{ stockCursor: string; productIds: []; orders: []; queued: QueuedWork }> {
  const { tenantId } = input;
  const found = await reconcile(deps, input);
  await markProductsDirty(deps.db, tenantId, found.productIds);
  await queueOrders(deps.db, tenantId, found.orders);
  await releaseRetryProducts(deps.db, tenantId);
  const orders = await releaseDeferredOrders(deps.db, tenantId);
  return { stockCursor: found.stockCursor, productIds: [], orders: [], queued: { products: (await pendingProductIds(deps.db, tenantId)).length, orders } };
}

/**
 * Work a workflow run still held in memory — carried by a run of the older code, or sent by an older api
 * in a signal — is stored. Retries and deferred orders get their chance at once (a one-off, not a loop).
 */
export interface SyncWorkRecord {
  tenantId: string;
  productIds: string[];
  orders: { orderNumber: string; cmd: number }[];
}

export async function recordSyncWork(deps: Pick<SyncDeps, 'db'>, work: SyncWorkRecord): Promise<void> {
  await markProductsDirty(deps.db, work.tenantId, work.productIds);
  await queueOrders(deps.db, work.tenantId, work.orders);
}

/** The next page of queued orders for the workflow (oldest first), and how many are queued in all. */
export async function nextQueuedOrders(deps: Pick<SyncDeps, 'db'>, input: { tenantId: string; limit: number }) {
  return readQueuedOrders(deps.db, input.tenantId, input.limit);
}

/** An order whose processing failed after all its retries waits for the next reconciliation. */
export async function deferQueuedOrder(deps: Pick<SyncDeps, 'db'>, input: QueuedOrder & { tenantId: string }): Promise<void> {
  await settleQueuedOrder(deps.db, input.tenantId, input, 'deferred');
}
