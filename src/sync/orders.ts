import type { OrderOutcome } from '../workflows/activity-types';
import { MongoServerError, ObjectId, type Db } from 'mongodb';
import type { MakeshopOrder, MakeshopOrderLine } from '../platforms/makeshop/gateway';
import { activeCatalogVersion, readCatalogItems, type CatalogItemDoc } from '../storage/catalog-items';
import { orderLedger, quantitiesByProduct, takenFromSmaregi, type OrderLedgerDoc, type OrderLine, type OrderMovement } from '../storage/orders';
import { countMissingOrder } from '../storage/order-cursors';
import { writeSyncLog } from '../storage/sync-log';
import { SyncConfigurationError, type SyncDeps } from './ports';

export const ORDER_CMD = { created: 0, edited: 1, cancelled: 2, paid: 3, delivered: 4 } as const;

export interface ProcessOrderInput {
  tenantId: string;
  orderNumber: string;
  cmd: number;
}

/** What the engine did with one order: the sync workflow's contract (src/workflows/activity-types.ts). */
export type { OrderOutcome };

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
 * How long a claim on an order protects its Smaregi writes without being renewed. While its attempt
 * runs, the claim is renewed every CLAIM_RENEW_MS, however long one write takes (a Smaregi call may take
 * 4 tries × (30 s timeout + ≤10 s Retry-After)); once the worker dies the renewals stop and the claim
 * lapses within the order activity's own retries (8 attempts over ≈90 s), so the retry takes it over and
 * reads back what the dead attempt may have written before writing again.
 */
export const CLAIM_LEASE_MS = 30 * 1000;
/** Several renewals per lease: one slow or failed MongoDB write does not let a live claim lapse. */
const CLAIM_RENEW_MS = 5 * 1000;

/**
 * Claims the order's ledger row for one attempt before any platform write: a retry that runs beside a
 * slow first attempt, or a parallel delivery, finds the claim and backs off instead of writing twice.
 * The claim is renewed, like the activity's heartbeat, for as long as `work` runs in this process.
 */
export async function withOrderClaim<T>(db: Db, tenantId: string, orderNumber: string, work: (guard: Guard) => Promise<T>): Promise<T> {
  const token = new ObjectId().toHexString();
  const now = new Date();
  const claimed = await orderLedger(db).updateOne(
    { tenantId, orderNumber, $or: [{ claim: null }, { 'claim.until': { $lt: now } }] },
    { $set: { claim: { token, until: new Date(now.getTime() + CLAIM_LEASE_MS) } } },
  );
  if (claimed.modifiedCount !== 1) throw new OrderBusyError(`order ${orderNumber} is being processed by another attempt`);
  const renew = async () => {
    const renewed = await orderLedger(db).updateOne(
      { tenantId, orderNumber, 'claim.token': token },
      { $set: { 'claim.until': new Date(Date.now() + CLAIM_LEASE_MS) } },
    );
    return renewed.matchedCount === 1;
  };
  let lost = false;
  const renewal = setInterval(() => {
    renew().then(
      (held) => void (lost ||= !held),
      () => undefined, // the next renewal tries again; the lease outlasts several misses
    );
  }, CLAIM_RENEW_MS);
  // Before each write: the claim is still ours (renewed), else another attempt took over and we stop.
  const guard = async () => {
    if (lost || !(await renew())) throw new OrderBusyError(`order ${orderNumber}: the claim passed to another attempt`);
  };
  try {
    return await work(guard);
  } finally {
    clearInterval(renewal);
    await orderLedger(db).updateOne({ tenantId, orderNumber, 'claim.token': token }, { $unset: { claim: '' } });
  }
}

/**
 * One notified order, settled exactly once whatever the number of notifications and attempts: fetched
 * from MakeShop, recorded in the ledger (unique per tenant and order number), then brought into Smaregi
 * under a claim on the ledger row — imported (a 出荷, or a 在庫調整 subtraction), corrected after an edit
 * by the difference, or reversed on cancellation. Every write is recorded before it is sent and read
 * back when its answer was lost, so neither a retry nor a parallel attempt writes twice.
 */
export async function processOrder(deps: SyncDeps, input: ProcessOrderInput): Promise<ProcessOrderResult> {
  const credentials = await deps.tenants.makeshopConnection(input.tenantId);
  if (!credentials) throw new SyncConfigurationError('MakeShop credentials are not saved');
  const order = await deps.makeshop.getOrder(credentials, input.orderNumber);
  if (!order) return vanishedOrder(deps, input);
  return settleOrder(deps, input.tenantId, order);
}

