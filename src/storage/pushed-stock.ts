import type { Db } from 'mongodb';

/** What the service last set in MakeShop per item, so only changed targets are pushed. */
export interface PushedStockDoc {
  tenantId: string;
  key: string;
  quantity: number;
  at: Date;
}

export const pushedStock = (db: Db) => db.collection<PushedStockDoc>('pushed_stock');

export const PUSHED_STOCK_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['pushed_stock', { tenantId: 1, key: 1 }, { unique: true }],
];

export async function lastPushed(db: Db, tenantId: string, keys: string[]): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  const chunk = 5000;
  for (let i = 0; i < keys.length; i += chunk) {
    const docs = pushedStock(db).find({ tenantId, key: { $in: keys.slice(i, i + chunk) } }, { projection: { key: 1, quantity: 1 } });
    for await (const d of docs) result.set(d.key, d.quantity);
  }
  return result;
}

export async function recordPushed(db: Db, tenantId: string, pushed: { key: string; quantity: number }[], at: Date): Promise<void> {
  const chunk = 1000;
  for (let i = 0; i < pushed.length; i += chunk) {
    await pushedStock(db).bulkWrite(
      pushed.slice(i, i + chunk).map((p) => ({
        updateOne: { filter: { tenantId, key: p.key }, update: { $set: { quantity: p.quantity, at } }, upsert: true },
      })),
      { ordered: false },
    );
  }
}
