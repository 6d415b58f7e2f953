// The new-merchant journey on the makeshop apps path (GraphQL API), through the public interfaces only:
// sign-up → install → launch → store and method → catalog imported from MakeShop → 稼働 → a POS sale reaches
// MakeShop → an order becomes exactly one import → its cancellation is reversed; then the app is uninstalled
// while running (the sync stops with the reason, nothing is lost) and a reinstall + launch resumes it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, postJson, eventually } from '../support/platforms';
import {
  installMakeshopApp,
  launchMakeshopApp,
  makeshopStock,
  merchantWorld,
  onboardAppsMerchant,
  smaregiStock,
  startStack,
  stockChangePending,
  TWO_STORES,
  type MerchantWorld,
  type Stack,
} from '../support/stack';
import type { CallLogEntry } from '../../src/simulators/makeshop/shop';
import { E2E_PRODUCT_NAMES, E2E_SHOP, E2E_SMAREGI_STOCK } from './new-merchant-journey';

const world: MerchantWorld = {
  ...merchantWorld('apps', E2E_SMAREGI_STOCK, { stores: TWO_STORES, stockStoreIds: ['1', '2'], buffer: 1, productNames: E2E_PRODUCT_NAMES }),
  shop: E2E_SHOP,
};

type LogEntry = { kind: string; orderNumber?: string };

let stack: Stack;
let merchant: { tenantId: string; token: string };
const sim = () => stack.platforms.makeshop.baseUrl;
const stock = () => makeshopStock(stack, world.shopId);
const sale = (storeId: string, productCode: string, delta: number) =>
  postJson(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/stock-adjustments`, { storeId, productCode, delta });
const order = async (lines: { code: string; quantity: number }[]) => ((await postJson(`${sim()}/__sim/shops/${world.shopId}/orders`, { lines })) as { orderNumber: string }).orderNumber;
const flushOrderUpdates = () => postJson(`${sim()}/__sim/apps/order-updates/flush`, {});
const syncLog = async () => (await stack.http<LogEntry[]>('GET', '/api/v1/sync/log?limit=200', { token: merchant.token })).body;
const shipmentsOf = async (orderNumber: string) =>
  (await getJson<{ identificationNo?: string }[]>(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/shipments`)).filter((s) => s.identificationNo === orderNumber);

before(async () => {
  stack = await startStack('e2e-apps');
});
after(async () => stack?.close());

