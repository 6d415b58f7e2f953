import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import type { SyncActivityName } from '../alerts/sync-alerts';
import { checkpoint, keepAlive } from '../lib/activity-liveness';
import { PlatformError } from '../platforms/http';
import { pushStock, type PushStockInput, type PushStockResult } from '../sync/push';
import { processOrder, OrderBusyError, OrderNotFoundYetError, type ProcessOrderInput, type ProcessOrderResult } from '../sync/orders';
import { reconcile, type ReconcileInput, type ReconcileResult } from '../sync/reconcile';
import { discoverOrders, type DiscoverOrdersInput, type DiscoverOrdersResult } from '../sync/discovery';
import { SyncConfigurationError, type DriftRepairPort, type SyncDeps } from '../sync/ports';
import type { Client } from '@temporalio/client';
import { signalSyncWorkflow } from '../temporal/tenant-workflows';
import { resyncRequestedSignal, stockSettingsChangedSignal } from '../workflows/messages';
import { DEFAULT_SYNC_TIMING, type SyncTiming } from '../domain/sync-workflow-state';
import { createWorkflowRecordActivities } from './workflow-records';
import {
  deferQueuedOrder,
  discoverIntoQueue,
  nextQueuedOrders,
  processQueuedOrder,
  pushQueuedStock,
  reconcileIntoQueue,
  recordSyncWork,
} from '../sync/work-queue';

/**
 * The sync engine's activities. Inputs and results are ids and counts only: secrets are read inside
 * (TenantSettingsPort) and never travel through workflow history.
 */
export function createSyncActivities(
  deps: Omit<SyncDeps, 'heartbeat'> & {
    timing?: SyncTiming;
    /** MakeShop refused the tenant's apps token during a sync step (src/activities/makeshop-link.ts). */
    makeshopTokenRefused?: (tenantId: string) => Promise<void>;
  },
) {
  // Steps checkpoint (heartbeat, and stop once the attempt is cancelled); keepAlive covers single slow calls.
  const withHeartbeat: SyncDeps = { ...deps, heartbeat: checkpoint };
  const asActivityFailure = <T>(tenantId: string, run: () => Promise<T>) =>
    asTemporalFailure(run, async (err) => {
      if (err instanceof PlatformError && err.kind === 'revoked' && err.details.platform === 'makeshop') await deps.makeshopTokenRefused?.(tenantId);
    });
  return {
    ...createWorkflowRecordActivities(deps.db),
    /** The worker's configured timing (SYNC_* variables), read once per run as a local activity. */
    async syncTiming(): Promise<SyncTiming> {
      return deps.timing ?? DEFAULT_SYNC_TIMING;
    },
    async pushStock(input: PushStockInput): Promise<PushStockResult> {
      return asActivityFailure(input.tenantId, () =>
        watched(deps, 'pushStock', input, () => pushStock(withHeartbeat, input), (r) => r.makeshopCalls > 0),
      );
    },
    async processOrder(input: ProcessOrderInput): Promise<ProcessOrderResult> {
      return asActivityFailure(input.tenantId, () => watched(deps, 'processOrder', input, () => processOrder(withHeartbeat, input), () => true));
    },
    /** Orders MakeShop took since the last look, recorded as pending before a push (issue 10 #4). */
    async discoverOrders(input: DiscoverOrdersInput): Promise<DiscoverOrdersResult> {
      return asActivityFailure(input.tenantId, () => discoverOrders(withHeartbeat, input));
    },
    async reconcile(input: ReconcileInput): Promise<ReconcileResult> {
      return asActivityFailure(input.tenantId, () => watched(deps, 'reconcile', input, () => reconcile(withHeartbeat, input), () => true));
    },
    // The same steps for runs that keep their work sets in MongoDB (patch 'bounded-sync-state'): counts in, counts out.
    async pushQueuedStock(input: Omit<PushStockInput, 'productIds'>): Promise<PushStockResult> {
      return asActivityFailure(input.tenantId, () =>
        watched(deps, 'pushStock', input, () => pushQueuedStock(withHeartbeat, input), (r) => r.makeshopCalls > 0),
      );
    },
    async processQueuedOrder(input: Parameters<typeof processQueuedOrder>[1]): ReturnType<typeof processQueuedOrder> {
      return asActivityFailure(input.tenantId, () => watched(deps, 'processOrder', input, () => processQueuedOrder(withHeartbeat, input), () => true));
    },
    async discoverIntoQueue(input: DiscoverOrdersInput): ReturnType<typeof discoverIntoQueue> {
      return asActivityFailure(input.tenantId, () => discoverIntoQueue(withHeartbeat, input));
    },
    async reconcileIntoQueue(input: ReconcileInput): ReturnType<typeof reconcileIntoQueue> {
      return asActivityFailure(input.tenantId, () => watched(deps, 'reconcile', input, () => reconcileIntoQueue(withHeartbeat, input), () => true));
    },
    recordSyncWork: (input: Parameters<typeof recordSyncWork>[1]) => recordSyncWork(deps, input),
    nextQueuedOrders: (input: Parameters<typeof nextQueuedOrders>[1]) => nextQueuedOrders(deps, input),
    deferQueuedOrder: (input: Parameters<typeof deferQueuedOrder>[1]) => deferQueuedOrder(deps, input),
  };
}