/**
 * Records the orders found by listing MakeShop's orders (not notified) as pending, so their quantities are
 * reserved before the next targets are computed. Answers those the ledger did not know, with their lines.
 */
export async function recordDiscoveredOrders(deps: SyncDeps, tenantId: string, orders: readonly MakeshopOrder[]): Promise<{ orderNumber: string; lines: OrderLine[] }[]> {
  if (orders.length === 0) return [];
  // One read for the whole look: a look after a backlog lists a hundred orders, and the push waits for it.
  const known = new Set(
    (await orderLedger(deps.db)
      .find({ tenantId, orderNumber: { $in: orders.map((o) => o.orderNumber) } }, { projection: { _id: 0, orderNumber: 1 } })
      .toArray()).map((d) => d.orderNumber),
  );
  const recorded: { orderNumber: string; lines: OrderLine[] }[] = [];
  for (const order of orders) {
    if (known.has(order.orderNumber) || order.status === 'cancelled') continue;
    const { lines } = await recordPending(deps.db, tenantId, order, await mapLines(deps.db, tenantId, order.lines));
    recorded.push({ orderNumber: order.orderNumber, lines });
  }
  return recorded;
}

/**
 * A pending order MakeShop holds with other quantities (an edit whose notification was lost) is reserved by
 * what it holds now, before its import fetches it again: the ledger's lines are what every push reserves.
 */
export async function refreshPendingLines(deps: SyncDeps, tenantId: string, order: MakeshopOrder): Promise<void> {
  const lines = await mapLines(deps.db, tenantId, order.lines);
  await orderLedger(deps.db).updateOne(
    { tenantId, orderNumber: order.orderNumber, status: 'pending' },
    { $set: { lines, heldLines: heldLineCount(lines), updatedAt: new Date() } },
  );
}

/** Brings Smaregi in line with the order as MakeShop holds it now (also used with orders read in bulk). */
export async function settleOrder(deps: SyncDeps, tenantId: string, order: MakeshopOrder): Promise<ProcessOrderResult> {
  const cancelled = order.status === 'cancelled';
  const ledger = orderLedger(deps.db);
  const existing = await ledger.findOne({ tenantId, orderNumber: order.orderNumber });
  if (existing?.status === 'cancelled') return { outcome: 'already-cancelled', affectedProductIds: [] };
  if (!existing && cancelled) return recordCancelledBeforeImport(deps, tenantId, order.orderNumber);
  const lines = await mapLines(deps.db, tenantId, order.lines);
  const known = existing ?? (await recordPending(deps.db, tenantId, order, lines));
  if (order.status === 'provisional') return { outcome: 'reserved', affectedProductIds: productIdsOf(known.lines) };
  // A correction that failed halfway has the new lines recorded already: it is finished, not skipped.
  if (!cancelled && known.status !== 'pending' && !known.correcting && sameQuantities(known.lines, lines)) {
    return { outcome: 'already-imported', affectedProductIds: [] };
  }
  return withOrderClaim(deps.db, tenantId, order.orderNumber, async (guard) => {
    // Read again under the claim: the attempt that held it before may have done part of the work.
    const current = await ledger.findOne({ tenantId, orderNumber: order.orderNumber });
    if (!current || current.status === 'cancelled') return { outcome: 'already-cancelled', affectedProductIds: [] };
    const before = productIdsOf(current.lines);
    if (!cancelled && !sameQuantities(current.lines, lines)) {
      // An imported order's new lines are reserved by what Smaregi has not taken yet, until the correction lands.
      const correcting = current.status !== 'pending';
      await ledger.updateOne(
        { tenantId, orderNumber: order.orderNumber },
        { $set: { lines, heldLines: heldLineCount(lines), updatedAt: new Date(), ...(correcting && { correcting: true }) } },
      );
      current.lines = lines;
      if (correcting) current.correcting = true;
    }
    const outcome = await bringSmaregiInLine(deps, current, cancelled, guard);
    return { outcome, affectedProductIds: [...new Set([...before, ...productIdsOf(current.lines)])] };
  });
}

