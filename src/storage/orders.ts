import type { Db } from 'mongodb';

/**
 * The order ledger: one document per (tenant, MakeShop order number), unique. It is what makes an
 * order import exactly-once together with the shipment's identificationNo, and what tells which
 * quantities are still reserved (orders not yet imported).
 */
export type OrderLedgerStatus = 'pending' | 'imported' | 'held' | 'cancelled';

export interface OrderLine {
  /** The MakeShop code the line carried (オプション独自コード, else 独自商品コード, else システム商品コード). */
  code: string;
  quantity: number;
  /** Set when the line maps to a matched catalog item; null lines are held, never guessed. */
  smaregiProductId: string | null;
}

/**
 * One relative stock write (在庫調整) made for an order. It is recorded (done: false) before it is sent,
 * so an attempt that finds one not done knows the write may have landed and reads it back by its memo.
 */
export interface OrderMovement {
  productId: string;
  storeId: string;
  /** Added to the store's stock: negative takes the order out, positive gives it back. */
  delta: number;
  /** Unique per order and product: `MakeShop注文 {orderNumber}` for the import, with a suffix for later corrections. */
  memo: string;
  done: boolean;
  at: Date;
}

export interface OrderLedgerDoc {
  tenantId: string;
  orderNumber: string;
  status: OrderLedgerStatus;
  /** The order's lines as MakeShop holds them now (edits replace them). */
  lines: OrderLine[];
  heldLines: number;
  /** How and where the order was imported; fixed at the first import. */
  method?: 'shipment' | 'stockAdjustment';
  storeId?: string;
  shipmentId: string | null;
  /** What the shipment took out of the store (it never changes; edits are movements). */
  shipmentLines?: { productId: string; quantity: number }[];
  /** The shipment was deleted (its stock given back by Smaregi). */
  shipmentDeleted?: boolean;
  /** Smaregi refused to delete the shipped 出荷: its stock was given back by movements instead. */
  shipmentDeleteRefused?: boolean;
  /** A POST /shipments was sent and its answer not recorded: read back by identificationNo first. */
  shipmentClaimed?: boolean;
  movements?: OrderMovement[];
  /** Correction rounds so far (memo suffixes). */
  rounds?: number;
  createdAt: Date;
  updatedAt: Date;
  importedAt?: Date;
  cancelledAt?: Date;
  /** Held by the one attempt allowed to write this order to Smaregi, until `until` (a lease). */
  claim?: { token: string; until: Date } | null;
}

export const orderLedger = (db: Db) => db.collection<OrderLedgerDoc>('orders');

export const ORDER_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['orders', { tenantId: 1, orderNumber: 1 }, { unique: true }],
  ['orders', { tenantId: 1, status: 1 }, {}],
];

/** Per product, what the order's Smaregi writes have taken out of the store so far (shipment and movements). */
export function takenFromSmaregi(ledger: Pick<OrderLedgerDoc, 'shipmentId' | 'shipmentLines' | 'shipmentDeleted' | 'movements'>): Map<string, number> {
  const taken = new Map<string, number>();
  const add = (productId: string, quantity: number) => taken.set(productId, (taken.get(productId) ?? 0) + quantity);
  if (ledger.shipmentId && !ledger.shipmentDeleted) for (const l of ledger.shipmentLines ?? []) add(l.productId, l.quantity);
  for (const m of ledger.movements ?? []) if (m.done) add(m.productId, -m.delta);
  return taken;
}

/**
 * Quantities of orders not yet imported, per Smaregi productId: they count as reserved. With
 * `importedSince`, orders imported at or after it count too (their Smaregi write may be missing from a
 * stock read that began then).
 */
export async function reservedQuantities(db: Db, tenantId: string, importedSince?: Date): Promise<Map<string, number>> {
  const reserved = new Map<string, number>();
  const filter = importedSince
    ? { tenantId, $or: [{ status: 'pending' as const }, { status: 'imported' as const, importedAt: { $gte: importedSince } }] }
    : { tenantId, status: 'pending' as const };
  const cursor = orderLedger(db).find(filter, { projection: { lines: 1 } });
  for await (const order of cursor) {
    for (const line of order.lines) {
      if (line.smaregiProductId) reserved.set(line.smaregiProductId, (reserved.get(line.smaregiProductId) ?? 0) + line.quantity);
    }
  }
  return reserved;
}