/** Tells the alerts how a sync step went: failures raise (credentials, orders, a stalled push), successes resolve. */
async function watched<T>(
  deps: Omit<SyncDeps, 'heartbeat'>,
  activity: SyncActivityName,
  input: { tenantId: string; orderNumber?: string },
  run: () => Promise<T>,
  makeshopCalled: (result: T) => boolean,
): Promise<T> {
  const { alerts } = deps;
  if (!alerts) return run();
  const context = { orderNumber: input.orderNumber };
  try {
    const result = await run();
    await alerts.succeeded(input.tenantId, activity, { ...context, makeshopCalled: makeshopCalled(result) });
    return result;
  } catch (err) {
    const mode = (await deps.tenants.makeshopConnection(input.tenantId).catch(() => null))?.mode;
    await alerts.failed(input.tenantId, activity, err, { ...context, attempt: activityInfo().attempt, mode });
    throw err;
  }
}

export type SyncActivities = ReturnType<typeof createSyncActivities>;

/**
 * Drift repair asks the tenant's own workflow for its push (a signal, no change to the workflow code), so
 * that push is an ordinary one: orders discovered first, pending orders reserved, cancelled by 停止.
 * `changed` is the push a stock-settings change gets (every target recomputed, the differing ones sent);
 * `full` is the 再同期 push.
 */
export function driftRepairPort(temporal: Client, taskQueue: string, intervalMs: number): DriftRepairPort {
  return {
    intervalMs,
    requestPush: (tenantId, scope) =>
      scope === 'full'
        ? signalSyncWorkflow(temporal, taskQueue, tenantId, resyncRequestedSignal, [{ reason: 'drift-repair' }])
        : signalSyncWorkflow(temporal, taskQueue, tenantId, stockSettingsChangedSignal, [{ savedAt: new Date().toISOString() }]),
  };
}

/** Maps platform and configuration errors to Temporal's retry semantics in one place. */
async function asTemporalFailure<T>(run: () => Promise<T>, onError: (err: unknown) => Promise<void>): Promise<T> {
  try {
    return await keepAlive(run);
  } catch (err) {
    await onError(err);
    if (err instanceof SyncConfigurationError) throw ApplicationFailure.nonRetryable(err.message, 'configuration');
    if (err instanceof OrderNotFoundYetError) throw ApplicationFailure.retryable(err.message, 'order-not-found');
    if (err instanceof OrderBusyError) throw ApplicationFailure.retryable(err.message, 'order-busy');
    if (err instanceof PlatformError) {
      throw ApplicationFailure.create({
        message: err.message,
        type: `${err.details.platform}-${err.kind}`,
        nonRetryable: !err.retryable,
        nextRetryDelay: err.details.retryAfterMs,
      });
    }
    throw err;
  }
}
