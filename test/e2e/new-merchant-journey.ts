// End to end, through the public interfaces only: a new account set up to 稼働 over the HTTP API, then
// POS sales, MakeShop orders (notified three times), a cancellation, and 停止/稼働 — against the real
// Temporal server, FerretDB, the real worker composition and both simulators. Once per import method
// (new-merchant.test.ts: 出荷, new-merchant-stock-adjustment.test.ts: 在庫調整).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, eventually } from '../support/platforms';
import { makeshopStock, merchantWorld, onboardMerchant, smaregiStock, startStack, stockChangePending, TWO_STORES, type MerchantWorld, type Stack } from '../support/stack';

type ImportMethod = NonNullable<MerchantWorld['importMethod']>;

/** The MakeShop side of the e2e merchants (legacy and apps): products, a JAN match, options, unlimited and web-only items. */
export const E2E_SHOP: MerchantWorld['shop'] = {
  products: [
    { systemCode: '000000000001', customCode: 'TS-001', name: 'Tシャツ', jan: '', quantity: 0 },
    { systemCode: '000000000002', customCode: 'WEB-JAN', name: 'JAN商品', jan: '4901234567894', quantity: 0 },
    { systemCode: '000000000003', customCode: 'HD', name: 'パーカー', jan: '', quantity: 0, optionNames: ['カラー', 'サイズ'] },
    { systemCode: '000000000004', customCode: 'WRAP', name: 'ギフト包装', jan: '', quantity: null },
    { systemCode: '000000000005', customCode: 'WEB-ONLY', name: 'オンライン限定', jan: '', quantity: 3 },
  ],
  options: [
    { systemCode: '000000000003', optionCode: 'HD-BK-M', option1: '黒', option2: 'M', jan: '', quantity: 0 },
    { systemCode: '000000000003', optionCode: 'HD-BK-L', option1: '黒', option2: 'L', jan: '', quantity: 0 },
  ],
};

/** The Smaregi side of the e2e merchants: the products E2E_SHOP sells (by code or JAN), in the shop (1) and its branch (2). */
export const E2E_SMAREGI_STOCK = { 'TS-001': { '1': 5, '2': 7 }, '4901234567894': { '1': 3 }, 'HD-BK-M': { '1': 2 }, 'HD-BK-L': { '2': 4 } };
export const E2E_PRODUCT_NAMES = { 'TS-001': 'Tシャツ', '4901234567894': 'JANで一致する商品', 'HD-BK-M': 'パーカー 黒 M', 'HD-BK-L': 'パーカー 黒 L', 'POS-ONLY': '店頭限定' };

/** Plus a warehouse (9) whose stock is not offered on MakeShop, and a product sold only in the shops. */
const baseWorld: MerchantWorld = {
  ...merchantWorld(
    'e2e',
    { ...E2E_SMAREGI_STOCK, 'TS-001': { ...E2E_SMAREGI_STOCK['TS-001'], '9': 100 }, 'POS-ONLY': {} },
    { stores: [...TWO_STORES, { storeId: '9', storeName: '倉庫' }], stockStoreIds: ['1', '2'], buffer: 1, productNames: E2E_PRODUCT_NAMES },
  ),
  shop: E2E_SHOP,
};

