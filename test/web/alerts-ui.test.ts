// お知らせ in a real browser (Debian's Chromium through playwright-core) against the whole stack: the
// unread badge on every page, the open alerts first on 連携状況, each alert with its action, marking
// read, the alert turning 解決済み when its condition clears, and the mail addresses. Screenshots go to
// a temporary folder named in the test output.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { postJson } from '../support/platforms';
import { waitForMails } from '../support/mailpit';
import { startStack, type Stack } from '../support/stack';
import { alertWorld, makeshopOrder, merchantWithConfirmedAddress, waitForAlert } from '../alerts/support';

const UI_TIMEOUT_MS = 20_000;
const world = alertWorld('webui');
const screenshots = mkdtempSync(join(tmpdir(), 'zaiko-alerts-ui-'));

let stack: Stack;
let browser: Browser;
let page: Page;
let token: string;

before(async () => {
  stack = await startStack('alertsui');
  ({ token } = await merchantWithConfirmedAddress(stack, world));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', viewport: { width: 1180, height: 900 } });
  // The session the admin UI's login would set: the same token, as its HttpOnly cookie.
  await context.addCookies([{ name: 'zaiko_session', value: token, url: stack.apiUrl, httpOnly: true, sameSite: 'Lax' }]);
  page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  console.log(`[alerts-ui] screenshots in ${screenshots}`);
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

const badgeText = () => page.locator('#alert-badge').textContent();

test('the admin shows an alert with its action, marks it read, and shows it resolved once its condition clears', { timeout: 180_000 }, async () => {
  const orderNumber = await makeshopOrder(stack, world, [{ code: 'WEB-ONLY', quantity: 1 }]);
  await waitForAlert(stack, token, 'order-held', 'open', orderNumber);

  // 連携状況: the open alert comes first, the badge counts the unread ones (the held order and the catalog import).
  await page.goto(`${stack.apiUrl}/#/status`);
  const openCard = page.locator('#open-alerts');
  await openCard.waitFor();
  const firstCard = page.locator('main .card').first();
  assert.equal(await firstCard.getAttribute('id'), 'open-alerts', 'open alerts come before everything else');
  const held = openCard.locator(`li.alert-item[data-kind="order-held"]`);
  assert.match((await held.textContent()) ?? '', new RegExp(`注文 ${orderNumber} の商品 「WEB-ONLY」`));
  assert.equal(await held.locator('a.alert-action').getAttribute('href'), '#/setup');
  await page.locator('#alert-badge:not([hidden])').waitFor();
  assert.equal(await badgeText(), '2');
  await screenshot('01-status-open-alert-first');

  // The badge is on every page.
  await page.goto(`${stack.apiUrl}/#/setup`);
  await page.locator('li.step').first().waitFor();
  await page.locator('#alert-badge:not([hidden])', { hasText: /^2$/ }).waitFor();

  // お知らせ: marking the held order read lowers the badge.
  await page.goto(`${stack.apiUrl}/#/alerts`);
  const item = page.locator(`li.alert-item[data-kind="order-held"]`);
  await item.waitFor();
  await item.getByRole('button', { name: '既読にする' }).click();
  await page.locator('#alert-badge:not([hidden])', { hasText: /^1$/ }).waitFor();
  await item.locator('.alert-new').waitFor({ state: 'detached' });
  await screenshot('02-alerts-read');

  // The merchant cancels the order in MakeShop: the alert is resolved.
  await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/orders/${orderNumber}/cancel`, {});
  await waitForAlert(stack, token, 'order-held', 'resolved', orderNumber);
  await page.reload();
  await page.locator(`li.alert-item[data-kind="order-held"] .badge`, { hasText: '解決済み' }).waitFor();
  await page.goto(`${stack.apiUrl}/#/status`);
  await page.locator('main h1', { hasText: '連携状況' }).waitFor();
  assert.equal(await page.locator('#open-alerts').count(), 0, 'no open alerts: no card');
  await screenshot('03-status-resolved');
});

test('alert mail addresses: the confirmed sign-up address, and a new one that gets a confirmation mail', { timeout: 120_000 }, async () => {
  await page.goto(`${stack.apiUrl}/#/alerts`);
  const own = page.locator(`fieldset.recipient[data-email="${world.shopId}@example.jp"]`);
  await own.locator('.badge', { hasText: '確認済み' }).waitFor();
  const added = `ops-${world.shopId}@example.jp`;
  await page.locator('#new-recipient').fill(added);
  await page.locator('#save-recipients').click();
  await page.locator(`fieldset.recipient[data-email="${added}"] .badge`, { hasText: '確認待ち' }).waitFor();
  await screenshot('04-recipients');
  const [mail] = await waitForMails(added, /通知用メールアドレスの確認/);
  assert.ok(mail!.text.includes(`${stack.apiUrl}/alerts/verify?token=`));
});
