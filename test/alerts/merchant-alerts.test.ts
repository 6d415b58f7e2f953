// Each merchant alert, provoked through the simulators as the real platforms would provoke it: exactly
// one mail in Japanese with the link of the action, the alert in the admin API, and the alert resolved
// once the condition clears.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson } from '../support/platforms';
import { installMakeshopApp, launchMakeshopApp, MAKESHOP_LOGIN, startStack, uploadCatalogFromShop, type Stack } from '../support/stack';
import {
  alertsOf,
  alertWorld,
  exactlyOneMail,
  makeshopOrder,
  merchantWithConfirmedAddress,
  replaceShop,
  smaregiSale,
  waitForAlert,
  waitForRefusals,
} from './support';

let stack: Stack;

before(async () => {
  stack = await startStack('alerts');
});
after(async () => {
  await stack?.close();
});

describe('MakeShop refuses the credentials (legacy)', () => {
  const world = alertWorld('msauth');
  test('one mail, the alert open until a push gets through again', async () => {
    const { token } = await merchantWithConfirmedAddress(stack, world);
    await replaceShop(stack, world, token, { password: 'changed-pw-9' });
    await smaregiSale(stack, world, 'A-001');
    const alert = await waitForAlert(stack, token, 'makeshop-auth', 'open');
    assert.equal(alert.link, '#/setup');
    assert.match(alert.message, /MakeShop の接続情報/);
    // Failing again changes nothing: still one open alert, still one mail.
    await smaregiSale(stack, world, 'A-002');
    const mail = await exactlyOneMail(stack, world, /MakeShop にログインできません/, '#/setup');
    assert.match(mail.text, /新しい値を保存してください/);
    assert.equal((await alertsOf(stack, token)).filter((a) => a.kind === 'makeshop-auth').length, 1);

    await replaceShop(stack, world, token, { password: MAKESHOP_LOGIN.password });
    await smaregiSale(stack, world, 'A-001');
    await waitForAlert(stack, token, 'makeshop-auth', 'resolved');
  });
});

describe('the MakeShop app is uninstalled (apps mode)', () => {
  const world = alertWorld('appsgone');
  test('one mail, resolved when the app is installed and opened again', async () => {
    const { token } = await merchantWithConfirmedAddress(stack, world, { apps: true });
    await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/apps/uninstall`, {});
    const alert = await waitForAlert(stack, token, 'makeshop-app-revoked', 'open');
    assert.match(alert.message, /アプリを入れ直し/);
    await exactlyOneMail(stack, world, /MakeShop アプリとの接続が切れました/, '#/setup');

    await installMakeshopApp(stack, world.shopId);
    await launchMakeshopApp(stack, token, world.shopId);
    await waitForAlert(stack, token, 'makeshop-app-revoked', 'resolved');
  });
});

describe('Smaregi refuses the contract token', () => {
  const world = alertWorld('srauth');
  test('one mail, resolved once Smaregi answers again', async () => {
    const { token } = await merchantWithConfirmedAddress(stack, world);
    const app = `${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/app`;
    await postJson(app, { revoked: true }, 'PUT');
    await smaregiSale(stack, world, 'A-001');
    await waitForAlert(stack, token, 'smaregi-auth', 'open');
    await exactlyOneMail(stack, world, /スマレジに接続できません/, '#/status');

    await postJson(app, { revoked: false }, 'PUT');
    await smaregiSale(stack, world, 'A-001');
    await waitForAlert(stack, token, 'smaregi-auth', 'resolved');
  });
});

describe('the Smaregi app subscription ends', () => {
  const world = alertWorld('subend');
  const notify = (action: string) =>
    fetch(`${stack.apiUrl}/webhooks/smaregi`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [stack.config.SMAREGI_WEBHOOK_HEADER_NAME]: stack.config.SMAREGI_WEBHOOK_HEADER_VALUE,
        'Smaregi-Contract-Id': world.contractId,
        'Smaregi-Event': 'AppSubscription',
      },
      body: JSON.stringify({ contractId: world.contractId, action }),
    });
  test('one mail on end, resolved when the subscription starts again', async () => {
    const { token } = await merchantWithConfirmedAddress(stack, world);
    assert.equal((await notify('end')).status, 200);
    await waitForAlert(stack, token, 'smaregi-subscription-ended', 'open');
    await exactlyOneMail(stack, world, /スマレジアプリの契約が終了しています/, '#/status');
    assert.equal((await notify('start')).status, 200);
    await waitForAlert(stack, token, 'smaregi-subscription-ended', 'resolved');
  });
});

describe('orders', () => {
  const world = alertWorld('orders');
  test('an order held because a line is not in the catalog: one mail, resolved when the order is cancelled', async () => {
    const { token } = await merchantWithConfirmedAddress(stack, world);
    const orderNumber = await makeshopOrder(stack, world, [{ code: 'WEB-ONLY', quantity: 1 }]);
    const alert = await waitForAlert(stack, token, 'order-held', 'open', orderNumber);
    assert.match(alert.message, /「WEB-ONLY」/);
    await exactlyOneMail(stack, world, /注文の取り込みを保留しました/, '#/setup');
    await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/orders/${orderNumber}/cancel`, {});
    await waitForAlert(stack, token, 'order-held', 'resolved', orderNumber);
  });

  test('an order that cannot be imported: one mail after a few attempts, resolved when an attempt succeeds', async () => {
    const token = (await stack.http<{ token: string }>('POST', '/api/v1/sessions', { body: { email: `${world.shopId}@example.jp`, password: 'merchant-password-1' } })).body.token;
    const faults = `${stack.platforms.smaregi.baseUrl}/__sim/faults`;
    await postJson(faults, { errorRate: 1, throttleRate: 0, latencyMs: 0 }, 'PUT');
    let orderNumber = '';
    try {
      orderNumber = await makeshopOrder(stack, world, [{ code: 'A-001', quantity: 1 }]);
      await waitForAlert(stack, token, 'order-failed', 'open', orderNumber);
    } finally {
      await postJson(faults, { errorRate: 0, throttleRate: 0, latencyMs: 0 }, 'PUT');
    }
    await exactlyOneMail(stack, world, /注文をスマレジに取り込めません/, '#/status');
    await waitForAlert(stack, token, 'order-failed', 'resolved', orderNumber);
  });
});

