import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/lib/logger';
import { PlatformError } from '../../src/platforms/http';
import type { LegacyConnection, StockPushRow } from '../../src/platforms/makeshop/gateway';
import { parseOrderNotification } from '../../src/platforms/makeshop/gateway';
import { LegacyMakeshopClient, type LegacyMakeshopClientOptions } from '../../src/platforms/makeshop/legacy-client';
import { notificationUrlTemplate } from '../../src/platforms/makeshop/notification';
import { type RunningMakeshopSimulator, startMakeshopSimulator } from '../../src/simulators/makeshop/harness';
import type { CallLogEntry, NotificationLogEntry } from '../../src/simulators/makeshop/shop';
import { simControl } from '../support/platforms';

const INTERVAL_MS = 50;
const logger = createLogger('makeshop-client-test', 'silent');

let running: RunningMakeshopSimulator;
let shopCounter = 0;

before(async () => {
  running = await startMakeshopSimulator({ minIntervalMs: INTERVAL_MS, logger });
});
after(async () => {
  await running.close();
});

/** A fresh shop per test keeps each test's call log and request rule to itself. */
async function seedShop(overrides: { externalIntegrationEnabled?: boolean } = {}): Promise<LegacyConnection> {
  shopCounter += 1;
  const creds = { mode: 'legacy' as const, shopId: `shop${shopCounter}`, accountId: `admin${shopCounter}`, password: 'pw-12345', orderAuthCode: `auth-${shopCounter}` };
  await control('POST', '/__sim/shops', {
    ...creds,
    ...overrides,
    products: [
      { systemCode: '000000000012', customCode: 'TS-001', name: 'ベーシックTシャツ 白', jan: '4901234567894', quantity: 25 },
      { systemCode: '000000000013', customCode: 'SH-100', name: 'ロゴスウェット', jan: '', quantity: null, optionNames: ['カラー', 'サイズ'] },
      { systemCode: '000000000015', customCode: 'CAP-01', name: 'キャップ（在庫管理なし）', jan: '', quantity: null },
      { systemCode: '000000000016', customCode: 'MUG-02 ', name: 'マグカップ', jan: '4580000000017', quantity: 12 },
      { systemCode: '000000000017', customCode: 'MUG-02', name: 'マグカップ（別品）', jan: '', quantity: 4 },
      { systemCode: '000000000018', customCode: '商品－００７', name: '和紙ノート', jan: '', quantity: 3 },
      { systemCode: '000000000019', customCode: '0042', name: 'ゼロ始まり', jan: '', quantity: 1 },
    ],
    options: [
      { systemCode: '000000000013', optionCode: 'SH-100-BK-M', option1: 'ブラック', option2: 'M', jan: '4901234567801', quantity: 3 },
      { systemCode: '000000000013', optionCode: 'ＳＨ-100-灰-M', option1: 'グレー', option2: 'M', jan: '', quantity: 7 },
      { systemCode: '000000000013', optionCode: 'SH-100-GY-L ', option1: 'グレー', option2: 'L', jan: '', quantity: 2 },
    ],
  });
  return creds;
}

const control = <T = unknown>(method: string, path: string, body?: unknown): Promise<T> => simControl<T>(running.baseUrl, method, path, body);

function client(options: Partial<LegacyMakeshopClientOptions> = {}): LegacyMakeshopClient {
  return new LegacyMakeshopClient({ baseUrl: running.baseUrl, minIntervalMs: INTERVAL_MS, logger, ...options });
}

type StockRow = { systemCode: string; customCode: string; optionCode: string | null; quantity: number | null };
const stockOf = (shopId: string) => control<StockRow[]>('GET', `/__sim/shops/${shopId}/stock`);
const callsOf = (shopId: string) => control<CallLogEntry[]>('GET', `/__sim/shops/${shopId}/calls`);
const placeOrder = (shopId: string, body: unknown) => control<{ orderNumber: string }>('POST', `/__sim/shops/${shopId}/orders`, body);

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof PlatformError, `expected a PlatformError, got ${String(error)}`);
  assert.equal(error.details.platform, 'makeshop');
  return error;
}

