import { StepTimer } from '../lib/step-timer';
import type { PushStockOutcome } from '../workflows/activity-types';
import { stockRowIdentity } from '../platforms/makeshop/gateway';
import { pushRow } from './push-rows';
import { recordPushed } from '../storage/pushed-stock';
import { writeSyncLog, type SyncLogEntry } from '../storage/sync-log';
import { readOrderCursor } from '../storage/order-cursors';
import { discoverOrders } from './discovery';
import { SyncConfigurationError, type SyncDeps } from './ports';
import { computeTargets, type ItemTarget } from './targets';

export interface PushStockInput {
  tenantId: string;
  /** Push every matched item, changed or not (稼働, catalog activation, 再同期). */
  full: boolean;
  /** Recompute every item but push only changed targets (stock settings changed). */
  allItems?: boolean;
  /** Otherwise: the Smaregi products whose stock may have changed. */
  productIds?: string[];
}

/** What a push reports: the sync workflow's contract (src/workflows/activity-types.ts). */
export type PushStockResult = PushStockOutcome;

/** Individual log lines per item up to this many per push; a larger push logs one summary line. */
const ITEM_LOG_LIMIT = 200;

/**
 * A push may overwrite MakeShop's own decrement only for orders placed this shortly before it (DESIGN §3:
 * "orders placed during the ≈2 s of one push"). The cycle's discovery runs during the debounce (≤ 2 s by
 * default); when it failed, orders were imported in between, or the Smaregi read was slow, it is older, and
 * the push looks again.
 */
const DISCOVERY_MAX_AGE_MS = 3000;

/** Reads Smaregi, computes targets, and pushes the changed ones to MakeShop in one batch. */
export async function pushStock(deps: SyncDeps, input: PushStockInput): Promise<PushStockResult> {
  const { tenantId } = input;
  const timer = new StepTimer();
  // The look comes after the Smaregi read: an order MakeShop took while the read ran (it can be held for tens
  // of seconds) is reserved, not erased.
  const { catalogVersion, targets } = await computeTargets(deps, tenantId, input.full || input.allItems ? undefined : input.productIds, timer, {
    afterSmaregiRead: () => discoverUntilFresh(deps, tenantId),
  });
  const changed = targets.filter((t) => input.full || t.target !== t.lastPushed);
  const result: PushStockResult = {
    catalogVersion,
    pushed: 0,
    unchanged: targets.length - changed.length,
    failed: 0,
    makeshopCalls: 0,
    retryProductIds: [],
  };
  if (changed.length === 0) return result;

  const credentials = await deps.tenants.makeshopConnection(tenantId);
  if (!credentials) throw new SyncConfigurationError('MakeShop credentials are not saved');
  deps.heartbeat?.({ step: 'push', rows: changed.length });
  const outcome = await deps.makeshop.pushStock(
    credentials,
    changed.map((t) => pushRow(t.item, t.target)),
  );
  result.makeshopCalls = outcome.calls;
  timer.lap('makeshop');

  const keyByRow = new Map(changed.map((t) => [stockRowIdentity(pushRow(t.item, t.target)), t.key]));
  const failureByKey = new Map<string, string>();
  const permanentKeys = new Set<string>();
  for (const failure of outcome.failures) {
    const key = keyByRow.get(stockRowIdentity(failure.row));
    if (!key) continue;
    failureByKey.set(key, failure.message);
    if (failure.permanent) permanentKeys.add(key);
  }
  const succeeded = changed.filter((t) => !failureByKey.has(t.key));
  const now = new Date();
  await recordPushed(
    deps.db,
    tenantId,
    succeeded.map((t) => ({ key: t.key, quantity: t.target })),
    now,
  );
  result.pushed = succeeded.length;
  result.failed = failureByKey.size;
  // A row that can never be written is logged, not retried: the merchant fixes the catalog.
  const retry = changed.filter((t) => failureByKey.has(t.key) && !permanentKeys.has(t.key));
  result.retryProductIds = [...new Set(retry.map((t) => t.item.smaregiProductId!))];
  const acceptedCodes = new Set(succeeded.map(displayCode));
  await deps.alerts?.itemsPushed(tenantId, {
    rejected: changed
      .filter((t) => failureByKey.has(t.key))
      .map((t) => ({ code: displayCode(t), message: failureByKey.get(t.key)!, unwritable: permanentKeys.has(t.key) })),
    accepted: [...acceptedCodes],
  });
  await writeSyncLog(deps.db, logEntries(tenantId, input.full, changed, failureByKey, now));
  timer.lap('recordAndLog');
  deps.logger.info({ tenantId, full: input.full, items: targets.length, rows: changed.length, calls: outcome.calls, ms: timer.ms, totalMs: timer.totalMs }, 'stock push timings');
  return result;
}