export function defineNewMerchantJourney(importMethod: ImportMethod): void {
  const world: MerchantWorld = { ...baseWorld, importMethod };
  let stack: Stack;
  let merchant: { tenantId: string; token: string };
  const stock = () => makeshopStock(stack, world.shopId);
  const sale = (storeId: string, productCode: string, delta: number) =>
    postJson(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/stock-adjustments`, { storeId, productCode, delta });
  const order = async (lines: { code: string; quantity: number }[]) =>
    ((await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/orders`, { lines })) as { orderNumber: string }).orderNumber;

  before(async () => {
    stack = await startStack(importMethod === 'shipment' ? 'e2e' : 'e2e_adjust');
  });

  /** What Smaregi holds for an order: its 出荷 (shipment method) and its import 在庫調整 rows (stockAdjustment). */
  const importsOf = (orderNumber: string) => {
    const contract = stack.platforms.smaregi.sim.state.contract(world.contractId)!;
    return {
      shipments: [...contract.shipments.values()].filter((s) => s.identificationNo === orderNumber).length,
      adjustments: contract.history.filter((h) => h.memo === `MakeShop注文 ${orderNumber}`).length,
    };
  };
  after(async () => stack?.close());

  describe(`a new merchant, from sign-up to 稼働 (orders imported by ${importMethod})`, () => {
    test('while 停止 nothing is pushed; 稼働 brings every matched item to its target', async () => {
      merchant = await onboardMerchant(stack, world, { run: false });
      // The activation reaches the onboarding workflow a moment after the upload reports success.
      await eventually(async () => {
        const onboarding = await stack.http<{ canSetRunning: boolean; steps: { key: string; status: string }[] }>('GET', '/api/v1/onboarding', { token: merchant.token });
        assert.equal(onboarding.body.canSetRunning, true);
        assert.deepEqual(onboarding.body.steps.map((s) => s.status), ['done', 'done', 'done', 'done', 'done', 'todo']);
      });
      const preview = await stack.http<{ code: string; target: number }[]>('GET', '/api/v1/sync/preview', { token: merchant.token });
      assert.deepEqual(
        Object.fromEntries(preview.body.map((r) => [r.code, r.target])),
        { 'TS-001': 11, 'WEB-JAN': 2, 'HD-BK-M': 1, 'HD-BK-L': 3 },
      );
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await stock()).get('TS-001'), 0, 'nothing pushed while stopped');

      const { status, body } = await stack.http('PUT', '/api/v1/sync/state', { token: merchant.token, body: { state: 'running' } });
      assert.deepEqual({ status, body }, { status: 200, body: { state: 'running' } });
      await eventually(async () => {
        const s = await stock();
        // (stores 1 + 2) − buffer 1; the warehouse is not synced; unlimited and unmatched items untouched.
        assert.deepEqual(
          { ts: s.get('TS-001'), jan: s.get('WEB-JAN'), m: s.get('HD-BK-M'), l: s.get('HD-BK-L'), wrap: s.get('WRAP'), web: s.get('WEB-ONLY') },
          { ts: 11, jan: 2, m: 1, l: 3, wrap: null, web: 3 },
        );
      });
      const steps = await stack.http<{ steps: { key: string; status: string }[]; syncState: string }>('GET', '/api/v1/onboarding', { token: merchant.token });
      assert.equal(steps.body.steps.find((s) => s.key === 'syncState')?.status, 'done');
      assert.equal(steps.body.syncState, 'running');
    });

    test('a POS sale in Smaregi reaches MakeShop', async () => {
      await sale('2', 'TS-001', -3);
      await eventually(async () => assert.equal((await stock()).get('TS-001'), 8));
    });

    test('a MakeShop order becomes exactly one Smaregi import although notified three times', async () => {
      const orderNumber = await order([{ code: 'TS-001', quantity: 2 }, { code: 'HD-BK-L', quantity: 1 }]);
      const { notificationUrl } = (await stack.http<{ notificationUrl: string }>('GET', '/api/v1/order-import', { token: merchant.token })).body;
      const url = notificationUrl.replace('[SHOPID]', world.shopId).replace('[ORDERNUM]', orderNumber).replace('[CMD]', '0');
      for (let i = 0; i < 2; i++) assert.equal((await fetch(url)).status, 200);
      await eventually(async () => {
        const log = (await stack.http<{ kind: string; orderNumber?: string }[]>('GET', '/api/v1/sync/log?limit=100', { token: merchant.token })).body;
        assert.equal(log.filter((e) => e.kind === 'order-import' && e.orderNumber === orderNumber).length, 1);
      });
      // One 出荷 with both lines, or one 在庫調整 per line.
      const expected = importMethod === 'shipment' ? { shipments: 1, adjustments: 0 } : { shipments: 0, adjustments: 2 };
      assert.deepEqual(importsOf(orderNumber), expected);
      assert.equal((await smaregiStock(stack, world.contractId, 'TS-001')).get('1'), 3, 'shipped from the chosen store');
      await eventually(async () => {
        const s = await stock();
        assert.deepEqual({ ts: s.get('TS-001'), l: s.get('HD-BK-L') }, { ts: 6, l: 2 });
      });
    });

    test('a cancellation reverses the import and restores stock', async () => {
      const orderNumber = await order([{ code: 'HD-BK-M', quantity: 1 }]);
      await eventually(async () => assert.equal((await smaregiStock(stack, world.contractId, 'HD-BK-M')).get('1'), 1, `imported by ${importMethod}`));
      await eventually(async () => assert.equal((await stock()).get('HD-BK-M'), 0));
      await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/orders/${orderNumber}/cancel`, {});
      await eventually(async () => {
        const log = (await stack.http<{ kind: string; orderNumber?: string }[]>('GET', '/api/v1/sync/log?limit=100', { token: merchant.token })).body;
        assert.ok(log.some((e) => e.kind === 'order-cancel' && e.orderNumber === orderNumber));
      });
      assert.equal((await smaregiStock(stack, world.contractId, 'HD-BK-M')).get('1'), 2);
      await eventually(async () => assert.equal((await stock()).get('HD-BK-M'), 1));
    });

    test('停止 freezes MakeShop; 稼働 again pushes what changed meanwhile', async () => {
      await stack.http('PUT', '/api/v1/sync/state', { token: merchant.token, body: { state: 'stopped' } });
      await sale('1', 'TS-001', 10);
      await stockChangePending(stack, merchant.token);
      assert.equal((await stock()).get('TS-001'), 6);
      const status = await stack.http<{ state: string }>('GET', '/api/v1/sync', { token: merchant.token });
      assert.equal(status.body.state, 'stopped');
      await stack.http('PUT', '/api/v1/sync/state', { token: merchant.token, body: { state: 'running' } });
      await eventually(async () => assert.equal((await stock()).get('TS-001'), 16));
    });

    test('an order cancelled before it was imported never reaches Smaregi', async () => {
      const orderNumber = await order([{ code: 'TS-001', quantity: 1 }]);
      await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/orders/${orderNumber}/cancel`, {});
      await eventually(async () => {
        const log = (await stack.http<{ kind: string; orderNumber?: string }[]>('GET', '/api/v1/sync/log?limit=100', { token: merchant.token })).body;
        assert.ok(log.some((e) => e.kind === 'order-cancel' && e.orderNumber === orderNumber));
      });
      assert.deepEqual(importsOf(orderNumber), { shipments: 0, adjustments: 0 });
    });
  });
}
