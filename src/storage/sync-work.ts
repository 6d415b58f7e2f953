import { ObjectId, type Db } from 'mongodb';
import { bucketIds, byBucket, fieldOf, keyOf } from './buckets';

/**
 * The sync workflow's work sets (issue 12 item 3), kept here instead of in workflow history: products
 * whose stock may have changed, and order notifications not yet processed. The workflow only carries
 * whether work is due and how much.
 *
 * Changed products are appended, one document per hand-over (a webhook batch, a reconciliation, an order's
 * products): an insert costs the same however large the backlog, where rewriting a set document would not
 * (FerretDB rewrites the whole document on every update). A push reads the documents there are, pushes
 * their products and then deletes exactly those documents: a change that comes in during the push is a new
 * document, pushed next time, and a push killed half-way leaves its documents to the next one. Rows MakeShop
 * refused wait in `retry` documents until the next reconciliation.
 *
 * Order notifications are few per request and processed one by one, so they live in per-tenant bucket
 * documents (src/storage/buckets.ts), small enough that each notification rewrites a few KB.
 */
interface ChangedProductsDoc {
  _id: ObjectId;
  tenantId: string;
  productIds: string[];
  /** Refused by MakeShop: pushed again after the next reconciliation, not at once. */
  retry?: boolean;
  at: Date;
}

/** An order notification waiting to be processed; `stamp` changes with every new notification of the order. */
export interface QueuedOrder {
  orderNumber: string;
  cmd: number;
  stamp: string;
}

interface QueuedOrdersBucket {
  _id: string; // `${tenantId}:${bucket}`
  tenantId: string;
  queued?: Record<string, { cmd: number; stamp: string }>;
  /** Failed after all retries, or not returned by MakeShop yet: queued again at the next reconciliation. */
  deferred?: Record<string, { cmd: number; stamp: string }>;
}

const ORDER_BUCKETS = 128;
/** Product ids per changed-products document: a reconciliation of a huge catalog stays far below 16 MB. */
const PRODUCTS_PER_DOC = 10_000;

/** Reads and writes go by tenant (changes) or by _id (order buckets); the indexes also create the collections at start. */
export const SYNC_WORK_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['sync_changed_products', { tenantId: 1 }, {}],
  ['sync_queued_orders', { tenantId: 1 }, {}],
];

const changedProducts = (db: Db) => db.collection<ChangedProductsDoc>('sync_changed_products');
const queuedOrders = (db: Db) => db.collection<QueuedOrdersBucket>('sync_queued_orders');

const fieldsOf = <V>(prefix: string, keys: string[], value: V): Record<string, V> => Object.fromEntries(keys.map((k) => [`${prefix}.${fieldOf(k)}`, value]));

/** Records that these products' stock may have changed. Returns how many distinct ids were given. */
export async function markProductsDirty(db: Db, tenantId: string, productIds: Iterable<string>, retry = false): Promise<number> {
  const ids = [...new Set(productIds)];
  if (ids.length === 0) return 0;
  const docs: ChangedProductsDoc[] = [];
  for (let i = 0; i < ids.length; i += PRODUCTS_PER_DOC) {
    docs.push({ _id: new ObjectId(), tenantId, productIds: ids.slice(i, i + PRODUCTS_PER_DOC), ...(retry && { retry: true }), at: new Date() });
  }
  await changedProducts(db).insertMany(docs, { ordered: false });
  return ids.length;
}

/** The changes a push takes: the products, and the documents to delete once it has pushed them. */
export interface TakenProducts {
  productIds: string[];
  docIds: ObjectId[];
}

/** Every product changed and not yet pushed (retries excepted), with the documents that hold them. */
export async function takeDirtyProducts(db: Db, tenantId: string): Promise<TakenProducts> {
  const docs = await changedProducts(db)
    .find({ tenantId, retry: { $ne: true } }, { projection: { productIds: 1 } })
    .sort({ _id: 1 })
    .toArray();
  return { productIds: [...new Set(docs.flatMap((d) => d.productIds))], docIds: docs.map((d) => d._id) };
}

/** The push of `taken` ended: its documents go; the products MakeShop refused wait for the reconciliation. */
export async function settleTakenProducts(db: Db, tenantId: string, taken: TakenProducts, retry: string[]): Promise<void> {
  await markProductsDirty(db, tenantId, retry, true);
  if (taken.docIds.length > 0) await changedProducts(db).deleteMany({ tenantId, _id: { $in: taken.docIds } });
}

