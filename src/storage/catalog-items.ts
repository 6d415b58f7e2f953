import { MongoServerError, type Db } from 'mongodb';
import {
  identityCode,
  stockItemKey,
  type ConflictReason,
  type ConflictUpdate,
  type MatchedBy,
  type MatchedStockItem,
  type MatchStatus,
} from '../domain/catalog';

/**
 * The catalog as MongoDB stores it. A version's items are kept in packs: one document per batch the
 * import stored (about a thousand items, in file order: option rows, then products), the items encoded
 * as one JSON string. FerretDB 1.24 pays for every value it converts and scans a collection on every
 * query whatever the filter, so one string per thousand items makes writing a 350,000-item version a few
 * hundred inserts and reading it back a few hundred values; MongoDB is indifferent. The tenant's active
 * version is one field of one `catalog_active` document, so activation is a single atomic write
 * (FerretDB has no transactions) and a failed import never touches what the sync engine reads.
 */
export type CatalogItemDoc = MatchedStockItem & {
  tenantId: string;
  version: number;
  /** The Smaregi 商品コード that matched (the item's JAN or its identity code); null when unmatched. */
  smaregiProductCode: string | null;
};

type StatusCounts = Record<MatchStatus, number>;

export interface CatalogItemPackDoc extends StatusCounts {
  _id: string; // `${tenantId}:${version}:${seq}` (seq padded: ids sort in file order)
  tenantId: string;
  version: number;
  seq: number;
  /** JSON array of the items as tuples (see encodeItem). */
  items: string;
}

export interface CatalogActiveDoc {
  _id: string; // tenantId
  version: number;
  uploadId: string;
  activatedAt: Date;
}

export const catalogItemPacks = (db: Db) => db.collection<CatalogItemPackDoc>('catalog_items');
export const catalogActive = (db: Db) => db.collection<CatalogActiveDoc>('catalog_active');

export const CATALOG_ITEM_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['catalog_items', { tenantId: 1, version: 1, seq: 1 }, {}],
];

export async function activeCatalogVersion(db: Db, tenantId: string): Promise<number | null> {
  return (await activeCatalog(db, tenantId))?.version ?? null;
}

export async function activeCatalog(db: Db, tenantId: string): Promise<CatalogActiveDoc | null> {
  return catalogActive(db).findOne({ _id: tenantId });
}

/** The Smaregi 商品コード that matched: the JAN when only the JAN matched, else the item's own code. */
export function smaregiProductCodeOf(item: MatchedStockItem): string | null {
  if (item.smaregiProductId === null) return null;
  return item.matchedBy === 'jan' ? item.jan : identityCode(item);
}

// ── the pack encoding ────────────────────────────────────────────────────────────────────────────

type EncodedItem = [
  source: 0 | 1, // product, option
  systemCode: string,
  customCode: string,
  optionCode: string,
  jan: string,
  name: string,
  quantity: number | null,
  line: number,
  status: MatchStatus,
  smaregiProductId: string | null,
  matchedBy: MatchedBy | null,
  conflictReasons: readonly ConflictReason[],
];

function encodeItem(item: MatchedStockItem): EncodedItem {
  const { systemCode, customCode, jan, name, quantity, line, status, smaregiProductId, matchedBy, conflictReasons } = item;
  const optionCode = item.source === 'option' ? item.optionCode : '';
  return [item.source === 'option' ? 1 : 0, systemCode, customCode, optionCode, jan, name, quantity, line, status, smaregiProductId, matchedBy, conflictReasons];
}

function decodeItem(tenantId: string, version: number, encoded: EncodedItem): CatalogItemDoc {
  const [source, systemCode, customCode, optionCode, jan, name, quantity, line, status, smaregiProductId, matchedBy, conflictReasons] = encoded;
  const common = { systemCode, customCode, jan, name, quantity, line, status, smaregiProductId, matchedBy, conflictReasons };
  const item: MatchedStockItem = source === 1 ? { ...common, source: 'option', optionCode } : { ...common, source: 'product' };
  return { ...item, tenantId, version, smaregiProductCode: smaregiProductCodeOf(item) };
}

function decodePack(pack: Pick<CatalogItemPackDoc, 'tenantId' | 'version' | 'items'>): CatalogItemDoc[] {
  return (JSON.parse(pack.items) as EncodedItem[]).map((encoded) => decodeItem(pack.tenantId, pack.version, encoded));
}

const versionIdPrefix = (tenantId: string, version: number) => `${tenantId}:${version}:`;
const packId = (tenantId: string, version: number, seq: number) => `${versionIdPrefix(tenantId, version)}${String(seq).padStart(9, '0')}`;

// ── writing a version (the catalog import) ───────────────────────────────────────────────────────

const DUPLICATE_KEY = 11000;

/**
 * Stores one batch of a version's items as pack `seq`. Batches are cut the same way on every attempt
 * of an import (same files, same batch size), so a pack that already exists was written by an earlier
 * attempt with the same items.
 */
