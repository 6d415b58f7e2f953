// Shared by the alert tests: a merchant whose sign-up address is confirmed (through the link Mailpit
// received), and readers for the merchant's alerts.
import assert from 'node:assert/strict';
import { getJson, postJson, eventually } from '../support/platforms';
import { linkIn, mailsTo, waitForMails, type Mail } from '../support/mailpit';
import { MAKESHOP_LOGIN, makeshopStock, onboardAppsMerchant, onboardMerchant, type MerchantWorld, type Stack } from '../support/stack';

export interface AlertView {
  id: string;
  kind: string;
  subject: string;
  message: string;
  openedAt: string;
  resolvedAt?: string;
  read: boolean;
  link: string;
}

export function alertWorld(name: string, extra: { products?: number } = {}): MerchantWorld {
  const codes = extra.products ? Array.from({ length: extra.products }, (_, i) => `S-${String(i).padStart(5, '0')}`) : ['A-001', 'A-002'];
  return {
    contractId: `sb_al_${name}`,
    shopId: `al${name}`,
    stores: [{ storeId: '1', storeName: '本店' }],
    products: codes.map((productCode) => ({ productCode, productName: `商品 ${productCode}` })),
    stock: codes.map((productCode) => ({ storeId: '1', productCode, amount: 10 })),
    shop: {
      products: [
        ...codes.map((code, i) => ({ systemCode: String(i + 1).padStart(12, '0'), customCode: code, name: `商品 ${code}`, jan: '', quantity: 0 })),
        { systemCode: '999999999999', customCode: 'WEB-ONLY', name: 'オンライン限定', jan: '', quantity: 5 },
      ],
      options: [],
    },
    stockStoreIds: ['1'],
    shipmentStoreId: '1',
    login: { ...MAKESHOP_LOGIN, accountId: `admin-${name}` },
  };
}

export const addressOf = (world: MerchantWorld) => `${world.shopId}@example.jp`;

/** Onboards the merchant (running) and confirms its sign-up address through the mailed link. */
export async function merchantWithConfirmedAddress(stack: Stack, world: MerchantWorld, opts: { run?: boolean; apps?: boolean } = {}) {
  const merchant = await (opts.apps ? onboardAppsMerchant : onboardMerchant)(stack, world, opts);
  if (opts.run !== false) {
    // The full push of 稼働 is done: what a test provokes next starts from a settled shop.
    const first = world.products[0]!.productCode;
    await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get(first), 10), 60_000, 200);
  }
  await confirmAddress(stack, world, merchant.token);
  return merchant;
}

/** Opens the confirmation link the sign-up mailed, as the merchant would. */
async function confirmAddress(stack: Stack, world: MerchantWorld, token: string): Promise<void> {
  const [confirmation] = await waitForMails(addressOf(world), /通知用メールアドレスの確認/);
  const link = linkIn(confirmation!);
  assert.ok(link.startsWith(`${stack.apiUrl}/alerts/verify?token=`), link);
  const res = await fetch(link, { redirect: 'manual' });
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), '/#/alerts?verified=1');
  const recipients = await stack.http<{ recipients: { email: string; verified: boolean }[] }>('GET', '/api/v1/alerts/recipients', { token });
  assert.deepEqual(recipients.body.recipients.map((r) => [r.email, r.verified]), [[addressOf(world), true]]);
}

export async function alertsOf(stack: Stack, token: string): Promise<AlertView[]> {
  const res = await stack.http<AlertView[]>('GET', '/api/v1/alerts', { token });
  assert.equal(res.status, 200);
  return res.body;
}

/** Waits for the alert of this kind (and subject) to be open, or resolved; on timeout the sync log says why. */
export async function waitForAlert(stack: Stack, token: string, kind: string, state: 'open' | 'resolved', subject?: string): Promise<AlertView> {
  return eventually(async () => {
    const found = (await alertsOf(stack, token)).find((a) => a.kind === kind && (subject === undefined || a.subject === subject));
    if (!found) throw new Error(`no ${kind} alert yet`);
    if ((state === 'resolved') !== (found.resolvedAt !== undefined)) throw new Error(`${kind} alert is not ${state} yet`);
    return found;
  }, 60_000, 200);
}

/** The one mail of this subject the merchant got: Japanese, with the action's link into the admin. */
export async function exactlyOneMail(stack: Stack, world: MerchantWorld, subject: RegExp, link: string): Promise<Mail> {
  const [mail] = await waitForMails(addressOf(world), subject, 1, 60_000);
  // Give a duplicate the time to arrive before counting.
  await new Promise((r) => setTimeout(r, 1500));
  const all = (await mailsTo(addressOf(world))).filter((m) => subject.test(m.subject));
  assert.equal(all.length, 1, `exactly one mail ${subject}: ${all.map((m) => m.subject).join(' / ')}`);
  assert.match(mail!.text, /[\u3040-\u30ff]/, 'the mail is in Japanese');
  assert.ok(mail!.text.includes(`${stack.apiUrl}/${link}`), `the mail links to ${link}:\n${mail!.text}`);
  return mail!;
}

export async function smaregiSale(stack: Stack, world: MerchantWorld, productCode: string, delta = -1): Promise<void> {
  await postJson(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/stock-adjustments`, { storeId: '1', productCode, delta });
}

/** Re-creates the MakeShop shop (as the merchant's real shop would change), wired back to the service. */
export async function replaceShop(stack: Stack, world: MerchantWorld, token: string, change: { password?: string; products?: MerchantWorld['shop']['products'] }) {
  const base = stack.platforms.makeshop.baseUrl;
  await postJson(`${base}/__sim/shops`, {
    shopId: world.shopId,
    ...world.login,
    ...(change.password && { password: change.password }),
    ...world.shop,
    ...(change.products && { products: change.products }),
  });
  const { notificationUrl } = (await stack.http<{ notificationUrl: string }>('GET', '/api/v1/order-import', { token })).body;
  await postJson(`${base}/__sim/shops/${world.shopId}/notification-url`, { url: notificationUrl }, 'PUT');
}

export async function makeshopOrder(stack: Stack, world: MerchantWorld, lines: { code: string; quantity: number }[]): Promise<string> {
  const res = (await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/orders`, { lines })) as { orderNumber: string };
  return res.orderNumber;
}

/** Waits until the sync log shows this many refused pushes of the item (MakeShop refused its row). */
export async function waitForRefusals(stack: Stack, token: string, code: string, count: number): Promise<void> {
  await eventually(async () => {
    const log = await stack.http<{ kind: string; code?: string; ok: boolean }[]>('GET', '/api/v1/sync/log?limit=500', { token });
    assert.equal(log.body.filter((e) => e.kind === 'error' && e.code === code).length, count);
  }, 60_000, 200);
}

export { getJson };
