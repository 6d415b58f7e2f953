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
  /** When Smaregi answered it (it is in every stock read that began after). */
  doneAt?: Date;
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
  /** An edit changed the lines of an imported order and Smaregi may not hold the difference yet. */
  correcting?: boolean;
  /** When the last correction of an imported order was done. */
  correctedAt?: Date;
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
 * Quantities MakeShop sold that Smaregi's stock does not show yet, per Smaregi productId: they count as
 * reserved. Orders not yet imported count whole. With `importedSince` (when the push's stock read began),
 * orders imported at or after it count whole too (their Smaregi write may be missing from that read), and an
 * edit of an imported order counts by what its corrections have not taken before then (an edit that raised
 * a quantity is in MakeShop at once, in Smaregi only once its 在庫調整 lands).
 */
export async function reservedQuantities(db: Db, tenantId: string, importedSince?: Date): Promise<Map<string, number>> {
  const reserved = new Map<string, number>();
  const add = (productId: string, quantity: number) => reserved.set(productId, (reserved.get(productId) ?? 0) + quantity);
  const since = importedSince ?? new Date();
  const filter = {
    tenantId,
    $or: [
      { status: 'pending' as const },
      { status: 'imported' as const, importedAt: { $gte: since } },
      { correcting: true },
      { correctedAt: { $gte: since } },
    ],
  };
  const projection = { status: 1, importedAt: 1, lines: 1, shipmentId: 1, shipmentLines: 1, shipmentDeleted: 1, movements: 1 };
  for await (const order of orderLedger(db).find(filter, { projection })) {
    const whole = order.status === 'pending' || (order.status === 'imported' && order.importedAt !== undefined && order.importedAt >= since);
    if (whole) {
      for (const line of order.lines) if (line.smaregiProductId) add(line.smaregiProductId, line.quantity);
      continue;
    }
    if (order.status !== 'imported' && order.status !== 'held') continue;
    const taken = takenFromSmaregi({ ...order, movements: order.movements?.filter((m) => m.done && (m.doneAt ?? m.at) < since) });
    for (const [productId, quantity] of quantitiesByProduct(order.lines)) {
      const outstanding = quantity - (taken.get(productId) ?? 0);
      if (outstanding > 0) add(productId, outstanding);
    }
  }
  return reserved;
}

/** The order's quantities per Smaregi productId (lines not in the catalog left out). */
export function quantitiesByProduct(lines: readonly OrderLine[]): Map<string, number> {
  const byProduct = new Map<string, number>();
  for (const l of lines) if (l.smaregiProductId) byProduct.set(l.smaregiProductId, (byProduct.get(l.smaregiProductId) ?? 0) + l.quantity);
  return byProduct;
}
