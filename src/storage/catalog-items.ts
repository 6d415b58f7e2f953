import type { Db, Filter } from 'mongodb';
import type { MatchedStockItem, MatchStatus } from '../domain/catalog';
import type { StockPushRow } from '../platforms/makeshop/gateway';

/**
 * The catalog as MongoDB stores it. `catalog_items` holds every item of every version; the tenant's
 * active version is one field of one `catalog_active` document, so activation is a single atomic write
 * (FerretDB has no transactions) and a failed import never touches what the sync engine reads.
 */
export type CatalogItemDoc = MatchedStockItem & {
  tenantId: string;
  version: number;
  /** The Smaregi 商品コード that matched (the item's JAN or its identity code); null when unmatched. */
  smaregiProductCode: string | null;
};

export interface CatalogActiveDoc {
  _id: string; // tenantId
  version: number;
  uploadId: string;
  activatedAt: Date;
}

export const catalogItems = (db: Db) => db.collection<CatalogItemDoc>('catalog_items');
export const catalogActive = (db: Db) => db.collection<CatalogActiveDoc>('catalog_active');

export const CATALOG_ITEM_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['catalog_items', { tenantId: 1, version: 1, status: 1 }, {}],
  ['catalog_items', { tenantId: 1, version: 1, smaregiProductId: 1 }, {}],
  ['catalog_items', { tenantId: 1, version: 1, customCode: 1 }, {}],
  ['catalog_items', { tenantId: 1, version: 1, optionCode: 1 }, {}],
];

export async function activeCatalogVersion(db: Db, tenantId: string): Promise<number | null> {
  const doc = await catalogActive(db).findOne({ _id: tenantId });
  return doc?.version ?? null;
}

/** MakeShop's key for one item: what a stock upload row names. */
export function pushKey(item: Pick<CatalogItemDoc, 'source' | 'systemCode' | 'customCode'> & { optionCode?: string }): string {
  return item.source === 'option' ? `o:${item.systemCode}:${item.optionCode ?? ''}` : `p:${item.systemCode}:${item.customCode}`;
}

export function pushRow(item: CatalogItemDoc, quantity: number): StockPushRow {
  return item.source === 'option'
    ? { kind: 'option', systemCode: item.systemCode || undefined, customCode: item.customCode || undefined, optionCode: item.optionCode, quantity }
    : { kind: 'product', systemCode: item.systemCode || undefined, customCode: item.customCode || undefined, quantity };
}

/** Items whose stock the service pushes: matched, stock-managed. */
export function syncedItemsFilter(tenantId: string, version: number, productIds?: string[]): Filter<CatalogItemDoc> {
  const filter: Filter<CatalogItemDoc> = { tenantId, version, status: 'matched' satisfies MatchStatus };
  if (productIds) filter.smaregiProductId = { $in: productIds };
  return filter;
}
