import type { Db } from 'mongodb';
import { bucketId, bucketOf as bucketOfIn, fieldOf } from './buckets';
import { findByIds } from './db';

/**
 * What the service last set in MakeShop per item, so only changed targets are pushed. Kept in a fixed
 * number of bucket documents per tenant (item key → quantity), addressed by _id: a push of thousands of
 * items is a few dozen single-document writes, and FerretDB (which cannot use secondary indexes) never
 * has to scan a large collection per item.
 */
export interface PushedStockBucket {
  _id: string; // `${tenantId}:${bucket}`
  tenantId: string;
  quantities: Record<string, number>;
  at: Date;
}

const BUCKETS = 64;

export const pushedStock = (db: Db) => db.collection<PushedStockBucket>('pushed_stock');

export const PUSHED_STOCK_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['pushed_stock', { tenantId: 1 }, {}],
];

const bucketOf = (key: string) => bucketOfIn(key, BUCKETS);

export async function lastPushed(db: Db, tenantId: string, keys: string[]): Promise<Map<string, number>> {
  const ids = [...new Set(keys.map((k) => bucketId(tenantId, bucketOf(k))))];
  const buckets = new Map<string, Record<string, number>>();
  for (const doc of await findByIds(pushedStock(db), ids)) buckets.set(doc._id, doc.quantities);
  const result = new Map<string, number>();
  for (const key of keys) {
    const qty = buckets.get(bucketId(tenantId, bucketOf(key)))?.[fieldOf(key)];
    if (qty !== undefined) result.set(key, qty);
  }
  return result;
}

export async function recordPushed(db: Db, tenantId: string, pushed: { key: string; quantity: number }[], at: Date): Promise<void> {
  const byBucket = new Map<number, Record<string, number>>();
  for (const { key, quantity } of pushed) {
    const bucket = bucketOf(key);
    const set = byBucket.get(bucket) ?? {};
    set[`quantities.${fieldOf(key)}`] = quantity;
    byBucket.set(bucket, set);
  }
  if (byBucket.size === 0) return;
  await pushedStock(db).bulkWrite(
    [...byBucket].map(([bucket, set]) => ({
      updateOne: {
        filter: { _id: bucketId(tenantId, bucket) },
        update: { $set: { ...set, tenantId, at } },
        upsert: true,
      },
    })),
    { ordered: false },
  );
}
