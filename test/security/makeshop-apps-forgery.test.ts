// Forged makeshop apps launches through the public route (issue 11, item 9): MakeShop sends no shared secret
// with its app webhooks and the launch proof is our reading of an undocumented request, so a launch must link
// a shop only for the logged-in tenant that named it at step 2, only with MakeShop's signature, and never take
// a shop another tenant already holds. Real api, worker, Temporal and FerretDB; both simulators.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson } from '../support/platforms';
import { installMakeshopApp, MAKESHOP_LOGIN, onboardMerchant, startStack, type MerchantWorld, type Stack } from '../support/stack';

const worldOf = (name: string): MerchantWorld => ({
  contractId: `sb_${name}`,
  shopId: `${name}shop`,
  stores: [{ storeId: '1', storeName: '本店' }],
  products: [{ productCode: 'TS-001', productName: 'Tシャツ' }],
  stock: [{ storeId: '1', productCode: 'TS-001', amount: 5 }],
  shop: { products: [{ systemCode: '000000000001', customCode: 'TS-001', name: 'Tシャツ', jan: '', quantity: 0 }], options: [] },
  stockStoreIds: ['1'],
  shipmentStoreId: '1',
  login: { ...MAKESHOP_LOGIN, accountId: `${name}-admin` },
});

const victim = worldOf('victim');
const attacker = worldOf('attacker');
let stack: Stack;
let victimToken: string;
let attackerToken: string;

before(async () => {
  stack = await startStack('sec-apps-forgery');
  victimToken = (await onboardMerchant(stack, victim, { stopAfterAccount: true })).token;
  attackerToken = (await onboardMerchant(stack, attacker, { stopAfterAccount: true })).token;
  await chooseApps(victimToken, victim.shopId);
  await installMakeshopApp(stack, victim.shopId);
  await installMakeshopApp(stack, attacker.shopId);
});
after(async () => stack?.close());

async function chooseApps(token: string, shopId: string): Promise<void> {
  const res = await stack.http('POST', '/api/v1/onboarding/makeshop-application', { token, body: { mode: 'apps', shopId } });
  assert.equal(res.status, 202, JSON.stringify(res.body));
}

const launchUrlOf = async (shopId: string) =>
  new URL((await getJson<{ url: string }>(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${shopId}/apps/launch-url`)).url);

async function open(url: URL, token: string | null): Promise<number> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, redirect: 'manual' });
  await res.text();
  return res.status;
}

async function installationOf(token: string): Promise<{ status?: string; shopId?: string }> {
  const res = await stack.http<{ status?: string; shopId?: string }>('GET', '/api/v1/makeshop/apps', { token });
  return res.body;
}

test('a launch without a session links nothing', async () => {
  assert.equal(await open(await launchUrlOf(victim.shopId), null), 401);
  assert.notEqual((await installationOf(victimToken)).status, 'linked');
});

test("a launch whose shop was swapped keeps MakeShop's signature for the other shop only: refused, nothing linked", async () => {
  await chooseApps(attackerToken, victim.shopId);
  const url = await launchUrlOf(attacker.shopId);
  url.searchParams.set('shop_id', victim.shopId);
  assert.equal(await open(url, attackerToken), 400);
  const unsigned = await launchUrlOf(victim.shopId);
  unsigned.searchParams.delete('hmac');
  assert.equal(await open(unsigned, attackerToken), 400);
  assert.notEqual((await installationOf(attackerToken)).status, 'linked');
  assert.notEqual((await installationOf(victimToken)).status, 'linked');
});

test('a genuine launch of a shop the tenant did not name at step 2 is refused', async () => {
  await chooseApps(attackerToken, attacker.shopId);
  assert.equal(await open(await launchUrlOf(victim.shopId), attackerToken), 409);
  assert.notEqual((await installationOf(attackerToken)).status, 'linked');
  assert.notEqual((await installationOf(victimToken)).status, 'linked');
});

test('once the owner linked the shop, another tenant naming it and replaying its launch URL gets nothing', async () => {
  const genuine = await launchUrlOf(victim.shopId);
  assert.equal(await open(genuine, victimToken), 302);
  const linked = await installationOf(victimToken);
  assert.equal(linked.status, 'linked');
  assert.equal(linked.shopId, victim.shopId);

  await chooseApps(attackerToken, victim.shopId);
  assert.equal(await open(genuine, attackerToken), 409);
  assert.notEqual((await installationOf(attackerToken)).status, 'linked');
  const still = await installationOf(victimToken);
  assert.equal(still.status, 'linked');
  assert.equal(still.shopId, victim.shopId);
});
