// The sync invariant (DESIGN §1/§3), checked while the chaos runs: for every matched item MakeShop never
// shows more than max(0, Σ selected stores − buffer − quantities of orders MakeShop took that are not yet
// imported), except for orders placed during one push.
//
// The allowed value comes from the simulators' own state, read in-process and synchronously, so one sample
// is one atomic snapshot of both platforms. With Smaregi's shipment store among the selected stores, the
// engine's own imports cancel out: Σ selected − (not yet imported) = (POS stock of the selected stores,
// i.e. seed + till movements, without the engine's writes) − (quantities of every open MakeShop order).
//
// What the engine cannot know yet is not held against it:
// - Smaregi side (sales, settings): a pushed value is compared with the POS stock as of the Smaregi stock
//   reads that fed it — the last GET /pos/stock covering the product before the push's call started, not
//   counting reads by update time (the reconciliation's, which only mark products changed) (the
//   max over reads a few seconds before it, in case another attempt read in between; for a full push, which
//   reads store by store, back to each store's read), and with the most lenient settings saved since
//   shortly before those reads (a version stays possible until the next one was saved: the api checks the
//   stores with Smaregi, and under faults a save can take tens of seconds).
// - MakeShop side: the push looks for orders after its last Smaregi read. An order (or an edit that raised
//   one) placed shortly before that read or later, whose decrement a landing push overwrote, is excused by
//   the quantity it had then (an edit after the push moves MakeShop by the difference on top of the pushed
//   value) until the engine had time to see it: EXCUSE_MS after that push landed.
// - An order edit that raised a quantity, whose notification was lost: nothing tells the engine before the
//   reconciliation re-reads the order (discovery lists orders by order date, not by change), so the raise is
//   excused for LOST_NOTIFICATION_EXCUSE_MS after the edit — a known limit of the product, counted in `editExcuses`.
// - A push can only write 0 when the item's target is below it; an order cancelled after that push gives its
//   quantity back on top of the 0 in MakeShop. That lift (up to how far below 0 the target was, the order
//   still counted) is MakeShop's own arithmetic and lasts until the engine has seen the cancellation:
//   LOST_NOTIFICATION_EXCUSE_MS after it (a cancellation whose notification was lost is seen only by the
//   reconciliation: discovery lists orders by order date).
// - An order whose decrement the last push overwrote (the excused case above), cancelled after that push:
//   MakeShop gives its quantity back on top of the pushed value, which never held it. An absolute push cannot
//   know that; the next push to the item corrects it. Exactly that order's quantity of that item is excused
//   until the next push to the item lands, at most LOST_NOTIFICATION_EXCUSE_MS after the cancellation; counted in
//   `excuses.overwrittenCancelled`.
// - An upward MakeShop-admin edit is the merchant's own over-statement: the item is exempt from the edit
//   until the next push to it lands (drift repair, or a Smaregi change of the product, brings it back).
import type { MakeshopSimState } from '../../src/simulators/makeshop/state';
import type { SmaregiSimState } from '../../src/simulators/smaregi/state';

export interface SettingsVersion {
  /** When the test started saving it (the engine may act on it from then on). */
  at: number;
  /** When the api answered 200 (until then the version before may still be the saved one). */
  savedAt?: number;
  storeIds: string[];
  buffer: number;
  overrides: { code: string; buffer: number }[];
}

export interface Violation {
  at: number;
  code: string;
  makeshop: number;
  allowed: number;
  detail: string;
}

/** Reads other than the latest before a push, within this long before the push's call, may have fed it. */
const READ_JITTER_MS = 5_000;
/** The store-by-store reads of one full push span at most this long (a held call, retries). */
const STORE_READS_SPAN_MS = 90_000;
/** A push looks for orders after it reads Smaregi, unless it looked less than 3 s before: orders placed this long before the read count as unknown to it. */
const DISCOVERY_LEAD_MS = 5_000;
/** How long after an overwriting push the engine has to bring an unseen order's decrement back (look-again + next push, under slow calls). */
export const EXCUSE_MS = 60_000;
/**
 * A change only a notification announces (an edit, a cancellation: discovery lists orders by order date), its
 * notification lost: the reconciliation interval of the chaos stack plus the time to import the difference and push.
 */
export const LOST_NOTIFICATION_EXCUSE_MS = 90_000;

interface ItemWrite {
  at: number;
  requestedAt?: number;
  code: string;
}

