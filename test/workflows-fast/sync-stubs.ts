// The sync workflow's activities stubbed over an in-memory work store, shared by the fast layer's sync
// tests (time-skipping ones in sync.test.ts, real-time ones in sync-slow-activities.test.ts).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { syncWorkflow, type SyncWorkflowInput } from '../../src/workflows/sync';
import { syncWorkflowId, syncWorkRecordedSignal } from '../../src/workflows/messages';
import type { SyncWorkflowActivities } from '../../src/workflows/activity-types';
import type { StoredSyncConfiguration } from '../../src/domain/workflow-records';
import type { PushStockResult } from '../../src/sync/push';
import type { QueuedOrder } from '../../src/storage/sync-work';
import { idleOnboardingActivities, recorder } from './time-skipping';

/**
 * The sync activities of a run past the bounded-state patch, over an in-memory stand-in of the MongoDB work
 * store (src/storage/sync-work.ts): what the workflow hands over is "stored", a push takes every stored
 * product (recorded in `pushedProducts`), orders are read a page at a time and leave the queue when processed.
 */
export function syncStubs(stored: Partial<StoredSyncConfiguration> = {}) {
  const store = { products: new Set<string>(), orders: [] as QueuedOrder[] };
  let stamps = 0;
  const pushedProducts: string[][] = [];
  /** Pushes and imports in the order the workflow ran them. */
  const sequence: string[] = [];
  /** What a coming look for orders finds (an unannounced order and its product), once, after `skip` looks. */
  const nextLook: { skip: number; find: { orderNumber: string; productId: string } | null } = { skip: 0, find: null };
  const queued = () => ({ products: store.products.size, orders: store.orders.length });
  /** Changes whose webhook was lost: only the next reconciliation finds them (and queues them, like the activity). */
  const lost: string[] = [];
  const reconciled = recorder<{ tenantId: string }, { stockCursor: string; productIds: []; orders: []; queued: { products: number; orders: number } }>(() => {
    for (const id of lost.splice(0)) store.products.add(id);
    return { stockCursor: 'cursor', productIds: [], orders: [], queued: queued() };
  });
  const pushed = recorder<{ full: boolean; allItems: boolean }, PushStockResult>(() => {
    const taken = [...store.products];
    store.products.clear();
    pushedProducts.push(taken);
    sequence.push(`push ${taken.join(',')}`);
    return { catalogVersion: null, pushed: Math.max(1, taken.length), unchanged: 0, failed: 0, makeshopCalls: 1, retryProductIds: [] };
  });
  /** Every look for orders (order discovery), whatever it found. */
  const looks = recorder<unknown, void>(() => undefined);
  const processed = recorder<QueuedOrder & { tenantId: string }, { outcome: 'imported'; affectedProducts: number }>((order) => {
    store.orders = store.orders.filter((o) => o.stamp !== order.stamp);
    sequence.push(`import ${order.orderNumber}`);
    return { outcome: 'imported', affectedProducts: 0 };
  });
  const activities: Partial<SyncWorkflowActivities> = {
    loadSyncConfiguration: async () => ({
      state: 'running',
      stoppedByLostLink: false,
      active: true,
      readiness: { ready: true, missing: [] },
      catalogVersion: 1,
      ...stored,
    }),
    saveSyncState: async () => undefined,
    // Like the activity: a found order is queued and its product marked changed; answers what waits.
    discoverIntoQueue: async (input) => {
      await looks.activity(input);
      const found = nextLook.skip-- > 0 ? null : nextLook.find;
      if (found) nextLook.find = null;
      if (found) {
        store.orders.push({ orderNumber: found.orderNumber, cmd: 0, stamp: String(++stamps) });
        store.products.add(found.productId);
      }
      return { orders: [], queued: found ? 1 : 0, products: store.products.size };
    },
    recordSyncWork: async (work) => {
      for (const id of work.productIds) store.products.add(id);
      for (const order of work.orders) store.orders.push({ ...order, stamp: String(++stamps) });
    },
    nextQueuedOrders: async ({ limit }) => ({ orders: store.orders.slice(0, limit), queued: store.orders.length }),
    deferQueuedOrder: async () => undefined,
    reconcileIntoQueue: reconciled.activity as SyncWorkflowActivities['reconcileIntoQueue'],
    pushQueuedStock: pushed.activity as SyncWorkflowActivities['pushQueuedStock'],
    processQueuedOrder: processed.activity as SyncWorkflowActivities['processQueuedOrder'],
  };
  /** What the api does for a webhook: store the work, then signal the counts only. */
  const handOver = async (handle: WorkflowHandle<typeof syncWorkflow>, work: { productIds?: string[]; orders?: { orderNumber: string; cmd: number }[] }) => {
    for (const id of work.productIds ?? []) store.products.add(id);
    for (const order of work.orders ?? []) store.orders.push({ ...order, stamp: String(++stamps) });
    await handle.signal(syncWorkRecordedSignal, { products: work.productIds?.length ?? 0, orders: work.orders?.length ?? 0 });
  };
  const lose = (work: { productIds: string[] }) => void lost.push(...work.productIds);
  return { activities: { ...activities, ...idleOnboardingActivities }, reconciled, pushed, processed, looks, lose, pushedProducts, sequence, nextLook, handOver };
}
export const SYNC_ACTIVITIES = Object.keys(syncStubs().activities);

export const startSyncOn = (env: TestWorkflowEnvironment, taskQueue: string, tenantId: string, input: Omit<SyncWorkflowInput, 'tenantId'>) =>
  env.client.workflow.start(syncWorkflow, { taskQueue, workflowId: syncWorkflowId(tenantId), args: [{ tenantId, ...input }] });
