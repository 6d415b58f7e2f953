// Merchant controls while 稼働, over the public API with the whole stack: a stock-settings change reaches
// MakeShop within seconds (issue 10 #1); 停止 answers only once no push can land after it (#8); two
// attempts at one order never import it twice (#3).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, getJson, postJson } from '../support/platforms';
import { makeshopStock, merchantWorld, onboardMerchant, startStack, TWO_STORES, type Stack } from '../support/stack';
import { orderLedger } from '../../src/storage/orders';
import { processOrder } from '../../src/sync/orders';
import type { CallLogEntry } from '../../src/simulators/makeshop/shop';

const world = merchantWorld('controls', { 'CT-001': { '1': 10, '2': 5 }, 'CT-002': { '1': 8 } }, { stores: TWO_STORES, stockStoreIds: ['1', '2'] });

let stack: Stack;
let merchant: { tenantId: string; token: string };
const makeshopSim = () => `${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}`;

before(async () => {
  stack = await startStack('controls');
  merchant = await onboardMerchant(stack, world);
  await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get('CT-001'), 15));
});
after(async () => stack?.close());

test('#1 a stock-settings change while 稼働 reaches MakeShop within seconds', async () => {
  const started = Date.now();
  const put = (body: unknown) => stack.http('PUT', '/api/v1/stock-settings', { token: merchant.token, body });
  assert.equal((await put({ storeIds: ['1'], buffer: 2, overrides: [] })).status, 200);
  await eventually(async () => {
    const stock = await makeshopStock(stack, world.shopId);
    assert.deepEqual([stock.get('CT-001'), stock.get('CT-002')], [8, 6]);
  }, 10_000);
  assert.ok(Date.now() - started < 10_000);
  // An override on one code moves only that item.
  assert.equal((await put({ storeIds: ['1', '2'], buffer: 0, overrides: [{ code: 'CT-002', buffer: 5 }] })).status, 200);
  await eventually(async () => {
    const stock = await makeshopStock(stack, world.shopId);
    assert.deepEqual([stock.get('CT-001'), stock.get('CT-002')], [15, 3]);
  }, 10_000);
});

test('#8 停止 answers only once no push can land after it', async () => {
  await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/faults`, { latencyMs: 2500 }, 'PUT');
  try {
    const before = Date.now();
    await postJson(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/stock-adjustments`, { storeId: '1', productCode: 'CT-001', delta: -4 });
    // The push has begun: its upload key was fetched (the upload itself follows).
    await eventually(async () => {
      const calls = await getJson<CallLogEntry[]>(`${makeshopSim()}/calls`);
      assert.ok(calls.some((c) => c.endpoint === 'webftp' && c.startedAt >= before));
    }, 20_000, 50);
    const res = await stack.http('PUT', '/api/v1/sync/state', { token: merchant.token, body: { state: 'stopped' } });
    assert.equal(res.status, 200);
    const answeredAt = Date.now();
    await new Promise((r) => setTimeout(r, 8000));
    const late = (await getJson<CallLogEntry[]>(`${makeshopSim()}/calls`)).filter((c) => c.endpoint === 'upload' && c.finishedAt > answeredAt);
    assert.deepEqual(late, [], 'an upload landed after 停止 was answered');
  } finally {
    await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/faults`, { latencyMs: 0 }, 'PUT');
  }
  // 稼働 again pushes what was held back.
  assert.equal((await stack.http('PUT', '/api/v1/sync/state', { token: merchant.token, body: { state: 'running' } })).status, 200);
  await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get('CT-001'), 11), 20_000);
});

test('#3 two attempts at one order at the same time import it once', async () => {
  await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/notification-url`, { url: '' }, 'PUT');
  const { orderNumber } = (await postJson(`${makeshopSim()}/orders`, { lines: [{ code: 'CT-002', quantity: 1 }] })) as { orderNumber: string };
  await postJson(`${stack.platforms.smaregi.baseUrl}/__sim/faults`, { latencyMs: 400 }, 'PUT');
  try {
    const input = { tenantId: merchant.tenantId, orderNumber, cmd: 0 };
    const outcomes = await Promise.allSettled([processOrder(stack.sync, input), processOrder(stack.sync, input)]);
    assert.ok(outcomes.some((o) => o.status === 'fulfilled'), JSON.stringify(outcomes));
  } finally {
    await postJson(`${stack.platforms.smaregi.baseUrl}/__sim/faults`, { latencyMs: 0 }, 'PUT');
  }
  const shipments = await getJson<{ identificationNo: string | null }[]>(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/shipments`);
  assert.equal(shipments.filter((s) => s.identificationNo === orderNumber).length, 1);
  assert.equal((await orderLedger(stack.database.db).findOne({ tenantId: merchant.tenantId, orderNumber }))?.status, 'imported');
});
