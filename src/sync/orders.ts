import { MongoServerError, ObjectId, type Db } from 'mongodb';
import type { MakeshopOrder, MakeshopOrderLine } from '../platforms/makeshop/gateway';
import { activeCatalogVersion, readCatalogItems, type CatalogItemDoc } from '../storage/catalog-items';
import { orderLedger, type OrderLedgerDoc, type OrderLine } from '../storage/orders';
import { writeSyncLog } from '../storage/sync-log';
import { SyncConfigurationError, type SyncDeps } from './ports';

export const ORDER_CMD = { created: 0, edited: 1, cancelled: 2, paid: 3, delivered: 4 } as const;

export interface ProcessOrderInput {
  tenantId: string;
  orderNumber: string;
  cmd: number;
}

export type OrderOutcome = 'imported' | 'already-imported' | 'cancelled' | 'already-cancelled' | 'held' | 'reserved' | 'not-found';

export interface ProcessOrderResult {
  outcome: OrderOutcome;
  /** Smaregi products whose stock target this changed (re-read and pushed next). */
  affectedProductIds: string[];
}

/** Thrown when MakeShop does not know the order yet: retrying shortly usually finds it. */
export class OrderNotFoundYetError extends Error {
  override readonly name = 'OrderNotFoundYetError';
}

/** Another attempt holds the order's claim and may be writing to Smaregi right now: retry later. */
export class OrderBusyError extends Error {
  override readonly name = 'OrderBusyError';
}

/**
 * How long a claim on an order protects its Smaregi writes. Longer than one attempt can write for (a
 * Smaregi call: 4 tries × (30 s timeout + ≤10 s Retry-After)), so a claim is only taken over from an
 * attempt that is certainly dead or cancelled; the taker then reads back before writing again.
 */
const CLAIM_LEASE_MS = 5 * 60 * 1000;

/**
 * Claims the order's ledger row for one attempt before any platform write: a retry that runs beside a
 * slow first attempt, or a parallel delivery, finds the claim and backs off instead of writing twice.
 */
async function withOrderClaim<T>(db: Db, tenantId: string, orderNumber: string, work: () => Promise<T>): Promise<T> {
  const token = new ObjectId().toHexString();
  const now = new Date();
  const claimed = await orderLedger(db).updateOne(
    { tenantId, orderNumber, $or: [{ claim: null }, { 'claim.until': { $lt: now } }] },
    { $set: { claim: { token, until: new Date(now.getTime() + CLAIM_LEASE_MS) } } },
  );
  if (claimed.modifiedCount !== 1) throw new OrderBusyError(`order ${orderNumber} is being processed by another attempt`);
  try {
    return await work();
  } finally {
    await orderLedger(db).updateOne({ tenantId, orderNumber, 'claim.token': token }, { $unset: { claim: '' } });
  }
}

/**
 * One notified order, exactly once: fetched from MakeShop, recorded in the ledger (unique per tenant
 * and order number), then imported as a Smaregi shipment whose identificationNo is the order number.
 * A look-up by identificationNo before creating covers a crash between the two writes.
 */
export async function processOrder(deps: SyncDeps, input: ProcessOrderInput): Promise<ProcessOrderResult> {
  const credentials = await deps.tenants.makeshopConnection(input.tenantId);
  if (!credentials) throw new SyncConfigurationError('MakeShop credentials are not saved');
  const order = await deps.makeshop.getOrder(credentials, input.orderNumber);
  if (!order) return vanishedOrder(deps, input);

  if (order.status === 'cancelled' || input.cmd === ORDER_CMD.cancelled) {
    const known = await orderLedger(deps.db).findOne({ tenantId: input.tenantId, orderNumber: order.orderNumber }, { projection: { _id: 1 } });
    if (!known) return cancelOrder(deps, input.tenantId, order);
    return withOrderClaim(deps.db, input.tenantId, order.orderNumber, () => cancelOrder(deps, input.tenantId, order));
  }
  const existing = await orderLedger(deps.db).findOne({ tenantId: input.tenantId, orderNumber: order.orderNumber });
  if (existing?.status === 'imported' || existing?.status === 'held') return { outcome: 'already-imported', affectedProductIds: [] };
  if (existing?.status === 'cancelled') return { outcome: 'already-cancelled', affectedProductIds: [] };

  const ledger = existing ?? (await recordPending(deps.db, input.tenantId, order, await mapLines(deps.db, input.tenantId, order.lines)));
  if (order.status === 'provisional') return { outcome: 'reserved', affectedProductIds: productIdsOf(ledger.lines) };
  return withOrderClaim(deps.db, input.tenantId, order.orderNumber, async () => {
    // Read again under the claim: the attempt that held it before may have finished the import.
    const current = await orderLedger(deps.db).findOne({ tenantId: input.tenantId, orderNumber: order.orderNumber });
    if (current?.status !== 'pending') return { outcome: 'already-imported', affectedProductIds: [] };
    return importShipment(deps, current);
  });
}