/** A 仮注文 that MakeShop deleted (payment never completed) stops reserving stock after a grace period. */
const VANISHED_AFTER_MS = 60 * 60 * 1000;

/** Look-ups of an order MakeShop never returns before it is given up (one per cycle or reconciliation). */
export const MISSING_ORDER_ATTEMPTS = 5;

async function vanishedOrder(deps: SyncDeps, input: ProcessOrderInput): Promise<ProcessOrderResult> {
  const { tenantId, orderNumber } = input;
  const existing = await orderLedger(deps.db).findOne({ tenantId, orderNumber });
  if (!existing) {
    // A notification for an order MakeShop does not return: never retried in a loop that holds pushes.
    const attempts = await countMissingOrder(deps.db, tenantId, orderNumber);
    if (attempts < MISSING_ORDER_ATTEMPTS) return { outcome: 'not-found', affectedProductIds: [] };
    if (attempts === MISSING_ORDER_ATTEMPTS) {
      deps.logger.warn({ tenantId, orderNumber, attempts }, 'MakeShop never returned a notified order; giving up');
      await writeSyncLog(deps.db, [
        { tenantId, at: new Date(), kind: 'error', orderNumber, ok: false, message: `MakeShopから注文 ${orderNumber} を取得できないため、取り込みを中止しました。MakeShopの管理画面で注文を確認してください。` },
      ]);
    }
    return { outcome: 'given-up', affectedProductIds: [] };
  }
  if (existing.status !== 'pending' || Date.now() - existing.createdAt.getTime() < VANISHED_AFTER_MS) {
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
      code: lineCode(line),
      quantity: line.quantity,
      smaregiProductId: usable ? item.smaregiProductId : null,
    };
  });
}

/** The code an order line is recorded under in the ledger. */
function lineCode(line: MakeshopOrderLine): string {
  return line.optionCode || line.customCode || line.systemCode || line.jan || '';
}

/**
 * True when MakeShop's order now holds other quantities than the ledger recorded: an edit (cmd 1) whose
 * notification was lost, found by the reconciliation.
 */
