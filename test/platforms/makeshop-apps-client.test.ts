import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, validate } from 'graphql';
import { createLogger } from '../../src/lib/logger';
import { PlatformError } from '../../src/platforms/http';
import { MakeshopAppsClient, type MakeshopAppsClientOptions } from '../../src/platforms/makeshop/apps-client';
import { APPS_DOCUMENTS } from '../../src/platforms/makeshop/apps-documents';
import { verifyLaunchProof } from '../../src/platforms/makeshop/apps-launch';
import type { AppsConnection, StockPushRow } from '../../src/platforms/makeshop/gateway';
import { makeshopAppsSchema } from '../../src/simulators/makeshop/apps-schema';
import { type RunningMakeshopSimulator, startMakeshopSimulator } from '../../src/simulators/makeshop/harness';
import type { CallLogEntry } from '../../src/simulators/makeshop/shop';
import { simControl } from '../support/platforms';

const logger = createLogger('makeshop-apps-client-test', 'silent');
const API_KEY = 'test-app-api-key';

let running: RunningMakeshopSimulator;
let installReceiver: Server;
let installUrl: string;
/** What the install webhook receiver got, and the status it answers with next. */
const installs: { shop_id: string; token: string; app_id: string; plan_id: string; app_name: string }[] = [];
let installAnswer = 200;
let shopCounter = 0;

before(async () => {
  running = await startMakeshopSimulator({ minIntervalMs: 10, logger });
  installReceiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.url === '/install') installs.push(JSON.parse(body) as (typeof installs)[number]);
      res.statusCode = req.url === '/install' ? installAnswer : 200;
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => installReceiver.listen(0, '127.0.0.1', resolve));
  installUrl = `http://127.0.0.1:${(installReceiver.address() as AddressInfo).port}/install`;
  await control('PUT', '/__sim/apps', { apiKey: API_KEY, installUrl });
});
after(async () => {
  await running.close();
  installReceiver.closeAllConnections();
  await new Promise<void>((resolve) => installReceiver.close(() => resolve()));
});

/** A fresh shop with the app installed; the token comes from the install webhook, as in production. */
async function installedShop(extra: { products?: unknown[]; options?: unknown[] } = {}): Promise<AppsConnection> {
  shopCounter += 1;
  const shopId = `appshop${shopCounter}`;
  await control('POST', '/__sim/shops', {
    shopId,
    accountId: `admin-${shopId}`,
    password: 'pw-12345',
    orderAuthCode: 'auth',
    products: extra.products ?? [
      { systemCode: '000000000012', customCode: 'TS-001', name: 'ベーシックTシャツ 白', jan: '4901234567894', quantity: 25 },
      { systemCode: '000000000013', customCode: 'SH-100', name: 'ロゴスウェット', jan: '', quantity: null, optionNames: ['カラー', 'サイズ'] },
      { systemCode: '000000000015', customCode: 'CAP-01', name: 'キャップ（在庫管理なし）', jan: '', quantity: null },
      { systemCode: '000000000016', customCode: 'MUG-02 ', name: 'マグカップ', jan: '4580000000017', quantity: 12 },
    ],
    options: extra.options ?? [
      { systemCode: '000000000013', optionCode: 'SH-100-BK-M', option1: 'ブラック', option2: 'M', jan: '4901234567801', quantity: 3 },
      { systemCode: '000000000013', optionCode: 'SH-100-GY-L ', option1: 'グレー', option2: 'L', jan: '', quantity: 2 },
    ],
  });
  const { status } = await control<{ status: string }>('POST', `/__sim/shops/${shopId}/apps/install`);
  assert.equal(status, 'installed');
  const delivered = installs.find((install) => install.shop_id === shopId);
  assert.ok(delivered, 'the install webhook carried the token');
  return { mode: 'apps', shopId, token: delivered.token };
}

const control = <T = unknown>(method: string, path: string, body?: unknown): Promise<T> => simControl<T>(running.baseUrl, method, path, body);