function displayCode(t: ItemTarget): string {
  return t.item.source === 'option' ? t.item.optionCode : t.item.customCode || t.item.systemCode;
}

function logEntries(
  tenantId: string,
  full: boolean,
  changed: ItemTarget[],
  failures: Map<string, string>,
  at: Date,
): SyncLogEntry[] {
  const entries: SyncLogEntry[] = [];
  if (full) {
    entries.push({
      tenantId,
      at,
      kind: 'resync',
      ok: failures.size === 0,
      message: `全${changed.length}件の在庫を送信しました${failures.size ? `（${failures.size}件失敗）` : ''}`,
    });
  }
  if (changed.length <= ITEM_LOG_LIMIT) {
    for (const t of changed) {
      const failure = failures.get(t.key);
      entries.push({
        tenantId,
        at,
        kind: failure ? 'error' : 'stock-push',
        code: displayCode(t),
        from: t.lastPushed,
        to: t.target,
        ok: !failure,
        ...(failure ? { message: failure } : {}),
      });
    }
  } else if (!full) {
    entries.push({ tenantId, at, kind: 'stock-push', ok: failures.size === 0, message: `${changed.length}件の在庫を送信しました` });
  }
  return entries;
}

/** Looks one push takes at most to get a fresh one; then it goes on with the last (see discoverUntilFresh). */
const MAX_LOOKS = 3;

/**
 * Orders MakeShop took since the last look become pending (reserved) before the reservations are read. A failed
 * look fails the attempt, to be retried: a push blind to recent orders would erase their decrements. The
 * orders found here are queued for import, and their items for the next push (discoverOrders).
 *
 * A look sees orders up to when it began, so one that took long (MakeShop held the call for tens of seconds)
 * is stale when it ends: the push looks again, until a look is fresh (chaos legacy × 在庫調整 stress: a look
 * held 39 s, and the push erased an order placed 2 s into it whose notification had been delivered).
 *
 * When MakeShop holds every look, none is ever fresh. The push then goes on after its last look, which began
 * after the Smaregi read: what it cannot see are orders placed during the push itself, and the look 3 s after
 * the push finds those and pushes their items again. Failing instead kept every push out for minutes (chaos
 * apps × 在庫調整 under load: no push for 2.5 min), and Smaregi's own sales reached MakeShop nowhere meanwhile.
 */
async function discoverUntilFresh(deps: SyncDeps, tenantId: string): Promise<void> {
  for (let looks = 0; ; looks++) {
    const lastLook = (await readOrderCursor(deps.db, tenantId))?.discoveredThrough?.getTime() ?? 0;
    const age = Date.now() - lastLook;
    if (age <= DISCOVERY_MAX_AGE_MS) return;
    if (looks === MAX_LOOKS) {
      deps.logger.warn({ tenantId, looks, lookAgeMs: age }, 'MakeShop held every look for orders; the push goes on after its last look');
      return;
    }
    await discoverOrders(deps, { tenantId });
  }
}