export function editedSinceRecorded(recorded: Pick<OrderLine, 'code' | 'quantity'>[], order: MakeshopOrder): boolean {
  const byCode = (lines: { code: string; quantity: number }[]) => {
    const totals = new Map<string, number>();
    for (const l of lines) totals.set(l.code, (totals.get(l.code) ?? 0) + l.quantity);
    return totals;
  };
  const before = byCode(recorded);
  const now = byCode(order.lines.map((l) => ({ code: lineCode(l), quantity: l.quantity })));
  return before.size !== now.size || [...now].some(([code, quantity]) => before.get(code) !== quantity);
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
    heldLines: heldLineCount(lines),
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

export type Guard = () => Promise<void>;

/** Imports, corrects or reverses the order in Smaregi so that what it took equals what the order holds now. */
async function bringSmaregiInLine(deps: SyncDeps, ledger: OrderLedgerDoc, cancelled: boolean, guard: Guard): Promise<OrderOutcome> {
  const { tenantId, orderNumber } = ledger;
  const wanted = cancelled ? new Map<string, number>() : quantitiesByProduct(ledger.lines);
  const now = new Date();
  if (ledger.status === 'pending' && !cancelled && wanted.size === 0) {
    // Before the ledger write: a retry after a crash raises it again (idempotent) rather than never.
    await deps.alerts?.orderHeld(tenantId, orderNumber, heldCodes(ledger));
    await updateLedger(deps.db, ledger, { status: 'held' });
    await writeSyncLog(deps.db, [{ tenantId, at: now, kind: 'error', orderNumber, ok: false, message: heldMessage(ledger) }]);
    return 'held';
  }
  const contractId = await deps.tenants.contractId(tenantId);
  if (!ledger.method || !ledger.storeId) {
    const storeId = await deps.tenants.shipmentStoreId(tenantId);
    if (!storeId) throw new SyncConfigurationError('no Smaregi store is chosen for order imports');
    await updateLedger(deps.db, ledger, { method: await deps.tenants.orderImportMethod(tenantId), storeId });
  }
  await settleUnansweredWrites(deps, contractId, ledger);

  const messages: string[] = [];
  const firstImport = ledger.shipmentId === null && (ledger.movements ?? []).length === 0;
  if (ledger.method === 'shipment' && firstImport && !cancelled) {
    const shipmentId = await createShipmentOnce(deps, contractId, ledger, wanted, guard);
    messages.push(`出荷 ${shipmentId}`);
  }
  if (cancelled && ledger.shipmentId && !ledger.shipmentDeleted && !ledger.shipmentDeleteRefused) {
    await guard();
    const outcome = await deps.smaregi.cancelShipment(contractId, ledger.shipmentId);
    await updateLedger(deps.db, ledger, outcome === 'deleted' ? { shipmentDeleted: true } : { shipmentDeleteRefused: true });
    messages.push(outcome === 'deleted' ? `出荷 ${ledger.shipmentId} を取り消しました` : `出荷 ${ledger.shipmentId} は削除できないため、在庫を戻しました`);
  }
  const moved = await moveTheDifference(deps, contractId, ledger, wanted, cancelled, guard);
  if (moved > 0 && ledger.method === 'stockAdjustment' && firstImport) messages.push('在庫調整で取り込みました');
  else if (moved > 0 && !cancelled) messages.push('注文の修正を反映しました');

  const outcome: OrderOutcome = cancelled ? 'cancelled' : ledger.status === 'pending' ? 'imported' : 'edited';
  if (ledger.heldLines > 0) await deps.alerts?.orderHeld(tenantId, orderNumber, cancelled ? null : heldCodes(ledger));
  const at = new Date();
  const corrected = ledger.correcting ? { correcting: false, correctedAt: at } : {};
  await updateLedger(deps.db, ledger, cancelled ? { status: 'cancelled', cancelledAt: at, ...corrected } : { status: 'imported', importedAt: ledger.importedAt ?? at, ...corrected });
  await writeSyncLog(deps.db, [
    { tenantId, at, kind: cancelled ? 'order-cancel' : 'order-import', orderNumber, ok: true, ...(messages.length > 0 && { message: messages.join('、') }) },
    ...(outcome === 'imported' && ledger.heldLines > 0 ? [{ tenantId, at, kind: 'error' as const, orderNumber, ok: false, message: heldMessage(ledger) }] : []),
  ]);
  return outcome;
}

/** A 出荷 for the order, created at most once: the claim flag is written before the POST, read back after a loss. */
async function createShipmentOnce(
  deps: SyncDeps,
  contractId: string,
  ledger: OrderLedgerDoc,
  wanted: Map<string, number>,
  guard: Guard,
): Promise<string> {
  const lines = [...wanted].map(([productId, quantity]) => ({ productId, quantity }));
  await guard();
  await updateLedger(deps.db, ledger, { shipmentClaimed: true });
  const shipment = await deps.smaregi.createShipment(contractId, {
    storeId: ledger.storeId!,
    identificationNo: ledger.orderNumber,
    lines,
    memo: orderMemo(ledger.orderNumber),
  });
  await updateLedger(deps.db, ledger, { shipmentId: shipment.shipmentId, shipmentLines: lines, shipmentClaimed: false, rounds: 1 });
  return shipment.shipmentId;
}

/** Writes whose answer an earlier attempt never recorded: found in Smaregi (done) or not (never landed). */
async function settleUnansweredWrites(deps: SyncDeps, contractId: string, ledger: OrderLedgerDoc): Promise<void> {
  if (ledger.shipmentClaimed && ledger.shipmentId === null) {
    const found = await deps.smaregi.findShipmentByIdentificationNo(contractId, ledger.orderNumber);
    await updateLedger(
      deps.db,
      ledger,
      found ? { shipmentId: found.shipmentId, shipmentLines: found.lines, shipmentClaimed: false, rounds: 1 } : { shipmentClaimed: false },
    );
  }
  const movements = ledger.movements ?? [];
  if (movements.every((m) => m.done)) return;
  const settled: OrderMovement[] = [];
  for (const m of movements) {
    if (m.done) settled.push(m);
    else {
      const since = new Date(m.at.getTime() - UNANSWERED_WRITE_SLACK_MS);
      const found = await deps.smaregi.findStockChangeByMemo(contractId, { productId: m.productId, storeId: m.storeId, memo: m.memo, since });
      if (found) settled.push({ ...m, done: true, doneAt: new Date() });
    }
  }
  await updateLedger(deps.db, ledger, { movements: settled });
}

/** Clocks of Smaregi and ours differ: read back changes from a little before the write was recorded. */
const UNANSWERED_WRITE_SLACK_MS = 5 * 60 * 1000;

/**
 * Relative writes (在庫調整) for whatever differs between what the order's writes took and what the
 * order holds now: the stockAdjustment import, an edit's difference, a reversal. Each is recorded
 * before it is sent. Returns how many were written.
 */
async function moveTheDifference(
  deps: SyncDeps,
  contractId: string,
  ledger: OrderLedgerDoc,
  wanted: Map<string, number>,
  cancelled: boolean,
  guard: Guard,
): Promise<number> {
  const taken = takenFromSmaregi(ledger);
  const round = ledger.rounds ?? 0;
  const memo = round === 0 && !cancelled ? orderMemo(ledger.orderNumber) : `${orderMemo(ledger.orderNumber)} ${cancelled ? '取消' : '修正'}${round}`;
  const deltas = [...new Set([...taken.keys(), ...wanted.keys()])]
    .map((productId) => ({ productId, delta: (taken.get(productId) ?? 0) - (wanted.get(productId) ?? 0) }))
    .filter((d) => d.delta !== 0);
  if (deltas.length === 0) return 0;
  await updateLedger(deps.db, ledger, { rounds: round + 1 });
  for (const { productId, delta } of deltas) {
    const movement: OrderMovement = { productId, storeId: ledger.storeId!, delta, memo, done: false, at: new Date() };
    await guard();
    await updateLedger(deps.db, ledger, { movements: [...(ledger.movements ?? []), movement] });
    await deps.smaregi.addStock(contractId, { productId, storeId: movement.storeId, delta, memo });
    await updateLedger(deps.db, ledger, { movements: ledger.movements!.map((m) => (m === movement ? { ...m, done: true, doneAt: new Date() } : m)) });
  }
  return deltas.length;
}

/** Stock-history memo of the order's writes (DESIGN §5: `MakeShop注文 {orderNumber}`). */
function orderMemo(orderNumber: string): string {
  return `MakeShop注文 ${orderNumber}`;
}

/** Writes ledger fields and keeps the in-memory copy in step (the caller holds the order's claim). */
async function updateLedger(db: Db, ledger: OrderLedgerDoc, fields: Partial<OrderLedgerDoc>): Promise<void> {
  const updatedAt = new Date();
  await orderLedger(db).updateOne({ tenantId: ledger.tenantId, orderNumber: ledger.orderNumber }, { $set: { ...fields, updatedAt } });
  Object.assign(ledger, fields, { updatedAt });
}

async function recordCancelledBeforeImport(deps: SyncDeps, tenantId: string, orderNumber: string): Promise<ProcessOrderResult> {
  const now = new Date();
  // Recorded so that a late "new order" notification is not imported.
  await orderLedger(deps.db)
    .insertOne({ tenantId, orderNumber, status: 'cancelled', lines: [], heldLines: 0, shipmentId: null, createdAt: now, updatedAt: now, cancelledAt: now })
    .catch((err: unknown) => {
      if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
    });
  await writeSyncLog(deps.db, [
    { tenantId, at: now, kind: 'order-cancel', orderNumber, ok: true, message: '取り込み前にキャンセルされたため、スマレジには反映していません' },
  ]);
  return { outcome: 'cancelled', affectedProductIds: [] };
}

function sameQuantities(a: OrderLine[], b: OrderLine[]): boolean {
  const qa = quantitiesByProduct(a);
  const qb = quantitiesByProduct(b);
  return qa.size === qb.size && [...qa].every(([productId, quantity]) => qb.get(productId) === quantity);
}

function productIdsOf(lines: OrderLine[]): string[] {
  return [...new Set(lines.flatMap((l) => (l.smaregiProductId ? [l.smaregiProductId] : [])))];
}

const heldCodes = (ledger: OrderLedgerDoc) => ledger.lines.filter((l) => !l.smaregiProductId).map((l) => l.code);

function heldMessage(ledger: OrderLedgerDoc): string {
  const codes = heldCodes(ledger).map((code) => `「${code}」`);
  return `注文 ${ledger.orderNumber} の商品 ${codes.join('、')} はカタログで対応するスマレジ商品がないため取り込みを保留しました。`;
}

/** Lines not in the catalog: the order is held on them, never guessed. */
function heldLineCount(lines: readonly OrderLine[]): number {
  return lines.filter((l) => !l.smaregiProductId).length;
}
