import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NO_FAULTS, type FaultSettings } from '../../src/simulators/smaregi/guards';
import type { ContractSeed } from '../../src/simulators/smaregi/state';
import {
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  startSmaregiSimulator,
  type RunningSmaregiSimulator,
} from '../../src/simulators/smaregi/testing';

const CID = 'sb_conform1';
const OTHER_CID = 'sb_conform2';
const BASIC = `Basic ${Buffer.from(`${TEST_CLIENT_ID}:${TEST_CLIENT_SECRET}`).toString('base64')}`;
const SECRET_HEADER = { name: 'X-Zaiko-Webhook-Secret', value: 'conformance-secret' };
const T0 = Date.parse('2026-03-02T01:00:00Z');

/** Product ids are assigned in seed order: A-1 → 1, B-2 → 2, NOSTOCK → 3. */
function seed(contractId = CID): ContractSeed {
  return {
    contractId,
    stores: [
      { storeId: '1', storeName: '渋谷本店' },
      { storeId: '2', storeName: '梅田店' },
    ],
    products: [
      { productCode: 'A-1', productName: '商品A' },
      { productCode: 'B-2', productName: '商品B' },
      { productCode: 'NOSTOCK', productName: '在庫変動なし' },
    ],
    stock: [
      { storeId: '1', productCode: 'A-1', amount: 5 },
      { storeId: '2', productCode: 'A-1', amount: 7 },
      { storeId: '1', productCode: 'B-2', amount: 12 },
    ],
  };
}

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A webhook endpoint that records what it receives and answers `status`. */
async function startReceiver() {
  const received: ReceivedWebhook[] = [];
  const receiver = { received, status: 200, url: '', close: async () => {} };
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
      res.statusCode = receiver.status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/smaregi`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}

void describe('Smaregi simulator conformance', () => {
  let running: RunningSmaregiSimulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let clock: number;
  const draws: number[] = [];

  const send = async (
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${running.baseUrl}${path}`, {
      method,
      headers,
      ...(opts.body !== undefined && { body: JSON.stringify(opts.body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const tokenReply = async (contractId: string, form: string, authorization: string): Promise<Reply> => {
    const res = await fetch(`${running.baseUrl}/app/${contractId}/token`, {
      method: 'POST',
      headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
  const tokenFor = async (contractId = CID, scope?: string): Promise<string> => {
    const reply = await tokenReply(
      contractId,
      `grant_type=client_credentials${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`,
      BASIC,
    );
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return (reply.body as { access_token: string }).access_token;
  };
  const api = async (method: string, path: string, body?: unknown, contractId = CID) =>
    send(method, `/${contractId}/pos${path}`, {
      token: await tokenFor(contractId),
      ...(body !== undefined && { body }),
    });
  const control = (method: string, path: string, body?: unknown) =>
    send(method, `/__sim${path}`, body === undefined ? {} : { body });
  const setFaults = (f: Partial<FaultSettings>) => control('PUT', '/faults', { ...NO_FAULTS, ...f });

  before(async () => {
    receiver = await startReceiver();
    running = await startSmaregiSimulator({
      now: () => clock,
      random: () => draws.shift() ?? 0.99,
      readsPerSecond: 1000,
      writesPerSecond: 1000,
      webhook: { url: receiver.url, header: SECRET_HEADER },
    });
  });
  after(async () => {
    await running.close();
    await receiver.close();
  });
  beforeEach(async () => {
    clock = T0;
    draws.length = 0;
    running.sim.faults.set({ ...NO_FAULTS });
    running.sim.webhooks.setTarget({ url: receiver.url, header: SECRET_HEADER });
    await control('POST', '/contracts', seed());
    receiver.received.length = 0;
    receiver.status = 200;
  });

  void describe('authentication (§2)', () => {
    void test('the token endpoint issues a bearer token for HTTP Basic client credentials', async () => {
      const reply = await tokenReply(
        CID,
        'grant_type=client_credentials&scope=pos.stock%3Aread+pos.stores%3Aread',
        BASIC,
      );
      assert.equal(reply.status, 200);
      const body = reply.body as Record<string, unknown>;
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3600);
      assert.equal(body.scope, 'pos.stock:read pos.stores:read');
      assert.match(String(body.access_token), /^\S{20,}$/);
    });

    void test('wrong client credentials are a 401 problem+json', async () => {
      const reply = await tokenReply(
        CID,
        'grant_type=client_credentials',
        `Basic ${Buffer.from('test-client-id:nope').toString('base64')}`,
      );
      assert.equal(reply.status, 401);
      assert.match(reply.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.deepEqual(Object.keys(reply.body as object).sort(), ['detail', 'status', 'title', 'type']);
    });

    void test('grant_type must be client_credentials', async () => {
      assert.equal((await tokenReply(CID, 'grant_type=password', BASIC)).status, 400);
    });

    void test('a scope the app was not granted is a 400', async () => {
      assert.equal(
        (await tokenReply(CID, 'grant_type=client_credentials&scope=pos.everything%3Awrite', BASIC)).status,
        400,
      );
    });

    void test('a token for an unknown contract is refused', async () => {
      assert.equal((await tokenReply('sb_unknown', 'grant_type=client_credentials', BASIC)).status, 401);
    });

    void test('an unknown token is a 401 problem+json', async () => {
      const reply = await send('GET', `/${CID}/pos/stores`, { token: 'not-a-token' });
      assert.equal(reply.status, 401);
      assert.deepEqual(reply.body, {
        type: 'about:blank',
        title: 'Unauthorized',
        detail: 'アクセストークンが無効です',
        status: 401,
      });
    });

    void test('an expired token is a 401', async () => {
      const token = await tokenFor();
      clock += 3600 * 1000;
      assert.equal((await send('GET', `/${CID}/pos/stores`, { token })).status, 401);
    });

    void test('a token works only for the contract it was issued for', async () => {
      await control('POST', '/contracts', seed(OTHER_CID));
      assert.equal(
        (await send('GET', `/${OTHER_CID}/pos/stores`, { token: await tokenFor(CID) })).status,
        401,
      );
    });

    void test('a token without the endpoint scope is a 403', async () => {
      const token = await tokenFor(CID, 'pos.stock:read');
      assert.equal((await send('GET', `/${CID}/pos/stock`, { token })).status, 200);
      const reply = await send('PATCH', `/${CID}/pos/stock/1`, {
        token,
        body: { storeId: '1', stockAmount: '1' },
      });
      assert.equal(reply.status, 403);
      assert.match((reply.body as { detail: string }).detail, /pos\.stock:write/);
    });

    void test('token requests count against the read limit', async () => {
      const limited = await startSmaregiSimulator({ now: () => clock, readsPerSecond: 2 });
      try {
        limited.sim.state.replaceContract(seed());
        const post = () =>
          fetch(`${limited.baseUrl}/app/${CID}/token`, {
            method: 'POST',
            headers: { Authorization: BASIC },
            body: 'grant_type=client_credentials',
          });
        assert.deepEqual(
          [(await post()).status, (await post()).status, (await post()).status],
          [200, 200, 429],
        );
      } finally {
        await limited.close();
      }
    });
  });

  void describe('stores and products (§5.1, §5.2)', () => {
    void test('stores list is a bare JSON array with string ids', async () => {
      const reply = await api('GET', '/stores');
      assert.equal(reply.status, 200);
      assert.ok(Array.isArray(reply.body));
      assert.deepEqual(
        (reply.body as Record<string, unknown>[]).map((s) => [s.storeId, s.storeName, s.division]),
        [
          ['1', '渋谷本店', '0'],
          ['2', '梅田店', '0'],
        ],
      );
    });

    void test('products list is a bare JSON array with string ids and the stock-control division', async () => {
      const reply = await api('GET', '/products');
      const products = reply.body as Record<string, unknown>[];
      assert.deepEqual(
        products.map((p) => [p.productId, p.productCode, p.stockControlDivision]),
        [
          ['1', 'A-1', '0'],
          ['2', 'B-2', '0'],
          ['3', 'NOSTOCK', '0'],
        ],
      );
      assert.match(String(products[0]?.updDateTime), /^2026-03-02T10:00:00\+09:00$/);
    });

    void test('products filter by product_code (exact) and product_id', async () => {
      assert.deepEqual(
        ((await api('GET', '/products?product_code=B-2')).body as { productId: string }[]).map(
          (p) => p.productId,
        ),
        ['2'],
      );
      assert.deepEqual((await api('GET', '/products?product_code=B-')).body, []);
      assert.deepEqual(
        ((await api('GET', '/products?product_id=3')).body as { productCode: string }[]).map(
          (p) => p.productCode,
        ),
        ['NOSTOCK'],
      );
    });

    void test('products filter by upd_date_time-from', async () => {
      assert.equal(
        (
          (
            await api(
              'GET',
              `/products?upd_date_time-from=${encodeURIComponent('2026-03-02T10:00:00+09:00')}`,
            )
          ).body as unknown[]
        ).length,
        3,
      );
      assert.equal(
        (
          (
            await api(
              'GET',
              `/products?upd_date_time-from=${encodeURIComponent('2026-03-02T10:00:01+09:00')}`,
            )
          ).body as unknown[]
        ).length,
        0,
      );
    });

    void test('lists are paged with limit (default 100, at most 1000) and page from 1', async () => {
      const products = Array.from({ length: 250 }, (_, i) => ({
        productCode: `P-${i}`,
        productName: `商品${i}`,
      }));
      await control('POST', '/contracts', { ...seed(), products, stock: [] });
      const token = await tokenFor();
      const ids = async (query: string) =>
        ((await send('GET', `/${CID}/pos/products${query}`, { token })).body as { productId: string }[]).map(
          (p) => p.productId,
        );
      assert.equal((await ids('')).length, 100);
      assert.deepEqual((await ids('?limit=100&page=3')).slice(0, 2), ['201', '202']);
      assert.equal((await ids('?limit=100&page=3')).length, 50);
      assert.deepEqual(await ids('?limit=100&page=4'), []);
      assert.equal((await ids('?limit=1000')).length, 250);
    });

    void test('limit above 1000 is a 400', async () => {
      const reply = await api('GET', '/products?limit=1001');
      assert.equal(reply.status, 400);
      assert.equal((reply.body as { title: string }).title, 'Bad Request');
    });

    void test('limit 0 and page 0 are a 400', async () => {
      assert.equal((await api('GET', '/stock?limit=0')).status, 400);
      assert.equal((await api('GET', '/stock?page=0')).status, 400);
    });
  });

  void describe('stock read (§5.3)', () => {
    void test('stock list is a bare JSON array with string numbers', async () => {
      const reply = await api('GET', '/stock?product_id=1');
      assert.deepEqual(reply.body, [
        {
          storeId: '1',
          productId: '1',
          stockAmount: '5',
          layawayStockAmount: '0',
          updDateTime: '2026-03-02T10:00:00+09:00',
        },
        {
          storeId: '2',
          productId: '1',
          stockAmount: '7',
          layawayStockAmount: '0',
          updDateTime: '2026-03-02T10:00:00+09:00',
        },
      ]);
    });

    void test('a product has no stock row until its stock changes', async () => {
      assert.deepEqual((await api('GET', '/stock?product_id=3')).body, []);
      await api('POST', '/stock/3/add', { storeId: '2', stockAmount: '0' });
      assert.deepEqual(
        ((await api('GET', '/stock?product_id=3')).body as { storeId: string; stockAmount: string }[]).map(
          (r) => [r.storeId, r.stockAmount],
        ),
        [['2', '0']],
      );
    });

    void test('stock filters by store_id and product_id', async () => {
      const rows = (await api('GET', '/stock?store_id=1')).body as { productId: string }[];
      assert.deepEqual(
        rows.map((r) => r.productId),
        ['1', '2'],
      );
      assert.deepEqual((await api('GET', '/stock?store_id=2&product_id=2')).body, []);
    });

    void test('stock filters by upd_date_time-from and -to', async () => {
      clock = T0 + 60_000;
      await api('POST', '/stock/2/add', { storeId: '1', stockAmount: '-1' });
      const window = (from: string, to: string) =>
        api(
          'GET',
          `/stock?upd_date_time-from=${encodeURIComponent(from)}&upd_date_time-to=${encodeURIComponent(to)}`,
        ).then((r) => (r.body as { productId: string }[]).map((x) => x.productId));
      assert.deepEqual(await window('2026-03-02T10:00:30+09:00', '2026-03-02T10:05:00+09:00'), ['2']);
      assert.deepEqual(await window('2026-03-02T01:00:00Z', '2026-03-02T01:00:10Z'), ['1', '1']);
    });

    void test('an upd_date_time window longer than 31 days is a 400', async () => {
      const reply = await api(
        'GET',
        `/stock?upd_date_time-from=${encodeURIComponent('2026-01-01T00:00:00+09:00')}&upd_date_time-to=${encodeURIComponent('2026-02-02T00:00:00+09:00')}`,
      );
      assert.equal(reply.status, 400);
      assert.match((reply.body as { detail: string }).detail, /31日/);
    });

    void test('a datetime that is not YYYY-MM-DDThh:mm:ssTZD is a 400 (e.g. an unencoded "+")', async () => {
      assert.equal((await api('GET', '/stock?upd_date_time-from=2026-03-02T10:00:00+09:00')).status, 400);
    });
  });

  void describe('stock write (§5.4)', () => {
    void test('PATCH stock sets the absolute amount and answers with the stock history id', async () => {
      const reply = await api('PATCH', '/stock/1', {
        storeId: '1',
        stockAmount: '30',
        stockHistory: { memo: 'MakeShop #1' },
      });
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.body, {
        productId: '1',
        storeId: '1',
        stockAmount: '30',
        updDateTime: '2026-03-02T10:00:00+09:00',
        stockHistory: { id: '1', memo: 'MakeShop #1' },
      });
    });

    void test('POST stock add adds a relative amount; a negative amount subtracts', async () => {
      assert.equal(
        (
          (await api('POST', '/stock/1/add', { storeId: '1', stockAmount: '3' })).body as {
            stockAmount: string;
          }
        ).stockAmount,
        '8',
      );
      assert.equal(
        (
          (await api('POST', '/stock/1/add', { storeId: '1', stockAmount: -10 })).body as {
            stockAmount: string;
          }
        ).stockAmount,
        '-2',
      );
    });

    void test('every stock change records a stock-history row with the delta and the result', async () => {
      await api('POST', '/stock/1/add', { storeId: '2', stockAmount: '-2', stockHistory: { memo: 'sale' } });
      await api('PATCH', '/stock/1', { storeId: '2', stockAmount: '9' });
      const history = running.sim.state
        .contract(CID)
        ?.history.map((h) => [h.id, h.amount, h.stockAmount, h.memo]);
      assert.deepEqual(history, [
        ['1', -2, 5, 'sale'],
        ['2', 4, 9, ''],
      ]);
    });

    void test('a stock write to an unknown store is a 400 「指定された店舗IDのリソースが見つかりません」', async () => {
      const reply = await api('PATCH', '/stock/1', { storeId: '99', stockAmount: '1' });
      assert.deepEqual(reply.body, {
        type: 'about:blank',
        title: 'Bad Request',
        detail: '指定された店舗IDのリソースが見つかりません',
        status: 400,
      });
    });

    void test('a stock write to an unknown product is a 404 「指定されたIDのリソースが見つかりません」', async () => {
      const reply = await api('POST', '/stock/999/add', { storeId: '1', stockAmount: '1' });
      assert.deepEqual(reply.body, {
        type: 'about:blank',
        title: 'NotFound',
        detail: '指定されたIDのリソースが見つかりません',
        status: 404,
      });
    });

    void test('a relative update whose result exceeds 999,999,999 is a 400 with the documented detail', async () => {
      const reply = await api('POST', '/stock/1/add', { storeId: '1', stockAmount: '999999999' });
      assert.equal(reply.status, 400);
      assert.equal(
        (reply.body as { detail: string }).detail,
        '更新後の在庫数は[999999999]以下である必要があります',
      );
    });

    void test('input limits: absolute ±999,999,999, relative ±1,999,999,998, memo ≤100 characters', async () => {
      assert.equal((await api('PATCH', '/stock/1', { storeId: '1', stockAmount: '1000000000' })).status, 400);
      assert.equal(
        (await api('POST', '/stock/1/add', { storeId: '1', stockAmount: '-1999999999' })).status,
        400,
      );
      assert.equal(
        (
          await api('PATCH', '/stock/1', {
            storeId: '1',
            stockAmount: '1',
            stockHistory: { memo: 'x'.repeat(101) },
          })
        ).status,
        400,
      );
      assert.equal((await api('PATCH', '/stock/1', { storeId: '1', stockAmount: '1.5' })).status, 400);
    });
  });

  void describe('pos:stock webhooks (§6)', () => {
    void test('pos:stock webhook carries ids only with the Smaregi-* headers and the custom secret header', async () => {
      const write = (await api('POST', '/stock/2/add', { storeId: '1', stockAmount: '-1' })).body as {
        stockHistory: { id: string };
      };
      await running.sim.webhooksSettled();
      assert.equal(receiver.received.length, 1);
      const [hook] = receiver.received;
      assert.deepEqual(hook?.body, {
        contractId: CID,
        event: 'pos:stock',
        action: 'edited',
        ids: [{ id: write.stockHistory.id, productId: '2', storeId: '1' }],
      });
      assert.equal(hook?.headers['content-type'], 'application/json');
      assert.equal(hook?.headers['smaregi-contract-id'], CID);
      assert.equal(hook?.headers['smaregi-event'], 'pos:stock');
      assert.match(
        String(hook?.headers['smaregi-event-id']),
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      assert.match(String(hook?.headers['user-agent']), /^Smaregi-Platform-Api-Webhook\//);
      assert.equal(hook?.headers['x-zaiko-webhook-secret'], SECRET_HEADER.value);
    });

    void test('each stock change fires its own webhook, after the change, with its own event id', async () => {
      await api('PATCH', '/stock/1', { storeId: '1', stockAmount: '1' });
      await api('PATCH', '/stock/1', { storeId: '2', stockAmount: '2' });
      await running.sim.webhooksSettled();
      assert.equal(receiver.received.length, 2);
      assert.notEqual(
        receiver.received[0]?.headers['smaregi-event-id'],
        receiver.received[1]?.headers['smaregi-event-id'],
      );
    });

    void test('failed webhook deliveries are recorded and not retried', async () => {
      receiver.status = 500;
      await api('PATCH', '/stock/1', { storeId: '1', stockAmount: '1' });
      await running.sim.webhooksSettled();
      assert.equal(receiver.received.length, 1);
      const deliveries = (await control('GET', `/contracts/${CID}/webhook-deliveries`)).body as {
        outcome: string;
        status: number;
      }[];
      assert.deepEqual(
        deliveries.map((d) => [d.outcome, d.status]),
        [['failed', 500]],
      );
    });
  });

  void describe('shipments (§5.6, unconfirmed)', () => {
    const shipment = (over: Record<string, unknown> = {}) => ({
      shipmentStoreId: '1',
      recipientType: '3',
      shipmentDivision: '0',
      status: '2',
      identificationNo: 'MS-20260302-01',
      details: [{ productId: '1', quantity: '2' }],
      ...over,
    });

    void test('a shipped shipment (status 2) takes its lines out of the store stock as history division 10', async () => {
      const reply = await api('POST', '/shipments', shipment());
      assert.equal(reply.status, 200);
      const created = reply.body as Record<string, unknown>;
      assert.equal(created.shipmentId, '1');
      assert.deepEqual(created.details, [{ productId: '1', quantity: '2' }]);
      assert.deepEqual((await control('GET', `/contracts/${CID}/stock?productCode=A-1`)).body, {
        perStore: [
          { storeId: '1', amount: 3 },
          { storeId: '2', amount: 7 },
        ],
        total: 10,
      });
      const last = running.sim.state.contract(CID)?.history.at(-1);
      assert.equal(last?.stockDivision, '10');
      await running.sim.webhooksSettled();
      assert.equal(receiver.received.length, 1, 'the stock change is announced as pos:stock');
    });

    void test('an unshipped shipment (status 0) leaves stock alone', async () => {
      await api('POST', '/shipments', shipment({ status: '0' }));
      assert.equal(
        ((await control('GET', `/contracts/${CID}/stock?productCode=A-1`)).body as { total: number }).total,
        12,
      );
    });

    void test('shipments are found by identification_no', async () => {
      await api('POST', '/shipments', shipment());
      await api('POST', '/shipments', shipment({ identificationNo: 'MS-20260302-02' }));
      const found = (await api('GET', '/shipments?identification_no=MS-20260302-02')).body as {
        shipmentId: string;
      }[];
      assert.deepEqual(
        found.map((s) => s.shipmentId),
        ['2'],
      );
      assert.equal(((await api('GET', '/shipments')).body as unknown[]).length, 2);
    });

    void test('DELETE a shipment restores the stock it took and removes it', async () => {
      await api('POST', '/shipments', shipment());
      assert.equal((await api('DELETE', '/shipments/1')).status, 204);
      assert.equal(
        ((await control('GET', `/contracts/${CID}/stock?productCode=A-1`)).body as { total: number }).total,
        12,
      );
      assert.equal((await api('GET', '/shipments/1')).status, 404);
      assert.equal((await api('DELETE', '/shipments/1')).status, 404);
      assert.deepEqual(
        ((await control('GET', `/contracts/${CID}/shipments`)).body as { deleted: boolean }[]).map(
          (s) => s.deleted,
        ),
        [true],
      );
    });

    void test('shipment validation: identificationNo ≤32, known store and products, 1–500 lines', async () => {
      assert.equal(
        (await api('POST', '/shipments', shipment({ identificationNo: 'x'.repeat(33) }))).status,
        400,
      );
      assert.equal((await api('POST', '/shipments', shipment({ shipmentStoreId: '99' }))).status, 400);
      assert.equal(
        (await api('POST', '/shipments', shipment({ details: [{ productId: '999', quantity: '1' }] })))
          .status,
        400,
      );
      assert.equal((await api('POST', '/shipments', shipment({ details: [] }))).status, 400);
      assert.equal((await api('POST', '/shipments', shipment({ status: '1' }))).status, 400);
      assert.equal(
        ((await control('GET', `/contracts/${CID}/stock?productCode=A-1`)).body as { total: number }).total,
        12,
        'nothing was applied',
      );
    });
  });

  void describe('rate limits (§4.4)', () => {
    void test('requests over the per-contract rate get 429 with Retry-After; contracts and reads/writes are counted apart', async () => {
      const limited = await startSmaregiSimulator({
        now: () => clock,
        readsPerSecond: 3,
        writesPerSecond: 1,
      });
      try {
        limited.sim.state.replaceContract(seed());
        limited.sim.state.replaceContract(seed(OTHER_CID));
        const token = limited.sim.state.issueToken(CID, ['pos.stores:read', 'pos.stock:write']).value;
        const other = limited.sim.state.issueToken(OTHER_CID, ['pos.stores:read']).value;
        const call = (method: string, contractId: string, t: string, path = '/stores', body?: unknown) =>
          fetch(`${limited.baseUrl}/${contractId}/pos${path}`, {
            method,
            headers: { Authorization: `Bearer ${t}`, 'Content-Type': 'application/json' },
            ...(body !== undefined && { body: JSON.stringify(body) }),
          });
        const statuses = [];
        for (let i = 0; i < 4; i++) statuses.push((await call('GET', CID, token)).status);
        assert.deepEqual(statuses, [200, 200, 200, 429]);
        const throttled = await call('GET', CID, token);
        assert.equal(throttled.headers.get('retry-after'), '1');
        assert.deepEqual(await throttled.json(), {
          type: 'about:blank',
          title: 'Too Many Requests',
          detail: 'リクエスト数が上限を超えました',
          status: 429,
        });
        assert.equal(
          (await call('GET', OTHER_CID, other)).status,
          200,
          'another contract has its own allowance',
        );
        const write = () =>
          call('PATCH', CID, token, '/stock/1', { storeId: '1', stockAmount: '1' }).then((r) => r.status);
        assert.deepEqual([await write(), await write()], [200, 429]);
        clock += 1000;
        assert.equal((await call('GET', CID, token)).status, 200, 'the allowance refills each second');
      } finally {
        await limited.close();
      }
    });
  });

  void test('unknown platform paths are a 404 problem+json', async () => {
    const reply = await api('GET', '/no-such-resource');
    assert.equal(reply.status, 404);
    assert.equal((reply.body as { status: number }).status, 404);
  });

  void describe('control API (DESIGN §6)', () => {
    void test('POST /__sim/contracts creates a contract and assigns productIds', async () => {
      const reply = await control('POST', '/contracts', seed(OTHER_CID));
      assert.equal(reply.status, 201);
      const body = reply.body as { products: { productId: string; productCode: string }[] };
      assert.deepEqual(
        body.products.map((p) => [p.productId, p.productCode]),
        [
          ['1', 'A-1'],
          ['2', 'B-2'],
          ['3', 'NOSTOCK'],
        ],
      );
    });

    void test('a second POST for the same contract replaces it', async () => {
      await api('POST', '/stock/3/add', { storeId: '1', stockAmount: '4' });
      await control('POST', '/contracts', {
        ...seed(),
        products: [{ productCode: 'NEW-1', productName: '新商品' }],
        stock: [],
      });
      assert.deepEqual(
        ((await api('GET', '/products')).body as { productCode: string }[]).map((p) => p.productCode),
        ['NEW-1'],
      );
      assert.deepEqual((await api('GET', '/stock')).body, []);
    });

    void test('bad control input is a 400 with a clear message', async () => {
      const cases: [unknown, RegExp][] = [
        [{ contractId: CID, stores: [], products: [] }, /stores/],
        [{ ...seed(), products: [{ productCode: 'コード', productName: 'x' }] }, /printable ASCII/],
        [{ ...seed(), products: [{ productCode: 'X'.repeat(21), productName: 'x' }] }, /productCode/],
        [{ ...seed(), stock: [{ storeId: '9', productCode: 'A-1', amount: 1 }] }, /unknown storeId 9/],
        [
          { ...seed(), products: [...seed().products, { productCode: 'A-1', productName: 'dup' }] },
          /appears twice/,
        ],
      ];
      for (const [body, message] of cases) {
        const reply = await control('POST', '/contracts', body);
        assert.equal(reply.status, 400, JSON.stringify(body));
        assert.equal((reply.body as { error: { code: string } }).error.code, 'bad_request');
        assert.match((reply.body as { error: { message: string } }).error.message, message);
      }
      const notJson = await fetch(`${running.baseUrl}/__sim/contracts`, { method: 'POST', body: '{' });
      assert.equal(notJson.status, 400);
    });

    void test('stock-adjustments change stock, record history and fire the webhook', async () => {
      const reply = await control('POST', `/contracts/${CID}/stock-adjustments`, {
        storeId: '2',
        productCode: 'A-1',
        delta: -3,
      });
      assert.deepEqual(reply.body, { productId: '1', storeId: '2', stockAmount: 4, stockHistoryId: '1' });
      await running.sim.webhooksSettled();
      assert.deepEqual(receiver.received[0]?.body.ids, [{ id: '1', productId: '1', storeId: '2' }]);
      assert.equal(
        (
          await control('POST', `/contracts/${CID}/stock-adjustments`, {
            storeId: '2',
            productCode: 'ZZ',
            delta: 1,
          })
        ).status,
        404,
      );
      assert.equal(
        (
          await control('POST', `/contracts/${CID}/stock-adjustments`, {
            storeId: '2',
            productCode: 'A-1',
            delta: 1.5,
          })
        ).status,
        400,
      );
      assert.equal(
        (
          await control('POST', '/contracts/sb_nobody/stock-adjustments', {
            storeId: '2',
            productCode: 'A-1',
            delta: 1,
          })
        ).status,
        404,
      );
    });

    void test('bulk stock-adjustments apply all at once and fire one webhook per change', async () => {
      const adjustments = Array.from({ length: 30 }, (_, i) => ({
        storeId: i % 2 === 0 ? '1' : '2',
        productCode: 'B-2',
        delta: -1,
      }));
      const reply = await control('POST', `/contracts/${CID}/stock-adjustments/bulk`, { adjustments });
      assert.equal((reply.body as { applied: number }).applied, 30);
      await running.sim.webhooksSettled();
      assert.equal(receiver.received.length, 30);
      assert.equal(
        ((await control('GET', `/contracts/${CID}/stock?productCode=B-2`)).body as { total: number }).total,
        12 - 30,
      );
    });

    void test('GET stock?productCode= totals every store, a store without a row counting 0', async () => {
      assert.deepEqual((await control('GET', `/contracts/${CID}/stock?productCode=B-2`)).body, {
        perStore: [
          { storeId: '1', amount: 12 },
          { storeId: '2', amount: 0 },
        ],
        total: 12,
      });
      assert.equal((await control('GET', `/contracts/${CID}/stock`)).status, 400);
    });

    void test('PUT /__sim/webhook redirects webhooks and validates the url', async () => {
      const second = await startReceiver();
      try {
        assert.equal(
          (await control('PUT', '/webhook', { url: second.url, header: { name: 'X-Other', value: 'v' } }))
            .status,
          200,
        );
        await control('POST', `/contracts/${CID}/stock-adjustments`, {
          storeId: '1',
          productCode: 'A-1',
          delta: 1,
        });
        await running.sim.webhooksSettled();
        assert.equal(receiver.received.length, 0);
        assert.equal(second.received[0]?.headers['x-other'], 'v');
      } finally {
        await second.close();
      }
      assert.equal((await control('PUT', '/webhook', { url: 'not a url' })).status, 400);
    });

    void test('webhookDropRate loses webhooks silently but records them as dropped', async () => {
      await setFaults({ webhookDropRate: 1 });
      await control('POST', `/contracts/${CID}/stock-adjustments`, {
        storeId: '1',
        productCode: 'A-1',
        delta: 1,
      });
      await running.sim.webhooksSettled();
      assert.equal(receiver.received.length, 0);
      assert.deepEqual(
        ((await control('GET', `/contracts/${CID}/webhook-deliveries`)).body as { outcome: string }[]).map(
          (d) => d.outcome,
        ),
        ['dropped'],
      );
    });
  });

  void describe('faults', () => {
    void test('errorRate answers 500 or 503 problem+json', async () => {
      const token = await tokenFor();
      await setFaults({ errorRate: 1 });
      draws.push(0.1, 0.9);
      const first = await send('GET', `/${CID}/pos/stores`, { token });
      const second = await send('GET', `/${CID}/pos/stores`, { token });
      assert.deepEqual([first.status, second.status], [500, 503]);
      assert.match(first.headers.get('content-type') ?? '', /problem\+json/);
    });

    void test('throttleRate answers 429 with Retry-After: 1', async () => {
      const token = await tokenFor();
      await setFaults({ throttleRate: 0.5 });
      draws.push(0.2, 0.7);
      const throttled = await send('GET', `/${CID}/pos/stores`, { token });
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get('retry-after'), '1');
      assert.equal((await send('GET', `/${CID}/pos/stores`, { token })).status, 200);
    });

    void test('retryAfterMaxSeconds draws Retry-After from 1..max; slowRate holds a call between slowMinMs and slowMaxMs', async () => {
      const token = await tokenFor();
      await setFaults({ throttleRate: 0.5, retryAfterMaxSeconds: 10 });
      draws.push(0.2, 0.95);
      const throttled = await send('GET', `/${CID}/pos/stores`, { token });
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get('retry-after'), '10');
      await setFaults({ slowRate: 0.5, slowMinMs: 200, slowMaxMs: 300 });
      draws.push(0.1, 0.5, 0.9);
      const started = Date.now();
      assert.equal((await send('GET', `/${CID}/pos/stores`, { token })).status, 200);
      assert.ok(Date.now() - started >= 240, `held ${Date.now() - started} ms`);
    });

    void test('faults never touch the control API', async () => {
      await setFaults({ errorRate: 1, latencyMs: 200 });
      const started = Date.now();
      assert.equal((await control('GET', `/contracts/${CID}/stock?productCode=A-1`)).status, 200);
      assert.ok(Date.now() - started < 150);
    });

    void test('latencyMs delays platform requests', async () => {
      const token = await tokenFor();
      await setFaults({ latencyMs: 60 });
      const started = Date.now();
      assert.equal((await send('GET', `/${CID}/pos/stores`, { token })).status, 200);
      assert.ok(Date.now() - started >= 55);
    });

    void test('fault settings are validated', async () => {
      assert.equal((await setFaults({ errorRate: 2 })).status, 400);
      assert.equal((await setFaults({ errorRate: 0.6, throttleRate: 0.6 })).status, 400);
      assert.deepEqual((await control('GET', '/faults')).body, NO_FAULTS);
    });
  });
});
