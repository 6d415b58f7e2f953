// Order import methods, edits and cancellations against the whole stack (issue 10 #6, #11, the import
// method of DESIGN §5, and read-back of a write whose answer was lost).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, getJson, postJson } from '../support/platforms';
import { makeshopStock, merchantWorld, onboardMerchant, smaregiStock, startStack, TWO_STORES, type Stack } from '../support/stack';
import { orderLedger } from '../../src/storage/orders';
import { processOrder } from '../../src/sync/orders';

const world = merchantWorld(
  'orderimport',
  Object.fromEntries(['OI-001', 'OI-002', 'OI-003'].map((code) => [code, { '1': 20, '2': 5 }])),
  { stores: TWO_STORES, stockStoreIds: ['1', '2'] },
);

let stack: Stack;
let merchant: { tenantId: string; token: string };
const shopSim = () => `${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}`;
const contractSim = () => `${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}`;
const store1 = async (code: string) => (await smaregiStock(stack, world.contractId, code)).get('1');
const ledgerOf = (orderNumber: string) => orderLedger(stack.database.db).findOne({ tenantId: merchant.tenantId, orderNumber });
const shipmentsOf = async (orderNumber: string) =>
  (await getJson<{ identificationNo: string | null; deleted: boolean }[]>(`${contractSim()}/shipments`)).filter((s) => s.identificationNo === orderNumber);
const placeOrder = async (code: string, quantity: number) =>
  ((await postJson(`${shopSim()}/orders`, { lines: [{ code, quantity }] })) as { orderNumber: string }).orderNumber;
const setMethod = (method: string) => stack.http('PUT', '/api/v1/order-import', { token: merchant.token, body: { shipmentStoreId: '1', method } });

before(async () => {
  stack = await startStack('orderimport');
  merchant = await onboardMerchant(stack, world);
  await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get('OI-001'), 25));
});
after(async () => stack?.close());

test('stockAdjustment: an order is a relative subtraction with its memo, a cancellation one relative add', async () => {
  const set = await setMethod('stockAdjustment');
  assert.equal(set.status, 200, JSON.stringify(set.body));
  assert.equal((await stack.http<{ method: string }>('GET', '/api/v1/order-import', { token: merchant.token })).body.method, 'stockAdjustment');
  const orderNumber = await placeOrder('OI-001', 3);
  await eventually(async () => assert.equal((await ledgerOf(orderNumber))?.status, 'imported'));
  assert.equal(await store1('OI-001'), 17);
  assert.deepEqual(await shipmentsOf(orderNumber), []);
  await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get('OI-001'), 22));
  await postJson(`${shopSim()}/orders/${orderNumber}/cancel`, {});
  await eventually(async () => assert.equal((await ledgerOf(orderNumber))?.status, 'cancelled'));
  // A repeated cancellation notice changes nothing.
  await processOrder(stack.sync, { tenantId: merchant.tenantId, orderNumber, cmd: 2 });
  assert.equal(await store1('OI-001'), 20);
  await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get('OI-001'), 25));
  await setMethod('shipment');
});

test('#6 an order edit adjusts the import by the difference', async () => {
  const orderNumber = await placeOrder('OI-002', 2);
  await eventually(async () => assert.equal((await ledgerOf(orderNumber))?.status, 'imported'));
  assert.equal(await store1('OI-002'), 18);
  await postJson(`${shopSim()}/orders/${orderNumber}/edit`, { lines: [{ code: 'OI-002', quantity: 5 }, { code: 'OI-003', quantity: 1 }] });
  await eventually(async () => {
    assert.equal(await store1('OI-002'), 15);
    assert.equal(await store1('OI-003'), 19);
  });
  await postJson(`${shopSim()}/orders/${orderNumber}/edit`, { lines: [{ code: 'OI-002', quantity: 1 }] });
  await eventually(async () => {
    assert.equal(await store1('OI-002'), 19);
    assert.equal(await store1('OI-003'), 20);
  });
  await eventually(async () => {
    const stock = await makeshopStock(stack, world.shopId);
    assert.deepEqual([stock.get('OI-002'), stock.get('OI-003')], [24, 25]);
  });
  assert.equal((await shipmentsOf(orderNumber)).length, 1);
  await postJson(`${shopSim()}/orders/${orderNumber}/cancel`, {});
  await eventually(async () => assert.equal(await store1('OI-002'), 20));
});

test('#11 a shipment Smaregi refuses to delete is reversed by a relative add, once', async () => {
  await postJson(`${contractSim()}/options`, { shipmentDeleteRefused: true }, 'PUT');
  try {
    const orderNumber = await placeOrder('OI-003', 4);
    await eventually(async () => assert.equal((await ledgerOf(orderNumber))?.status, 'imported'));
    assert.equal(await store1('OI-003'), 16);
    await postJson(`${shopSim()}/orders/${orderNumber}/cancel`, {});
    await eventually(async () => assert.equal((await ledgerOf(orderNumber))?.status, 'cancelled'));
    assert.equal(await store1('OI-003'), 20);
    await processOrder(stack.sync, { tenantId: merchant.tenantId, orderNumber, cmd: 2 });
    assert.equal(await store1('OI-003'), 20);
    assert.equal((await ledgerOf(orderNumber))?.shipmentDeleteRefused, true);
    const log = await stack.http<{ kind: string; orderNumber?: string; ok: boolean }[]>('GET', '/api/v1/sync/log?limit=50', { token: merchant.token });
    assert.ok(!log.body.some((e) => e.orderNumber === orderNumber && !e.ok), 'no error logged for the order');
  } finally {
    await postJson(`${contractSim()}/options`, { shipmentDeleteRefused: false }, 'PUT');
  }
});

test('a write whose answer was lost is read back, not sent again', async () => {
  await postJson(`${shopSim()}/notification-url`, { url: '' }, 'PUT');
  const orderNumber = await placeOrder('OI-001', 2);
  const memo = `MakeShop注文 ${orderNumber}`;
  const now = new Date();
  const productId = (await getJson<{ products: { productCode: string; productId: string }[] }>(contractSim())).products.find((p) => p.productCode === 'OI-001')!.productId;
  // An earlier attempt recorded the subtraction, sent it, and died before recording the answer.
  await orderLedger(stack.database.db).insertOne({
    tenantId: merchant.tenantId,
    orderNumber,
    status: 'pending',
    lines: [{ code: 'OI-001', quantity: 2, smaregiProductId: productId }],
    heldLines: 0,
    method: 'stockAdjustment',
    storeId: '1',
    shipmentId: null,
    movements: [{ productId, storeId: '1', delta: -2, memo, done: false, at: now }],
    rounds: 1,
    createdAt: now,
    updatedAt: now,
  });
  await postJson(`${contractSim()}/stock-adjustments`, { storeId: '1', productCode: 'OI-001', delta: -2, memo });
  const result = await processOrder(stack.sync, { tenantId: merchant.tenantId, orderNumber, cmd: 0 });
  assert.equal(result.outcome, 'imported');
  assert.equal(await store1('OI-001'), 18);
  assert.deepEqual((await ledgerOf(orderNumber))?.movements?.map((m) => m.done), [true]);
});
