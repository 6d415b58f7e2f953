import { PlatformError } from '../platforms/http';
import type { MakeshopConnection } from '../platforms/makeshop/gateway';
import { activeCatalogVersion, readSyncedItems } from '../storage/catalog-items';
import { driftRepairDue, recordDriftRepair } from '../storage/drift-repairs';
import { lastPushed, recordPushed } from '../storage/pushed-stock';
import { discoverOrders } from './discovery';
import { readMakeshopQuantities } from './makeshop-stock';
import type { SyncDeps } from './ports';

export type DriftRepairOutcome =
  | { done: false; reason: 'not-due' | 'no-catalog' | 'makeshop-unavailable' }
  | { done: true; mode: 'read'; read: number; drifted: number }
  | { done: true; mode: 'full-push' };

/**
 * Drift repair (issue 10 #5), run by the reconciliation once SYNC_DRIFT_REPAIR_INTERVAL_MS has passed: an
 * edit in the MakeShop admin, a row that failed, or a shipment from a store outside the selected ones leaves
 * MakeShop different from what we last pushed, and no Smaregi change would ever move it back.
 *
 * Apps mode reads MakeShop's quantities and corrects the last-pushed cache where they differ; legacy mode
 * (no stock read) asks for a full push. The push itself is the workflow's normal one, so it discovers
 * orders first, reserves pending orders, and stops with 停止 exactly like any other push.
 */
export async function repairDriftIfDue(deps: SyncDeps, tenantId: string, now: Date): Promise<DriftRepairOutcome> {
  const port = deps.driftRepair;
  if (!port || !(await driftRepairDue(deps.db, tenantId, port.intervalMs, now))) return { done: false, reason: 'not-due' };
  const version = await activeCatalogVersion(deps.db, tenantId);
  const connection = await deps.tenants.makeshopConnection(tenantId);
  if (version === null || !connection) return { done: false, reason: 'no-catalog' };
  const outcome = await readDrift(deps, tenantId, version, connection).catch((err: unknown) => {
    // MakeShop is down or throttling: tried again at the next reconciliation, never with unknown orders.
    if (!(err instanceof PlatformError)) throw err;
    deps.logger.warn({ tenantId, err: err.message }, 'drift repair postponed: MakeShop did not answer');
    return null;
  });
  if (!outcome) return { done: false, reason: 'makeshop-unavailable' };
  if (outcome.mode === 'full-push' || outcome.drifted > 0) await port.requestPush(tenantId, outcome.mode === 'full-push' ? 'full' : 'changed');
  await recordDriftRepair(deps.db, tenantId, now);
  deps.logger.info({ tenantId, ...outcome }, 'drift repair');
  return outcome;
}

async function readDrift(
  deps: SyncDeps,
  tenantId: string,
  version: number,
  connection: MakeshopConnection,
): Promise<DriftRepairOutcome & { done: true }> {
  // Orders MakeShop took before its quantities are read are reserved first: a quantity lowered by an order
  // we do not know yet must never be pushed back up.
  await discoverOrders(deps, { tenantId });
  const items = await readSyncedItems(deps.db, tenantId, version);
  const quantities = await readMakeshopQuantities(deps, connection, items);
  deps.heartbeat?.({ step: 'drift', items: items.length });
  if (quantities === null) return { done: true, mode: 'full-push' };

  const known = await lastPushed(deps.db, tenantId, [...quantities.keys()]);
  // Unmanaged stock (null) is left alone, as the catalog import leaves it.
  const drifted = [...quantities].flatMap(([key, quantity]) => (quantity !== null && known.get(key) !== quantity ? [{ key, quantity }] : []));
  // What MakeShop shows now becomes what it is known to show: the next push sends the target wherever they differ.
  await recordPushed(deps.db, tenantId, drifted, new Date());
  return { done: true, mode: 'read', read: quantities.size, drifted: drifted.length };
}