void describe('pushStock (webftp CSV upload)', () => {
  void test('pushes products and options in one upload each; CP932 keeps Japanese codes, trailing spaces and leading zeros', async () => {
    const creds = await seedShop();
    const rows: StockPushRow[] = [
      { kind: 'product', systemCode: '000000000012', quantity: 7 },
      { kind: 'product', customCode: 'MUG-02 ', quantity: 5 },
      { kind: 'product', customCode: '商品－００７', quantity: 0 },
      { kind: 'product', customCode: '0042', quantity: 9 },
      { kind: 'option', customCode: 'SH-100', optionCode: 'ＳＨ-100-灰-M', quantity: 4 },
      { kind: 'option', systemCode: '000000000013', optionCode: 'SH-100-GY-L ', quantity: 6 },
    ];

    const result = await client().pushStock(creds, rows);

    assert.deepEqual(result, { calls: 4, rowsSent: 6, rowsSucceeded: 6, failures: [] });
    const stock = await stockOf(creds.shopId);
    const quantityOf = (customCode: string, optionCode: string | null = null) =>
      stock.find((row) => row.customCode === customCode && row.optionCode === optionCode)?.quantity;
    assert.equal(quantityOf('TS-001'), 7);
    assert.equal(quantityOf('MUG-02 '), 5);
    assert.equal(quantityOf('MUG-02'), 4, 'the code without the trailing space is another product');
    assert.equal(quantityOf('商品－００７'), 0);
    assert.equal(quantityOf('0042'), 9);
    assert.equal(quantityOf('SH-100', 'ＳＨ-100-灰-M'), 4);
    assert.equal(quantityOf('SH-100', 'SH-100-GY-L '), 6);
    assert.equal(quantityOf('SH-100', 'SH-100-BK-M'), 3, 'rows not pushed keep their stock');
    assert.equal(quantityOf('CAP-01'), null, 'unlimited stays unlimited');
    assert.deepEqual(
      (await callsOf(creds.shopId)).map((call) => [call.endpoint, call.outcome]),
      [['webftp', 'accepted'], ['upload', 'accepted'], ['webftp', 'accepted'], ['upload', 'accepted']],
    );
  });

  void test('only products → one upload; nothing to push → no call at all', async () => {
    const creds = await seedShop();
    assert.equal((await client().pushStock(creds, [{ kind: 'product', customCode: 'TS-001', quantity: 1 }])).calls, 2);
    assert.deepEqual(await client().pushStock(creds, []), { calls: 0, rowsSent: 0, rowsSucceeded: 0, failures: [] });
  });

  void test('reports the rows MakeShop refused, with its message, and counts the rest as succeeded', async () => {
    const creds = await seedShop();
    const unknownProduct: StockPushRow = { kind: 'product', customCode: 'NO-SUCH', quantity: 1 };
    const unknownOption: StockPushRow = { kind: 'option', customCode: 'SH-100', optionCode: 'SH-100-XX', quantity: 1 };
    const result = await client().pushStock(creds, [
      { kind: 'product', customCode: 'TS-001', quantity: 2 },
      unknownProduct,
      { kind: 'option', customCode: 'SH-100', optionCode: 'SH-100-BK-M', quantity: 8 },
      unknownOption,
    ]);
    assert.equal(result.rowsSent, 4);
    assert.equal(result.rowsSucceeded, 2);
    assert.deepEqual(
      result.failures.map((failure) => failure.row),
      [unknownProduct, unknownOption],
    );
    assert.match(result.failures[0]!.message, /独自商品コード NO-SUCH の商品がありません/);
    assert.match(result.failures[1]!.message, /該当するオプションがありません/);
  });

  void test('a row a CSV cannot carry fails alone: the rest of the batch is pushed', async () => {
    const creds = await seedShop();
    const bad: StockPushRow[] = [
      { kind: 'product', customCode: 'MUG-02 ', quantity: -1 },
      { kind: 'product', customCode: 'MUG-02 ', quantity: 1.5 },
      { kind: 'option', optionCode: 'X', quantity: 1 },
      // An option matched by its JAN that has no オプション独自コード.
      { kind: 'option', customCode: 'SH-100', optionCode: '', quantity: 4 },
      { kind: 'product', customCode: 'A〜B', quantity: 1 },
    ];
    const result = await client().pushStock(creds, [{ kind: 'product', customCode: 'TS-001', quantity: 3 }, ...bad]);
    assert.equal(result.rowsSucceeded, 1);
    assert.deepEqual(result.failures.map((f) => f.row), bad);
    assert.ok(result.failures.every((f) => f.permanent === true));
    assert.match(result.failures[0]!.message, /数量は0以上の整数/);
    assert.match(result.failures[2]!.message, /システム商品コードまたは独自商品コード/);
    assert.match(result.failures[3]!.message, /オプション独自コードが未設定/);
    assert.match(result.failures[4]!.message, /Shift_JIS/);
    assert.equal((await stockOf(creds.shopId)).find((r) => r.customCode === 'TS-001' && !r.optionCode)?.quantity, 3);
  });
});

