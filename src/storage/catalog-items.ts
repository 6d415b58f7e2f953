import { MongoBulkWriteError, MongoServerError, type Db, type Filter } from 'mongodb';
import { identityCode, stockItemFile, type CatalogFile, type ConflictUpdate, type MatchedStockItem, type MatchStatus } from '../domain/catalog';
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
  // _id last: the merchant's item pages are sorted by it (see catalogItemId).
  ['catalog_items', { tenantId: 1, version: 1, status: 1, _id: 1 }, {}],
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

// ── writing a version (the catalog import) ───────────────────────────────────────────────────────

/** catalog_items with the string ids the import gives its items (see catalogItemId). */
const catalogItemsById = (db: Db) => db.collection<CatalogItemDoc & { _id: string }>('catalog_items');

/**
 * An item's id says where it came from: tenant, version, file and line (lines padded so ids sort in
 * file order: option rows, then products). A retried import therefore writes the same ids again, and
 * a version's ids can be deleted by range without reading its items first.
 */
export function catalogItemId(tenantId: string, version: number, file: CatalogFile, line: number): string {
  return `${versionIdPrefix(tenantId, version)}${file === 'optionCsv' ? 'o' : 'p'}${String(line).padStart(9, '0')}`;
}

const versionIdPrefix = (tenantId: string, version: number) => `${tenantId}:${version}:`;

/** The Smaregi 商品コード that matched: the JAN when only the JAN matched, else the item's own code. */
export function smaregiProductCodeOf(item: MatchedStockItem): string | null {
  if (item.smaregiProductId === null) return null;
  return item.matchedBy === 'jan' ? item.jan : identityCode(item);
}

/** From named fields, never by spreading the item: this runs for every item of a 400k-item import. */
export function toCatalogItemDoc(tenantId: string, version: number, item: MatchedStockItem): CatalogItemDoc & { _id: string } {
  const { systemCode, customCode, jan, name, quantity, line, status, smaregiProductId, matchedBy, conflictReasons } = item;
  const common = {
    _id: catalogItemId(tenantId, version, stockItemFile(item), line),
    tenantId,
    version,
    systemCode,
    customCode,
    jan,
    name,
    quantity,
    line,
    status,
    smaregiProductId,
    matchedBy,
    conflictReasons,
    smaregiProductCode: smaregiProductCodeOf(item),
  };
  return item.source === 'option' ? { ...common, source: 'option', optionCode: item.optionCode } : { ...common, source: 'product' };
}

const DUPLICATE_KEY = 11000;

/**
 * Unordered, so one bad document cannot stop the batch. Ids that already exist were written by an
 * earlier attempt of the same import from the same files and Smaregi snapshot: the same documents.
 */
export async function insertCatalogItems(db: Db, docs: (CatalogItemDoc & { _id: string })[]): Promise<void> {
  if (docs.length === 0) return;
  try {
    await catalogItemsById(db).insertMany(docs, { ordered: false });
  } catch (err) {
    const writeErrors = err instanceof MongoBulkWriteError ? [err.writeErrors].flat() : null;
    if (!writeErrors || writeErrors.length === 0 || writeErrors.some((e) => e.code !== DUPLICATE_KEY)) throw err;
  }
}

/**
 * Items written before a later item made them conflicts, addressed by id. On FerretDB 1.24 even an _id
 * filter scans the collection (its SQLite JSON path differs from the index's): keep these rare.
 */
export async function markItemsConflicting(
  db: Db,
  tenantId: string,
  version: number,
  updates: readonly ConflictUpdate[],
): Promise<void> {
  if (updates.length === 0) return;
  await catalogItemsById(db).bulkWrite(
    updates.map((u) => ({
      updateOne: {
        filter: { _id: catalogItemId(tenantId, version, u.file, u.line) },
        update: { $set: { status: u.status, conflictReasons: [...u.conflictReasons] } },
      },
    })),
    { ordered: false },
  );
}

/**
 * Lines per delete. FerretDB deletes the documents a filter matched in one SQL statement with one
 * parameter each, and SQLite allows at most 32,766: one huge deleteMany fails there.
 */
const PURGE_WINDOW_LINES = 25_000;

/** Deletes every item of one version, window by window of item ids; safe to repeat or resume. */
export async function purgeCatalogVersion(
  db: Db,
  tenantId: string,
  version: number,
  itemLines: Record<CatalogFile, number>,
  onWindow?: (deletedSoFar: number) => void,
): Promise<number> {
  let deleted = 0;
  for (const file of ['optionCsv', 'productCsv'] as const) {
    for (let from = 1; from <= itemLines[file]; from += PURGE_WINDOW_LINES) {
      const res = await catalogItemsById(db).deleteMany({
        _id: { $gte: catalogItemId(tenantId, version, file, from), $lt: catalogItemId(tenantId, version, file, from + PURGE_WINDOW_LINES) },
      });
      deleted += res.deletedCount;
      onWindow?.(deleted);
    }
  }
  return deleted;
}

// ── reading a version (the merchant's item list) ─────────────────────────────────────────────────

export interface CatalogItemsPage {
  items: CatalogItemDoc[];
  page: number;
  limit: number;
}

/**
 * Always sorted by id (file order): neither MongoDB after updates nor FerretDB on PostgreSQL keeps
 * insertion order, so natural order is never the import's order to rely on. MongoDB serves the sort
 * from the status index (its last key is _id); FerretDB sorts the version's matching items in memory.
 */
export async function listCatalogItems(
  db: Db,
  query: { tenantId: string; version: number; status?: MatchStatus; page: number; limit: number },
): Promise<CatalogItemsPage> {
  const { tenantId, version, status, page, limit } = query;
  const filter: Filter<CatalogItemDoc & { _id: string }> = { tenantId, version, ...(status && { status }) };
  const items = await catalogItemsById(db)
    .find(filter)
    .sort({ _id: 1 })
    .skip((page - 1) * limit)
    .limit(limit)
    .toArray();
  return { items, page, limit };
}

/** Items of a version by status, read one by one: only for a catalog that has no import report. */
export async function countCatalogItems(
  db: Db,
  tenantId: string,
  version: number,
): Promise<{ stockItems: number; matched: number; unmatched: number; conflicts: number; unlimited: number }> {
  const count = (status: MatchStatus) => catalogItems(db).countDocuments({ tenantId, version, status });
  const [matched, unmatched, conflicts, unlimited] = await Promise.all([count('matched'), count('unmatched'), count('conflict'), count('unlimited')]);
  return { stockItems: matched + unmatched + conflicts + unlimited, matched, unmatched, conflicts, unlimited };
}

// ── activation ───────────────────────────────────────────────────────────────────────────────────

/**
 * The one atomic switch: a single upsert whose filter only matches an older active version. When a
 * newer version is already active the upsert collides with that document's _id instead, so an
 * upload that finishes late can never replace it. Safe to repeat.
 */
export async function activateCatalogVersion(
  db: Db,
  activation: { tenantId: string; version: number; uploadId: string; at: Date },
): Promise<'activated' | 'superseded'> {
  const { tenantId, version, uploadId, at } = activation;
  try {
    await catalogActive(db).updateOne(
      { _id: tenantId, version: { $lt: version } },
      { $set: { version, uploadId, activatedAt: at } },
      { upsert: true },
    );
    return 'activated';
  } catch (err) {
    if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY)) throw err;
    const active = await catalogActive(db).findOne({ _id: tenantId });
    return active?.version === version && active.uploadId === uploadId ? 'activated' : 'superseded';
  }
}
