import { ApplicationFailure } from '@temporalio/activity';
import { checkpoint, keepAlive } from '../lib/activity-liveness';
import { PlatformError } from '../platforms/http';
import { pushStock, type PushStockInput, type PushStockResult } from '../sync/push';
import { processOrder, OrderBusyError, OrderNotFoundYetError, type ProcessOrderInput, type ProcessOrderResult } from '../sync/orders';
import { reconcile, type ReconcileInput, type ReconcileResult } from '../sync/reconcile';
import { SyncConfigurationError, type SyncDeps } from '../sync/ports';
import { DEFAULT_SYNC_TIMING, type SyncTiming } from '../domain/sync-workflow-state';

/**
 * The sync engine's activities. Inputs and results are ids and counts only: secrets are read inside
 * (TenantSettingsPort) and never travel through workflow history.
 */
export function createSyncActivities(deps: Omit<SyncDeps, 'heartbeat'> & { timing?: SyncTiming }) {
  // Steps checkpoint (heartbeat, and stop once the attempt is cancelled); keepAlive covers single slow calls.
  const withHeartbeat: SyncDeps = { ...deps, heartbeat: checkpoint };
  return {
    /** The worker's configured timing (SYNC_* variables), read once per run as a local activity. */
    async syncTiming(): Promise<SyncTiming> {
      return deps.timing ?? DEFAULT_SYNC_TIMING;
    },
    async pushStock(input: PushStockInput): Promise<PushStockResult> {
      return asActivityFailure(() => pushStock(withHeartbeat, input));
    },
    async processOrder(input: ProcessOrderInput): Promise<ProcessOrderResult> {
      return asActivityFailure(() => processOrder(withHeartbeat, input));
    },
    async reconcile(input: ReconcileInput): Promise<ReconcileResult> {
      return asActivityFailure(() => reconcile(withHeartbeat, input));
    },
  };
}

export type SyncActivities = ReturnType<typeof createSyncActivities>;

/** Maps platform and configuration errors to Temporal's retry semantics in one place. */
async function asActivityFailure<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await keepAlive(run);
  } catch (err) {
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
