import { sampleCsv } from '../support/samples';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { XMLParser } from 'fast-xml-parser';
import iconv from 'iconv-lite';
import { createLogger } from '../../src/lib/logger';
import { OPTION_CSV_COLUMNS, PRODUCT_CSV_COLUMNS } from '../../src/platforms/makeshop/csv-columns';
import { type RunningMakeshopSimulator, startMakeshopSimulator } from '../../src/simulators/makeshop/harness';
import type { CallLogEntry, NotificationLogEntry } from '../../src/simulators/makeshop/shop';

/**
 * Conformance of the MakeShop simulator with reference/makeshop-api.md, one test per documented
 * behaviour (section numbers in the names), then the control API of DESIGN §6.
 */
const logger = createLogger('makeshop-sim-test', 'silent');
const xml = new XMLParser({
  ignoreDeclaration: true,
  parseTagValue: false,
  trimValues: false,
  isArray: (name) => name === 'order' || name === 'commodity',
});

let sim: RunningMakeshopSimulator;
/** Moves the simulator's clock; only ever forward, as a real clock does. */
let clockOffsetMs = 0;
let shopCounter = 0;

before(async () => {
  // No interval here: these tests call one at a time; the rule has its own simulator below.
  sim = await startMakeshopSimulator({ minIntervalMs: 0, logger, now: () => Date.now() + clockOffsetMs });
});
after(async () => {
  await sim.close();
});

interface Shop {
  shopId: string;
  accountId: string;
  password: string;
  orderAuthCode: string;
}

/** The sample shop of test/fixtures/makeshop-samples, under a fresh shop ID. */
async function seedSampleShop(base = sim.baseUrl, extra: Record<string, unknown> = {}): Promise<Shop> {
  shopCounter += 1;
  const shop = { shopId: `s${shopCounter}`, accountId: `a${shopCounter}`, password: 'pass-word', orderAuthCode: `code-${shopCounter}` };
  const response = await post(`${base}/__sim/shops`, {
    ...shop,
    ...extra,
    products: [
      { systemCode: '000000000012', customCode: 'TS-001', name: 'ベーシックTシャツ 白', jan: '4901234567894', quantity: 25, price: 3000, categoryPath: 'メンズ\\Tシャツ' },
      { systemCode: '000000000013', customCode: 'SH-100', name: 'ロゴスウェット', jan: '', quantity: null, price: 5800, categoryPath: 'メンズ\\スウェット', optionNames: ['カラー', 'サイズ'] },
      { systemCode: '000000000014', customCode: 'BG-7', name: 'トートバッグ, キャンバス', jan: '4901234567900', quantity: 0, price: 2200, categoryPath: '雑貨' },
      { systemCode: '000000000015', customCode: 'CAP-01', name: 'キャップ（在庫管理なし）', jan: '', quantity: null, price: 1800, categoryPath: '雑貨' },
      { systemCode: '000000000016', customCode: 'MUG-02 ', name: 'マグカップ', jan: '4580000000017', quantity: 12, price: 1500, categoryPath: '雑貨\\食器' },
    ],
    options: [
      { systemCode: '000000000013', optionCode: 'SH-100-BK-M', option1: 'ブラック', option2: 'M', jan: '4901234567801', quantity: 3, price: 5800 },
      { systemCode: '000000000013', optionCode: 'SH-100-BK-L', option1: 'ブラック', option2: 'L', jan: '4901234567818', quantity: 0, price: 5800 },
      { systemCode: '000000000013', optionCode: 'SH-100-GY-M', option1: 'グレー', option2: 'M', jan: '4901234567825', quantity: 7, price: 5800 },
      { systemCode: '000000000013', optionCode: 'SH-100-GY-L', option1: 'グレー', option2: 'L', jan: '', quantity: 2, price: 6000 },
    ],
  });
  assert.equal(response.status, 201, await response.clone().text());
  return shop;
}