/** Rows MakeShop refused get another push (at each reconciliation). */
export async function releaseRetryProducts(db: Db, tenantId: string): Promise<void> {
  await changedProducts(db).updateMany({ tenantId, retry: true }, { $unset: { retry: '' } });
}

/** Products waiting for a push. */
export async function pendingProductIds(db: Db, tenantId: string): Promise<string[]> {
  return (await takeDirtyProducts(db, tenantId)).productIds;
}

/** A stamp that sorts by time of writing (FIFO within one process, by the second across processes). */
const newStamp = () => new ObjectId().toHexString();

/**
 * Queues order notifications (a repeated one gets a new stamp, so an attempt already processing the order
 * leaves it queued and it is processed once more). Returns how many were given.
 */
export async function queueOrders(db: Db, tenantId: string, orders: { orderNumber: string; cmd: number }[]): Promise<number> {
  const latest = new Map(orders.map((o) => [o.orderNumber, o.cmd]));
  const grouped = byBucket(tenantId, latest.keys(), ORDER_BUCKETS);
  if (grouped.size === 0) return 0;
  await queuedOrders(db).bulkWrite(
    [...grouped].map(([_id, numbers]) => ({
      updateOne: {
        filter: { _id },
        update: {
          $set: { tenantId, ...Object.fromEntries(numbers.map((n) => [`queued.${fieldOf(n)}`, { cmd: latest.get(n)!, stamp: newStamp() }])) },
          $unset: fieldsOf('deferred', numbers, '' as const),
        },
        upsert: true,
      },
    })),
    { ordered: false },
  );
  return latest.size;
}

/** The oldest `limit` queued orders (by stamp), and how many are queued in all. */
export async function readQueuedOrders(db: Db, tenantId: string, limit: number): Promise<{ orders: QueuedOrder[]; queued: number }> {
  const docs = await queuedOrders(db)
    .find({ _id: { $in: bucketIds(tenantId, ORDER_BUCKETS) } }, { projection: { queued: 1 } })
    .toArray();
  const all = docs.flatMap((d) => Object.entries(d.queued ?? {}).map(([field, q]) => ({ orderNumber: keyOf(field), cmd: q.cmd, stamp: q.stamp })));
  all.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.orderNumber < b.orderNumber ? -1 : 1));
  return { orders: all.slice(0, limit), queued: all.length };
}

/**
 * The order was processed (`done`) or must wait for the reconciliation (`deferred`). Only the
 * notification that was processed leaves the queue: one that came in meanwhile (new stamp) stays.
 */
export async function settleQueuedOrder(db: Db, tenantId: string, order: QueuedOrder, outcome: 'done' | 'deferred'): Promise<void> {
  const field = fieldOf(order.orderNumber);
  const _id = byBucket(tenantId, [order.orderNumber], ORDER_BUCKETS).keys().next().value!;
  await queuedOrders(db).updateOne(
    { _id, [`queued.${field}.stamp`]: order.stamp },
    {
      $unset: { [`queued.${field}`]: '' },
      ...(outcome === 'deferred' && { $set: { [`deferred.${field}`]: { cmd: order.cmd, stamp: order.stamp } } }),
    },
  );
}

/** Deferred orders are queued again (at each reconciliation). Returns how many are queued now. */
export async function releaseDeferredOrders(db: Db, tenantId: string): Promise<number> {
  const docs = await queuedOrders(db).find({ _id: { $in: bucketIds(tenantId, ORDER_BUCKETS) } }).toArray();
  let queued = 0;
  for (const doc of docs) {
    const waiting = Object.entries(doc.deferred ?? {}).filter(([field]) => !doc.queued?.[field]);
    queued += Object.keys(doc.queued ?? {}).length + waiting.length;
    if (Object.keys(doc.deferred ?? {}).length === 0) continue;
    await queuedOrders(db).updateOne(
      { _id: doc._id },
      {
        $set: { tenantId, ...Object.fromEntries(waiting.map(([field, q]) => [`queued.${field}`, q])) },
        $unset: Object.fromEntries(Object.keys(doc.deferred ?? {}).map((field) => [`deferred.${field}`, ''])),
      },
    );
  }
  return queued;
}