void describe('getOrder / listOrders (orderinfo XML)', () => {
  void test('one order with one line: codes as MakeShop holds them', async () => {
    const creds = await seedShop();
    const { orderNumber } = await placeOrder(creds.shopId, { lines: [{ code: 'MUG-02 ', quantity: 2 }], orderedAt: '2024-05-01T12:34:56+09:00' });
    const order = await client().getOrder(creds, orderNumber);
    assert.deepEqual(order, {
      orderNumber,
      status: 'ordered',
      rawStatus: '1',
      orderedAt: '2024-05-01T12:34:56+09:00',
      lines: [{ systemCode: '000000000016', customCode: 'MUG-02 ', jan: '4580000000017', name: 'マグカップ', quantity: 2 }],
    });
  });

  void test('one order with many lines, options included', async () => {
    const creds = await seedShop();
    const { orderNumber } = await placeOrder(creds.shopId, {
      lines: [
        { code: 'ＳＨ-100-灰-M', quantity: 1 },
        { code: 'TS-001', quantity: 3 },
        { code: 'CAP-01', quantity: 1 },
      ],
    });
    const order = await client().getOrder(creds, orderNumber);
    assert.deepEqual(
      order?.lines.map((line) => [line.systemCode, line.customCode, line.optionCode, line.quantity]),
      [
        ['000000000013', 'SH-100', 'ＳＨ-100-灰-M', 1],
        ['000000000012', 'TS-001', undefined, 3],
        ['000000000015', 'CAP-01', undefined, 1],
      ],
    );
  });

  void test('an unknown order number → null', async () => {
    const creds = await seedShop();
    assert.equal(await client().getOrder(creds, 'PB0000000000000000000'), null);
  });

  void test('cancelled and provisional orders keep their status', async () => {
    const creds = await seedShop();
    const cancelled = await placeOrder(creds.shopId, { lines: [{ code: 'TS-001', quantity: 1 }] });
    await control('POST', `/__sim/shops/${creds.shopId}/orders/${cancelled.orderNumber}/cancel`);
    const provisional = await placeOrder(creds.shopId, { lines: [{ code: 'TS-001', quantity: 1 }], provisional: true });
    const gateway = client();
    assert.deepEqual(
      [(await gateway.getOrder(creds, cancelled.orderNumber))?.status, (await gateway.getOrder(creds, cancelled.orderNumber))?.rawStatus],
      ['cancelled', '0'],
    );
    assert.equal((await gateway.getOrder(creds, provisional.orderNumber))?.status, 'provisional');
  });

  void test('listOrders narrows the window while a page holds 100 orders and returns each order once', async () => {
    const creds = await seedShop();
    const start = Date.parse('2024-06-01T00:00:00+09:00');
    const placed: string[] = [];
    for (let i = 0; i < 230; i++) {
      const orderedAt = new Date(start + i * 7_000).toISOString();
      placed.push((await placeOrder(creds.shopId, { lines: [{ code: 'CAP-01', quantity: 1 }], orderedAt })).orderNumber);
    }
    await control('POST', `/__sim/shops/${creds.shopId}/orders/${placed[5]}/cancel`);
    await placeOrder(creds.shopId, { lines: [{ code: 'CAP-01', quantity: 1 }], orderedAt: '2024-07-01T00:00:00+09:00' });

    const orders = await client().listOrders(creds, { from: new Date(start), to: new Date(start + 229 * 7_000) });

    assert.deepEqual(orders.map((order) => order.orderNumber).sort(), [...placed].sort());
    assert.equal(orders.find((order) => order.orderNumber === placed[5])?.status, 'cancelled');
    const orderinfoCalls = (await callsOf(creds.shopId)).filter((call) => call.endpoint === 'orderinfo');
    assert.ok(orderinfoCalls.length >= 5, `expected the window to be split, saw ${orderinfoCalls.length} calls`);
  });

  void test('listOrders refuses a window that ends before it starts', async () => {
    const creds = await seedShop();
    const error = await rejection(client().listOrders(creds, { from: new Date(2_000_000), to: new Date(1_000_000) }));
    assert.equal(error.kind, 'validation');
  });
});

