// Lost notifications and deferred orders with short intervals (issue 10 #4, #7, #10): an order no
// notification announced is reserved before the next push; a backdated order is found by the
// reconciliation's settled window; an order MakeShop never returns does not hold pushes. Found by the chaos
// test: an unannounced order placed while the cycle imports other orders is reserved before its push; an
// edit whose notification was lost is applied by the reconciliation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, postJson } from '../support/platforms';
import { makeshopStock, merchantWorld, onboardMerchant, startStack, TWO_STORES, type Stack } from '../support/stack';
import { orderLedger } from '../../src/storage/orders';
import { orderLookups } from '../../src/storage/order-cursors';
import { readSyncLog } from '../../src/storage/sync-log';
import { MISSING_ORDER_ATTEMPTS } from '../../src/sync/orders';
import { syncStatusQuery, syncWorkflowId } from '../../src/workflows/messages';

const codes = ['RC-001', 'RC-002', 'RC-003', 'RC-004', 'RC-005', 'RC-006'];
const world = merchantWorld('reconcile', Object.fromEntries(codes.map((code) => [code, { '1': 6, '2': 4 }])), { stores: TWO_STORES, stockStoreIds: ['1', '2'] });

let stack: Stack;
let merchant: { tenantId: string; token: string };
const shopSim = () => `${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}`;
const sale = (code: string, storeId: string, delta: number) =>
  postJson(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/stock-adjustments`, { storeId, productCode: code, delta });
const ledgerOf = (orderNumber: string) => orderLedger(stack.database.db).findOne({ tenantId: merchant.tenantId, orderNumber });
const lookupsOf = (orderNumber: string) => orderLookups(stack.database.db).findOne({ _id: `${merchant.tenantId}:${orderNumber}` });
/** MakeShop's quantity of `code`, read every 100 ms for `ms` (what a shopper could have seen meanwhile). */
async function quantitiesSeen(code: string, ms: number): Promise<number[]> {
  const seen: number[] = [];
  const until = Date.now() + ms;
  while (Date.now() < until) {
    seen.push((await makeshopStock(stack, world.shopId)).get(code) ?? -1);
    await new Promise((r) => setTimeout(r, 100));
  }
  return seen;
}

before(async () => {
  stack = await startStack('reconcile', { sync: { debounceMs: 100, maxDelayMs: 1000, reconcileIntervalMs: 4000 } });
  merchant = await onboardMerchant(stack, world);
  await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get('RC-001'), 10));
  // MakeShop's notifications are lost from here on.
  await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/faults`, { notificationDropRate: 1 }, 'PUT');
});
after(async () => stack?.close());

test('#4 an order whose notification was lost is reserved before the next push', async () => {
  const { orderNumber } = (await postJson(`${shopSim()}/orders`, { lines: [{ code: 'RC-001', quantity: 3 }] })) as { orderNumber: string };
  await sale('RC-001', '2', -1);
  // Allowed: 10 − 1 sold − 3 ordered = 6, at every moment after the sale.
  const seen = await quantitiesSeen('RC-001', 6000);
  assert.ok(seen.every((q) => q <= 7), `MakeShop showed ${Math.max(...seen)} (allowed 6): ${seen.join(',')}`);
  await eventually(async () => assert.equal((await ledgerOf(orderNumber))?.status, 'imported'));
  await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get('RC-001'), 6));
});

test('#7 an older order with a lost notification is found by the reconciliation', async () => {
  const orderedAt = new Date(Date.now() - 3 * 24 * 60 * 60 * 1000).toISOString();
  const { orderNumber } = (await postJson(`${shopSim()}/orders`, { lines: [{ code: 'RC-002', quantity: 2 }], orderedAt })) as { orderNumber: string };
  await eventually(async () => assert.equal((await ledgerOf(orderNumber))?.status, 'imported'), 30_000, 200);
  await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get('RC-002'), 8));
});

