// The invariant sampler's excuse for an order whose decrement a push overwrote and which was then cancelled:
// exactly that order's quantity of that item, until the next push to the item or LOST_NOTIFICATION_EXCUSE_MS after the
// cancellation, and nothing more. Driven on the simulators' own state with a hand-moved clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MakeshopSimState } from '../../src/simulators/makeshop/state';
import { SmaregiSimState } from '../../src/simulators/smaregi/state';
import { createLogger } from '../../src/lib/logger';
import { LOST_NOTIFICATION_EXCUSE_MS, InvariantSampler } from './invariant-sampler';

const CODES = ['P1', 'P2'];
const SETTINGS = { storeIds: ['1'], buffer: 0, overrides: [] };

function world() {
  let clock = 1_000_000;
  const now = () => clock;
  const smaregi = new SmaregiSimState(now, 3600);
  const stock = CODES.map((productCode) => ({ storeId: '1', productCode, amount: 10 }));
  const contract = smaregi.replaceContract({
    contractId: 'c1',
    stores: [
      { storeId: '1', storeName: '店舗1' },
      { storeId: '2', storeName: '店舗2' },
    ],
    products: CODES.map((productCode) => ({ productCode, productName: productCode })),
    stock,
  });
  const makeshop = new MakeshopSimState({
    minIntervalMs: 0,
    now,
    random: () => 0.5,
    fetch: () => Promise.reject(new Error('no notifications in this test')),
    logger: createLogger('sampler-test', 'silent'),
  });
  const shop = makeshop.replaceShop({
    shopId: 's1',
    accountId: 'a1',
    password: 'p',
    orderAuthCode: 'o',
    products: CODES.map((customCode, i) => ({ systemCode: String(i + 1).padStart(12, '0'), customCode, name: customCode, jan: '', quantity: 10 })),
    options: [],
  });
  const sampler = new InvariantSampler(smaregi, 'c1', makeshop, 's1', CODES, { stock, settings: SETTINGS }, now);
  /** The engine reads Smaregi's stock of the items (what its next push is computed from). */
  const read = (...codes: string[]) => contract.stockReads.push({ at: clock, productIds: codes.map((c) => contract.productIdByCode.get(c)!) });
  /** The reconciliation's read of what changed since its cursor (by update time). */
  const readByUpdateTime = (...codes: string[]) =>
    contract.stockReads.push({ at: clock, productIds: codes.map((c) => contract.productIdByCode.get(c)!), byUpdateTime: true });
  /** One store's page of a full push's store-by-store read. */
  const readStore = (storeId: string) => contract.stockReads.push({ at: clock, storeId, productIds: CODES.map((c) => contract.productIdByCode.get(c)!) });
  const push = (code: string, quantity: number) => shop.writeStock(shop.products.find((p) => p.customCode === code)!, quantity);
  /** A till sale in store 1. */
  const sale = (code: string, quantity: number) =>
    smaregi.changeStock('c1', [{ productId: contract.productIdByCode.get(code)!, storeId: '1', mode: 'add', amount: -quantity, memo: '', stockDivision: '09' }]);
  const advance = (ms: number) => (clock += ms);
  /** The customer cancels, the test having told the sampler first (as the chaos scenario does). */
  const cancel = (orderNumber: string) => {
    sampler.orderCancelling(orderNumber);
    makeshop.cancelOrder('s1', orderNumber);
  };
  /** Every violation so far as [code, MakeShop, allowed]. */
  const violations = () => sampler.violations.map((v) => [v.code, v.makeshop, v.allowed]);
  return { makeshop, shop, sampler, read, readByUpdateTime, readStore, push, sale, advance, cancel, violations };
}

