// Issue 9 leftovers seen through the public API: the preview's "MakeShop now" column (apps: MakeShop's own
// quantity; legacy: null), and a revoked makeshop app token found by the sync (its uninstall webhook lost)
// marking the installation revoked, so the admin no longer shows it linked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, postJson } from '../support/platforms';
import { makeshopStock, onboardAppsMerchant, onboardMerchant, startStack, type MerchantWorld, type Stack } from '../support/stack';

function world(name: string): MerchantWorld {
  const codes = [`${name}-001`, `${name}-002`];
  return {
    contractId: `sb_now_${name}`,
    shopId: `now${name}`,
    stores: [{ storeId: '1', storeName: '本店' }],
    products: codes.map((productCode) => ({ productCode, productName: productCode })),
    stock: codes.map((productCode) => ({ storeId: '1', productCode, amount: 10 })),
    shop: {
      products: codes.map((customCode, i) => ({ systemCode: String(i + 1).padStart(12, '0'), customCode, name: customCode, jan: '', quantity: 0 })),
      options: [],
    },
    stockStoreIds: ['1'],
    shipmentStoreId: '1',
    login: { accountId: `admin-now-${name}`, password: 'pass-1234567', orderAuthCode: 'order-auth-code-1' },
  };
}

interface PreviewRow {
  code: string;
  target: number;
  makeshopNow: number | null;
}

let stack: Stack;
const preview = async (token: string) => {
  const res = await stack.http<PreviewRow[]>('GET', '/api/v1/sync/preview', { token });
  assert.equal(res.status, 200);
  return new Map(res.body.map((r) => [r.code, r]));
};
const settled = (w: MerchantWorld) =>
  eventually(async () => {
    for (const { productCode } of w.products) assert.equal((await makeshopStock(stack, w.shopId)).get(productCode), 10);
  }, 60_000, 200);

before(async () => {
  stack = await startStack('makeshopnow');
});
after(async () => stack?.close());

test('apps mode: the preview shows MakeShop’s own quantity beside the target', async () => {
  const apps = world('ap');
  const { token } = await onboardAppsMerchant(stack, apps);
  await settled(apps);
  // An edit in the MakeShop admin: the preview shows it against the unchanged target.
  await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${apps.shopId}/stock`, { code: 'ap-002', quantity: 4 }, 'PUT');
  const rows = await preview(token);
  assert.deepEqual(rows.get('ap-001'), { ...rows.get('ap-001'), target: 10, makeshopNow: 10 });
  assert.deepEqual(rows.get('ap-002'), { ...rows.get('ap-002'), target: 10, makeshopNow: 4 });
});

test('legacy mode: MakeShop’s quantity cannot be read, the column is null', async () => {
  const legacy = world('lg');
  const { token } = await onboardMerchant(stack, legacy);
  await settled(legacy);
  const rows = await preview(token);
  assert.equal(rows.size, 2);
  for (const row of rows.values()) assert.equal(row.makeshopNow, null);
});

test('a revoked token found by the sync (uninstall webhook lost) marks the installation revoked', async () => {
  const apps = world('rv');
  const { token } = await onboardAppsMerchant(stack, apps);
  await settled(apps);
  assert.equal((await stack.http<{ status: string }>('GET', '/api/v1/makeshop/apps', { token })).body.status, 'linked');
  // The uninstall webhook never reaches the service.
  await postJson(
    `${stack.platforms.makeshop.baseUrl}/__sim/apps`,
    {
      apiKey: stack.config.MAKESHOP_APP_API_KEY,
      launchSecret: stack.config.MAKESHOP_APP_LAUNCH_SECRET,
      installUrl: `${stack.apiUrl}/webhooks/makeshop/apps/install`,
      uninstallUrl: 'http://127.0.0.1:9/lost',
      orderUpdateUrl: `${stack.apiUrl}/webhooks/makeshop/apps/orders`,
      orderUpdateIntervalMs: 2000,
    },
    'PUT',
  );
  await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${apps.shopId}/apps/uninstall`, {});
  await postJson(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${apps.contractId}/stock-adjustments`, { storeId: '1', productCode: 'rv-001', delta: -1 });
  await eventually(async () => {
    const installation = await stack.http<{ status: string; revokedAt: string | null }>('GET', '/api/v1/makeshop/apps', { token });
    assert.equal(installation.body.status, 'revoked');
    assert.ok(installation.body.revokedAt);
  }, 30_000, 200);
  await eventually(async () => assert.equal((await stack.http<{ state: string }>('GET', '/api/v1/sync', { token })).body.state, 'stopped'), 30_000, 200);
});