function post(url: string, body: unknown, method = 'POST'): Promise<Response> {
  return fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function getJson<T>(path: string, base = sim.baseUrl): Promise<T> {
  return (await fetch(`${base}${path}`)).json() as Promise<T>;
}

type StockRow = { systemCode: string; customCode: string; optionCode: string | null; jan: string; quantity: number | null };
const stockOf = (shop: Shop) => getJson<StockRow[]>(`/__sim/shops/${shop.shopId}/stock`);
const quantityOf = async (shop: Shop, customCode: string, optionCode: string | null = null) =>
  (await stockOf(shop)).find((row) => row.customCode === customCode && row.optionCode === optionCode)?.quantity;

async function webftpKey(shop: Shop, base = sim.baseUrl): Promise<{ url: string; key: string }> {
  const response = await fetch(`${base}/api/webftp/index.html`, { method: 'POST', body: new URLSearchParams({ id: shop.accountId, pw: shop.password }) });
  const [url, key] = (await response.text()).split('\n');
  return { url: url!, key: key! };
}

async function upload(shop: Shop, dest: string, csv: Buffer): Promise<string[]> {
  const { url, key } = await webftpKey(shop);
  return (await uploadWithKey(url, key, dest, csv)).split('\n');
}

async function uploadWithKey(url: string, key: string, dest: string, csv: Buffer | undefined): Promise<string> {
  const form = new FormData();
  form.append('key', key);
  form.append('src', '1');
  form.append('dest', dest);
  if (csv) form.append('upload_file', new Blob([csv]), 'upload.csv');
  return (await fetch(url, { method: 'POST', body: form })).text();
}

/** A CSV of the given format with only the named cells filled, CP932 + CRLF. */
function csvOf(columns: readonly string[], rows: Record<string, string>[], encoding = 'cp932'): Buffer {
  const lines = [columns.join(','), ...rows.map((row) => columns.map((column) => row[column] ?? '').join(','))];
  return iconv.encode(lines.join('\r\n') + '\r\n', encoding);
}
const productCsv = (rows: Record<string, string>[]) => csvOf(PRODUCT_CSV_COLUMNS, rows);
const optionCsv = (rows: Record<string, string>[]) => csvOf(OPTION_CSV_COLUMNS, rows);

async function orderinfo(params: Record<string, string>, base = sim.baseUrl): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}/api/orderinfo/index.html?${new URLSearchParams({ cmd: 'get', service: 'test', ...params })}`);
  return { status: response.status, body: xml.parse(await response.text()) as Record<string, unknown> };
}

type XmlOrder = { ordernum: string; status: string; date: string; orderdetail: { commodities: { commodity: Record<string, string>[] } } };
const ordersIn = (body: Record<string, unknown>) => ((body.orders as { order?: XmlOrder[] } | undefined)?.order ?? []);
const placeOrder = async (shop: Shop, body: unknown, base = sim.baseUrl) => {
  const response = await post(`${base}/__sim/shops/${shop.shopId}/orders`, body);
  assert.equal(response.status, 201, await response.clone().text());
  return ((await response.json()) as { orderNumber: string }).orderNumber;
};

void describe('§6 webftp step 1: POST /api/webftp/index.html with id / pw', () => {
  void test('main admin id + password → upload URL on line 1, one-time key on line 2', async () => {
    const shop = await seedSampleShop();
    const { url, key } = await webftpKey(shop);
    assert.equal(url, `${sim.baseUrl}/api/webftp/upload.html`);
    assert.match(key, /^[0-9a-f]{32}$/);
  });

  void test('wrong password or unknown id → FAILURE', async () => {
    const shop = await seedSampleShop();
    for (const form of [{ id: shop.accountId, pw: 'wrong' }, { id: 'nobody', pw: shop.password }]) {
      const response = await fetch(`${sim.baseUrl}/api/webftp/index.html`, { method: 'POST', body: new URLSearchParams(form) });
      assert.equal(await response.text(), 'FAILURE');
    }
  });
});

void describe('§6 webftp step 2 and §7: the CSV upload', () => {
  void test('dest=1 row keyed by 独自商品コード (商品特定コード指定 1) sets 数量; reply: 5 tab-separated lines, total on line 2, success on line 3', async () => {
    const shop = await seedSampleShop();
    const reply = await upload(shop, '1', productCsv([{ 商品特定コード指定: '1', 独自商品コード: 'MUG-02 ', 数量: '40' }]));
    assert.deepEqual(reply.slice(0, 5), ['RESULT\tOK', 'TOTAL\t1', 'SUCCESS\t1', 'FAILURE\t0', 'ERROR']);
    assert.equal(await quantityOf(shop, 'MUG-02 '), 40);
  });

  void test('商品特定コード指定 0 matches the 12-digit システム商品コード, leading zeros included', async () => {
    const shop = await seedSampleShop();
    const reply = await upload(shop, '1', productCsv([
      { 商品特定コード指定: '0', システム商品コード: '000000000012', 数量: '3' },
      { 商品特定コード指定: '0', システム商品コード: '12', 数量: '4' },
    ]));
    assert.deepEqual(reply.slice(1, 3), ['TOTAL\t2', 'SUCCESS\t1']);
    assert.equal(reply[4], 'ERROR\t3:システム商品コード 12 の商品がありません');
    assert.equal(await quantityOf(shop, 'TS-001'), 3);
  });

  void test('a blank 数量 makes the item unmanaged (unlimited, null) — the reason clients must never send one', async () => {
    const shop = await seedSampleShop();
    await upload(shop, '1', productCsv([{ 商品特定コード指定: '1', 独自商品コード: 'TS-001', 数量: '' }]));
    assert.equal(await quantityOf(shop, 'TS-001'), null);
  });

  void test('the header row is ignored, but every data row must have the current column count', async () => {
    const shop = await seedSampleShop();
    const cells = PRODUCT_CSV_COLUMNS.map((column) => ({ 商品特定コード指定: '1', 独自商品コード: 'BG-7', 数量: '6' })[column as string] ?? '');
    const text = ['any,header', cells.join(','), cells.slice(0, 76).join(',')].join('\r\n') + '\r\n';
    const reply = await upload(shop, '1', iconv.encode(text, 'cp932'));
    assert.deepEqual(reply.slice(1, 5), ['TOTAL\t2', 'SUCCESS\t1', 'FAILURE\t1', 'ERROR\t3:3行目 項目数が一致しません']);
    assert.equal(await quantityOf(shop, 'BG-7'), 6);
  });

  void test('an unknown key fails that row only; a bad 数量 fails its row', async () => {
    const shop = await seedSampleShop();
    const reply = await upload(shop, '1', productCsv([
      { 商品特定コード指定: '1', 独自商品コード: 'MUG-02', 数量: '1' },
      { 商品特定コード指定: '1', 独自商品コード: 'TS-001', 数量: '-3' },
      { 商品特定コード指定: '1', 独自商品コード: 'BG-7', 数量: '8' },
    ]));
    assert.deepEqual(reply.slice(1, 5), [
      'TOTAL\t3',
      'SUCCESS\t1',
      'FAILURE\t2',
      'ERROR\t2:独自商品コード MUG-02 の商品がありません\t3:数量が不正です (-3)',
    ]);
    assert.deepEqual([await quantityOf(shop, 'MUG-02 '), await quantityOf(shop, 'TS-001'), await quantityOf(shop, 'BG-7')], [12, 25, 8]);
  });

  void test('商品特定コード指定 0 with a blank システム商品コード registers a new product', async () => {
    const shop = await seedSampleShop();
    await upload(shop, '1', productCsv([{ 商品特定コード指定: '0', 独自商品コード: 'NEW-1', 商品名: '新商品', 数量: '2' }]));
    const created = (await stockOf(shop)).find((row) => row.customCode === 'NEW-1');
    assert.deepEqual(created, { systemCode: '000000000017', customCode: 'NEW-1', optionCode: null, jan: '', quantity: 2 });
  });

  void test('dest=2 matches the variation by オプション独自コード (指定 0) or by オプション1項目 + オプション2項目 (指定 1)', async () => {
    const shop = await seedSampleShop();
    const reply = await upload(shop, '2', optionCsv([
      { 商品特定コード指定: '1', オプション特定コード指定: '0', 独自商品コード: 'SH-100', オプション独自コード: 'SH-100-GY-M', 数量: '5' },
      { 商品特定コード指定: '0', オプション特定コード指定: '1', システム商品コード: '000000000013', オプション1項目: 'ブラック', オプション2項目: 'L', 数量: '9' },
      { 商品特定コード指定: '1', オプション特定コード指定: '0', 独自商品コード: 'SH-100', オプション独自コード: 'SH-100-XX', 数量: '1' },
    ]));
    assert.deepEqual(reply.slice(1, 5), ['TOTAL\t3', 'SUCCESS\t2', 'FAILURE\t1', 'ERROR\t4:商品 000000000013 に該当するオプションがありません']);
    assert.equal(await quantityOf(shop, 'SH-100', 'SH-100-GY-M'), 5);
    assert.equal(await quantityOf(shop, 'SH-100', 'SH-100-BK-L'), 9);
  });

  void test('uploads are read as CP932: a UTF-8 file does not match Japanese codes', async () => {
    const shop = await seedSampleShop();
    await post(`${sim.baseUrl}/__sim/shops`, {
      ...shop,
      products: [{ systemCode: '000000000001', customCode: '和-1', name: '和', jan: '', quantity: 1 }],
      options: [],
    });
    const row = { 商品特定コード指定: '1', 独自商品コード: '和-1', 数量: '5' };
    assert.equal((await upload(shop, '1', csvOf(PRODUCT_CSV_COLUMNS, [row], 'utf8')))[2], 'SUCCESS\t0');
    assert.equal((await upload(shop, '1', csvOf(PRODUCT_CSV_COLUMNS, [row])))[2], 'SUCCESS\t1');
  });

  void test('the key is one-time and expires; an unknown dest or a missing file → FAILURE', async () => {
    const shop = await seedSampleShop();
    const csv = productCsv([{ 商品特定コード指定: '1', 独自商品コード: 'TS-001', 数量: '1' }]);
    const first = await webftpKey(shop);
    assert.match(await uploadWithKey(first.url, first.key, '1', csv), /^RESULT/);
    assert.equal(await uploadWithKey(first.url, first.key, '1', csv), 'FAILURE');
    const late = await webftpKey(shop);
    clockOffsetMs += 6 * 60 * 1000;
    assert.equal(await uploadWithKey(late.url, late.key, '1', csv), 'FAILURE');
    const wrongDest = await webftpKey(shop);
    assert.equal(await uploadWithKey(wrongDest.url, wrongDest.key, '3', csv), 'FAILURE');
    const noFile = await webftpKey(shop);
    assert.equal(await uploadWithKey(noFile.url, noFile.key, '1', undefined), 'FAILURE');
  });
});

void describe('§3 orderinfo: GET|POST /api/orderinfo/index.html, cmd=get', () => {
  void test('ordernum → <orders><order> with the documented elements; codes and amount per line', async () => {
    const shop = await seedSampleShop();
    const orderNumber = await placeOrder(shop, { lines: [{ code: 'SH-100-BK-M', quantity: 2 }, { code: 'MUG-02 ', quantity: 1 }], orderedAt: '2024-05-01T03:04:05Z' });
    const { status, body } = await orderinfo({ shopid: shop.shopId, token: shop.orderAuthCode, ordernum: orderNumber });
    assert.equal(status, 200);
    const [order] = ordersIn(body);
    assert.equal(order?.ordernum, orderNumber);
    assert.match(orderNumber, /^[0-9A-Za-z]{1,26}$/);
    assert.equal(order?.status, '1');
    assert.equal(order?.date, '2024-05-01 12:04:05', 'Japan time');
    const lines = order?.orderdetail.commodities.commodity ?? [];
    assert.deepEqual(
      lines.map((line) => [line.brandcode, line.orgcode, line.orgoptioncode, line.jancode, line.amount, line.option]),
      [
        ['000000000013', 'SH-100', 'SH-100-BK-M', '4901234567801', '2', 'カラー:ブラック,サイズ:M'],
        ['000000000016', 'MUG-02 ', '', '4580000000017', '1', ''],
      ],
    );
  });

  void test('no matching order → <orders><message> instead of orders', async () => {
    const shop = await seedSampleShop();
    const { body } = await orderinfo({ shopid: shop.shopId, token: shop.orderAuthCode, ordernum: 'PB404' });
    const orders = body.orders as Record<string, unknown>;
    assert.equal(orders.message, '該当する注文情報はありません');
    assert.equal(orders.order, undefined);
  });

  void test('a cancelled order is left out unless canceled=1, and then has status 0', async () => {
    const shop = await seedSampleShop();
    const orderNumber = await placeOrder(shop, { lines: [{ code: 'TS-001', quantity: 1 }] });
    assert.equal((await post(`${sim.baseUrl}/__sim/shops/${shop.shopId}/orders/${orderNumber}/cancel`, {})).status, 200);
    const auth = { shopid: shop.shopId, token: shop.orderAuthCode, ordernum: orderNumber };
    assert.deepEqual(ordersIn((await orderinfo({ ...auth, canceled: '0' })).body), []);
    assert.equal(ordersIn((await orderinfo({ ...auth, canceled: '1' })).body)[0]?.status, '0');
  });

  void test('a provisional order (仮注文) has status 99', async () => {
    const shop = await seedSampleShop();
    const orderNumber = await placeOrder(shop, { lines: [{ code: 'TS-001', quantity: 1 }], provisional: true });
    assert.equal(ordersIn((await orderinfo({ shopid: shop.shopId, token: shop.orderAuthCode, ordernum: orderNumber })).body)[0]?.status, '99');
  });

  void test('start / end (yyyymmddhhmmss, Japan time) select by order time, both ends inclusive', async () => {
    const shop = await seedSampleShop();
    const numbers = [];
    for (const at of ['2024-05-01T09:59:59+09:00', '2024-05-01T10:00:00+09:00', '2024-05-01T10:30:00.900+09:00', '2024-05-01T10:30:01+09:00']) {
      numbers.push(await placeOrder(shop, { lines: [{ code: 'CAP-01', quantity: 1 }], orderedAt: at }));
    }
    const { body } = await orderinfo({ shopid: shop.shopId, token: shop.orderAuthCode, start: '20240501100000', end: '20240501103000' });
    assert.deepEqual(ordersIn(body).map((order) => order.ordernum), numbers.slice(1, 3));
  });

  void test('at most 100 orders per response, oldest first', async () => {
    const shop = await seedSampleShop();
    const base = Date.parse('2024-06-01T00:00:00+09:00');
    const numbers = [];
    for (let i = 0; i < 120; i++) {
      numbers.push(await placeOrder(shop, { lines: [{ code: 'CAP-01', quantity: 1 }], orderedAt: new Date(base + (119 - i) * 1000).toISOString() }));
    }
    const { body } = await orderinfo({ shopid: shop.shopId, token: shop.orderAuthCode, start: '20240601000000', end: '20240601235959' });
    const orders = ordersIn(body);
    assert.equal(orders.length, 100);
    assert.deepEqual(orders.map((order) => order.ordernum), numbers.slice(20).reverse());
  });

  void test('without ordernum, start or end: the orders changed since the previous such call', async () => {
    const shop = await seedSampleShop();
    const auth = { shopid: shop.shopId, token: shop.orderAuthCode };
    const first = await placeOrder(shop, { lines: [{ code: 'CAP-01', quantity: 1 }] });
    assert.deepEqual(ordersIn((await orderinfo(auth)).body).map((order) => order.ordernum), [first]);
    assert.deepEqual(ordersIn((await orderinfo(auth)).body), []);
    clockOffsetMs += 5;
    const second = await placeOrder(shop, { lines: [{ code: 'CAP-01', quantity: 1 }] });
    assert.deepEqual(ordersIn((await orderinfo(auth)).body).map((order) => order.ordernum), [second]);
  });

  void test('POST with a form body answers like GET', async () => {
    const shop = await seedSampleShop();
    const orderNumber = await placeOrder(shop, { lines: [{ code: 'TS-001', quantity: 1 }] });
    const response = await fetch(`${sim.baseUrl}/api/orderinfo/index.html`, {
      method: 'POST',
      body: new URLSearchParams({ cmd: 'get', shopid: shop.shopId, token: shop.orderAuthCode, ordernum: orderNumber }),
    });
    assert.equal(ordersIn(xml.parse(await response.text()) as Record<string, unknown>)[0]?.ordernum, orderNumber);
  });

  void test('errors: <response><code>: 101 wrong token or shop, 102 注文データ連携 not enabled, 103 bad parameters', async () => {
    const shop = await seedSampleShop();
    const disabled = await seedSampleShop(sim.baseUrl, { externalIntegrationEnabled: false });
    const codeOf = async (params: Record<string, string>) => ((await orderinfo(params)).body.response as { code: string }).code;
    assert.equal(await codeOf({ shopid: shop.shopId, token: 'wrong', ordernum: 'A1' }), '101');
    assert.equal(await codeOf({ shopid: 'nobody', token: shop.orderAuthCode, ordernum: 'A1' }), '101');
    assert.equal(await codeOf({ shopid: disabled.shopId, token: disabled.orderAuthCode, ordernum: 'A1' }), '102');
    assert.equal(await codeOf({ shopid: shop.shopId, token: shop.orderAuthCode, start: '2024-05-01' }), '103');
    assert.equal(await codeOf({ shopid: shop.shopId, token: shop.orderAuthCode, ordernum: 'too-long-'.repeat(4) }), '103');
  });
});

void describe('§2.2 one request at a time and 1 request per second, per shop', () => {
  let ruled: RunningMakeshopSimulator;
  before(async () => {
    ruled = await startMakeshopSimulator({ minIntervalMs: 200, logger });
  });
  after(async () => {
    await ruled.close();
  });

  void test('a request within the interval is refused (HTTP 429, code 109); after the interval it is accepted', async () => {
    const shop = await seedSampleShop(ruled.baseUrl);
    const params = { shopid: shop.shopId, token: shop.orderAuthCode, ordernum: 'A1' };
    assert.equal((await orderinfo(params, ruled.baseUrl)).status, 200);
    const refused = await orderinfo(params, ruled.baseUrl);
    assert.equal(refused.status, 429);
    assert.equal((refused.body.response as { code: string }).code, '109');
    const tooSoonUpload = await fetch(`${ruled.baseUrl}/api/webftp/index.html`, { method: 'POST', body: new URLSearchParams({ id: shop.accountId, pw: shop.password }) });
    assert.equal(tooSoonUpload.status, 429, 'the rule spans every legacy endpoint');
    await new Promise((resolve) => setTimeout(resolve, 210));
    assert.equal((await orderinfo(params, ruled.baseUrl)).status, 200);
    const calls = await getJson<CallLogEntry[]>(`/__sim/shops/${shop.shopId}/calls`, ruled.baseUrl);
    assert.deepEqual(calls.map((call) => call.outcome), ['accepted', 'throttled', 'throttled', 'accepted']);
  });

  void test('a request while another is still being answered is refused, even after the interval', async (t) => {
    t.after(() => post(`${ruled.baseUrl}/__sim/faults`, {}, 'PUT'));
    const shop = await seedSampleShop(ruled.baseUrl);
    assert.equal((await post(`${ruled.baseUrl}/__sim/faults`, { latencyMs: 400 }, 'PUT')).status, 200);
    const params = { shopid: shop.shopId, token: shop.orderAuthCode, ordernum: 'A1' };
    const slow = orderinfo(params, ruled.baseUrl);
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal((await orderinfo(params, ruled.baseUrl)).status, 429);
    assert.equal((await slow).status, 200);
  });

  void test('shops do not share the rule', async () => {
    const one = await seedSampleShop(ruled.baseUrl);
    const two = await seedSampleShop(ruled.baseUrl);
    assert.equal((await orderinfo({ shopid: one.shopId, token: one.orderAuthCode, ordernum: 'A1' }, ruled.baseUrl)).status, 200);
    assert.equal((await orderinfo({ shopid: two.shopId, token: two.orderAuthCode, ordernum: 'A1' }, ruled.baseUrl)).status, 200);
  });
});

void describe('control API (DESIGN §6)', () => {
  void test('POST /__sim/shops validates the body and names each problem', async () => {
    const response = await post(`${sim.baseUrl}/__sim/shops`, {
      shopId: 'x',
      accountId: 'a',
      password: 'p',
      orderAuthCode: 'c',
      products: [{ systemCode: 'abc', customCode: 'A', name: 'n', jan: '', quantity: -1 }],
      options: [],
    });
    assert.equal(response.status, 400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'bad_request');
    assert.match(error.message, /products\.0\.systemCode: システム商品コード is digits/);
    assert.match(error.message, /products\.0\.quantity/);
    const orphan = await post(`${sim.baseUrl}/__sim/shops`, {
      shopId: 'x', accountId: 'a', password: 'p', orderAuthCode: 'c', products: [],
      options: [{ systemCode: '1', optionCode: 'o', option1: '', option2: '', jan: '', quantity: 1 }],
    });
    assert.equal(orphan.status, 400);
  });

  void test('CSV downloads reproduce the admin files: オプションデータCSV byte for byte, 商品データCSV header and conventions', async () => {
    const shop = await seedSampleShop();
    const options = Buffer.from(await (await fetch(`${sim.baseUrl}/__sim/shops/${shop.shopId}/csv/options`)).arrayBuffer());
    assert.deepEqual(options, sampleCsv('options'));

    const response = await fetch(`${sim.baseUrl}/__sim/shops/${shop.shopId}/csv/products`);
    assert.match(response.headers.get('content-type') ?? '', /Shift_JIS/i);
    assert.match(response.headers.get('content-disposition') ?? '', /upload_\d{14}\.csv/);
    const bytes = Buffer.from(await response.arrayBuffer());
    const sample = sampleCsv('products');
    const headerEnd = sample.indexOf('\r\n');
    assert.deepEqual(bytes.subarray(0, headerEnd + 2), sample.subarray(0, headerEnd + 2));
    const text = iconv.decode(bytes, 'cp932');
    assert.ok(text.endsWith('\r\n') && !/[^\r]\n/.test(text), 'CRLF after every line');
    assert.ok(text.includes(',"トートバッグ, キャンバス",'), 'a cell with a comma is quoted');
    assert.ok(text.includes(',MUG-02 ,'), 'a trailing space is kept, unquoted');
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    const sampleRows = parse(iconv.decode(sample, 'cp932'), { columns: true }) as Record<string, string>[];
    const keyColumns = ['商品特定コード指定', 'システム商品コード', '独自商品コード', 'カテゴリーパス', '商品名', '販売価格', '数量', 'オプション１名称', 'オプション２名称', 'JANコード'];
    const pick = (row: Record<string, string>) => keyColumns.map((column) => row[column]);
    assert.deepEqual(rows.map(pick), sampleRows.map(pick));
    assert.ok(rows.every((row) => Object.keys(row).length === 79));
  });

  void test('POST /orders sells all lines or none: decrements managed stock, leaves unlimited alone, 409 when short', async () => {
    const shop = await seedSampleShop();
    await placeOrder(shop, { lines: [{ code: 'SH-100-GY-M', quantity: 2 }, { code: 'CAP-01', quantity: 5 }, { code: 'TS-001', quantity: 1 }] });
    assert.deepEqual(
      [await quantityOf(shop, 'SH-100', 'SH-100-GY-M'), await quantityOf(shop, 'CAP-01'), await quantityOf(shop, 'TS-001')],
      [5, null, 24],
    );
    const short = await post(`${sim.baseUrl}/__sim/shops/${shop.shopId}/orders`, { lines: [{ code: 'TS-001', quantity: 1 }, { code: 'BG-7', quantity: 1 }] });
    assert.equal(short.status, 409);
    assert.match(((await short.json()) as { error: { message: string } }).error.message, /BG-7/);
    assert.equal(await quantityOf(shop, 'TS-001'), 24, 'nothing sold');
  });

  void test('POST /orders refuses unknown codes, a product that has options, bad bodies and unknown shops', async () => {
    const shop = await seedSampleShop();
    const status = async (shopId: string, body: unknown) => (await post(`${sim.baseUrl}/__sim/shops/${shopId}/orders`, body)).status;
    assert.equal(await status(shop.shopId, { lines: [{ code: 'NOPE', quantity: 1 }] }), 400);
    assert.equal(await status(shop.shopId, { lines: [{ code: 'SH-100', quantity: 1 }] }), 400);
    assert.equal(await status(shop.shopId, { lines: [] }), 400);
    assert.equal(await status(shop.shopId, { lines: [{ code: 'TS-001', quantity: 0 }] }), 400);
    assert.equal(await status('nobody', { lines: [{ code: 'TS-001', quantity: 1 }] }), 404);
  });

  void test('orders call the 更新通知 URL with [SHOPID] [ORDERNUM] [CMD] substituted: cmd 0, then 2 on cancel (which restores stock)', async (t) => {
    const hits: string[] = [];
    const receiver = createServer((req, res) => {
      hits.push(req.method + ' ' + req.url);
      res.end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise((resolve) => receiver.close(resolve)));
    const shop = await seedSampleShop();
    const port = (receiver.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${port}/hook/shop/[SHOPID]/order/[ORDERNUM]/cmd/[CMD]`;
    assert.equal((await post(`${sim.baseUrl}/__sim/shops/${shop.shopId}/notification-url`, { url }, 'PUT')).status, 200);

    const orderNumber = await placeOrder(shop, { lines: [{ code: 'MUG-02 ', quantity: 2 }] });
    assert.equal(await quantityOf(shop, 'MUG-02 '), 10);
    const cancel = await post(`${sim.baseUrl}/__sim/shops/${shop.shopId}/orders/${orderNumber}/cancel`, {});
    assert.deepEqual(await cancel.json(), { orderNumber, status: 'cancelled' });
    assert.equal(await quantityOf(shop, 'MUG-02 '), 12);
    assert.equal((await post(`${sim.baseUrl}/__sim/shops/${shop.shopId}/orders/${orderNumber}/cancel`, {})).status, 409);
    assert.equal((await post(`${sim.baseUrl}/__sim/shops/${shop.shopId}/orders/PB0/cancel`, {})).status, 404);
    await sim.sim.state.notificationsSettled();

    assert.deepEqual(hits, [`GET /hook/shop/${shop.shopId}/order/${orderNumber}/cmd/0`, `GET /hook/shop/${shop.shopId}/order/${orderNumber}/cmd/2`]);
    const log = await getJson<NotificationLogEntry[]>(`/__sim/shops/${shop.shopId}/notifications`);
    assert.deepEqual(log.map((entry) => [entry.cmd, entry.outcome, entry.status]), [[0, 'delivered', 200], [2, 'delivered', 200]]);
  });

  void test('PUT notification-url refuses what is not an http(s) URL', async () => {
    const shop = await seedSampleShop();
    assert.equal((await post(`${sim.baseUrl}/__sim/shops/${shop.shopId}/notification-url`, { url: 'ftp://x/[CMD]' }, 'PUT')).status, 400);
    assert.equal((await post(`${sim.baseUrl}/__sim/shops/${shop.shopId}/notification-url`, {}, 'PUT')).status, 400);
  });

  void test('GET /stock lists products (optionCode null) and options with their parent 独自商品コード', async () => {
    const shop = await seedSampleShop();
    const stock = await stockOf(shop);
    assert.equal(stock.length, 9);
    assert.deepEqual(stock[0], { systemCode: '000000000012', customCode: 'TS-001', optionCode: null, jan: '4901234567894', quantity: 25 });
    assert.deepEqual(stock[8], { systemCode: '000000000013', customCode: 'SH-100', optionCode: 'SH-100-GY-L', jan: '', quantity: 2 });
  });

  void test('PUT /faults: errorRate fails legacy calls with 500 but not the control API; notificationDropRate drops 更新通知; bad values → 400', async (t) => {
    t.after(() => post(`${sim.baseUrl}/__sim/faults`, {}, 'PUT'));
    const shop = await seedSampleShop();
    await post(`${sim.baseUrl}/__sim/shops/${shop.shopId}/notification-url`, { url: 'http://127.0.0.1:9/[CMD]' }, 'PUT');
    assert.equal((await post(`${sim.baseUrl}/__sim/faults`, { errorRate: 1, notificationDropRate: 1 }, 'PUT')).status, 200);
    assert.equal((await orderinfo({ shopid: shop.shopId, token: shop.orderAuthCode, ordernum: 'A1' })).status, 500);
    await placeOrder(shop, { lines: [{ code: 'TS-001', quantity: 1 }] });
    await sim.sim.state.notificationsSettled();
    const log = await getJson<NotificationLogEntry[]>(`/__sim/shops/${shop.shopId}/notifications`);
    assert.deepEqual(log.map((entry) => entry.outcome), ['dropped']);
    assert.equal((await post(`${sim.baseUrl}/__sim/faults`, { errorRate: 2 }, 'PUT')).status, 400);
    const calls = await getJson<CallLogEntry[]>(`/__sim/shops/${shop.shopId}/calls`);
    assert.deepEqual(calls.map((call) => [call.endpoint, call.status, call.outcome]), [['orderinfo', 500, 'fault']]);
  });

  void test('PUT /faults: slowRate holds legacy calls (inside the one-at-a-time window), retryAfterMaxSeconds adds Retry-After to injected throttles', async (t) => {
    t.after(() => post(`${sim.baseUrl}/__sim/faults`, {}, 'PUT'));
    const shop = await seedSampleShop();
    assert.equal((await post(`${sim.baseUrl}/__sim/faults`, { slowRate: 1, slowMinMs: 200, slowMaxMs: 200 }, 'PUT')).status, 200);
    const started = Date.now();
    assert.equal((await orderinfo({ shopid: shop.shopId, token: shop.orderAuthCode, ordernum: 'A1' })).status, 200);
    assert.ok(Date.now() - started >= 190, `held ${Date.now() - started} ms`);
    assert.equal((await post(`${sim.baseUrl}/__sim/faults`, { throttleRate: 1, retryAfterMaxSeconds: 5 }, 'PUT')).status, 200);
    const query = new URLSearchParams({ cmd: 'get', service: 'test', shopid: shop.shopId, token: shop.orderAuthCode, ordernum: 'A1' });
    const throttled = await fetch(`${sim.baseUrl}/api/orderinfo/index.html?${query}`);
    await throttled.arrayBuffer();
    assert.equal(throttled.status, 429);
    assert.match(throttled.headers.get('retry-after') ?? '', /^[1-5]$/);
  });
});
