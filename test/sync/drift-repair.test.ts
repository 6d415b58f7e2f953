// Drift repair (issue 10 #5) with short intervals: MakeShop left different from what was pushed — an edit in
// the MakeShop admin, a row that failed, a shipment from a store outside the selected ones — is brought back
// to the target by the reconciliation once SYNC_DRIFT_REPAIR_INTERVAL_MS has passed, in apps mode (MakeShop's
// quantities read) and in legacy mode (a full push), and never above what the invariant allows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, postJson } from '../support/platforms';
import { makeshopStock, merchantWorld, onboardAppsMerchant, onboardMerchant, startStack, type MerchantWorld, type Stack } from '../support/stack';
import { orderLedger } from '../../src/storage/orders';

const DRIFT_REPAIR_INTERVAL_MS = 3000;

function driftWorld(name: string): MerchantWorld {
  return merchantWorld(`drift${name}`, { [`${name}-001`]: { '1': 10, '2': 5 }, [`${name}-002`]: { '1': 10, '2': 5 } }, {
    stores: [
      { storeId: '1', storeName: '本店' },
      { storeId: '2', storeName: '倉庫' },
    ],
    // Orders are shipped from the warehouse, whose stock is not offered on MakeShop.
    shipmentStoreId: '2',
    login: { accountId: `admin-drift-${name}`, password: 'pass-1234567', orderAuthCode: 'order-auth-code-1' },
  });
}

let stack: Stack;
const shopSim = (world: MerchantWorld) => `${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}`;
const stockOf = async (world: MerchantWorld, code: string) => (await makeshopStock(stack, world.shopId)).get(code);
/** An edit in the MakeShop admin: no notification, no webhook. */
const adminEdit = (world: MerchantWorld, code: string, quantity: number) => postJson(`${shopSim(world)}/stock`, { code, quantity }, 'PUT');
const settled = (world: MerchantWorld) =>
  eventually(async () => {
    for (const { productCode } of world.products) assert.equal(await stockOf(world, productCode), 10);
  }, 60_000, 200);

before(async () => {
  stack = await startStack('drift', { sync: { reconcileIntervalMs: 1500, driftRepairIntervalMs: DRIFT_REPAIR_INTERVAL_MS } });
});
after(async () => stack?.close());

describe('apps mode: MakeShop quantities read and the differences pushed', () => {
  const world = driftWorld('ap');
  let tenantId: string;
  before(async () => {
    ({ tenantId } = await onboardAppsMerchant(stack, world));
    await settled(world);
  });

  test('an edit in the MakeShop admin is put back to the target', async () => {
    await adminEdit(world, 'ap-001', 3);
    await eventually(async () => assert.equal(await stockOf(world, 'ap-001'), 10), 30_000, 200);
    assert.equal(await stockOf(world, 'ap-002'), 10);
  });

  test('an order shipped from a store outside the selected ones: MakeShop goes back up only once it is imported', async () => {
    const { orderNumber } = (await postJson(`${shopSim(world)}/orders`, { lines: [{ code: 'ap-002', quantity: 2 }] })) as { orderNumber: string };
    // Allowed: 8 while the order is not imported (reserved); 10 once the warehouse shipped it.
    const violations: string[] = [];
    await eventually(async () => {
      const quantity = await stockOf(world, 'ap-002');
      const status = (await orderLedger(stack.database.db).findOne({ tenantId, orderNumber }))?.status;
      if (quantity !== undefined && quantity !== null && quantity > 8 && status !== 'imported') violations.push(`${quantity} while ${status ?? 'unknown'}`);
      assert.equal(quantity, 10);
    }, 30_000, 100);
    assert.deepEqual(violations, []);
    assert.equal((await orderLedger(stack.database.db).findOne({ tenantId, orderNumber }))?.status, 'imported');
  });
});

describe('legacy mode: a full push', () => {
  const world = driftWorld('lg');
  let token: string;
  before(async () => {
    ({ token } = await onboardMerchant(stack, world));
    await settled(world);
  });

  test('an edit in the MakeShop admin is put back to the target', async () => {
    await adminEdit(world, 'lg-002', 25);
    await eventually(async () => assert.equal(await stockOf(world, 'lg-002'), 10), 30_000, 200);
  });

  test('a row that failed is sent again once MakeShop takes it', async () => {
    const smaregiChange = (delta: number) =>
      postJson(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/stock-adjustments`, { storeId: '1', productCode: 'lg-001', delta });
    const recreateShop = async (products: MerchantWorld['shop']['products']) => {
      await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops`, { shopId: world.shopId, ...world.login, ...world.shop, products });
      const { notificationUrl } = (await stack.http<{ notificationUrl: string }>('GET', '/api/v1/order-import', { token })).body;
      await postJson(`${shopSim(world)}/notification-url`, { url: notificationUrl }, 'PUT');
    };
    // lg-001 is missing from MakeShop for a while: the push of 9 is refused.
    await recreateShop(world.shop.products.filter((p) => p.customCode !== 'lg-001'));
    await smaregiChange(-1);
    await eventually(async () => {
      const log = await stack.http<{ code?: string; ok: boolean }[]>('GET', '/api/v1/sync/log', { token });
      assert.ok(log.body.some((e) => e.code === 'lg-001' && !e.ok), 'the refused row is logged');
    }, 30_000, 200);
    // Back to 10 in Smaregi, what was last pushed: no Smaregi change will send it again.
    await smaregiChange(+1);
    // The item is back in MakeShop (as the merchant re-creates it, with no stock).
    await recreateShop(world.shop.products);
    assert.equal(await stockOf(world, 'lg-001'), 0);
    await eventually(async () => assert.equal(await stockOf(world, 'lg-001'), 10), 30_000, 200);
  });
});