void describe('testConnection', () => {
  void test('ok with good credentials', async () => {
    assert.deepEqual(await client().testConnection(await seedShop()), { ok: true });
  });

  void test('names what is wrong', async () => {
    const creds = await seedShop();
    const gateway = client();
    assert.equal(((await gateway.testConnection({ ...creds, password: 'wrong' })) as { reason: string }).reason, 'credentials');
    assert.equal(((await gateway.testConnection({ ...creds, orderAuthCode: 'wrong' })) as { reason: string }).reason, 'order-auth-code');
    const disabled = await seedShop({ externalIntegrationEnabled: false });
    const notEnabled = await gateway.testConnection(disabled);
    assert.equal(notEnabled.ok, false);
    assert.equal((notEnabled as { reason: string }).reason, 'not-enabled');
    assert.match((notEnabled as { message: string }).message, /外部システム連携/);
    const offline = await new LegacyMakeshopClient({ baseUrl: await closedPortUrl(), minIntervalMs: 0, maxRetries: 0, logger }).testConnection(creds);
    assert.equal((offline as { reason: string }).reason, 'unreachable');
  });
});

void describe('errors become PlatformErrors', () => {
  void test('wrong admin password → auth, not retryable', async () => {
    const creds = await seedShop();
    const error = await rejection(client().pushStock({ ...creds, password: 'nope' }, [{ kind: 'product', customCode: 'TS-001', quantity: 1 }]));
    assert.deepEqual([error.kind, error.retryable], ['auth', false]);
  });

  void test('wrong order auth code → auth; integration not enabled → forbidden', async () => {
    const creds = await seedShop();
    const auth = await rejection(client().getOrder({ ...creds, orderAuthCode: 'nope' }, 'PB1'));
    assert.deepEqual([auth.kind, auth.retryable], ['auth', false]);
    const forbidden = await rejection(client().getOrder(await seedShop({ externalIntegrationEnabled: false }), 'PB1'));
    assert.deepEqual([forbidden.kind, forbidden.retryable], ['forbidden', false]);
  });

  void test('rule broken → throttled (retryable); 5xx → server (retryable)', async (t) => {
    t.after(() => control('PUT', '/__sim/faults', {}));
    const creds = await seedShop();
    await control('PUT', '/__sim/faults', { throttleRate: 1 });
    const throttled = await rejection(client({ maxRetries: 0 }).getOrder(creds, 'PB1'));
    assert.deepEqual([throttled.kind, throttled.retryable, throttled.status], ['throttled', true, 429]);
    const throttledUpload = await rejection(client({ maxRetries: 0 }).pushStock(creds, [{ kind: 'product', customCode: 'TS-001', quantity: 1 }]));
    assert.equal(throttledUpload.kind, 'throttled');
    await control('PUT', '/__sim/faults', { errorRate: 1 });
    const server = await rejection(client({ maxRetries: 0 }).getOrder(creds, 'PB1'));
    assert.deepEqual([server.kind, server.retryable, server.status], ['server', true, 500]);
  });

  void test('retryable failures are retried, spaced by the interval', async () => {
    const creds = await seedShop();
    let failuresLeft = 2;
    const flaky: typeof fetch = async (input, init) => {
      if (failuresLeft-- > 0) return new Response('busy', { status: 503 });
      return fetch(input, init);
    };
    assert.equal(await client({ fetch: flaky, maxRetries: 2 }).getOrder(creds, 'PB1'), null);
    const exhausted = await rejection(client({ fetch: async () => new Response('busy', { status: 503 }), maxRetries: 1 }).getOrder(creds, 'PB1'));
    assert.equal(exhausted.kind, 'server');
  });

  void test('unreachable → network; too slow → timeout; unreadable reply → protocol', async (t) => {
    t.after(() => control('PUT', '/__sim/faults', {}));
    const creds = await seedShop();
    const offline = await rejection(new LegacyMakeshopClient({ baseUrl: await closedPortUrl(), maxRetries: 0, logger }).getOrder(creds, 'PB1'));
    assert.deepEqual([offline.kind, offline.retryable], ['network', true]);

    await control('PUT', '/__sim/faults', { latencyMs: 300 });
    const slow = await rejection(client({ timeoutMs: 50, maxRetries: 0 }).getOrder(creds, 'PB1'));
    assert.deepEqual([slow.kind, slow.retryable], ['timeout', true]);

    const html = async () => new Response('<html>メンテナンス中</html>', { status: 200, headers: { 'content-type': 'text/html' } });
    const garbled = await rejection(client({ fetch: html, maxRetries: 0 }).getOrder(creds, 'PB1'));
    assert.equal(garbled.kind, 'protocol');
    const upload = await rejection(client({ fetch: html, maxRetries: 0 }).pushStock(creds, [{ kind: 'product', customCode: 'TS-001', quantity: 1 }]));
    assert.equal(upload.kind, 'protocol');
  });
});