describe('a new merchant on the makeshop apps path, from sign-up to 稼働', () => {
  test('install + launch link the shop; steps 3 and the 更新通知 are 不要; the catalog is imported from MakeShop', async () => {
    merchant = await onboardAppsMerchant(stack, world, { run: false });
    await eventually(async () => {
      const onboarding = await stack.http<{ makeshopMode: string; canSetRunning: boolean; steps: { key: string; status: string; detail?: string }[] }>('GET', '/api/v1/onboarding', {
        token: merchant.token,
      });
      assert.equal(onboarding.body.makeshopMode, 'apps');
      assert.equal(onboarding.body.canSetRunning, true);
      assert.deepEqual(onboarding.body.steps.map((s) => s.status), ['done', 'done', 'done', 'done', 'done', 'todo']);
      assert.match(onboarding.body.steps.find((s) => s.key === 'makeshopCredentials')?.detail ?? '', /不要/);
      assert.match(onboarding.body.steps.find((s) => s.key === 'orderImport')?.detail ?? '', /更新通知の設定は不要/);
    });
    const orderImport = await stack.http<{ notificationUrl: string | null }>('GET', '/api/v1/order-import', { token: merchant.token });
    assert.equal(orderImport.body.notificationUrl, null);
    const installation = await stack.http<{ status: string; shopId: string }>('GET', '/api/v1/makeshop/apps', { token: merchant.token });
    assert.deepEqual({ status: installation.body.status, shopId: installation.body.shopId }, { status: 'linked', shopId: world.shopId });

    // The same stock items and matching as the CSV pair would give.
    const catalog = await stack.http<{ counts: Record<string, number> }>('GET', '/api/v1/catalog', { token: merchant.token });
    assert.deepEqual(catalog.body.counts, { productRows: 5, optionRows: 2, stockItems: 6, matched: 4, unmatched: 1, conflicts: 0, unlimited: 1 });
    const preview = await stack.http<{ code: string; target: number }[]>('GET', '/api/v1/sync/preview', { token: merchant.token });
    assert.deepEqual(Object.fromEntries(preview.body.map((r) => [r.code, r.target])), { 'TS-001': 11, 'WEB-JAN': 2, 'HD-BK-M': 1, 'HD-BK-L': 3 });
  });

  test('稼働 pushes every matched item through the GraphQL API (no CSV upload)', async () => {
    const res = await stack.http('PUT', '/api/v1/sync/state', { token: merchant.token, body: { state: 'running' } });
    assert.equal(res.status, 200);
    await eventually(async () => {
      const s = await stock();
      assert.deepEqual(
        { ts: s.get('TS-001'), jan: s.get('WEB-JAN'), m: s.get('HD-BK-M'), l: s.get('HD-BK-L'), wrap: s.get('WRAP'), web: s.get('WEB-ONLY') },
        { ts: 11, jan: 2, m: 1, l: 3, wrap: null, web: 3 },
      );
    });
    const calls = await getJson<CallLogEntry[]>(`${sim()}/__sim/shops/${world.shopId}/calls`);
    assert.ok(calls.some((c) => c.endpoint === 'graphql'));
    assert.deepEqual(calls.filter((c) => c.endpoint !== 'graphql'), [], 'the legacy API is never called');
  });

  test('a POS sale in Smaregi reaches MakeShop', async () => {
    await sale('2', 'TS-001', -3);
    await eventually(async () => assert.equal((await stock()).get('TS-001'), 8));
  });

  test('a MakeShop order becomes exactly one import although notified repeatedly; the notice body is not trusted', async () => {
    const orderNumber = await order([
      { code: 'TS-001', quantity: 2 },
      { code: 'HD-BK-L', quantity: 1 },
    ]);
    await flushOrderUpdates();
    // A second notice for the same order, with made-up amounts: only causes another re-read.
    const forged = await fetch(`${stack.apiUrl}/webhooks/makeshop/apps/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ shop_id: world.shopId, orders: [{ system_order_number: orderNumber, amount: 999 }] }),
    });
    assert.equal(forged.status, 200);
    await eventually(async () => assert.equal((await syncLog()).filter((e) => e.kind === 'order-import' && e.orderNumber === orderNumber).length, 1));
    assert.equal((await shipmentsOf(orderNumber)).length, 1);
    assert.equal((await smaregiStock(stack, world.contractId, 'TS-001')).get('1'), 3, 'shipped from the chosen store');
    await eventually(async () => {
      const s = await stock();
      assert.deepEqual({ ts: s.get('TS-001'), l: s.get('HD-BK-L') }, { ts: 6, l: 2 });
    });
  });

  test('a cancellation reverses the import and restores stock', async () => {
    const orderNumber = await order([{ code: 'HD-BK-M', quantity: 1 }]);
    await flushOrderUpdates();
    await eventually(async () => assert.equal((await smaregiStock(stack, world.contractId, 'HD-BK-M')).get('1'), 1, 'imported'));
    await postJson(`${sim()}/__sim/shops/${world.shopId}/orders/${orderNumber}/cancel`, {});
    await flushOrderUpdates();
    await eventually(async () => assert.ok((await syncLog()).some((e) => e.kind === 'order-cancel' && e.orderNumber === orderNumber)));
    assert.equal((await smaregiStock(stack, world.contractId, 'HD-BK-M')).get('1'), 2);
    await eventually(async () => assert.equal((await stock()).get('HD-BK-M'), 1));
  });

  test('forged app webhooks change nothing: a bogus install token is refused, an uninstall MakeShop did not make is ignored', async () => {
    const install = await fetch(`${stack.apiUrl}/webhooks/makeshop/apps/install`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: 'x', plan_id: 'x', app_name: 'x', shop_id: world.shopId, token: 'PAT.forged-token' }),
    });
    assert.notEqual(install.status, 200);
    const uninstall = await fetch(`${stack.apiUrl}/webhooks/makeshop/apps/uninstall`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: 'x', shop_id: world.shopId }),
    });
    assert.equal(uninstall.status, 200);
    const status = await stack.http<{ state: string }>('GET', '/api/v1/sync', { token: merchant.token });
    assert.equal(status.body.state, 'running');
    await sale('1', 'TS-001', 1);
    await eventually(async () => assert.equal((await stock()).get('TS-001'), 7), 20_000);
  });

  test('uninstalled while running: the sync stops with the reason and loses nothing; reinstall + launch resumes it', async () => {
    await postJson(`${sim()}/__sim/shops/${world.shopId}/apps/uninstall`, {});
    await eventually(async () => {
      const status = await stack.http<{ state: string; lastError: { message: string } | null }>('GET', '/api/v1/sync', { token: merchant.token });
      assert.equal(status.body.state, 'stopped');
      assert.match(status.body.lastError?.message ?? '', /MakeShop アプリがアンインストールされました/);
    });
    await eventually(async () => {
      const onboarding = await stack.http<{ steps: { key: string; status: string }[]; canSetRunning: boolean }>('GET', '/api/v1/onboarding', { token: merchant.token });
      assert.equal(onboarding.body.steps.find((s) => s.key === 'makeshopApplication')?.status, 'waiting');
      assert.equal(onboarding.body.canSetRunning, false);
    });
    const refused = await stack.http('PUT', '/api/v1/sync/state', { token: merchant.token, body: { state: 'running' } });
    assert.equal(refused.status, 409);

    await sale('1', 'TS-001', 4); // while uninstalled: must arrive after the reinstall
    await stockChangePending(stack, merchant.token);
    assert.equal((await stock()).get('TS-001'), 7);

    await installMakeshopApp(stack, world.shopId);
    const launched = await launchMakeshopApp(stack, merchant.token, world.shopId);
    assert.equal(launched.location, '/#/setup');
    await eventually(async () => {
      const status = await stack.http<{ state: string }>('GET', '/api/v1/sync', { token: merchant.token });
      assert.equal(status.body.state, 'running');
    });
    await eventually(async () => assert.equal((await stock()).get('TS-001'), 11));
  });
});
