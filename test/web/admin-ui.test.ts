// The merchant admin UI in a real browser (Debian's Chromium through playwright-core) against the
// real api on the real Temporal server and FerretDB, wired as production wires them (createAppDeps,
// a worker with createActivities), with both platform simulators in-process. Screenshots go to a
// temporary folder named in the test output.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { Worker } from '@temporalio/worker';
import { createServiceWorkers, runWorkers, shutdownWorkers } from '../../src/worker/service-workers';
import { createActivities } from '../../src/activities';
import { createAppDeps } from '../../src/composition';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/lib/logger';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET } from '../../src/simulators/smaregi/testing';
import { SecretBox } from '../../src/storage/crypto';
import { ensureIndexes } from '../../src/storage/indexes';
import { TenantIdKey } from '../../src/temporal/search-attributes';
import { startTestApi } from '../support/api';
import { temporalClient, testDatabase, testInfra, uniqueTaskQueue } from '../support/infra';
import { eventually, getJson, postJson, startTestPlatforms, type TestPlatforms } from '../support/platforms';
import { sampleCsv } from '../support/samples';

const CONTRACT = 'sb_web_ui';
const CONTRACT_WAITING = 'sb_web_ui_waiting';
const STORES = [
  { storeId: '1', storeName: '渋谷本店' },
  { storeId: '2', storeName: '梅田店' },
  { storeId: '3', storeName: '倉庫' },
];
// With "already enabled" there is no application form, so the shop ID is taken to be the admin ID.
const SHOP = { shopId: 'webshop', accountId: 'webshop', password: 'Pw-12chars!!', orderAuthCode: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' };
const MERCHANT = { email: 'web-ui@example.jp', password: 'merchant-pass-123', shopName: 'ウェブ商店' };
const UI_TIMEOUT_MS = 15_000;
const PUBLIC_BASE_URL = 'https://zaiko.example.jp/';
/** No suite may hang the run: each fails after this. */
const TEST_TIMEOUT = { timeout: 120_000 };

let temporal: Awaited<ReturnType<typeof temporalClient>>;
let database: Awaited<ReturnType<typeof testDatabase>>;
let platforms: TestPlatforms;
let api: Awaited<ReturnType<typeof startTestApi>>;
let worker: { workers: Worker[]; done: Promise<void> } | undefined;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const tenantIds: string[] = [];
const screenshots = mkdtempSync(join(tmpdir(), 'zaiko-admin-ui-'));

const step = (key: string, on: Page = page): Locator => on.locator(`li.step[data-step="${key}"]`);
const badgeOf = (key: string): Locator => step(key).locator('.step-badge .badge');

/** Expands the checklist row unless it already is (the first open step starts expanded). */
async function openStep(key: string, on: Page = page): Promise<Locator> {
  const toggle = step(key, on).locator('.step-toggle');
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  return step(key, on).locator('.step-body');
}

/** The sample 商品データCSV / オプションデータCSV pair of test/fixtures/makeshop-samples. */
const SAMPLE_PAIR = { products: sampleCsv('products'), options: sampleCsv('options') };

async function screenshot(name: string): Promise<string> {
  const path = join(screenshots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Waits until the checklist row shows this status label (the checklist is re-read after each form). */
async function waitForBadge(key: string, label: string): Promise<void> {
  await badgeOf(key).filter({ hasText: new RegExp(`^${label}$`) }).waitFor();
}

async function dataKeys(list: Locator): Promise<(string | null)[]> {
  const keys = [];
  for (const item of await list.all()) keys.push(await item.getAttribute('data-key'));
  return keys;
}

/**
 * A raw GET whose path is sent exactly as written (fetch would normalise the dot segments away, and
 * adds Cache-Control: no-cache to conditional requests).
 */
function rawGet(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | undefined }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function makeshopQuantity(customCode: string): Promise<number | null | undefined> {
  const rows = await getJson<{ customCode: string; optionCode: string; quantity: number | null }[]>(`${platforms.makeshop.baseUrl}/__sim/shops/${SHOP.shopId}/stock`);
  return rows.find((r) => r.customCode === customCode && !r.optionCode)?.quantity;
}

async function sessionFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const cookies = await context.cookies(api.baseUrl);
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  return fetch(`${api.baseUrl}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), cookie } });
}

/** PUBLIC_BASE_URL stands for a proxy in front of the api: the browser's visits there (スマレジID's redirect back) go to the api. */
async function routePublicAddressToApi(browserContext: BrowserContext): Promise<void> {
  await browserContext.route(`${PUBLIC_BASE_URL}**`, (route) => {
    const url = new URL(route.request().url());
    return route.fulfill({ status: 302, headers: { location: `${api.baseUrl}${url.pathname}${url.search}` } });
  });
}

/** Step 1's link as the merchant does it: the button, the simulator's スマレジID form, back to the checklist. */
async function linkContractInBrowser(on: Page, user: { email: string; password: string }): Promise<void> {
  const body = await openStep('account', on);
  await body.getByRole('link', { name: 'スマレジIDで連携する' }).click();
  await on.getByRole('heading', { name: 'スマレジID ログイン' }).waitFor();
  await on.getByLabel('メールアドレス').fill(user.email);
  await on.getByLabel('パスワード').fill(user.password);
  await on.getByRole('button', { name: 'ログイン' }).click();
  await on.getByRole('heading', { name: '初期設定', level: 1 }).waitFor().catch(async (err: Error) => {
    throw new Error(`${err.message}\nat ${on.url()}: ${await on.locator('body').innerText()}`);
  });
}

/** The api and one worker as `npm start` runs them, on this file's database and task queue. */
async function startStack(): Promise<void> {
  const config: Config = {
    ...loadConfig(process.env),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('web'),
    TEMPORAL_CATALOG_TASK_QUEUE: uniqueTaskQueue('web_catalog'),
    PUBLIC_BASE_URL,
    SMAREGI_ID_BASE_URL: platforms.smaregi.baseUrl,
    SMAREGI_CLIENT_ID: TEST_CLIENT_ID,
    SMAREGI_CLIENT_SECRET: TEST_CLIENT_SECRET,
    MAKESHOP_GRAPHQL_URL: `${platforms.makeshop.baseUrl}/v1/graphql`,
    SYNC_DEBOUNCE_MS: 50,
    SYNC_MAX_DELAY_MS: 200,
  };
  const logger = createLogger('web-ui-test', process.env.LOG_LEVEL ?? 'silent');
  if (!config.APP_SECRET_KEY) throw new Error('APP_SECRET_KEY is not set: run the tests through `npm test`');
  const secretBox = new SecretBox(config.APP_SECRET_KEY);
  const clients = { smaregi: platforms.smaregiClient, makeshop: platforms.makeshopClient };
  const base = { config, logger, db: database.db, temporal: temporal.client, secretBox, platforms: clients };
  api = await startTestApi({ ...createAppDeps(base), config });
  const workers = await createServiceWorkers({
    connection: temporal.native,
    config,
    workflows: { workflowBundle: { codePath: testInfra().bundlePath } },
    activities: createActivities(base),
  });
  worker = { workers, done: runWorkers(workers) };
}

/** Every workflow the test's tenants started (onboarding, sync, catalog imports) ends with the test. */
async function terminateTenantWorkflows(): Promise<void> {
  for (const tenantId of tenantIds) {
    for await (const wf of temporal.client.workflow.list({ query: `${TenantIdKey.name} = "${tenantId}"` })) {
      if (wf.status.name === 'RUNNING') await temporal.client.workflow.getHandle(wf.workflowId).terminate('test finished').catch(() => undefined);
    }
  }
}

before(async () => {
  temporal = await temporalClient();
  database = await testDatabase('web');
  await ensureIndexes(database.db);
  platforms = await startTestPlatforms({ makeshopIntervalMs: 0 });
  await startStack();
  // TS-001 is the one sample item Smaregi also sells: 5 + 3 in the synced stores, 100 in the warehouse.
  await postJson(`${platforms.smaregi.baseUrl}/__sim/contracts`, {
    contractId: CONTRACT,
    users: [
      { email: `owner@${CONTRACT}.example`, password: 'sim-owner-password', isOwner: true },
      { email: 'staff@web-ui.example', password: 'staff-password-1', isOwner: false },
    ],
    stores: STORES,
    products: [{ productCode: 'TS-001', productName: 'ベーシックTシャツ 白' }],
    stock: [
      { storeId: '1', productCode: 'TS-001', amount: 5 },
      { storeId: '2', productCode: 'TS-001', amount: 3 },
      { storeId: '3', productCode: 'TS-001', amount: 100 },
    ],
  });
  await postJson(`${platforms.smaregi.baseUrl}/__sim/contracts`, { contractId: CONTRACT_WAITING, stores: STORES.slice(0, 1), products: [], stock: [] });
  await postJson(`${platforms.makeshop.baseUrl}/__sim/shops`, {
    ...SHOP,
    products: [{ systemCode: '000000000012', customCode: 'TS-001', name: 'ベーシックTシャツ 白', jan: '4901234567894', quantity: 0 }],
    options: [],
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', viewport: { width: 1180, height: 900 } });
  await routePublicAddressToApi(context);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: api.baseUrl });
  page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT_MS);
});

after(async () => {
  await browser?.close();
  if (temporal) await terminateTenantWorkflows();
  if (worker) {
    shutdownWorkers(worker.workers);
    await worker.done;
  }
  await api?.close();
  await platforms?.close();
  await database?.drop();
  await temporal?.connection.close();
  await temporal?.native.close();
});

describe('static files', TEST_TIMEOUT, () => {
  test('/ is the UI with a strict CSP; assets have their content types; nothing outside src/web is served', async () => {
    const index = await fetch(`${api.baseUrl}/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await index.text(), /<html lang="ja">/);

    const expected: [string, string][] = [
      ['/assets/app.js', 'text/javascript; charset=utf-8'],
      ['/assets/styles.css', 'text/css; charset=utf-8'],
      ['/assets/favicon.svg', 'image/svg+xml'],
    ];
    for (const [path, type] of expected) {
      const res = await fetch(`${api.baseUrl}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), type, path);
      const etag = res.headers.get('etag');
      assert.ok(etag, `${path} has an ETag`);
      assert.equal((await rawGet(api.baseUrl, path, { 'if-none-match': etag })).status, 304, `${path} revalidates`);
    }

    for (const path of ['/assets/../routes/web.ts', '/assets/..%2f..%2fapi%2fapp.ts', '/assets/%2e%2e%2findex.html', '/assets/nope.js', '/index.html', '/src/web/index.html', '/assets/']) {
      const res = await rawGet(api.baseUrl, path);
      assert.equal(res.status, 404, `${path} → ${res.status}`);
    }
    const api404 = await fetch(`${api.baseUrl}/api/v1/onboarding`);
    assert.equal(api404.status, 401, 'the API is still answered by the API');
  });
});

describe('a merchant sets up the shop in the browser', TEST_TIMEOUT, () => {
  test('sign-up shows the checklist with step 1 open until the contract is linked with スマレジID', async () => {
    await page.goto(`${api.baseUrl}/`);
    await page.getByRole('tab', { name: '新規登録' }).click();
    const form = page.locator('form[aria-labelledby="tab-signup"]');
    assert.equal(await form.getByLabel('スマレジの契約ID').count(), 0, 'no contract id is asked for: it proves nothing');
    await form.getByLabel('メールアドレス').fill(MERCHANT.email);
    await form.getByLabel('パスワード').fill(MERCHANT.password);
    await form.getByLabel('ショップ名').fill(MERCHANT.shopName);
    await form.getByRole('button', { name: '登録してはじめる' }).click();
    await page.getByRole('heading', { name: '初期設定', level: 1 }).waitFor();
    const onboarding = (await (await sessionFetch('/api/v1/onboarding')).json()) as { tenantId: string };
    tenantIds.push(onboarding.tenantId);

    assert.equal(await badgeOf('account').textContent(), '未完了');
    const account = step('account').locator('.step-body');
    assert.equal(await account.isVisible(), true, 'step 1 is the first open step');
    await screenshot('01-link-contract');

    // A staff member's スマレジID is refused: only the owner links the contract.
    await account.getByRole('link', { name: 'スマレジIDで連携する' }).click();
    await page.getByLabel('メールアドレス').fill('staff@web-ui.example');
    await page.getByLabel('パスワード').fill('staff-password-1');
    await page.getByRole('button', { name: 'ログイン' }).click();
    await page.getByRole('heading', { name: /契約のオーナーのスマレジIDだけです/ }).waitFor();
    await page.getByRole('link', { name: '管理画面に戻る' }).click();
    await page.getByRole('heading', { name: '初期設定', level: 1 }).waitFor();

    await linkContractInBrowser(page, { email: `owner@${CONTRACT}.example`, password: 'sim-owner-password' });
    await waitForBadge('account', '完了');
    assert.match((await step('account').locator('.step-detail').textContent()) ?? '', new RegExp(CONTRACT));
    for (const key of ['makeshopApplication', 'makeshopCredentials', 'orderImport', 'catalog', 'syncState']) {
      assert.equal(await badgeOf(key).textContent(), '未完了', key);
    }
    assert.match((await page.locator('.progress-summary').textContent()) ?? '', /6ステップ中 1 ステップ完了/);
    await screenshot('01b-checklist');
  });

  test('step 2: "already enabled" marks the MakeShop application done', async () => {
    const body = await openStep('makeshopApplication');
    await body.getByLabel('MakeShop の外部システム連携はすでに利用できる状態です').check();
    assert.equal(await body.getByLabel('ショップURL').isVisible(), false, 'the application form is hidden');
    await body.getByRole('button', { name: '有効化済みとして登録' }).click();
    await body.locator('.notice-success').first().waitFor();
    await waitForBadge('makeshopApplication', '完了');
  });

  test('step 3: a 13-character password shows the Japanese error; a 12-character one is saved', async () => {
    const body = await openStep('makeshopCredentials');
    const form = body.locator('form');
    await form.getByLabel('MakeShop 主管理者ID').fill(SHOP.accountId);
    await form.getByLabel('パスワード', { exact: true }).fill('abcdefghijklm');
    await form.getByLabel('注文データ連携認証コード').fill(SHOP.orderAuthCode);
    assert.match((await form.locator('.hint').nth(1).textContent()) ?? '', /12文字以内/);
    assert.match((await form.locator('.counter').textContent()) ?? '', /13文字（12文字を超えています）/);

    await form.getByRole('button', { name: '保存' }).click();
    await form.locator('.form-status .notice-error').getByText('赤く表示された項目の下に理由があります').waitFor();
    assert.equal(await form.getByLabel('パスワード', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.match((await form.locator('[data-field="password"] .field-error').textContent()) ?? '', /^MakeShopのパスワードは12文字以内で登録してください。/);
    assert.equal(await badgeOf('makeshopCredentials').textContent(), '未完了');
    await screenshot('02-password-error');

    await form.getByLabel('パスワード', { exact: true }).fill(SHOP.password);
    assert.match((await form.locator('.counter').textContent()) ?? '', /12 \/ 12文字/);
    await form.getByRole('button', { name: '保存' }).click();
    await form.locator('.form-status .notice-success').waitFor();
    await waitForBadge('makeshopCredentials', '完了');
    const summary = (await body.locator('.summary').textContent()) ?? '';
    assert.match(summary, new RegExp(`主管理者ID${SHOP.accountId}`));
    assert.match(summary, /パスワード登録済み/);
    assert.ok(!summary.includes(SHOP.password) && !summary.includes(SHOP.orderAuthCode), 'secrets are never shown');

    await body.getByRole('button', { name: '接続テスト' }).click();
    await body.locator('.side-panel .notice-success').getByText('MakeShopに接続できました。').waitFor();
  });

  test('step 4: the 更新通知 URL can be copied, and the shipment store is chosen', async () => {
    const body = await openStep('orderImport');
    const url = body.locator('#notification-url');
    await url.waitFor();
    const value = await url.inputValue();
    assert.match(value, /^https:\/\/zaiko\.example\.jp\/webhooks\/makeshop\/orders\/[^/?]+\?shopid=\[SHOPID\]&ordernum=\[ORDERNUM\]&cmd=\[CMD\]$/);
    await body.getByRole('button', { name: 'URLをコピー' }).click();
    await body.getByText('コピーしました').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), value);

    await body.getByLabel('出荷元店舗').selectOption('2');
    await body.getByRole('button', { name: '出荷元店舗を保存' }).click();
    await body.getByText('出荷元店舗を保存しました。').waitFor();
    await waitForBadge('orderImport', '完了');
    assert.match((await step('orderImport').locator('.step-detail').textContent()) ?? '', /出荷元店舗ID: 2/);
  });

  test('step 6 before the catalog: 稼働 is refused with the Japanese reason and what is still needed', async () => {
    const body = await openStep('syncState');
    await body.getByRole('button', { name: '稼働する' }).click();
    const error = body.locator('.form-status .notice-error');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /[ぁ-んァ-ン一-龥]/);
    const required = body.locator('.required-actions');
    assert.equal(await required.locator('.required-actions-title').textContent(), '稼働には下記の設定が必要です');
    assert.deepEqual(await dataKeys(required.locator('li')), ['catalog', 'stockSettings']);
    assert.match((await body.locator('.sync-state').textContent()) ?? '', /停止中/);
  });

  test('在庫連携する店舗: stores, a buffer and a per-code override are saved; a bad override names the field', async () => {
    const body = await openStep('stockSettings');
    await body.getByLabel('渋谷本店（店舗ID 1）').check();
    await body.getByLabel('梅田店（店舗ID 2）').check();
    await body.getByLabel('在庫バッファ（全商品）').fill('1');
    await body.getByRole('button', { name: '＋ 商品ごとのバッファを追加' }).click();
    await body.getByRole('textbox', { name: '商品コード' }).fill('TS-001');
    await body.getByRole('spinbutton', { name: 'バッファ', exact: true }).fill('-3');
    await body.getByRole('button', { name: '在庫連携の店舗を保存' }).click();
    await body.locator('[data-field="overrides"] .field-error').getByText('商品ごとの在庫バッファは0以上の整数で入力してください。').waitFor();
    await body.locator('.form-status .notice-error').waitFor();
    assert.equal(await badgeOf('stockSettings').textContent(), '未完了');

    await body.getByRole('spinbutton', { name: 'バッファ', exact: true }).fill('3');
    await body.getByRole('button', { name: '在庫連携の店舗を保存' }).click();
    await body.getByText('在庫連携の店舗を保存しました。').waitFor();
    await waitForBadge('stockSettings', '完了');
    const saved = (await (await sessionFetch('/api/v1/stock-settings')).json()) as unknown;
    assert.deepEqual(saved, { storeIds: ['1', '2'], buffer: 1, overrides: [{ code: 'TS-001', buffer: 3 }] });
    assert.deepEqual(await dataKeys(step('syncState').locator('.required-actions li')), ['catalog'], 'the 稼働 checklist follows the server');
  });

  test('step 5: both sample CSVs upload, the progress and the report are shown', async () => {
    const body = await openStep('catalog');
    await body.getByLabel('商品データCSV').setInputFiles({ name: 'products.csv', mimeType: 'text/csv', buffer: SAMPLE_PAIR.products });
    await body.getByRole('button', { name: 'アップロードして照合' }).click();
    await body.locator('.form-status .notice-error').waitFor();

    await body.getByLabel('オプションデータCSV').setInputFiles({ name: 'options.csv', mimeType: 'text/csv', buffer: SAMPLE_PAIR.options });
    await body.getByRole('button', { name: 'アップロードして照合' }).click();
    await body.locator('.upload-progress progress').waitFor();
    await body.locator('.report').waitFor({ timeout: 60_000 });
    const report = (await body.locator('.report').textContent()) ?? '';
    assert.match(report, /商品データの行数5/);
    assert.match(report, /オプションデータの行数4/);
    await screenshot('03-catalog-report');
  });

  test('step 6 with the catalog active: 稼働 starts the sync, all six steps are done, MakeShop gets the stock', async () => {
    await waitForBadge('catalog', '完了');
    const body = await openStep('syncState');
    assert.equal(await body.locator('.required-actions').count(), 0, 'nothing is left to do before 稼働');
    await body.getByRole('button', { name: '稼働する' }).click();
    await body.getByText('在庫連携を稼働しました。').waitFor();
    await body.locator('.sync-state').getByText('稼働中').waitFor();
    await waitForBadge('syncState', '完了');
    assert.match((await page.locator('.progress-summary').textContent()) ?? '', /6ステップ中 6 ステップ完了/);
    assert.equal(await body.getByRole('button', { name: '停止する' }).isVisible(), true);
    // Stores 1 and 2 only (5 + 3), minus the TS-001 override buffer of 3.
    await eventually(async () => assert.equal(await makeshopQuantity('TS-001'), 5));
  });

  test('連携状況 shows the state, the dry run and the log of the push; 再同期 is accepted', async () => {
    await page.getByRole('link', { name: '連携状況' }).click();
    await page.getByRole('heading', { name: '連携状況', level: 1 }).waitFor();
    await page.getByRole('heading', { name: '概要' }).waitFor();
    assert.match((await page.locator('.stats').first().textContent()) ?? '', /稼働中/);
    const preview = page.locator('section', { has: page.getByRole('heading', { name: '次に送る在庫（試算）' }) });
    const log = page.locator('section', { has: page.getByRole('heading', { name: '連携の記録（新しい順）' }) });
    // The push may still be recording itself: read the screen again until it shows.
    await eventually(async () => {
      await page.getByRole('button', { name: '最新の情報に更新' }).click();
      await page.getByRole('button', { name: '最新の情報に更新' }).and(page.locator(':enabled')).waitFor();
      const previewCells = await preview.locator('tbody tr', { hasText: 'TS-001' }).locator('td').allTextContents();
      assert.deepEqual(previewCells.slice(0, 6), ['TS-001', '8', '3', '0', '5', '5'], 'total, buffer, reserved, target, last pushed');
      assert.equal(previewCells[6], '—', 'MakeShop now: the legacy API cannot read stock');
      const pushCells = await log.locator('tbody tr', { hasText: 'TS-001' }).first().locator('td').allTextContents();
      assert.equal(pushCells[1], '在庫送信');
      assert.equal(pushCells[2], 'TS-001');
      assert.match(pushCells[4] ?? '', /→ 5$/);
      assert.equal(pushCells[5], '成功');
    });

    await page.getByRole('button', { name: '再同期（全商品の在庫を送り直す）' }).click();
    await page.getByText('再同期を受け付けました。まもなく全商品の在庫を MakeShop に送り直します。').waitFor();
    await screenshot('04-status');
  });

  test('logout returns to the login screen; a wrong password is refused in Japanese; the right one logs in to 連携状況', async (t) => {
    await page.getByRole('button', { name: 'ログアウト' }).click();
    const form = page.locator('form[aria-labelledby="tab-login"]');
    await form.waitFor();
    assert.equal((await sessionFetch('/api/v1/onboarding')).status, 401, 'the session is revoked');

    await form.getByLabel('メールアドレス').fill(MERCHANT.email);
    await form.getByLabel('パスワード').fill('wrong-password');
    // Hold the answer back to see the button disabled while the request runs.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/v1/sessions', async (route) => {
      await held;
      await route.continue();
    });
    const button = form.getByRole('button', { name: 'ログイン' });
    await button.click();
    await form.locator('button[type="submit"]:disabled').waitFor();
    release();
    await form.locator('.notice-error').getByText('メールアドレスまたはパスワードが正しくありません。').waitFor();
    assert.equal(await button.isDisabled(), false);
    await page.unroute('**/api/v1/sessions');

    await form.getByLabel('パスワード').fill(MERCHANT.password);
    await button.click();
    await page.getByRole('heading', { name: '連携状況', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).hash, '#/status', 'set-up is complete, so the merchant lands on 連携状況');
    await page.getByRole('link', { name: '初期設定' }).click();
    await waitForBadge('makeshopCredentials', '完了');
    const shot = await screenshot('05-after-login');
    t.diagnostic(`screenshots in ${screenshots} (last: ${shot})`);
  });

  test('スマレジIDでログイン: the contract owner logs in through スマレジID and lands on 初期設定', async () => {
    const before = (await (await sessionFetch('/api/v1/onboarding')).json()) as { tenantId: string };
    await page.getByRole('button', { name: 'ログアウト' }).click();
    await page.locator('form[aria-labelledby="tab-login"]').waitFor();
    await page.getByRole('link', { name: 'スマレジIDでログイン' }).click();
    await page.getByRole('heading', { name: 'スマレジID ログイン' }).waitFor();
    await page.getByLabel('メールアドレス').fill(`owner@${CONTRACT}.example`);
    await page.getByLabel('パスワード').fill('sim-owner-password');
    await page.getByRole('button', { name: 'ログイン' }).click();
    await page.getByRole('heading', { name: '初期設定', level: 1 }).waitFor();
    const after = (await (await sessionFetch('/api/v1/onboarding')).json()) as { tenantId: string };
    assert.equal(after.tenantId, before.tenantId);
    await screenshot('06-smaregi-id-login');
  });
});

describe('a merchant whose MakeShop application is under review', TEST_TIMEOUT, () => {
  test('a bad shop URL is refused in Japanese; the corrected form waits for review and step 3 says to wait; the makeshop app links the shop instead', async () => {
    const reviewContext = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', viewport: { width: 1180, height: 900 } });
    await routePublicAddressToApi(reviewContext);
    const reviewPage = await reviewContext.newPage();
    reviewPage.setDefaultTimeout(UI_TIMEOUT_MS);
    try {
      await reviewPage.goto(`${api.baseUrl}/`);
      await reviewPage.getByRole('tab', { name: '新規登録' }).click();
      const signup = reviewPage.locator('form[aria-labelledby="tab-signup"]');
      await signup.getByLabel('メールアドレス').fill('web-ui-review@example.jp');
      await signup.getByLabel('パスワード').fill(MERCHANT.password);
      await signup.getByLabel('ショップ名').fill('審査待ち商店');
      await signup.getByRole('button', { name: '登録してはじめる' }).click();
      await reviewPage.getByRole('heading', { name: '初期設定', level: 1 }).waitFor();
      const onboarding = (await (await reviewPage.request.get(`${api.baseUrl}/api/v1/onboarding`)).json()) as { tenantId: string };
      tenantIds.push(onboarding.tenantId);
      await linkContractInBrowser(reviewPage, { email: `owner@${CONTRACT_WAITING}.example`, password: 'sim-owner-password' });

      const application = reviewPage.locator('li.step[data-step="makeshopApplication"] .step-body');
      assert.equal(await application.isVisible(), true, 'the first open step is expanded');
      await application.getByLabel('ショップ名').fill('審査待ち商店');
      await application.getByLabel('利用者名').fill('山田太郎');
      await application.getByLabel('ショップID').fill('reviewshop');
      await application.getByLabel('ショップURL').fill('www.review-shop.example.jp');
      await application.getByRole('button', { name: '利用申請を送信' }).click();
      await application.locator('[data-field="shopUrl"] .field-error').getByText('適用中', { exact: false }).waitFor();

      await application.getByLabel('ショップURL').fill('https://www.review-shop.example.jp/');
      await application.getByRole('button', { name: '利用申請を送信' }).click();
      await application.getByText('利用申請を送信しました。').waitFor();
      const badge = reviewPage.locator('li.step[data-step="makeshopApplication"] .step-badge .badge');
      await badge.filter({ hasText: /^審査待ち$/ }).waitFor();
      assert.match((await reviewPage.locator('li.step[data-step="makeshopApplication"] .step-detail').textContent()) ?? '', /MakeShopの審査待ちです/);

      const credentials = (await openStep('makeshopCredentials', reviewPage)).locator('form');
      await credentials.getByLabel('MakeShop 主管理者ID').fill('reviewshop');
      await credentials.getByLabel('パスワード', { exact: true }).fill('short-pass');
      await credentials.getByLabel('注文データ連携認証コード').fill('0123456789abcdef');
      await credentials.getByRole('button', { name: '保存' }).click();
      await credentials.locator('.form-status .notice-error').getByText('MakeShopの審査が完了してから登録してください').waitFor();
      await reviewPage.screenshot({ path: join(screenshots, '06-waiting-for-review.png'), fullPage: true });

      // Rather than wait for the review, the merchant connects through the makeshop app.
      await postJson(`${platforms.makeshop.baseUrl}/__sim/shops`, { shopId: 'reviewshop', accountId: 'reviewshop', password: 'pw', orderAuthCode: 'c', products: [], options: [] });
      await postJson(`${platforms.makeshop.baseUrl}/__sim/apps`, { installUrl: `${api.baseUrl}/webhooks/makeshop/apps/install` }, 'PUT');
      await application.getByLabel('makeshop アプリで連携（推奨）').check();
      assert.equal(await application.getByLabel('ショップURL').isVisible(), false, 'the legacy form is hidden');
      await application.getByLabel('アプリで連携するショップのID').fill('reviewshop');
      await application.getByRole('button', { name: 'makeshop アプリで連携する' }).click();
      await application.getByText('アプリはまだインストールされていません').waitFor();
      const installed = await postJson(`${platforms.makeshop.baseUrl}/__sim/shops/reviewshop/apps/install`, {});
      assert.deepEqual(installed, { status: 'installed', httpStatus: 200 }, JSON.stringify(await getJson(`${platforms.makeshop.baseUrl}/__sim/apps/webhooks`)));
      await application.getByRole('button', { name: '連携状態を更新' }).click();
      await application.getByText('アプリはインストール済みです').waitFor();
      // Opening the app from the MakeShop admin while logged in links it and comes back to 初期設定.
      const { url: launchUrl } = await getJson<{ url: string }>(`${platforms.makeshop.baseUrl}/__sim/shops/reviewshop/apps/launch-url`);
      await reviewPage.goto(launchUrl);
      await reviewPage.getByRole('heading', { name: '初期設定', level: 1 }).waitFor();
      await reviewPage.locator('li.step[data-step="makeshopApplication"] .step-badge').getByText('完了').waitFor();
      assert.match((await reviewPage.locator('li.step[data-step="makeshopCredentials"] .step-detail').textContent()) ?? '', /不要/);
      const linked = await openStep('makeshopApplication', reviewPage);
      await linked.getByText('makeshop アプリで連携済みです。').waitFor();
      const catalogStep = await openStep('catalog', reviewPage);
      assert.equal(await catalogStep.getByRole('button', { name: 'MakeShop から商品を取り込む' }).isVisible(), true);
      await reviewPage.screenshot({ path: join(screenshots, '07-makeshop-app-linked.png'), fullPage: true });
    } finally {
      await reviewContext.close();
    }
  });
});

describe('step 5 against the DESIGN §5 answers (catalog API stubbed inside the browser)', TEST_TIMEOUT, () => {
  const REPORT = {
    productRows: 5,
    optionRows: 4,
    stockItems: 8,
    matched: 5,
    unmatched: 1,
    conflicts: 1,
    unlimited: 1,
    errors: [{ file: 'productCsv', line: 7, message: '数量「たくさん」は数値ではありません。0以上の整数か空欄にしてください。' }],
    errorCount: 1,
  };
  const ITEMS = {
    unmatched: [{ source: 'product', systemCode: '000000000016', customCode: 'MUG-02 ', jan: '', name: 'マグカップ', quantity: 4, status: 'unmatched', smaregiProductCode: null, conflictReasons: [] }],
  };

  test('the progress bar moves, then the report with its error table and the items by status appear', async () => {
    const stubPage = await context.newPage();
    stubPage.setDefaultTimeout(UI_TIMEOUT_MS);
    let release: () => void = () => undefined;
    const processed = new Promise<void>((resolve) => (release = resolve));
    let uploadBody = '';
    let activated = false;
    await stubPage.route('**/api/v1/catalog/uploads', async (route) => {
      uploadBody = route.request().postDataBuffer()?.toString('latin1') ?? '';
      await route.fulfill({ status: 202, contentType: 'application/json', body: JSON.stringify({ uploadId: 'up-1' }) });
    });
    await stubPage.route('**/api/v1/catalog/uploads/up-1', async (route) => {
      const done = await Promise.race([processed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 50))]);
      activated ||= done;
      const body = done
        ? { status: 'succeeded', progress: { percent: 100, rows: 9 }, report: REPORT }
        : { status: 'processing', progress: { percent: 40, rows: 2, file: 'productCsv' }, report: null };
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    });
    await stubPage.route('**/api/v1/catalog', (route) =>
      activated
        ? route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ version: 1, activatedAt: '2025-11-27T01:00:00.000Z', counts: { matched: 5, unmatched: 1, conflicts: 1, unlimited: 1 } }) })
        : route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'not_found', message: '有効な商品データはまだありません。' } }) }),
    );
    await stubPage.route('**/api/v1/catalog/items?*', async (route) => {
      const status = new URL(route.request().url()).searchParams.get('status') as keyof typeof ITEMS;
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ items: ITEMS[status] ?? [], total: ITEMS[status]?.length ?? 0 }) });
    });
    try {
      await stubPage.goto(`${api.baseUrl}/#/setup`);
      const body = await openStep('catalog', stubPage);
      await body.getByText('まだ有効な商品データはありません。').waitFor();
      await body.getByLabel('商品データCSV').setInputFiles({ name: 'products.csv', mimeType: 'text/csv', buffer: SAMPLE_PAIR.products });
      await body.getByLabel('オプションデータCSV').setInputFiles({ name: 'options.csv', mimeType: 'text/csv', buffer: SAMPLE_PAIR.options });
      const submit = body.getByRole('button', { name: 'アップロードして照合' });
      await submit.click();

      await body.getByText('取り込み中…　40%　商品データCSV　2 行').waitFor();
      assert.equal(await body.locator('.upload-progress progress').getAttribute('value'), '40');
      assert.equal(await submit.isDisabled(), true, 'the button stays disabled while the import runs');
      assert.match(uploadBody, /name="productCsv"; filename="products.csv"/);
      assert.match(uploadBody, /name="optionCsv"; filename="options.csv"/);
      await stubPage.screenshot({ path: join(screenshots, '07-catalog-progress.png'), fullPage: true });
      release();

      const report = body.locator('.report');
      await report.waitFor();
      assert.match((await report.textContent()) ?? '', /商品データの行数5オプションデータの行数4在庫連携の対象8一致5不一致1競合1在庫無制限1/);
      const errorRow = report.locator('tbody tr').first();
      assert.deepEqual(await errorRow.locator('td').allTextContents(), ['商品データCSV', '7', REPORT.errors[0]!.message]);
      await body.getByText('商品データを取り込み、有効にしました。').waitFor();
      await body.getByRole('heading', { name: /有効な商品データ（バージョン 1、2025\/11\/27 10:00:00 に有効化）/ }).waitFor();

      await body.getByRole('tab', { name: '不一致（1）' }).click();
      await body.locator('.items-browser tbody tr').first().waitFor();
      assert.match((await body.locator('.items-browser tbody').textContent()) ?? '', /MUG-02␣/);
      await stubPage.screenshot({ path: join(screenshots, '08-catalog-report.png'), fullPage: true });
    } finally {
      await stubPage.close();
    }
  });
});