test('a cancelled order whose decrement a push overwrote is excused by its quantity until the next push', () => {
  const { makeshop, shop, sampler, read, push, advance, cancel, violations } = world();
  read('P1', 'P2');
  push('P1', 10);
  push('P2', 10);
  advance(1_000);
  const order = makeshop.placeOrder('s1', [{ code: 'P1', quantity: 2 }], {});
  advance(1_000);
  push('P1', 10); // fed by the read from before the order: MakeShop's own decrement is overwritten
  advance(1_000);
  sampler.sample();
  assert.equal(sampler.violations.length, 0);
  assert.equal(sampler.excuses.overwrittenOrder, 1);

  cancel(order.orderNumber); // MakeShop gives 2 back on top of the pushed 10
  assert.equal(shop.products[0]!.quantity, 12);
  sampler.sample();
  assert.equal(sampler.violations.length, 0);
  assert.equal(sampler.excuses.overwrittenCancelled, 1);
  assert.deepEqual([...sampler.overwrittenCancelledOrders], [order.orderNumber]);

  // Only that item: P2 one above its allowed value is a violation.
  shop.setStock('P2', 11);
  sampler.sample();
  assert.deepEqual(violations(), [['P2', 11, 10]]);
  shop.setStock('P2', 10);

  // Only that order's quantity: one more is a violation.
  shop.setStock('P1', 13);
  sampler.sample();
  assert.deepEqual(sampler.violations.slice(1).map((v) => [v.code, v.makeshop, v.allowed]), [['P1', 13, 12]]);
  shop.setStock('P1', 12);

  // Only until the next push to the item.
  advance(1_000);
  read('P1');
  push('P1', 10);
  shop.setStock('P1', 12);
  sampler.sample();
  assert.deepEqual(violations().slice(2), [['P1', 12, 10]]);
});

test('an overwritten order edited after the push, then cancelled, gives back the quantity it had at the push', () => {
  const { makeshop, shop, sampler, read, push, advance, cancel, violations } = world();
  read('P1', 'P2');
  push('P1', 10);
  advance(1_000);
  const order = makeshop.placeOrder('s1', [{ code: 'P1', quantity: 2 }], {});
  advance(1_000);
  push('P1', 10); // overwrites the order's decrement
  advance(1_000);
  // An edit after the push that keeps the quantity moves the order's update time past the push (chaos
  // legacy × 出荷 stress: the cancellation then lost its give-back excuse).
  sampler.orderEditing(order.orderNumber);
  makeshop.editOrder('s1', order.orderNumber, [{ code: 'P1', quantity: 2 }]);
  advance(1_000);
  cancel(order.orderNumber);
  assert.equal(shop.products[0]!.quantity, 12);
  sampler.sample();
  assert.equal(sampler.violations.length, 0);
  shop.setStock('P1', 13);
  sampler.sample();
  assert.deepEqual(violations(), [['P1', 13, 12]]);
});

test('the give-back excuse ends LOST_NOTIFICATION_EXCUSE_MS after the cancellation even without a push', () => {
  const { makeshop, sampler, read, push, advance, cancel, violations } = world();
  read('P1', 'P2');
  push('P1', 10);
  push('P2', 10);
  advance(1_000);
  const order = makeshop.placeOrder('s1', [{ code: 'P1', quantity: 2 }], {});
  advance(1_000);
  push('P1', 10);
  advance(1_000);
  cancel(order.orderNumber);
  advance(LOST_NOTIFICATION_EXCUSE_MS);
  sampler.sample();
  assert.equal(sampler.violations.length, 0);
  advance(1);
  sampler.sample();
  assert.deepEqual(violations(), [['P1', 12, 10]]);
});

test('a cancelled order the push knew about gets no give-back excuse', () => {
  const { makeshop, shop, sampler, read, push, advance, cancel, violations } = world();
  read('P1', 'P2');
  push('P1', 10);
  push('P2', 10);
  const order = makeshop.placeOrder('s1', [{ code: 'P1', quantity: 2 }], {});
  advance(60_000);
  read('P1');
  push('P1', 8); // fed by a read long after the order: it holds the order's decrement
  advance(1_000);
  cancel(order.orderNumber);
  assert.equal(shop.products[0]!.quantity, 10);
  sampler.sample();
  assert.equal(sampler.violations.length, 0);
  assert.equal(sampler.excuses.overwrittenCancelled, 0);
  shop.setStock('P1', 12);
  sampler.sample();
  assert.deepEqual(violations(), [['P1', 12, 10]]);
});

test('an order cancelled after a push that clamped its item at 0 lifts MakeShop by what the clamp hid, no more', () => {
  const { makeshop, shop, sampler, read, push, sale, advance, cancel, violations } = world();
  read('P1', 'P2');
  push('P1', 10);
  push('P2', 10);
  const order = makeshop.placeOrder('s1', [{ code: 'P1', quantity: 1 }], {});
  advance(60_000);
  sale('P1', 10); // the target is now 10 − 10 − 1 = −1
  advance(1_000);
  read('P1');
  push('P1', 0);
  advance(1_000);
  cancel(order.orderNumber);
  assert.equal(shop.products[0]!.quantity, 1);
  sampler.sample();
  assert.equal(sampler.violations.length, 0);
  assert.equal(sampler.excuses.cancelledBelowZero, 1);
  shop.setStock('P1', 2);
  sampler.sample();
  assert.deepEqual(violations(), [['P1', 2, 1]]);
});