export class InvariantSampler {
  readonly violations: Violation[] = [];
  samples = 0;
  /** Longest time an order was excused before MakeShop respected it again (ms). */
  longestExcuseMs = 0;
  private readonly settings: SettingsVersion[];
  private readonly adminRaises: { code: string; at: number }[] = [];
  private readonly editRaises: { code: string; increase: number; at: number }[] = [];
  /** Samples where a raising edit's lost notification was all that kept MakeShop within the allowed value. */
  editExcuses = 0;
  /** Oldest a raising edit was when its excuse was still needed (ms): how long the engine took to see a lost edit. */
  longestEditExcuseMs = 0;
  /** Per kind of excuse: item samples that were within the allowed value only thanks to it. */
  readonly excuses = { overwrittenOrder: 0, cancelledBelowZero: 0, editRaise: 0, overwrittenCancelled: 0 };
  /** Orders excused as overwritten-then-cancelled at least once. */
  readonly overwrittenCancelledOrders = new Set<string>();
  /** Each order as it was just before an edit was tried, in time order. */
  private readonly editsTried: { orderNumber: string; at: number; updatedAt: number; lines: OrderLineSeen[] }[] = [];
  /** When each cancelled order last changed while it was open (its updatedAt just before the cancellation). */
  private readonly openUntilCancel = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly productIdOf: Map<string, string>;
  private readonly seedStock: Map<string, number>;
  private readonly excusedSince = new Map<string, number>();

  constructor(
    private readonly smaregi: SmaregiSimState,
    private readonly contractId: string,
    private readonly makeshop: MakeshopSimState,
    private readonly shopId: string,
    private readonly codes: string[],
    seed: { stock: { storeId: string; productCode: string; amount: number }[]; settings: Omit<SettingsVersion, 'at'> },
    /** The simulators' clock (their stock writes and orders are stamped with it). */
    private readonly now: () => number = Date.now,
  ) {
    const contract = smaregi.contract(contractId)!;
    this.productIdOf = new Map(codes.map((code) => [code, contract.productIdByCode.get(code)!]));
    this.seedStock = new Map(seed.stock.map((s) => [`${contract.productIdByCode.get(s.productCode)}:${s.storeId}`, s.amount]));
    this.settings = [{ at: 0, ...seed.settings }];
  }

  /** Call before saving new stock settings. */
  settingsChanging(next: Omit<SettingsVersion, 'at' | 'savedAt'>): void {
    this.settings.push({ at: this.now(), ...next });
  }

  /** Call once the api saved the settings last announced (a save can take long: the api checks the stores with Smaregi). */
  settingsSaved(): void {
    this.settings.at(-1)!.savedAt = this.now();
  }

  /** Call before an order edit that raises the quantity of an item. */
  orderRaised(code: string, increase: number): void {
    this.editRaises.push({ code, increase, at: this.now() });
  }

  /** Call before cancelling an order: remembers when it last changed while open (cancelling overwrites updatedAt). */
  orderCancelling(orderNumber: string): void {
    const order = this.makeshop.shop(this.shopId)!.orders.get(orderNumber);
    if (order && order.status !== '0') this.openUntilCancel.set(orderNumber, order.updatedAt);
  }

  /** Call before trying an order edit (MakeShop may refuse it): remembers the order as it was. */
  orderEditing(orderNumber: string): void {
    const order = this.makeshop.shop(this.shopId)!.orders.get(orderNumber);
    if (order) this.editsTried.push({ orderNumber, at: this.now(), updatedAt: order.updatedAt, lines: order.lines.map((l) => ({ ...l })) });
  }

  /** The edits tried on orders holding the code (for a failure's trace). */
  editsTriedOn(code: string): { orderNumber: string; at: number; lines: OrderLineSeen[] }[] {
    return this.editsTried.filter((e) => e.lines.some((l) => (l.optionCode || l.customCode) === code));
  }

  /** Call after a MakeShop-admin edit that raised an item's quantity. */
  adminRaised(code: string): void {
    this.adminRaises.push({ code, at: this.now() });
  }

