import type { Db } from 'mongodb';
import { SmaregiCodeTable } from '../domain/catalog';

/**
 * `smaregi_products`: the tenant's Smaregi 商品コード → productId list as one catalog import read it
 * (a snapshot), cached so a retried import matches against exactly the same list. Stored in chunks of
 * a few thousand pairs: one document per product would make a 300k-product refresh 300k inserts.
 */
interface SmaregiProductsChunk {
  _id: string;
  tenantId: string;
  snapshotId: string;
  chunk: number;
  chunkCount: number;
  codes: string[];
  productIds: string[];
  createdAt: Date;
}

const PAIRS_PER_CHUNK = 5000;

const smaregiProducts = (db: Db) => db.collection<SmaregiProductsChunk>('smaregi_products');

export const SMAREGI_PRODUCT_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['smaregi_products', { tenantId: 1, snapshotId: 1 }, {}],
];

const chunkId = (tenantId: string, snapshotId: string, chunk: number) => `${tenantId}:${snapshotId}:${chunk}`;

export async function saveSmaregiSnapshot(
  db: Db,
  tenantId: string,
  snapshotId: string,
  codes: SmaregiCodeTable,
  now: Date,
): Promise<void> {
  const chunkCount = Math.max(1, Math.ceil(codes.size / PAIRS_PER_CHUNK));
  let chunk: Pick<SmaregiProductsChunk, 'codes' | 'productIds'> = { codes: [], productIds: [] };
  let chunkNo = 0;
  const flush = async () => {
    await smaregiProducts(db).insertOne({ _id: chunkId(tenantId, snapshotId, chunkNo), tenantId, snapshotId, chunk: chunkNo, chunkCount, ...chunk, createdAt: now });
    chunkNo += 1;
    chunk = { codes: [], productIds: [] };
  };
  for (const [code, productId] of codes.entries()) {
    chunk.codes.push(code);
    chunk.productIds.push(productId);
    if (chunk.codes.length === PAIRS_PER_CHUNK) await flush();
  }
  if (chunkNo < chunkCount) await flush();
}

/** The snapshot as a lookup table, or null when it is missing or incomplete. Read a chunk at a time. */
export async function loadSmaregiSnapshot(db: Db, tenantId: string, snapshotId: string): Promise<SmaregiCodeTable | null> {
  const codes = new SmaregiCodeTable();
  let expected: number | null = null;
  let next = 0;
  for await (const chunk of smaregiProducts(db).find({ tenantId, snapshotId }).sort({ chunk: 1 }).batchSize(4)) {
    expected ??= chunk.chunkCount;
    if (chunk.chunk !== next) return null;
    chunk.codes.forEach((code, i) => codes.set(code, chunk.productIds[i] as string));
    next += 1;
  }
  return expected !== null && next === expected ? codes : null;
}

/** Keeps only the given snapshots of the tenant (the latest one, and one an import in progress uses). */
export async function deleteSmaregiSnapshotsExcept(db: Db, tenantId: string, keep: readonly string[]): Promise<void> {
  await smaregiProducts(db).deleteMany({ tenantId, snapshotId: { $nin: [...keep] } });
}