test('#10 a notification for an order MakeShop never returns does not hold pushes, and is given up after a bounded number of look-ups', async () => {
  await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/faults`, { notificationDropRate: 0 }, 'PUT');
  const missing = 'NEVERTHERE10';
  const { notificationUrl } = (await stack.http<{ notificationUrl: string }>('GET', '/api/v1/order-import', { token: merchant.token })).body;
  const url = notificationUrl.replace('[SHOPID]', world.shopId).replace('[ORDERNUM]', missing).replace('[CMD]', '0');
  assert.equal((await fetch(url)).status, 200);
  await eventually(async () => assert.ok(((await lookupsOf(missing))?.attempts ?? 0) >= 1, 'looked up once'), 15_000, 100);
  const started = Date.now();
  await sale('RC-003', '1', -2);
  await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get('RC-003'), 8), 15_000);
  assert.ok(Date.now() - started < 15_000, `the push waited ${Date.now() - started} ms`);

  // One look-up per reconciliation (every 4 s here), then one message the merchant reads, and no more look-ups.
  const givenUp = async () => (await readSyncLog(stack.database.db, merchant.tenantId, 500)).filter((e) => e.kind === 'error' && e.orderNumber === missing);
  await eventually(async () => assert.equal((await givenUp()).length, 1), 90_000, 500);
  assert.match((await givenUp())[0]!.message ?? '', /取得できないため、取り込みを中止しました/);
  const attempts = (await lookupsOf(missing))?.attempts;
  assert.equal(attempts, MISSING_ORDER_ATTEMPTS);
  const status = () => stack.temporal.client.workflow.getHandle(syncWorkflowId(merchant.tenantId)).query(syncStatusQuery);
  const reconciled = (await status()).counters.reconciliations;
  await eventually(async () => assert.ok((await status()).counters.reconciliations >= reconciled + 2, 'two more reconciliations'), 60_000, 500);
  assert.equal((await lookupsOf(missing))?.attempts, attempts, 'not looked up again after it was given up');
  assert.equal((await givenUp()).length, 1);
});

test('an unannounced order placed while the cycle imports another order is reserved before that cycle pushes', async (t) => {
  const faults = (smaregi: object, makeshop: object) =>
    Promise.all([
      postJson(`${stack.platforms.smaregi.baseUrl}/__sim/faults`, smaregi, 'PUT'),
      postJson(`${stack.platforms.makeshop.baseUrl}/__sim/faults`, makeshop, 'PUT'),
    ]);
  t.after(() => faults({}, {}));
  // Every Smaregi call takes 2.5 s, so importing the first order keeps the cycle busy for several seconds.
  await faults({ latencyMs: 2500 }, {});
  const first = (await postJson(`${shopSim()}/orders`, { lines: [{ code: 'RC-004', quantity: 1 }] })) as { orderNumber: string };
  // The cycle is importing it (its claim is held while the slow Smaregi write runs).
  await eventually(async () => assert.ok((await ledgerOf(first.orderNumber))?.claim, 'the first order is being imported'), 30_000, 50);
  await faults({ latencyMs: 2500 }, { notificationDropRate: 1 });
  await postJson(`${shopSim()}/orders`, { lines: [{ code: 'RC-005', quantity: 3 }] });
  await sale('RC-005', '2', -1);
  // MakeShop took 3 of 10: it may lag the sale, but must never show more than 7 again.
  const seen = await quantitiesSeen('RC-005', 20_000);
  assert.ok(seen.every((q) => q <= 7), `MakeShop showed ${Math.max(...seen)} (allowed 7, then 6): ${seen.join(',')}`);
  await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get('RC-005'), 6), 30_000, 200);
});

test('an edit whose notification was lost is applied by the reconciliation', async (t) => {
  t.after(() => postJson(`${stack.platforms.makeshop.baseUrl}/__sim/faults`, {}, 'PUT'));
  const { orderNumber } = (await postJson(`${shopSim()}/orders`, { lines: [{ code: 'RC-006', quantity: 1 }] })) as { orderNumber: string };
  await eventually(async () => assert.equal((await ledgerOf(orderNumber))?.status, 'imported'));
  await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/faults`, { notificationDropRate: 1 }, 'PUT');
  await postJson(`${shopSim()}/orders/${orderNumber}/edit`, { lines: [{ code: 'RC-006', quantity: 3 }] });
  const smaregi = () => stack.platforms.smaregi.sim.state.stockOf(world.contractId, stack.platforms.smaregi.sim.state.contract(world.contractId)!.productIdByCode.get('RC-006')!);
  await eventually(async () => assert.equal(smaregi().find((s) => s.storeId === '1')?.amount, 3, 'the edit took 2 more from the import store'), 30_000, 200);
  // Until the reconciliation finds the edit MakeShop can show the 2 it took twice (a push knows only the
  // recorded quantity): the lost edit notification's window, bounded by the reconciliation interval.
  await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get('RC-006'), 7));
});
