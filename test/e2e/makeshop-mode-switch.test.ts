// A legacy tenant moves to the makeshop apps path (install + launch) and back: the catalog, the order ledger
// and the settings stay; an order seen under both modes is imported once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, postJson, eventually } from '../support/platforms';
import { connectMakeshopApp, makeshopStock, merchantWorld, onboardMerchant, startStack, type MerchantWorld, type Stack } from '../support/stack';
import { E2E_PRODUCT_NAMES } from './new-merchant-journey';
import type { CallLogEntry } from '../../src/simulators/makeshop/shop';

const world: MerchantWorld = {
  ...merchantWorld('move', { 'TS-001': 20, 'HD-BK-M': 6 }, { productNames: E2E_PRODUCT_NAMES }),
  shop: {
    products: [
      { systemCode: '000000000001', customCode: 'TS-001', name: 'Tシャツ', jan: '', quantity: 0 },
      { systemCode: '000000000003', customCode: 'HD', name: 'パーカー', jan: '', quantity: 0, optionNames: ['カラー', 'サイズ'] },
    ],
    options: [{ systemCode: '000000000003', optionCode: 'HD-BK-M', option1: '黒', option2: 'M', jan: '', quantity: 0 }],
  },
};

let stack: Stack;
let merchant: { tenantId: string; token: string };
const sim = () => stack.platforms.makeshop.baseUrl;
const stock = () => makeshopStock(stack, world.shopId);
const sale = (productCode: string, delta: number) =>
  postJson(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/stock-adjustments`, { storeId: '1', productCode, delta });
const order = async (code: string) => ((await postJson(`${sim()}/__sim/shops/${world.shopId}/orders`, { lines: [{ code, quantity: 1 }] })) as { orderNumber: string }).orderNumber;
const importsOf = async (orderNumber: string) =>
  (await stack.http<{ kind: string; orderNumber?: string }[]>('GET', '/api/v1/sync/log?limit=200', { token: merchant.token })).body.filter(
    (e) => e.kind === 'order-import' && e.orderNumber === orderNumber,
  ).length;
const shipmentsOf = async (orderNumber: string) =>
  (await getJson<{ identificationNo?: string }[]>(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/shipments`)).filter((s) => s.identificationNo === orderNumber).length;
const appsOrderNotice = (orderNumber: string) =>
  fetch(`${stack.apiUrl}/webhooks/makeshop/apps/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ shop_id: world.shopId, orders: [{ system_order_number: orderNumber }] }),
  });
const callCount = async (endpoint: string) => (await getJson<CallLogEntry[]>(`${sim()}/__sim/shops/${world.shopId}/calls`)).filter((c) => c.endpoint === endpoint).length;

before(async () => {
  stack = await startStack('mode-switch');
});
after(async () => stack?.close());

describe('moving between the legacy API and the makeshop app', () => {
  let legacyOrder: string;
  let settingsBefore: unknown;
  let catalogBefore: unknown;

  test('a running legacy tenant imports an order through the 更新通知', async () => {
    merchant = await onboardMerchant(stack, world);
    await eventually(async () => assert.equal((await stock()).get('TS-001'), 20));
    legacyOrder = await order('TS-001');
    await eventually(async () => assert.equal(await importsOf(legacyOrder), 1));
    settingsBefore = (await stack.http('GET', '/api/v1/stock-settings', { token: merchant.token })).body;
    catalogBefore = (await stack.http('GET', '/api/v1/catalog', { token: merchant.token })).body;
  });

  test('install + launch move it to apps: catalog, settings and sync state stay; the same order is not imported again', async () => {
    await connectMakeshopApp(stack, merchant.token, world.shopId);
    const onboarding = await stack.http<{ makeshopMode: string; canSetRunning: boolean; syncState: string }>('GET', '/api/v1/onboarding', { token: merchant.token });
    assert.deepEqual([onboarding.body.makeshopMode, onboarding.body.canSetRunning, onboarding.body.syncState], ['apps', true, 'running']);
    assert.deepEqual((await stack.http('GET', '/api/v1/stock-settings', { token: merchant.token })).body, settingsBefore);
    assert.deepEqual((await stack.http('GET', '/api/v1/catalog', { token: merchant.token })).body, catalogBefore);
    assert.equal((await stack.http<{ notificationUrl: string | null }>('GET', '/api/v1/order-import', { token: merchant.token })).body.notificationUrl, null);

    // The order the legacy path imported, notified again on the apps path: re-read, recognised, not imported twice.
    assert.equal((await appsOrderNotice(legacyOrder)).status, 200);
    const appsOrder = await order('HD-BK-M');
    await postJson(`${sim()}/__sim/apps/order-updates/flush`, {});
    await eventually(async () => assert.equal(await importsOf(appsOrder), 1));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await importsOf(legacyOrder), 1);
    assert.equal(await shipmentsOf(legacyOrder), 1);
    assert.equal(await shipmentsOf(appsOrder), 1);

    const uploadsBefore = await callCount('upload');
    await sale('TS-001', -5);
    await eventually(async () => assert.equal((await stock()).get('TS-001'), 14));
    assert.equal(await callCount('upload'), uploadsBefore, 'pushed through the GraphQL API, not a CSV upload');
  });

  test('and back to legacy: the approved application and the saved credentials are used again', async () => {
    const back = await stack.http<{ makeshopMode: string }>('POST', '/api/v1/onboarding/makeshop-application', { token: merchant.token, body: { alreadyEnabled: true } });
    assert.equal(back.status, 202);
    assert.equal(back.body.makeshopMode, 'legacy');
    assert.match((await stack.http<{ notificationUrl: string | null }>('GET', '/api/v1/order-import', { token: merchant.token })).body.notificationUrl ?? '', /webhooks\/makeshop\/orders\//);
    const uploadsBefore = await callCount('upload');
    await sale('TS-001', -4);
    await eventually(async () => assert.equal((await stock()).get('TS-001'), 10));
    assert.ok((await callCount('upload')) > uploadsBefore, 'pushed by CSV upload again');
    assert.equal(await importsOf(legacyOrder), 1);
  });
});