test('a full push reads store by store: each store counts as of its own read, back to the previous read of a store', () => {
  const { sampler, readStore, push, sale, advance, violations } = world();
  readStore('1');
  advance(10_000);
  sale('P1', 3); // after store 1 was read: the push cannot know it
  advance(20_000); // store 2's read was held
  readStore('2');
  push('P1', 10);
  advance(500);
  sampler.sample();
  assert.equal(sampler.violations.length, 0);

  // The next full push reads store 1 again: the sale is in what it read.
  advance(1_000);
  readStore('1');
  advance(1_000);
  readStore('2');
  push('P1', 10);
  sampler.sample();
  assert.deepEqual(violations(), [['P1', 10, 7]]);
});

test('an order whose decrement a push overwrote stays excused when it is edited after that push, by what it held then', () => {
  const { makeshop, shop, sampler, read, push, advance, violations } = world();
  read('P1');
  advance(1_000);
  const order = makeshop.placeOrder('s1', [{ code: 'P1', quantity: 2 }], {});
  advance(1_000);
  push('P1', 10); // fed by the read from before the order: its decrement is overwritten
  advance(1_000);
  sampler.orderEditing(order.orderNumber);
  makeshop.editOrder('s1', order.orderNumber, [{ code: 'P1', quantity: 2 }]); // same quantity: only its update time moves
  advance(500);
  sampler.sample();
  assert.equal(sampler.violations.length, 0, 'still the order the push overwrote');

  sampler.orderEditing(order.orderNumber);
  makeshop.editOrder('s1', order.orderNumber, [{ code: 'P1', quantity: 1 }]); // MakeShop gives 1 back on top of the pushed 10
  assert.equal(shop.products[0]!.quantity, 11);
  sampler.sample();
  assert.equal(sampler.violations.length, 0, 'allowed 10 − 1 open + the 2 the push overwrote');
  shop.setStock('P1', 12);
  sampler.sample();
  assert.deepEqual(violations(), [['P1', 12, 11]]);
});

test('settings count from when their save began, and the ones before until the api saved them', () => {
  const { sampler, read, push, advance, violations } = world();
  sampler.settingsChanging({ storeIds: ['1'], buffer: 3, overrides: [] });
  advance(30_000); // the api is still checking the stores with Smaregi
  read('P1', 'P2');
  push('P1', 10); // the engine still has the saved buffer 0
  push('P2', 10);
  sampler.sample();
  assert.equal(sampler.violations.length, 0);

  sampler.settingsSaved();
  advance(10_000);
  read('P1', 'P2');
  push('P1', 10);
  push('P2', 7);
  sampler.sample();
  assert.deepEqual(violations(), [['P1', 10, 7]]);
});

test('a held write is judged by the reads before its call reached MakeShop, not by reads while it was held', () => {
  const { makeshop, shop, sampler, read, advance } = world();
  read('P1');
  advance(1_000);
  const sentAt = 1_001_000;
  advance(20_000); // the call is held
  makeshop.placeOrder('s1', [{ code: 'P1', quantity: 2 }], {});
  advance(9_000);
  read('P1'); // another attempt reads meanwhile
  advance(1_000);
  shop.handlingCallFrom(sentAt, () => shop.writeStock(shop.products[0]!, 10)); // the held write lands
  sampler.sample();
  assert.equal(sampler.violations.length, 0, 'the order came after the read that fed the write: its decrement was overwritten');
  assert.equal(sampler.excuses.overwrittenOrder, 1);
});

test('a read by update time (the reconciliation) feeds no push: the push is judged by its own read', () => {
  const { sampler, read, readByUpdateTime, push, sale, advance, violations } = world();
  read('P1');
  advance(1_000);
  sale('P1', 1);
  // The push looks for orders for seconds (a look that took long is repeated); meanwhile the reconciliation
  // lists what changed since its cursor. The push computed from its own read, before the sale.
  advance(7_000);
  readByUpdateTime('P1');
  advance(1_000);
  push('P1', 10);
  sampler.sample();
  assert.deepEqual(violations(), []);
});