/** A 仮注文 that MakeShop deleted (payment never completed) stops reserving stock after a grace period. */
const VANISHED_AFTER_MS = 60 * 60 * 1000;

async function vanishedOrder(deps: SyncDeps, input: ProcessOrderInput): Promise<ProcessOrderResult> {
  const { tenantId, orderNumber } = input;
  const existing = await orderLedger(deps.db).findOne({ tenantId, orderNumber });
  if (existing?.status !== 'pending' || Date.now() - existing.createdAt.getTime() < VANISHED_AFTER_MS) {
    throw new OrderNotFoundYetError(`MakeShop has no order ${orderNumber} (yet)`);
  }
  const now = new Date();
  await orderLedger(deps.db).updateOne({ tenantId, orderNumber, status: 'pending' }, { $set: { status: 'cancelled', cancelledAt: now, updatedAt: now } });
  await writeSyncLog(deps.db, [
    { tenantId, at: now, kind: 'order-cancel', orderNumber, ok: true, message: 'MakeShopから削除された注文の引当を解除しました' },
  ]);
  return { outcome: 'cancelled', affectedProductIds: productIdsOf(existing.lines) };
}

async function mapLines(db: Db, tenantId: string, lines: MakeshopOrderLine[]): Promise<OrderLine[]> {
  const version = await activeCatalogVersion(db, tenantId);
  const named = version === null ? [] : await itemsNamedBy(db, tenantId, version, lines);
  return lines.map((line): OrderLine => {
    const item = findItem(named, line);
    const usable = item && (item.status === 'matched' || item.status === 'unlimited') && item.smaregiProductId;
    return {
      code: line.optionCode || line.customCode || line.systemCode || line.jan || '',
      quantity: line.quantity,
      smaregiProductId: usable ? item.smaregiProductId : null,
    };
  });
}

/** The catalog items any of the order's lines could name, read in one pass over the version. */
function itemsNamedBy(db: Db, tenantId: string, version: number, lines: MakeshopOrderLine[]): Promise<CatalogItemDoc[]> {
  const codes = new Set(lines.flatMap((l) => [l.optionCode, l.customCode, l.systemCode]).filter((c): c is string => !!c));
  return readCatalogItems(db, tenantId, version, (item) =>
    item.source === 'option' ? codes.has(item.optionCode) : codes.has(item.customCode) || codes.has(item.systemCode),
  );
}

/** The catalog item an order line names: option by オプション独自コード, product by its codes. */
function findItem(items: CatalogItemDoc[], line: MakeshopOrderLine): CatalogItemDoc | null {
  const find = (match: (item: CatalogItemDoc) => boolean) => items.find(match) ?? null;
  if (line.optionCode) {
    const options = items.filter((i) => i.source === 'option' && i.optionCode === line.optionCode);
    return (line.systemCode ? options.find((i) => i.systemCode === line.systemCode) : undefined) ?? options[0] ?? null;
  }
  if (line.customCode) {
    const byCode = find((i) => i.source === 'product' && i.customCode === line.customCode);
    if (byCode) return byCode;
  }
  if (line.systemCode) return find((i) => i.source === 'product' && i.systemCode === line.systemCode);
  return null;
}

async function recordPending(db: Db, tenantId: string, order: MakeshopOrder, lines: OrderLine[]): Promise<OrderLedgerDoc> {
  const now = new Date();
  const doc: OrderLedgerDoc = {
    tenantId,
    orderNumber: order.orderNumber,
    status: 'pending',
    lines,
    heldLines: lines.filter((l) => !l.smaregiProductId).length,
    shipmentId: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await orderLedger(db).insertOne({ ...doc });
    return doc;
  } catch (err) {
    // Another delivery of the same order got there first: carry on with its record.
    if (err instanceof MongoServerError && err.code === 11000) {
      const winner = await orderLedger(db).findOne({ tenantId, orderNumber: order.orderNumber });
      if (winner) return winner;
    }
    throw err;
  }
}