function client(options: Partial<MakeshopAppsClientOptions> = {}): MakeshopAppsClient {
  return new MakeshopAppsClient({ graphqlUrl: `${running.baseUrl}/v1/graphql`, apiKey: API_KEY, logger, retryBaseMs: 5, ...options });
}

type StockRow = { systemCode: string; customCode: string; optionCode: string | null; quantity: number | null };
const stockOf = (shopId: string) => control<StockRow[]>('GET', `/__sim/shops/${shopId}/stock`);
const graphqlCalls = async (shopId: string) => (await control<CallLogEntry[]>('GET', `/__sim/shops/${shopId}/calls`)).filter((c) => c.endpoint === 'graphql');

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof PlatformError, `expected a PlatformError, got ${String(error)}`);
  assert.equal(error.details.platform, 'makeshop');
  return error;
}

void describe('documents', () => {
  void test("every document the client sends is valid against the simulator's schema", () => {
    for (const [name, source] of Object.entries(APPS_DOCUMENTS)) {
      const problems = validate(makeshopAppsSchema(), parse(source));
      assert.deepEqual(problems.map((p) => p.message), [], `${name} is not valid`);
    }
  });
});

void describe('pushStock (updateProductQuantity / updateVariationQuantity)', () => {
  void test('sets absolute quantities of products and variations, keyed by system code or custom code', async () => {
    const conn = await installedShop();
    const rows: StockPushRow[] = [
      { kind: 'product', systemCode: '000000000012', quantity: 7 },
      { kind: 'product', customCode: 'MUG-02 ', quantity: 0 },
      { kind: 'option', customCode: 'SH-100', optionCode: 'SH-100-BK-M', quantity: 9 },
      { kind: 'option', systemCode: '000000000013', optionCode: 'SH-100-GY-L ', quantity: 4 },
    ];
    const result = await client().pushStock(conn, rows);
    assert.deepEqual(result, { calls: 2, rowsSent: 4, rowsSucceeded: 4, failures: [] });
    const stock = await stockOf(conn.shopId);
    const quantityOf = (customCode: string, optionCode: string | null = null) => stock.find((r) => r.customCode === customCode && r.optionCode === optionCode)?.quantity;
    assert.equal(quantityOf('TS-001'), 7);
    assert.equal(quantityOf('MUG-02 '), 0);
    assert.equal(quantityOf('SH-100', 'SH-100-BK-M'), 9);
    assert.equal(quantityOf('SH-100', 'SH-100-GY-L '), 4);
    assert.equal(quantityOf('CAP-01'), null, 'rows not pushed keep their stock');
    // Pushing the same absolute quantities again changes nothing (not relative).
    await client().pushStock(conn, rows);
    assert.equal((await stockOf(conn.shopId)).find((r) => r.customCode === 'TS-001')?.quantity, 7);
  });

  void test('failResult rows become per-row failures; the other rows succeed', async () => {
    const conn = await installedShop();
    const unknownProduct: StockPushRow = { kind: 'product', customCode: 'NO-SUCH', quantity: 1 };
    const variationProduct: StockPushRow = { kind: 'product', customCode: 'SH-100', quantity: 1 };
    const unknownOption: StockPushRow = { kind: 'option', customCode: 'SH-100', optionCode: 'SH-100-XX', quantity: 1 };
    const result = await client().pushStock(conn, [
      { kind: 'product', customCode: 'TS-001', quantity: 2 },
      unknownProduct,
      variationProduct,
      { kind: 'option', customCode: 'SH-100', optionCode: 'SH-100-BK-M', quantity: 8 },
      unknownOption,
    ]);
    assert.equal(result.rowsSent, 5);
    assert.equal(result.rowsSucceeded, 2);
    assert.deepEqual(result.failures.map((f) => f.row), [unknownProduct, variationProduct, unknownOption]);
    assert.match(result.failures[0]!.message, /存在しません/);
    assert.match(result.failures[1]!.message, /バリエーション/);
    assert.match(result.failures[2]!.message, /バリエーションが存在しません/);
  });

  void test('splits batches by the configured row count and below the request size limit', async () => {
    const products = Array.from({ length: 25 }, (_, i) => ({ systemCode: String(100 + i).padStart(12, '0'), customCode: `P-${i}`, name: `商品${i}`, jan: '', quantity: 0 }));
    const conn = await installedShop({ products, options: [] });
    const rows: StockPushRow[] = products.map((p, i) => ({ kind: 'product', systemCode: p.systemCode, quantity: i }));

    const byRows = await client({ maxRowsPerCall: 10 }).pushStock(conn, rows);
    assert.equal(byRows.calls, 3, '25 rows at 10 per call');
    assert.equal(byRows.rowsSucceeded, 25);

    // Each row is ~100 bytes of JSON: a 3 KB limit (2 KB of it the envelope) leaves room for about 10.
    const bySize = await client({ maxRowsPerCall: 1000, maxRequestBytes: 3 * 1024 }).pushStock(conn, rows);
    assert.ok(bySize.calls >= 3, `split by size into ${bySize.calls} calls`);
    assert.equal(bySize.rowsSucceeded, 25);
    const stock = await stockOf(conn.shopId);
    assert.deepEqual(stock.map((r) => r.quantity), rows.map((r) => r.quantity));
  });

  void test('the simulator refuses a request of 5 MB or more, as MakeShop may', async () => {
    const conn = await installedShop();
    const huge = 'x'.repeat(5 * 1024 * 1024);
    const response = await fetch(`${running.baseUrl}/v1/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${conn.token}`, 'x-api-key': API_KEY, 'x-timestamp': String(Math.floor(Date.now() / 1000)), 'content-type': 'application/json' },
      body: JSON.stringify({ query: huge }),
    });
    assert.equal(response.status, 413);
  });
});