describe('an item whose push MakeShop keeps rejecting', () => {
  const world = alertWorld('itemrej');
  test('no alert for one or two refusals; the third in a row: one mail naming the item; resolved once its push is accepted again', async () => {
    const { token } = await merchantWithConfirmedAddress(stack, world);
    // The merchant deleted A-002 in the MakeShop admin: its stock row is refused from now on.
    await replaceShop(stack, world, token, { products: world.shop.products.filter((p) => p.customCode !== 'A-002') });
    for (const refusals of [1, 2]) {
      await smaregiSale(stack, world, 'A-002');
      await waitForRefusals(stack, token, 'A-002', refusals);
    }
    assert.equal((await alertsOf(stack, token)).filter((a) => a.kind === 'item-push-rejected').length, 0, 'two refusals raise nothing');
    await smaregiSale(stack, world, 'A-002');
    const alert = await waitForAlert(stack, token, 'item-push-rejected', 'open', 'A-002');
    assert.match(alert.message, /商品「A-002」の在庫の更新を3回続けて受け付けませんでした/);
    await exactlyOneMail(stack, world, /在庫の更新を受け付けない商品があります/, '#/status');

    await replaceShop(stack, world, token, {});
    await smaregiSale(stack, world, 'A-002');
    await waitForAlert(stack, token, 'item-push-rejected', 'resolved', 'A-002');
  });
});

describe('catalog imports', () => {
  const world = alertWorld('catalog');
  test('a failed import mails its errors; a successful one mails its counts and resolves the failure', async () => {
    const { token } = await merchantWithConfirmedAddress(stack, world);
    const form = new FormData();
    form.append('productCsv', new Blob(['not,a,makeshop,csv\n1,2,3,4\n']), 'products.csv');
    form.append('optionCsv', new Blob(['nor,this\n']), 'options.csv');
    const res = await fetch(`${stack.apiUrl}/api/v1/catalog/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    assert.equal(res.status, 202, await res.text());
    const failed = await waitForAlert(stack, token, 'catalog-import-failed', 'open');
    assert.match(failed.message, /反映していません/);
    const failMail = await exactlyOneMail(stack, world, /カタログの取り込みに失敗しました/, '#/setup');
    assert.match(failMail.text, /CSV/);

    await uploadCatalogFromShop(stack, token, world.shopId);
    const done = await waitForAlert(stack, token, 'catalog-import-succeeded', 'resolved');
    assert.match(done.message, /照合できた 2件/);
    const okMail = await exactlyOneMail(stack, world, /カタログの取り込みが完了しました/, '#/setup');
    assert.match(okMail.text, /在庫管理対象 3件/);
    await waitForAlert(stack, token, 'catalog-import-failed', 'resolved');
  });
});

describe('the admin API', () => {
  test('alerts are the tenant\'s own: read marks, 404 for another tenant\'s', async () => {
    const one = await stack.http<{ token: string }>('POST', '/api/v1/sessions', { body: { email: 'alorders@example.jp', password: 'merchant-password-1' } });
    const other = await stack.http<{ token: string }>('POST', '/api/v1/sessions', { body: { email: 'alcatalog@example.jp', password: 'merchant-password-1' } });
    const [first] = await alertsOf(stack, one.body.token);
    assert.ok(first, 'the orders merchant has alerts');
    const path = `/api/v1/alerts/${encodeURIComponent(first.id)}/read`;
    assert.equal((await stack.http('POST', path, { token: other.body.token })).status, 404);
    const { status, body } = await stack.http('POST', path, { token: one.body.token });
    assert.deepEqual({ status, body }, { status: 200, body: { id: first.id, read: true } });
    assert.equal((await alertsOf(stack, one.body.token)).find((a) => a.id === first.id)?.read, true);
    const times = (await alertsOf(stack, one.body.token)).map((a) => a.openedAt);
    assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  });
});