export async function insertCatalogPack(db: Db, tenantId: string, version: number, seq: number, items: readonly MatchedStockItem[]): Promise<void> {
  if (items.length === 0) return;
  const counts: StatusCounts = { matched: 0, unmatched: 0, conflict: 0, unlimited: 0 };
  for (const item of items) counts[item.status] += 1;
  try {
    await catalogItemPacks(db).insertOne({ _id: packId(tenantId, version, seq), tenantId, version, seq, ...counts, items: JSON.stringify(items.map(encodeItem)) });
  } catch (err) {
    if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY)) throw err;
  }
}

/** Items stored before a later item made them conflicts: their packs are rewritten (rare). */
export async function markItemsConflicting(
  db: Db,
  tenantId: string,
  version: number,
  updates: readonly ConflictUpdate[],
): Promise<void> {
  if (updates.length === 0) return;
  const byKey = new Map(updates.map((u) => [`${u.file}:${u.line}`, u]));
  for await (const pack of catalogItemPacks(db).find({ tenantId, version })) {
    const items = decodePack(pack);
    let changed = false;
    for (const item of items) {
      const update = byKey.get(stockItemKey(item));
      if (!update) continue;
      Object.assign(item, { status: update.status, conflictReasons: [...update.conflictReasons] });
      changed = true;
    }
    if (!changed) continue;
    const counts: StatusCounts = { matched: 0, unmatched: 0, conflict: 0, unlimited: 0 };
    for (const item of items) counts[item.status] += 1;
    await catalogItemPacks(db).updateOne({ _id: pack._id }, { $set: { ...counts, items: JSON.stringify(items.map(encodeItem)) } });
  }
}

/** Deletes every item of one version; safe to repeat or resume. */
export async function purgeCatalogVersion(db: Db, tenantId: string, version: number): Promise<number> {
  const res = await catalogItemPacks(db).deleteMany({ tenantId, version });
  return res.deletedCount;
}

// ── reading a version ────────────────────────────────────────────────────────────────────────────

/**
 * Every item of a version that passes `keep`, in file order, one pack at a time (only the kept items
 * are held). The sync engine reads this way: one value per thousand items on FerretDB.
 */
export async function readCatalogItems(db: Db, tenantId: string, version: number, keep: (item: CatalogItemDoc) => boolean): Promise<CatalogItemDoc[]> {
  const kept: CatalogItemDoc[] = [];
  for await (const pack of catalogItemPacks(db).find({ tenantId, version }).sort({ seq: 1 })) {
    for (const item of decodePack(pack)) if (keep(item)) kept.push(item);
  }
  return kept;
}

/** Items whose stock the service pushes: matched (stock-managed), all or those of the given Smaregi products. */
export async function readSyncedItems(db: Db, tenantId: string, version: number, productIds?: readonly string[]): Promise<CatalogItemDoc[]> {
  const wanted = productIds && new Set(productIds);
  return readCatalogItems(db, tenantId, version, (item) => item.status === 'matched' && (!wanted || wanted.has(item.smaregiProductId!)));
}

export interface CatalogItemsPage {
  items: CatalogItemDoc[];
  page: number;
  limit: number;
}

/**
 * One page of a version's items (of one status, or all), in file order — never natural order, which
 * neither MongoDB after updates nor FerretDB on PostgreSQL keeps. The packs' counts say which packs hold
 * the page; only those are decoded.
 */
export async function listCatalogItems(
  db: Db,
  query: { tenantId: string; version: number; status?: MatchStatus; page: number; limit: number },
): Promise<CatalogItemsPage> {
  const { tenantId, version, status, page, limit } = query;
  const countOf = (pack: StatusCounts) => (status ? pack[status] : pack.matched + pack.unmatched + pack.conflict + pack.unlimited);
  const headers = await catalogItemPacks(db)
    .find({ tenantId, version }, { projection: { seq: 1, matched: 1, unmatched: 1, conflict: 1, unlimited: 1 } })
    .sort({ seq: 1 })
    .toArray();
  const from = (page - 1) * limit;
  const wanted: { id: string; skip: number }[] = [];
  let before = 0;
  for (const header of headers) {
    const count = countOf(header);
    if (before + count > from && before < from + limit) wanted.push({ id: header._id, skip: Math.max(0, from - before) });
    before += count;
  }
  const packs = new Map((await catalogItemPacks(db).find({ _id: { $in: wanted.map((w) => w.id) } }).toArray()).map((p) => [p._id, p]));
  const items: CatalogItemDoc[] = [];
  for (const { id, skip } of wanted) {
    const inPack = decodePack(packs.get(id)!).filter((item) => !status || item.status === status);
    items.push(...inPack.slice(skip, skip + limit - items.length));
  }
  return { items, page, limit };
}

/** Items of a version by status, from the packs' counts: only for a catalog that has no import report. */
export async function countCatalogItems(
  db: Db,
  tenantId: string,
  version: number,
): Promise<{ stockItems: number; matched: number; unmatched: number; conflicts: number; unlimited: number }> {
  const headers = await catalogItemPacks(db).find({ tenantId, version }, { projection: { matched: 1, unmatched: 1, conflict: 1, unlimited: 1 } }).toArray();
  const sum = (status: MatchStatus) => headers.reduce((total, h) => total + h[status], 0);
  const [matched, unmatched, conflicts, unlimited] = [sum('matched'), sum('unmatched'), sum('conflict'), sum('unlimited')];
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
