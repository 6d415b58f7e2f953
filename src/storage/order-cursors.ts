import type { Db } from 'mongodb';

/**
 * Per tenant, one small document (FerretDB reads it by _id): how far MakeShop's orders have been looked
 * at. `discoveredThrough` moves with every push cycle's order discovery; `settledThrough` with every
 * reconciliation that read the whole window, so a long 停止 is covered from where the last one ended.
 */
export interface OrderCursorDoc {
  _id: string; // tenantId
  discoveredThrough?: Date;
  settledThrough?: Date;
}

/** Notifications for orders MakeShop did not return: counted so that one is given up, not retried forever. */
export interface OrderLookupDoc {
  _id: string; // `${tenantId}:${orderNumber}`
  tenantId: string;
  attempts: number;
  firstAt: Date;
}

export const orderCursors = (db: Db) => db.collection<OrderCursorDoc>('order_cursors');
export const orderLookups = (db: Db) => db.collection<OrderLookupDoc>('order_lookups');

export async function readOrderCursor(db: Db, tenantId: string): Promise<OrderCursorDoc | null> {
  return orderCursors(db).findOne({ _id: tenantId });
}

export async function advanceOrderCursor(db: Db, tenantId: string, field: 'discoveredThrough' | 'settledThrough', to: Date): Promise<void> {
  await orderCursors(db).updateOne({ _id: tenantId }, { $max: { [field]: to } }, { upsert: true });
}

/** Counts one more fruitless look-up of the order; returns the count so far. */
export async function countMissingOrder(db: Db, tenantId: string, orderNumber: string): Promise<number> {
  const doc = await orderLookups(db).findOneAndUpdate(
    { _id: `${tenantId}:${orderNumber}` },
    { $inc: { attempts: 1 }, $setOnInsert: { tenantId, firstAt: new Date() } },
    { upsert: true, returnDocument: 'after' },
  );
  return doc?.attempts ?? 1;
}