void describe('MakeShop rule: one request at a time, ≥ minIntervalMs apart, per shop', () => {
  void test('10 concurrent callers on one client never overlap and keep the interval', async () => {
    const creds = await seedShop();
    const other = await seedShop();
    const gateway = client();
    const callers = Array.from({ length: 10 }, (_, i) =>
      i % 3 === 0
        ? gateway.pushStock(creds, [{ kind: 'product', customCode: 'TS-001', quantity: i }])
        : i % 3 === 1
          ? gateway.getOrder(creds, `PB${i}`)
          : gateway.listOrders(creds, { from: new Date(Date.now() - 60_000), to: new Date() }),
    );
    const otherShop = gateway.getOrder(other, 'PB1');
    await Promise.all([...callers, otherShop]);

    const calls = (await callsOf(creds.shopId)).sort((a, b) => a.startedAt - b.startedAt);
    assert.equal(calls.length, 4 * 2 + 6, 'four pushes of two calls, six order reads');
    assert.ok(calls.every((call) => call.outcome === 'accepted'), 'MakeShop refused none of them');
    for (let i = 1; i < calls.length; i++) {
      const previous = calls[i - 1]!;
      const current = calls[i]!;
      assert.ok(current.startedAt >= previous.finishedAt, `call ${i} overlaps the previous one`);
      assert.ok(current.startedAt - previous.startedAt >= INTERVAL_MS, `call ${i} came ${current.startedAt - previous.startedAt} ms after the previous one`);
    }
    const otherCall = (await callsOf(other.shopId))[0]!;
    assert.ok(otherCall.startedAt < calls[calls.length - 1]!.startedAt, 'another shop is not held up behind this one');
  });
});

void describe('更新通知 (order notifications)', () => {
  void test('parseOrderNotification reads the substituted template and names what is malformed', () => {
    assert.deepEqual(parseOrderNotification({ shopid: 'shop1', ordernum: 'PB2024050112345600001', cmd: '2' }), {
      shopId: 'shop1',
      orderNumber: 'PB2024050112345600001',
      cmd: 2,
    });
    assert.equal(parseOrderNotification({ shopid: 's', ordernum: 'A1', cmd: ['4'] }).cmd, 4);
    assert.throws(() => parseOrderNotification({ shopid: 's', ordernum: 'A1', cmd: '5' }), /cmd must be 0 \(new\)/);
    assert.throws(() => parseOrderNotification({ shopid: 's', ordernum: '[ORDERNUM]', cmd: '0' }), /placeholder/);
    assert.throws(() => parseOrderNotification({ ordernum: 'A1', cmd: '0' }), /shopid is missing/);
    assert.throws(() => parseOrderNotification({ shopid: 's', ordernum: 'A1', cmd: ['0', '1'] }), /cmd is missing or repeated/);
    assert.throws(() => parseOrderNotification({ shopid: 's', ordernum: 'x'.repeat(27), cmd: '0' }), /ordernum must be/);
  });

  void test('the simulator calls our template with cmd 0 on an order and cmd 2 on its cancellation', async (t) => {
    const received: Record<string, string>[] = [];
    const receiver = await listen(createServer((req, res) => {
      received.push(Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams));
      res.end();
    }));
    t.after(() => new Promise((resolve) => receiver.close(resolve)));
    const creds = await seedShop();
    const template = notificationUrlTemplate(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, 'tenant-secret');
    assert.match(template, /\/webhooks\/makeshop\/orders\/tenant-secret\?shopid=\[SHOPID\]&ordernum=\[ORDERNUM\]&cmd=\[CMD\]$/);
    await control('PUT', `/__sim/shops/${creds.shopId}/notification-url`, { url: template });

    const { orderNumber } = await placeOrder(creds.shopId, { lines: [{ code: 'TS-001', quantity: 1 }] });
    await control('POST', `/__sim/shops/${creds.shopId}/orders/${orderNumber}/cancel`);
    await running.sim.state.notificationsSettled();

    assert.deepEqual(received.map(parseOrderNotification), [
      { shopId: creds.shopId, orderNumber, cmd: 0 },
      { shopId: creds.shopId, orderNumber, cmd: 2 },
    ]);
    const log = await control<NotificationLogEntry[]>('GET', `/__sim/shops/${creds.shopId}/notifications`);
    assert.deepEqual(log.map((entry) => entry.outcome), ['delivered', 'delivered']);
  });
});

function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function closedPortUrl(): Promise<string> {
  const server = await listen(createServer());
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