void describe('reads', () => {
  void test('readStock pages through searchProductQuantity; unlimited is null, unknown SKUs are left out', async () => {
    const conn = await installedShop();
    const readings = await client({ pageLimit: 1 }).readStock(conn, [
      { kind: 'product', systemCode: '000000000012' },
      { kind: 'product', customCode: 'MUG-02 ' },
      { kind: 'product', systemCode: '000000000015' },
      { kind: 'option', customCode: 'SH-100', optionCode: 'SH-100-GY-L ' },
      { kind: 'option', systemCode: '000000000013', optionCode: 'NOPE' },
      { kind: 'product', systemCode: '999999999999' },
    ]);
    assert.deepEqual(
      readings.map((r) => r.quantity),
      [25, 12, null, 2],
    );
    assert.ok((await graphqlCalls(conn.shopId)).length >= 4, 'one product per page: several pages were read');
  });

  void test('orders: by number and by window, paged by searchedCount, mapped like orderinfo; cancellation read from the status', async () => {
    const conn = await installedShop();
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { orderNumber } = await control<{ orderNumber: string }>('POST', `/__sim/shops/${conn.shopId}/orders`, {
        lines: [
          { code: 'TS-001', quantity: 1 },
          { code: 'SH-100-BK-M', quantity: 1 },
        ].slice(0, i === 0 ? 2 : 1),
      });
      placed.push(orderNumber);
    }
    await control('POST', `/__sim/shops/${conn.shopId}/orders/${placed[1]}/cancel`);

    const first = await client().getOrder(conn, placed[0]!);
    assert.equal(first?.orderNumber, placed[0]);
    assert.equal(first?.status, 'ordered');
    assert.match(first?.orderedAt ?? '', /\+09:00$/);
    assert.deepEqual(first?.lines, [
      { systemCode: '000000000012', customCode: 'TS-001', jan: '4901234567894', name: 'ベーシックTシャツ 白', quantity: 1 },
      { systemCode: '000000000013', customCode: 'SH-100', optionCode: 'SH-100-BK-M', jan: '4901234567801', name: 'ロゴスウェット', quantity: 1 },
    ]);
    assert.equal((await client().getOrder(conn, placed[1]!))?.status, 'cancelled');
    assert.equal(await client().getOrder(conn, 'NO-SUCH-ORDER'), null);

    const before = (await graphqlCalls(conn.shopId)).length;
    const listed = await client({ pageLimit: 2 }).listOrders(conn, { from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 1000) });
    assert.deepEqual(listed.map((o) => o.orderNumber).sort(), [...placed].sort());
    assert.equal((await graphqlCalls(conn.shopId)).length - before, 3, '5 orders, 2 per page');
  });

  void test('listCatalog: every product page with its stock, variations with theirs', async () => {
    const conn = await installedShop();
    const pages = [];
    for await (const page of client({ pageLimit: 3 }).listCatalog(conn)) pages.push(page);
    assert.equal(pages.length, 2);
    const products = pages.flat();
    assert.deepEqual(
      products.map((p) => [p.customCode, p.quantity, p.variations.map((v) => [v.optionCode, v.option1, v.option2, v.quantity])]),
      [
        ['TS-001', 25, []],
        ['SH-100', null, [['SH-100-BK-M', 'ブラック', 'M', 3], ['SH-100-GY-L ', 'グレー', 'L', 2]]],
        ['CAP-01', null, []],
        ['MUG-02 ', 12, []],
      ],
    );
  });
});

