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

export interface OrderLedgerDoc {
  tenantId: string;
  orderNumber: string;
  status: OrderLedgerStatus;
  lines: OrderLine[];
  heldLines: number;
  shipmentId: string | null;
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

/** Quantities of orders not yet imported, per Smaregi productId: they count as reserved. */
export async function reservedQuantities(db: Db, tenantId: string): Promise<Map<string, number>> {
  const reserved = new Map<string, number>();
  const cursor = orderLedger(db).find({ tenantId, status: 'pending' }, { projection: { lines: 1 } });
  for await (const order of cursor) {
    for (const line of order.lines) {
      if (line.smaregiProductId) reserved.set(line.smaregiProductId, (reserved.get(line.smaregiProductId) ?? 0) + line.quantity);
    }
  }
  return reserved;
}