  start(intervalMs = 200): void {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One atomic snapshot of both simulators, checked item by item. */
  sample(): void {
    const now = this.now();
    const shop = this.makeshop.shop(this.shopId)!;
    const contract = this.smaregi.contract(this.contractId)!;
    const quantities = new Map(shop.stockRows().map((r) => [r.optionCode || r.customCode, r.quantity]));
    const writes = shop.stockWrites as ItemWrite[];
    this.samples++;
    for (const code of this.codes) {
      const shown = quantities.get(code);
      if (shown === null || shown === undefined) continue;
      const lastWrite = findLast(writes, (w) => w.code === code && w.at <= now);
      if (this.adminRaises.some((r) => r.code === code && (!lastWrite || lastWrite.at < r.at))) continue;
      const productId = this.productIdOf.get(code)!;
      // The reads that fed a write came before its call reached MakeShop (a held call lands long after it was sent).
      const [readAt, latestRead] = lastWrite ? this.readsFeeding(contract.stockReads, productId, lastWrite.requestedAt ?? lastWrite.at) : [now, now];
      const posAllowed = this.posAllowance(contract.history, code, productId, readAt, latestRead, now);
      let openOrders = 0;
      let excused = 0;
      let cancelledSincePush = 0;
      let givenBack = 0;
      const givingBack: string[] = [];
      // The last push overwrote a change made at `changedAt` when it had not seen it (see the header).
      const overwroteChangeAt = (changedAt: number) => lastWrite !== undefined && lastWrite.at >= changedAt && changedAt > latestRead - DISCOVERY_LEAD_MS;
      for (const order of shop.orders.values()) {
        const quantity = quantityOf(order.lines, code);
        if (quantity === 0) continue;
        if (order.status === '0') {
          if (!lastWrite || order.updatedAt < lastWrite.at || now - order.updatedAt > LOST_NOTIFICATION_EXCUSE_MS) continue;
          // What the push overwrote is the order as it was then (an edit after the push moved MakeShop by the
          // difference, and the cancellation gives back what the order held last: together its quantity then).
          const openUntil = this.openUntilCancel.get(order.orderNumber) ?? order.orderedAt;
          const atPush = this.orderAsOf({ ...order, updatedAt: openUntil }, code, lastWrite.at);
          if (atPush && overwroteChangeAt(atPush.changedAt)) {
            givenBack += atPush.quantity;
            givingBack.push(order.orderNumber);
          } else cancelledSincePush += quantity;
          continue;
        }
        openOrders += quantity;
        if (!lastWrite || now - lastWrite.at > EXCUSE_MS) continue;
        // What the push overwrote is the order as it was then; an edit after it moves MakeShop by the difference
        // on top of the pushed value, so the excuse stays the quantity the order had at the push.
        const atPush = this.orderAsOf(order, code, lastWrite.at);
        if (atPush && overwroteChangeAt(atPush.changedAt)) excused += atPush.quantity;
      }
      const recentRaises = this.editRaises.filter((e) => e.code === code && now - e.at <= LOST_NOTIFICATION_EXCUSE_MS);
      const raisedByEdits = recentRaises.reduce((a, e) => a + e.increase, 0);
      const allowedWith = (orders: number, edits: number, belowZero: number, back: number) => {
        const raw = posAllowed - openOrders + orders + edits;
        // The push wrote max(0, raw − belowZero) while the cancelled orders were still open; the give-back lands on that.
        return Math.max(0, raw) + Math.min(belowZero, Math.max(0, belowZero - raw)) + back;
      };
      const allowed = allowedWith(excused, raisedByEdits, cancelledSincePush, givenBack);
      const strict = Math.max(0, posAllowed - openOrders);
      if (shown <= allowed && shown > allowedWith(excused, 0, cancelledSincePush, givenBack)) {
        this.editExcuses++;
        this.longestEditExcuseMs = Math.max(this.longestEditExcuseMs, oldestNeeded(recentRaises, now, (raised) => shown <= allowedWith(excused, raised, cancelledSincePush, givenBack)));
      }
      if (shown <= allowed) this.countExcuses(shown, { excused, raisedByEdits, cancelledSincePush, givenBack }, allowedWith, givingBack);
      this.trackExcuse(code, shown > strict, now);
      if (shown > allowed) {
        this.violations.push({
          at: now,
          code,
          makeshop: shown,
          allowed,
          detail: `pos ${posAllowed} (read ${readAt ? new Date(readAt).toISOString() : '-'}), open orders ${openOrders}, excused ${excused}, edit raises ${raisedByEdits}, cancelled since push ${cancelledSincePush}, given back after overwrite ${givenBack}, last push ${lastWrite ? new Date(lastWrite.at).toISOString() : 'none'}`,
        });
      }
    }
  }

  /** The order as MakeShop held it at `at`: when it last changed before, and its quantity of the code (undefined: not known). */
  private orderAsOf(order: { orderNumber: string; updatedAt: number; lines: OrderLineSeen[] }, code: string, at: number): { changedAt: number; quantity: number } | undefined {
    if (order.updatedAt <= at) return { changedAt: order.updatedAt, quantity: quantityOf(order.lines, code) };
    const firstEditAfter = this.editsTried.find((e) => e.orderNumber === order.orderNumber && e.at > at);
    if (!firstEditAfter || firstEditAfter.updatedAt > at) return undefined;
    return { changedAt: firstEditAfter.updatedAt, quantity: quantityOf(firstEditAfter.lines, code) };
  }

  /** Counts, per kind, an excuse without which this (allowed) sample would have been a violation. */
  private countExcuses(
    shown: number,
    terms: { excused: number; raisedByEdits: number; cancelledSincePush: number; givenBack: number },
    allowedWith: (orders: number, edits: number, belowZero: number, back: number) => number,
    givingBack: string[],
  ): void {
    const { excused, raisedByEdits, cancelledSincePush, givenBack } = terms;
    if (shown > allowedWith(0, raisedByEdits, cancelledSincePush, givenBack)) this.excuses.overwrittenOrder++;
    if (shown > allowedWith(excused, 0, cancelledSincePush, givenBack)) this.excuses.editRaise++;
    if (shown > allowedWith(excused, raisedByEdits, 0, givenBack)) this.excuses.cancelledBelowZero++;
    if (shown > allowedWith(excused, raisedByEdits, cancelledSincePush, 0)) {
      this.excuses.overwrittenCancelled++;
      givingBack.forEach((o) => this.overwrittenCancelledOrders.add(o));
    }
  }

  /** When the Smaregi reads that may have fed the push at pushAt were answered: [earliest plausible, latest]. */
  private readsFeeding(reads: { at: number; productIds: string[]; storeId?: string; byUpdateTime?: boolean }[], productId: string, pushAt: number): [number, number] {
    // A read by update time (the reconciliation's) only tells what changed: no push sums it.
    const before = reads.filter((r) => r.at <= pushAt && !r.byUpdateTime && r.productIds.includes(productId));
    const latest = before.at(-1);
    if (!latest) return [0, 0];
    let earliest = before.find((r) => r.at >= latest.at - READ_JITTER_MS)!.at;
    // A full push reads store by store, and one store's read can be held for tens of seconds: the push's
    // value of each other store is that store's read just before, back to the previous read of a store.
    if (latest.storeId !== undefined) {
      const stores = new Set<string>();
      for (let i = before.length - 1; i >= 0; i--) {
        const read = before[i]!;
        if (read.storeId === undefined) continue;
        if (stores.has(read.storeId) || read.at < latest.at - STORE_READS_SPAN_MS) break;
        stores.add(read.storeId);
        earliest = Math.min(earliest, read.at);
      }
    }
    return [earliest, latest.at];
  }

  /**
   * The most MakeShop may show from Smaregi's side: POS stock of the selected stores − buffer as any read in
   * [from, until] saw it, with the most lenient settings saved in [from − lead, now].
   */
  private posAllowance(
    history: { productId: string; storeId: string; amount: number; stockDivision: string; updDateTime: number }[],
    code: string,
    productId: string,
    from: number,
    until: number,
    now: number,
  ): number {
    // A version may be in effect from when its save began until the next one was saved.
    const versions = this.settings.filter((v, i) => {
      const next = this.settings[i + 1];
      return v.at <= now && (!next || (next.savedAt ?? now) >= from - DISCOVERY_LEAD_MS);
    });
    const perStore = new Map<string, number>();
    for (const [key, amount] of this.seedStock) if (key.startsWith(`${productId}:`)) perStore.set(key.slice(productId.length + 1), amount);
    const allowance = () =>
      Math.max(...versions.map((v) => v.storeIds.reduce((a, s) => a + (perStore.get(s) ?? 0), 0) - (v.overrides.find((o) => o.code === code)?.buffer ?? v.buffer)));
    // Till movements (division 09) only: the engine's own writes (10 shipments, 15 API) are left out.
    let best = Number.NEGATIVE_INFINITY;
    for (const h of history) {
      if (h.updDateTime > until) break;
      if (h.productId !== productId || h.stockDivision !== '09') continue;
      if (h.updDateTime >= from && best === Number.NEGATIVE_INFINITY) best = allowance();
      perStore.set(h.storeId, (perStore.get(h.storeId) ?? 0) + h.amount);
      if (h.updDateTime >= from) best = Math.max(best, allowance());
    }
    return Math.max(best, allowance());
  }

  private trackExcuse(code: string, aboveStrict: boolean, now: number): void {
    const since = this.excusedSince.get(code);
    if (aboveStrict && since === undefined) this.excusedSince.set(code, now);
    if (!aboveStrict && since !== undefined) {
      this.longestExcuseMs = Math.max(this.longestExcuseMs, now - since);
      this.excusedSince.delete(code);
    }
  }
}

interface OrderLineSeen {
  customCode: string;
  optionCode: string;
  quantity: number;
}

function quantityOf(lines: readonly OrderLineSeen[], code: string): number {
  return lines.filter((l) => (l.optionCode || l.customCode) === code).reduce((a, l) => a + l.quantity, 0);
}

/** How old the oldest of the newest raises that make `enough` true is (ms). */
function oldestNeeded(raises: readonly { increase: number; at: number }[], now: number, enough: (raised: number) => boolean): number {
  let raised = 0;
  for (let i = raises.length - 1; i >= 0; i--) {
    raised += raises[i]!.increase;
    if (enough(raised)) return now - raises[i]!.at;
  }
  return 0;
}

function findLast<T>(items: readonly T[], match: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (match(items[i]!)) return items[i];
  return undefined;
}