void describe('errors', () => {
  void test('a wrong API key or a stale timestamp is an auth error, not retried', async () => {
    const conn = await installedShop();
    const badKey = await rejection(client({ apiKey: 'wrong' }).readStock(conn, [{ kind: 'product', systemCode: '000000000012' }]));
    assert.equal(badKey.kind, 'auth');
    assert.equal(badKey.retryable, false);
    const stale = await rejection(client({ now: () => Date.now() - 2 * 60 * 60 * 1000 }).getOrder(conn, 'X'));
    assert.equal(stale.kind, 'auth');
    assert.equal((await graphqlCalls(conn.shopId)).length, 0, 'refused before reaching the shop');
  });

  void test('each call sends a fresh x-timestamp: a client living past an hour keeps working', async () => {
    const conn = await installedShop();
    let clock = Date.now() - 50 * 60 * 1000;
    const c = client({ now: () => clock });
    await c.readStock(conn, [{ kind: 'product', systemCode: '000000000012' }]);
    clock = Date.now();
    await c.readStock(conn, [{ kind: 'product', systemCode: '000000000012' }]);
  });

  void test('an unknown token and a token revoked by uninstalling are "revoked", not retried', async () => {
    const conn = await installedShop();
    const unknown = await rejection(client().getOrder({ ...conn, token: 'PAT.forged' }, 'X'));
    assert.equal(unknown.kind, 'revoked');
    await control('POST', `/__sim/shops/${conn.shopId}/apps/uninstall`);
    const revoked = await rejection(client().pushStock(conn, [{ kind: 'product', customCode: 'TS-001', quantity: 1 }]));
    assert.equal(revoked.kind, 'revoked');
    assert.equal(revoked.retryable, false);
    assert.equal((await client().testConnection(conn)).ok, false);
  });

  void test('an API not granted to the app answers FORBIDDEN', async () => {
    const conn = await installedShop();
    await control('PUT', '/__sim/apps', { deniedApis: ['searchProduct'] });
    try {
      const error = await rejection((async () => {
        for await (const page of client().listCatalog(conn)) void page;
      })());
      assert.equal(error.kind, 'forbidden');
      assert.equal(error.retryable, false);
      assert.equal((await client().readStock(conn, [{ kind: 'product', systemCode: '000000000012' }]))[0]?.quantity, 25, 'other APIs still work');
    } finally {
      await control('PUT', '/__sim/apps', { deniedApis: [] });
    }
  });

  void test('throttling and server errors are retried; introspection is FORBIDDEN', async () => {
    const conn = await installedShop();
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls += 1;
      if (calls <= 2) return new Response(JSON.stringify({ errors: [{ message: 'slow down', extensions: { code: 'TOO_MANY_REQUESTS' } }] }), { status: 429, headers: { 'retry-after': '0' } });
      return fetch(input, init);
    };
    const readings = await client({ fetch: flaky }).readStock(conn, [{ kind: 'product', systemCode: '000000000012' }]);
    assert.equal(readings[0]?.quantity, 25);
    assert.equal(calls, 3);

    const response = await fetch(`${running.baseUrl}/v1/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${conn.token}`, 'x-api-key': API_KEY, 'x-timestamp': String(Math.floor(Date.now() / 1000)), 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __schema { types { name } } }' }),
    });
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    assert.equal(body.errors[0]?.extensions.code, 'FORBIDDEN');
  });
});