async function importShipment(deps: SyncDeps, ledger: OrderLedgerDoc): Promise<ProcessOrderResult> {
  const { tenantId, orderNumber } = ledger;
  const affected = productIdsOf(ledger.lines);
  const lines = shipmentLines(ledger.lines);
  const now = new Date();
  if (lines.length === 0) {
    // Before the ledger write: a retry after a crash raises it again (idempotent) rather than never.
    await deps.alerts?.orderHeld(tenantId, orderNumber, heldCodes(ledger));
    await orderLedger(deps.db).updateOne({ tenantId, orderNumber, status: 'pending' }, { $set: { status: 'held', updatedAt: now } });
    await writeSyncLog(deps.db, [
      { tenantId, at: now, kind: 'error', orderNumber, ok: false, message: heldMessage(ledger) },
    ]);
    return { outcome: 'held', affectedProductIds: affected };
  }
  const storeId = await deps.tenants.shipmentStoreId(tenantId);
  if (!storeId) throw new SyncConfigurationError('no Smaregi store is chosen for shipments');
  const contractId = await deps.tenants.contractId(tenantId);
  const shipment =
    (await deps.smaregi.findShipmentByIdentificationNo(contractId, orderNumber)) ??
    (await deps.smaregi.createShipment(contractId, { storeId, identificationNo: orderNumber, lines, memo: `MakeShop注文 ${orderNumber}` }));
  await orderLedger(deps.db).updateOne(
    { tenantId, orderNumber, status: 'pending' },
    { $set: { status: 'imported', shipmentId: shipment.shipmentId, importedAt: now, updatedAt: now } },
  );
  await writeSyncLog(deps.db, [
    { tenantId, at: now, kind: 'order-import', orderNumber, ok: true, message: `出荷 ${shipment.shipmentId}` },
    ...(ledger.heldLines > 0 ? [{ tenantId, at: now, kind: 'error' as const, orderNumber, ok: false, message: heldMessage(ledger) }] : []),
  ]);
  if (ledger.heldLines > 0) await deps.alerts?.orderHeld(tenantId, orderNumber, heldCodes(ledger));
  return { outcome: 'imported', affectedProductIds: affected };
}

async function cancelOrder(deps: SyncDeps, tenantId: string, order: MakeshopOrder): Promise<ProcessOrderResult> {
  const { orderNumber } = order;
  const ledger = orderLedger(deps.db);
  const now = new Date();
  const existing = await ledger.findOne({ tenantId, orderNumber });
  if (existing?.status === 'cancelled') return { outcome: 'already-cancelled', affectedProductIds: [] };
  if (!existing) {
    // Cancelled before we imported it: record it so a late "new order" notification is not imported.
    await ledger
      .insertOne({ tenantId, orderNumber, status: 'cancelled', lines: [], heldLines: 0, shipmentId: null, createdAt: now, updatedAt: now, cancelledAt: now })
      .catch((err: unknown) => {
        if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
      });
    await writeSyncLog(deps.db, [
      { tenantId, at: now, kind: 'order-cancel', orderNumber, ok: true, message: '取り込み前にキャンセルされたため、出荷は作成していません' },
    ]);
    return { outcome: 'cancelled', affectedProductIds: [] };
  }
  const contractId = await deps.tenants.contractId(tenantId);
  const shipmentId =
    existing.shipmentId ?? (await deps.smaregi.findShipmentByIdentificationNo(contractId, orderNumber))?.shipmentId ?? null;
  if (shipmentId) await deps.smaregi.cancelShipment(contractId, shipmentId);
  await ledger.updateOne({ tenantId, orderNumber }, { $set: { status: 'cancelled', cancelledAt: now, updatedAt: now } });
  if (existing.heldLines > 0) await deps.alerts?.orderHeld(tenantId, orderNumber, null);
  await writeSyncLog(deps.db, [
    { tenantId, at: now, kind: 'order-cancel', orderNumber, ok: true, message: shipmentId ? `出荷 ${shipmentId} を取り消しました` : undefined },
  ]);
  return { outcome: 'cancelled', affectedProductIds: productIdsOf(existing.lines) };
}

function shipmentLines(lines: OrderLine[]): { productId: string; quantity: number }[] {
  const byProduct = new Map<string, number>();
  for (const l of lines) if (l.smaregiProductId) byProduct.set(l.smaregiProductId, (byProduct.get(l.smaregiProductId) ?? 0) + l.quantity);
  return [...byProduct].map(([productId, quantity]) => ({ productId, quantity }));
}

function productIdsOf(lines: OrderLine[]): string[] {
  return [...new Set(lines.flatMap((l) => (l.smaregiProductId ? [l.smaregiProductId] : [])))];
}

const heldCodes = (ledger: OrderLedgerDoc) => ledger.lines.filter((l) => !l.smaregiProductId).map((l) => l.code);

function heldMessage(ledger: OrderLedgerDoc): string {
  const codes = heldCodes(ledger).map((code) => `「${code}」`);
  return `注文 ${ledger.orderNumber} の商品 ${codes.join('、')} はカタログで対応するスマレジ商品がないため取り込みを保留しました。`;
}
