import type { StepTimer } from '../lib/step-timer';
import type { SmaregiClient } from '../platforms/smaregi/client';
import { bufferFor, stockTarget, type StockSettings } from '../domain/sync';
import { activeCatalogVersion, readSyncedItems, type CatalogItemDoc } from '../storage/catalog-items';
import { pushKey } from './push-rows';
import { reservedQuantities } from '../storage/orders';
import { lastPushed } from '../storage/pushed-stock';
import { SyncConfigurationError, type SyncDeps } from './ports';

export interface ItemTarget {
  item: CatalogItemDoc;
  key: string;
  smaregiTotal: number;
  buffer: number;
  reserved: number;
  target: number;
  lastPushed: number | null;
}

/** Above this many products one paged read per store is cheaper than one read per product. */
const PER_PRODUCT_READ_LIMIT = 20;

/**
 * target = max(0, total of the selected stores − buffer − reserved) for the matched items of the
 * active catalog (all of them, or those of the given Smaregi products). `afterSmaregiRead` runs after
 * every stock read, before the reservations are read (the push looks for new orders there).
 */
export async function computeTargets(
  deps: SyncDeps,
  tenantId: string,
  productIds?: string[],
  timer?: StepTimer,
  opts: { afterSmaregiRead?: () => Promise<void> } = {},
): Promise<{ catalogVersion: number | null; targets: ItemTarget[] }> {
  const version = await activeCatalogVersion(deps.db, tenantId);
  if (version === null) return { catalogVersion: null, targets: [] };
  let settings = await selectedSettings(deps, tenantId);
  const contractId = await deps.tenants.contractId(tenantId);

  const items = await readSyncedItems(deps.db, tenantId, version, productIds);
  deps.heartbeat?.({ step: 'items', count: items.length });
  timer?.lap('catalog');
  const wanted = [...new Set(items.map((i) => i.smaregiProductId!))];
  const readsStartedAt = new Date();
  let totals = await readTotals(deps.smaregi, contractId, settings, wanted, productIds === undefined, deps.heartbeat);
  timer?.lap('smaregiStock');
  // The merchant may have saved other settings while Smaregi was read (a held read takes tens of seconds):
  // the push uses the settings saved now, and reads again when the stores changed. The look follows every
  // read, the last one too: orders MakeShop took during a re-read (31 s under load in the chaos test) were in
  // no look when it only followed the first.
  for (let reread = 0; ; reread++) {
    await opts.afterSmaregiRead?.();
    const latest = await selectedSettings(deps, tenantId);
    const sameStores = sameMembers(latest.storeIds, settings.storeIds);
    settings = latest;
    if (sameStores) break;
    if (reread === SETTINGS_REREADS) throw new Error('the stock settings kept changing while Smaregi was read; the push is retried');
    totals = await readTotals(deps.smaregi, contractId, settings, wanted, productIds === undefined, deps.heartbeat);
  }
  // Read after Smaregi, and counting every order imported since the read began: an import that lands during
  // the read (store by store, a read can be held for tens of seconds) is either in the stock read or counted
  // here — at worst both, which under-states until the import's own stock webhook triggers the next push.
  const reserved = await reservedQuantities(deps.db, tenantId, readsStartedAt);
  const keys = items.map((i) => pushKey(i));
  const previous = await lastPushed(deps.db, tenantId, keys);
  timer?.lap('ledgerAndLastPushed');

  const targets = items.map((item, i): ItemTarget => {
    const pid = item.smaregiProductId!;
    const smaregiTotal = totals.get(pid) ?? 0;
    const buffer = bufferFor(settings, item.smaregiProductCode ?? '');
    const held = reserved.get(pid) ?? 0;
    return {
      item,
      key: keys[i]!,
      smaregiTotal,
      buffer,
      reserved: held,
      target: stockTarget(smaregiTotal, buffer, held),
      lastPushed: previous.get(keys[i]!) ?? null,
    };
  });
  return { catalogVersion: version, targets };
}

/** How often a push reads Smaregi again because the selected stores changed meanwhile, before it gives up (and is retried). */
const SETTINGS_REREADS = 3;

async function selectedSettings(deps: SyncDeps, tenantId: string): Promise<StockSettings> {
  const settings = await deps.tenants.stockSettings(tenantId);
  if (!settings || settings.storeIds.length === 0) throw new SyncConfigurationError('no Smaregi stores are selected for stock sync');
  return settings;
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Total stock per productId over the selected stores; a product with no stock row has 0. */
async function readTotals(
  smaregi: SmaregiClient,
  contractId: string,
  settings: StockSettings,
  productIds: string[],
  everything: boolean,
  heartbeat?: (details?: unknown) => void,
): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  const stores = new Set(settings.storeIds);
  const add = (rows: { storeId: string; productId: string; stockAmount: number }[]) => {
    for (const row of rows) if (stores.has(row.storeId)) totals.set(row.productId, (totals.get(row.productId) ?? 0) + row.stockAmount);
  };
  if (everything || productIds.length > PER_PRODUCT_READ_LIMIT) {
    const wanted = new Set(productIds);
    for (const storeId of settings.storeIds) {
      add((await smaregi.listStock(contractId, { storeId })).filter((r) => wanted.has(r.productId)));
      heartbeat?.({ step: 'stock', storeId });
    }
  } else {
    const rows = await Promise.all(productIds.map((productId) => smaregi.listStock(contractId, { productId })));
    add(rows.flat());
  }
  return totals;
}