void describe('simulator app control', () => {
  void test('a non-200 answer to the install webhook fails the installation and issues no usable token', async () => {
    shopCounter += 1;
    const shopId = `appshop${shopCounter}`;
    await control('POST', '/__sim/shops', { shopId, accountId: `a-${shopId}`, password: 'pw', orderAuthCode: 'c', products: [], options: [] });
    installAnswer = 500;
    try {
      assert.equal((await control<{ status: string }>('POST', `/__sim/shops/${shopId}/apps/install`)).status, 'failed');
    } finally {
      installAnswer = 200;
    }
    const sent = installs.filter((i) => i.shop_id === shopId);
    assert.equal(sent.length, 1);
    assert.deepEqual(Object.keys(sent[0]!).sort(), ['app_id', 'app_name', 'plan_id', 'shop_id', 'token']);
    const error = await rejection(client().getOrder({ mode: 'apps', shopId, token: sent[0]!.token }, 'X'));
    assert.equal(error.kind, 'revoked');
  });

  void test('order updates wait for the 注文更新通知 cycle (or a flush) and name the changed orders', async () => {
    const received: unknown[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const conn = await installedShop();
      await control('POST', '/__sim/apps/order-updates/flush'); // earlier tests' orders
      await control('PUT', '/__sim/apps', { orderUpdateUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/orders`, orderUpdateIntervalMs: 3_600_000 });
      const { orderNumber } = await control<{ orderNumber: string }>('POST', `/__sim/shops/${conn.shopId}/orders`, { lines: [{ code: 'TS-001', quantity: 1 }] });
      assert.equal(received.length, 0, 'not before the cycle');
      assert.deepEqual(await control('POST', '/__sim/apps/order-updates/flush'), { shops: 1, orders: 1 });
      assert.deepEqual(received, [{ app_id: 'sim-zaiko-sync', shop_id: conn.shopId, orders: [{ system_order_number: orderNumber }] }]);
      const launch = await control<{ url: string }>('GET', `/__sim/shops/${conn.shopId}/apps/launch-url`);
      const url = new URL(launch.url);
      assert.equal(url.pathname, '/makeshop/apps/launch');
      assert.equal(url.searchParams.get('shop_id'), conn.shopId);
      const query = Object.fromEntries(url.searchParams);
      assert.equal(verifyLaunchProof(query, 'sim-app-launch-secret', Date.now()), conn.shopId, 'the service accepts what the simulator signs');
      assert.equal(verifyLaunchProof({ ...query, shop_id: 'someone-else' }, 'sim-app-launch-secret', Date.now()), null, 'another shop ID breaks the signature');
      assert.equal(verifyLaunchProof(query, 'another-secret', Date.now()), null);
      assert.equal(verifyLaunchProof(query, 'sim-app-launch-secret', Date.now() + 60 * 60 * 1000), null, 'an old launch URL is refused');
    } finally {
      await control('PUT', '/__sim/apps', { orderUpdateUrl: null });
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});

describe('per-shop pacing (the unpublished rate limit, docs/platform-assumptions.md)', () => {
  void test('a shop’s requests beyond the burst wait their turn; another shop is not held by them', async () => {
    const [busy, quiet] = [await installedShop(), await installedShop()];
    const at = Date.now();
    const waits: number[] = [];
    // The clock stands still: each wait the client asks for is its pacing debt, independent of CPU speed.
    const paced = client({ requestsPerMinute: 60, requestBurst: 3, now: () => at, sleep: async (ms) => void waits.push(ms) });
    for (let i = 0; i < 5; i++) await paced.shopIdOfToken(busy);
    assert.deepEqual(waits, [1000, 2000]);
    assert.equal(await paced.shopIdOfToken(quiet), quiet.shopId);
    assert.deepEqual(waits, [1000, 2000], 'the other shop has its own allowance');
  });
});
