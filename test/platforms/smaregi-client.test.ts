import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../src/lib/logger';
import { PlatformError } from '../../src/platforms/http';
import { SmaregiClient, stockAmountFor, type SmaregiClientOptions } from '../../src/platforms/smaregi/client';
import { ContractRateLimiter } from '../../src/platforms/smaregi/rate-limiter';
import {
  SmaregiWebhookError,
  parseSmaregiWebhook,
  verifySmaregiWebhookSecret,
} from '../../src/platforms/smaregi/webhooks';
import { NO_FAULTS, type FaultSettings } from '../../src/simulators/smaregi/guards';
import type { ContractSeed } from '../../src/simulators/smaregi/state';
import {
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  startSmaregiSimulator,
  type RunningSmaregiSimulator,
} from '../../src/simulators/smaregi/testing';

const CID = 'sb_client01';
const OTHER_CID = 'sb_client02';
const silent = createLogger('test', 'silent');

/** Product ids are assigned in seed order: A-1 → 1, B-2 → 2, NOSTOCK → 3. */
function seed(contractId = CID): ContractSeed {
  return {
    contractId,
    stores: [
      { storeId: '1', storeName: '渋谷本店' },
      { storeId: '2', storeName: '倉庫', division: '1' },
    ],
    products: [
      { productCode: 'A-1', productName: '商品A' },
      { productCode: 'B-2', productName: '商品B', stockControlDivision: '1' },
      { productCode: 'NOSTOCK', productName: '在庫変動なし' },
    ],
    stock: [
      { storeId: '1', productCode: 'A-1', amount: 5 },
      { storeId: '2', productCode: 'A-1', amount: 7 },
      { storeId: '1', productCode: 'B-2', amount: 0 },
    ],
  };
}

interface Exchange {
  method: string;
  url: URL;
  status: number;
  at: number;
}

/** Wraps fetch to record every exchange (and optionally tamper with requests). */
function recordingFetch(
  log: Exchange[],
  tamper?: (url: URL, init: RequestInit) => RequestInit,
): typeof fetch {
  return async (input, init = {}) => {
    const url = new URL(String(input));
    const at = Date.now();
    const res = await fetch(url, tamper ? tamper(url, init) : init);
    log.push({ method: init.method ?? 'GET', url, status: res.status, at });
    return res;
  };
}

class FakeClock {
  t = Date.parse('2026-03-02T01:00:00Z');
  readonly sleeps: number[] = [];
  now = () => this.t;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
    this.t += ms;
    await Promise.resolve();
  };
}

function makeClient(baseUrl: string, opts: Partial<SmaregiClientOptions> = {}): SmaregiClient {
  return new SmaregiClient({
    idBaseUrl: baseUrl,
    apiBaseUrl: baseUrl,
    clientId: TEST_CLIENT_ID,
    clientSecret: TEST_CLIENT_SECRET,
    readsPerSecond: 1000,
    writesPerSecond: 1000,
    retryBaseDelayMs: 1,
    logger: silent,
    ...opts,
  });
}

async function rejectsWith(
  promise: Promise<unknown>,
  expected: Partial<{ kind: string; status: number; retryable: boolean; message: RegExp }>,
): Promise<PlatformError> {
  const err = await promise.then(
    () => assert.fail('expected a PlatformError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PlatformError, `expected PlatformError, got ${String(err)}`);
  if (expected.kind !== undefined) assert.equal(err.kind, expected.kind, err.message);
  if (expected.status !== undefined) assert.equal(err.status, expected.status, err.message);
  if (expected.retryable !== undefined) assert.equal(err.retryable, expected.retryable, err.message);
  if (expected.message) assert.match(err.message, expected.message);
  return err;
}

void describe('SmaregiClient against the simulator', () => {
  let running: RunningSmaregiSimulator;
  let client: SmaregiClient;
  let log: Exchange[];
  /** Scripted fault draws for the simulator; 0.99 (no fault) once used up. */
  const draws: number[] = [];
  const setFaults = (f: Partial<FaultSettings>) => running.sim.faults.set({ ...NO_FAULTS, ...f });

  before(async () => {
    running = await startSmaregiSimulator({
      readsPerSecond: 10_000,
      writesPerSecond: 10_000,
      random: () => draws.shift() ?? 0.99,
    });
  });
  after(() => running.close());
  beforeEach(() => {
    running.sim.state.replaceContract(seed());
    setFaults({});
    draws.length = 0;
    log = [];
    client = makeClient(running.baseUrl, { fetch: recordingFetch(log) });
  });

  void describe('reads', () => {
    void test('listStores returns every store with string ids', async () => {
      assert.deepEqual(await client.listStores(CID), [
        { storeId: '1', storeName: '渋谷本店', division: '0' },
        { storeId: '2', storeName: '倉庫', division: '1' },
      ]);
    });

    void test('listProducts pages with limit 1000 from page 1 until a short page', async () => {
      const products = Array.from({ length: 2500 }, (_, i) => ({
        productCode: `P-${i}`,
        productName: `商品${i}`,
      }));
      running.sim.state.replaceContract({ ...seed(), products, stock: [] });
      const progress: number[] = [];
      const listed = await client.listProducts(CID, { onPage: (n) => progress.push(n) });
      assert.equal(listed.length, 2500);
      assert.deepEqual(progress, [1000, 2000, 2500]);
      assert.deepEqual(listed[1234], {
        productId: '1235',
        productCode: 'P-1234',
        productName: '商品1234',
        stockControlDivision: '0',
      });
      const pages = log
        .filter((e) => e.url.pathname.endsWith('/pos/products'))
        .map((e) => [e.url.searchParams.get('limit'), e.url.searchParams.get('page')]);
      assert.deepEqual(pages, [
        ['1000', '1'],
        ['1000', '2'],
        ['1000', '3'],
      ]);
    });

    void test('listProducts with updatedFrom sends upd_date_time-from in Smaregi format', async () => {
      assert.equal(
        (await client.listProducts(CID, { updatedFrom: new Date(Date.now() - 60_000) })).length,
        3,
      );
      assert.equal(
        (await client.listProducts(CID, { updatedFrom: new Date(Date.now() + 3_600_000) })).length,
        0,
      );
      const sent = log
        .find((e) => e.url.pathname.endsWith('/pos/products'))
        ?.url.searchParams.get('upd_date_time-from');
      assert.match(sent ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$/);
    });

    void test('findProductByCode matches the code exactly', async () => {
      running.sim.state.replaceContract({
        ...seed(),
        products: [
          { productCode: 'ABC ', productName: 'trailing space' },
          { productCode: 'ABC', productName: 'exact' },
        ],
        stock: [],
      });
      assert.equal((await client.findProductByCode(CID, 'ABC'))?.productName, 'exact');
      assert.equal((await client.findProductByCode(CID, 'ABC '))?.productName, 'trailing space');
      assert.equal(await client.findProductByCode(CID, 'abc'), null);
    });

    void test('listStock parses string numbers and filters by store and product', async () => {
      const rows = await client.listStock(CID, { productId: '1' });
      assert.deepEqual(
        rows.map((r) => [r.storeId, r.stockAmount, r.layawayStockAmount]),
        [
          ['1', 5, 0],
          ['2', 7, 0],
        ],
      );
      assert.equal(typeof rows[0]?.updDateTime, 'string');
      assert.deepEqual(
        (await client.listStock(CID, { storeId: '2' })).map((r) => r.productId),
        ['1'],
      );
    });

    void test('a product with no stock row reads as 0', async () => {
      const rows = await client.listStock(CID, { productId: '3' });
      assert.deepEqual(rows, []);
      assert.equal(stockAmountFor(rows, '3', '1'), 0);
      assert.equal(stockAmountFor(await client.listStock(CID), '1', '2'), 7);
    });

    void test('listStock splits an update window longer than the API allows', async () => {
      const rows = await client.listStock(CID, { updatedFrom: new Date(Date.now() - 70 * 86_400_000) });
      assert.equal(rows.length, 3);
      const windows = log.filter((e) => e.url.pathname.endsWith('/pos/stock'));
      assert.equal(windows.length, 3);
      assert.ok(windows.every((e) => e.status === 200 && e.url.searchParams.has('upd_date_time-to')));
    });
  });

  void describe('writes', () => {
    void test('setStock sets the absolute amount and returns the stock history id', async () => {
      const result = await client.setStock(CID, {
        productId: '1',
        storeId: '1',
        amount: 42,
        memo: 'MakeShop #1001',
      });
      assert.equal(result.stockAmount, 42);
      assert.match(result.stockHistoryId ?? '', /^\d+$/);
      const history = running.sim.state.contract(CID)?.history.at(-1);
      assert.equal(history?.id, result.stockHistoryId);
      assert.equal(history?.memo, 'MakeShop #1001');
    });

    void test('addStock adds a delta, negative subtracts, and creates the row of an unchanged product', async () => {
      assert.equal((await client.addStock(CID, { productId: '1', storeId: '1', delta: -2 })).stockAmount, 3);
      assert.equal((await client.addStock(CID, { productId: '3', storeId: '2', delta: 4 })).stockAmount, 4);
      assert.equal(stockAmountFor(await client.listStock(CID, { productId: '3' }), '3', '2'), 4);
    });

    void test('a memo over 100 characters is cut to 100 rather than rejected', async () => {
      await client.setStock(CID, { productId: '1', storeId: '1', amount: 1, memo: 'x'.repeat(150) });
      assert.equal(running.sim.state.contract(CID)?.history.at(-1)?.memo.length, 100);
    });
  });

  void describe('shipments', () => {
    void test('createShipment ships from the store and decrements its stock', async () => {
      const shipment = await client.createShipment(CID, {
        storeId: '1',
        identificationNo: '20260302-0001',
        lines: [{ productId: '1', quantity: 2 }],
        memo: 'MakeShop 注文',
      });
      assert.equal(shipment.storeId, '1');
      assert.equal(shipment.status, '2');
      assert.equal(shipment.identificationNo, '20260302-0001');
      assert.deepEqual(shipment.lines, [{ productId: '1', quantity: 2 }]);
      assert.equal(stockAmountFor(await client.listStock(CID, { productId: '1' }), '1', '1'), 3);
    });

    void test('find by identificationNo makes the import idempotent', async () => {
      const orderNo = 'MS-0002';
      assert.equal(await client.findShipmentByIdentificationNo(CID, orderNo), null);
      const created = await client.createShipment(CID, {
        storeId: '1',
        identificationNo: orderNo,
        lines: [{ productId: '1', quantity: 1 }],
      });
      await client.createShipment(CID, {
        storeId: '1',
        identificationNo: 'MS-00021',
        lines: [{ productId: '1', quantity: 1 }],
      });
      const found = await client.findShipmentByIdentificationNo(CID, orderNo);
      assert.equal(found?.shipmentId, created.shipmentId);
      assert.deepEqual(found?.lines, [{ productId: '1', quantity: 1 }]);
    });

    void test('cancelShipment restores stock, and cancelling again is not an error', async () => {
      const created = await client.createShipment(CID, {
        storeId: '2',
        identificationNo: 'MS-0003',
        lines: [{ productId: '1', quantity: 7 }],
      });
      assert.equal(stockAmountFor(await client.listStock(CID, { productId: '1' }), '1', '2'), 0);
      await client.cancelShipment(CID, created.shipmentId);
      assert.equal(stockAmountFor(await client.listStock(CID, { productId: '1' }), '1', '2'), 7);
      assert.equal(await client.findShipmentByIdentificationNo(CID, 'MS-0003'), null);
      await client.cancelShipment(CID, created.shipmentId);
    });

    void test('an identificationNo over 32 characters is refused before sending', async () => {
      await rejectsWith(
        client.createShipment(CID, {
          storeId: '1',
          identificationNo: 'x'.repeat(33),
          lines: [{ productId: '1', quantity: 1 }],
        }),
        {
          kind: 'validation',
          retryable: false,
        },
      );
      assert.equal(log.length, 0);
    });
  });

  void describe('errors', () => {
    void test('400 is a non-retryable validation error carrying the problem detail', async () => {
      await rejectsWith(client.addStock(CID, { productId: '1', storeId: '99', delta: 1 }), {
        kind: 'validation',
        status: 400,
        retryable: false,
        message: /Bad Request: 指定された店舗IDのリソースが見つかりません/,
      });
      await rejectsWith(client.addStock(CID, { productId: '1', storeId: '1', delta: 999_999_999 }), {
        status: 400,
        message: /更新後の在庫数は\[999999999\]以下である必要があります/,
      });
      assert.equal(log.filter((e) => e.status === 400).length, 2, 'a 400 is not retried');
    });

    void test('404 is a non-retryable not-found error', async () => {
      await rejectsWith(client.setStock(CID, { productId: '999', storeId: '1', amount: 1 }), {
        kind: 'not-found',
        status: 404,
        retryable: false,
        message: /指定されたIDのリソースが見つかりません/,
      });
    });

    void test('wrong client credentials are a non-retryable auth error', async () => {
      const bad = makeClient(running.baseUrl, { clientSecret: 'wrong', fetch: recordingFetch(log) });
      await rejectsWith(bad.listStores(CID), {
        kind: 'auth',
        status: 401,
        retryable: false,
        message: /クライアント認証に失敗しました/,
      });
      assert.equal(log.length, 1);
    });

    void test('a token without the needed scope gets a 403', async () => {
      const readOnly = makeClient(running.baseUrl, { scopes: ['pos.stock:read'] });
      await rejectsWith(readOnly.setStock(CID, { productId: '1', storeId: '1', amount: 1 }), {
        kind: 'forbidden',
        status: 403,
        retryable: false,
      });
    });

    void test('a 401 from the API drops the token and retries once with a fresh one', async () => {
      const clientClock = new FakeClock();
      const simClock = new FakeClock();
      const sim = await startSmaregiSimulator({ now: simClock.now, tokenTtlSeconds: 60 });
      try {
        sim.sim.state.replaceContract(seed());
        const exchanges: Exchange[] = [];
        const c = makeClient(sim.baseUrl, { now: clientClock.now, fetch: recordingFetch(exchanges) });
        await c.listStores(CID);
        simClock.t += 61_000; // the server expired the token early; the client's cache still trusts it
        assert.equal((await c.listStores(CID)).length, 2);
        assert.deepEqual(
          exchanges.map((e) => e.status),
          [200, 200, 401, 200, 200],
        );
        assert.equal(sim.sim.state.tokensIssued, 2);
      } finally {
        await sim.close();
      }
    });

    void test('a second 401 in a row is thrown as an auth error', async () => {
      const broken = makeClient(running.baseUrl, {
        fetch: recordingFetch(log, (url, init) =>
          url.pathname.includes('/pos/') ? { ...init, headers: { Authorization: 'Bearer revoked' } } : init,
        ),
      });
      await rejectsWith(broken.listStores(CID), {
        kind: 'auth',
        status: 401,
        retryable: false,
        message: /アクセストークンが無効です/,
      });
      assert.deepEqual(
        log.map((e) => [e.url.pathname.endsWith('/token'), e.status]),
        [
          [true, 200],
          [false, 401],
          [true, 200],
          [false, 401],
        ],
      );
    });

    void test('a 5xx is retried, then succeeds', async () => {
      await client.listStores(CID); // token cached, so the scripted draws below hit the stores call
      setFaults({ errorRate: 0.5 });
      draws.push(0.1, 0.4); // 500, then 503, then a clean answer
      log.length = 0;
      assert.equal((await client.listStores(CID)).length, 2);
      assert.deepEqual(
        log.map((e) => e.status),
        [500, 503, 200],
      );
    });

    void test('5xx beyond maxRetries is thrown as a retryable server error', async () => {
      await client.listStores(CID);
      setFaults({ errorRate: 1 });
      log.length = 0;
      await rejectsWith(client.listStores(CID), {
        kind: 'server',
        retryable: true,
        message: /サーバーエラー/,
      });
      assert.equal(log.length, 4, 'one attempt plus maxRetries (3)');
    });

    void test('a POST that may have been applied (500) is not resent; a 503 is', async () => {
      await client.listStores(CID);
      setFaults({ errorRate: 0.5 });
      log.length = 0;
      draws.push(0.1);
      await rejectsWith(client.addStock(CID, { productId: '1', storeId: '1', delta: 1 }), {
        status: 500,
        retryable: true,
      });
      draws.push(0.4);
      assert.equal((await client.addStock(CID, { productId: '1', storeId: '1', delta: 1 })).stockAmount, 6);
      assert.deepEqual(
        log.map((e) => e.status),
        [500, 503, 200],
      );
    });

    void test('429 honours Retry-After, then succeeds', async () => {
      const clock = new FakeClock();
      const c = makeClient(running.baseUrl, { fetch: recordingFetch(log), sleep: clock.sleep });
      await c.listStores(CID);
      setFaults({ throttleRate: 0.5 });
      draws.push(0.1);
      log.length = 0;
      assert.equal((await c.listStores(CID)).length, 2);
      assert.deepEqual(
        log.map((e) => e.status),
        [429, 200],
      );
      assert.deepEqual(clock.sleeps, [1000]);
    });

    void test('429 beyond maxRetries is thrown with retryAfterMs', async () => {
      const clock = new FakeClock();
      const c = makeClient(running.baseUrl, {
        fetch: recordingFetch(log),
        sleep: clock.sleep,
        maxRetries: 2,
      });
      await c.listStores(CID);
      setFaults({ throttleRate: 1 });
      const err = await rejectsWith(c.listStores(CID), { kind: 'throttled', status: 429, retryable: true });
      assert.equal(err.details.retryAfterMs, 1000);
      assert.deepEqual(clock.sleeps, [1000, 1000]);
    });

    void test('a Retry-After longer than maxRetryAfterMs is left to the caller', async () => {
      const clock = new FakeClock();
      const c = makeClient(running.baseUrl, { sleep: clock.sleep, maxRetryAfterMs: 500 });
      await c.listStores(CID);
      setFaults({ throttleRate: 1 });
      const err = await rejectsWith(c.listStores(CID), { kind: 'throttled' });
      assert.equal(err.details.retryAfterMs, 1000);
      assert.deepEqual(clock.sleeps, []);
    });

    void test("the platform's own rate limit (429) is waited out", async () => {
      const simClock = new FakeClock();
      const limited = await startSmaregiSimulator({ now: simClock.now, readsPerSecond: 2 });
      try {
        limited.sim.state.replaceContract(seed());
        const exchanges: Exchange[] = [];
        const c = makeClient(limited.baseUrl, { fetch: recordingFetch(exchanges), sleep: simClock.sleep });
        await c.listStores(CID); // token + stores use up the two reads of this second
        assert.equal((await c.listStores(CID)).length, 2);
        assert.deepEqual(
          exchanges.map((e) => e.status),
          [200, 200, 429, 200],
        );
        assert.deepEqual(simClock.sleeps, [1000]);
      } finally {
        await limited.close();
      }
    });

    void test('a network error is retried, then succeeds', async () => {
      let failuresLeft = 1;
      const c = makeClient(running.baseUrl, {
        fetch: async (input, init) => {
          if (String(input).includes('/pos/') && failuresLeft-- > 0)
            throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
          return fetch(input, init);
        },
      });
      assert.equal((await c.listStores(CID)).length, 2);
      assert.equal(failuresLeft, -1);
    });

    void test('an unreachable platform is a retryable network error', async () => {
      const closed = await startSmaregiSimulator();
      await closed.close();
      const c = makeClient(closed.baseUrl, { maxRetries: 1 });
      await rejectsWith(c.listStores(CID), { kind: 'network', retryable: true, message: /ECONNREFUSED/ });
    });

    void test('a request slower than requestTimeoutMs is a retryable timeout', async () => {
      await client.listStores(CID);
      const c = makeClient(running.baseUrl, { requestTimeoutMs: 30, maxRetries: 0 });
      setFaults({ latencyMs: 150 });
      await rejectsWith(c.listStores(CID), { kind: 'timeout', retryable: true });
    });

    void test('a 200 whose body is not the documented shape is a protocol error', async () => {
      const c = makeClient(running.baseUrl, {
        fetch: async (input, init) =>
          String(input).includes('/pos/')
            ? new Response('{"stores":[]}', { status: 200 })
            : fetch(input, init),
      });
      await rejectsWith(c.listStores(CID), { kind: 'protocol', retryable: false });
    });
  });

  void describe('tokens', () => {
    void test('one token per contract, cached across calls and shared by concurrent callers', async () => {
      running.sim.state.replaceContract(seed(OTHER_CID));
      const before = running.sim.state.tokensIssued;
      await Promise.all([
        client.listStores(CID),
        client.listStores(CID),
        client.listStock(CID),
        client.listStores(OTHER_CID),
      ]);
      await client.listProducts(CID);
      assert.equal(running.sim.state.tokensIssued - before, 2);
    });

    void test('an expiring token is replaced before it expires, without a 401', async () => {
      const clock = new FakeClock();
      const short = await startSmaregiSimulator({ now: clock.now, tokenTtlSeconds: 2 });
      try {
        short.sim.state.replaceContract(seed());
        const exchanges: Exchange[] = [];
        const c = makeClient(short.baseUrl, { now: clock.now, fetch: recordingFetch(exchanges) });
        await c.listStores(CID);
        clock.t += 1_900; // inside the refresh margin (10% of a 2 s lifetime)
        await c.listStores(CID);
        assert.equal(short.sim.state.tokensIssued, 2);
        assert.ok(exchanges.every((e) => e.status === 200));
      } finally {
        await short.close();
      }
    });
  });
});

void describe('rate limiting', () => {
  void test('ContractRateLimiter spaces each contract and kind on its own', async () => {
    const clock = new FakeClock();
    const limiter = new ContractRateLimiter({
      readsPerSecond: 2,
      writesPerSecond: 1,
      now: clock.now,
      sleep: clock.sleep,
    });
    const start = clock.t;
    const readAt: number[] = [];
    for (let i = 0; i < 4; i++) {
      await limiter.acquire('a', 'read');
      readAt.push(clock.t - start);
    }
    assert.deepEqual(readAt, [0, 500, 1000, 1500]);
    const before = clock.t;
    await limiter.acquire('b', 'read');
    await limiter.acquire('a', 'write');
    assert.equal(clock.t, before, 'another contract and the write bucket are not held up');
    await limiter.acquire('a', 'write');
    assert.equal(clock.t - before, 1000);
  });

  void test('concurrent callers stay under the per-contract read and write rates', async () => {
    const readsPerSecond = 40;
    const writesPerSecond = 10;
    const running = await startSmaregiSimulator({ readsPerSecond, writesPerSecond });
    try {
      running.sim.state.replaceContract(seed(CID));
      running.sim.state.replaceContract(seed(OTHER_CID));
      const log: Exchange[] = [];
      const c = makeClient(running.baseUrl, { readsPerSecond, writesPerSecond, fetch: recordingFetch(log) });
      const started = Date.now();
      await Promise.all([
        ...Array.from({ length: 44 }, () => c.listStores(CID)),
        ...Array.from({ length: 44 }, () => c.listStores(OTHER_CID)),
        ...Array.from({ length: 11 }, () => c.addStock(CID, { productId: '1', storeId: '1', delta: 1 })),
      ]);
      const elapsed = Date.now() - started;
      assert.ok(
        log.every((e) => e.status === 200),
        'the platform never throttled the client',
      );
      assert.ok(elapsed >= 1000, `45 reads at 40/s take over a second (took ${elapsed} ms)`);
      assert.ok(elapsed < 1900, `contracts and kinds run in parallel (took ${elapsed} ms)`);
      for (const [contractId, method, rate] of [
        [CID, 'GET', readsPerSecond],
        [OTHER_CID, 'GET', readsPerSecond],
        [CID, 'POST', writesPerSecond],
      ] as const) {
        const times = log
          .filter((e) => e.url.pathname.includes(`/${contractId}/`) && e.method === method)
          .map((e) => e.at);
        assert.ok(
          maxInWindow(times, 1000) <= rate + 2,
          `${contractId} ${method}: ${maxInWindow(times, 1000)} in one second`,
        );
      }
    } finally {
      await running.close();
    }
  });
});

void describe('webhooks', () => {
  const headers = {
    'Smaregi-Contract-Id': CID,
    'Smaregi-Event': 'pos:stock',
    'Smaregi-Event-Id': 'b7c2f0a4-1111-4222-8333-944455556666',
  };

  void test('pos:stock becomes a stock event with one change per id', () => {
    const event = parseSmaregiWebhook(headers, {
      contractId: CID,
      event: 'pos:stock',
      action: 'edited',
      ids: [{ id: 15, productId: '1', storeId: 2 }],
    });
    assert.deepEqual(event, {
      type: 'stock',
      contractId: CID,
      eventId: headers['Smaregi-Event-Id'],
      action: 'edited',
      changes: [{ stockHistoryId: '15', productId: '1', storeId: '2' }],
    });
  });

  void test('header names are case-insensitive and arrays take the first value', () => {
    const event = parseSmaregiWebhook(
      { 'smaregi-contract-id': [CID], 'SMAREGI-EVENT': 'pos:products', 'smaregi-event-id': 'e-1' },
      JSON.stringify({
        contractId: CID,
        event: 'pos:products',
        action: 'bulk-update',
        productIds: ['1', '2'],
      }),
    );
    assert.deepEqual(event, {
      type: 'products',
      contractId: CID,
      eventId: 'e-1',
      action: 'bulk-update',
      productIds: ['1', '2'],
    });
  });

  void test('an AppSubscription notification is a subscription event', () => {
    const event = parseSmaregiWebhook(
      {},
      {
        contractId: CID,
        event: 'AppSubscription',
        action: 'start',
        date: '2026-03-02',
        plan: { name: 'スタンダード', trial_days: 14, price: '3000', quantity: 1 },
      },
    );
    assert.deepEqual(event, {
      type: 'subscription',
      contractId: CID,
      action: 'start',
      plan: { name: 'スタンダード', trialDays: 14, price: 3000, quantity: 1 },
    });
  });

  void test('a contract notification without an event name is recognised by its action', () => {
    assert.deepEqual(
      parseSmaregiWebhook({}, { contractId: CID, action: 'change-plan', plan: 'プレミアム' }),
      {
        type: 'subscription',
        contractId: CID,
        action: 'change-plan',
        plan: { name: 'プレミアム' },
      },
    );
  });

  void test('any other event is passed on by name', () => {
    const event = parseSmaregiWebhook(
      { ...headers, 'Smaregi-Event': 'pos:transactions' },
      { contractId: CID, event: 'pos:transactions', action: 'created', transactionHeadIds: ['9'] },
    );
    assert.deepEqual(event, {
      type: 'other',
      contractId: CID,
      eventId: headers['Smaregi-Event-Id'],
      event: 'pos:transactions',
    });
  });

  void test('without Smaregi-Event-Id an event is named by its content: repeats share the id, other changes do not', () => {
    const body = (id: string) => ({ contractId: CID, event: 'pos:stock', action: 'edited', ids: [{ id, productId: '1', storeId: '1' }] });
    const noId = { ...headers, 'Smaregi-Event-Id': '' };
    const idOf = (b: unknown) => {
      const event = parseSmaregiWebhook(noId, b);
      assert.equal(event.type, 'stock');
      return (event as { eventId: string }).eventId;
    };
    assert.match(idOf(body('10')), /^derived:/);
    assert.equal(idOf(body('10')), idOf(body('10')));
    assert.notEqual(idOf(body('11')), idOf(body('10')));
  });

  void test('malformed pushes throw SmaregiWebhookError', () => {
    const cases: [Record<string, string>, unknown, RegExp][] = [
      [headers, '{not json', /not valid JSON/],
      [headers, [1, 2], /JSON object/],
      [headers, { contractId: CID, event: 'pos:stock', action: 'deleted', ids: [] }, /action/],
      [
        headers,
        { contractId: CID, event: 'pos:stock', action: 'edited', ids: [{ id: '1', productId: '1' }] },
        /ids\.0\.storeId/,
      ],
      [headers, { contractId: 'sb_other', event: 'pos:stock', action: 'edited', ids: [] }, /does not match/],
      [{ 'Smaregi-Event-Id': 'x' }, { event: 'pos:stock', action: 'edited', ids: [] }, /names no contract/],
      [{}, { contractId: CID, action: 'start', plan: { trial_days: 'many' } }, /plan/],
    ];
    for (const [h, body, message] of cases)
      assert.throws(
        () => parseSmaregiWebhook(h, body),
        (err: unknown) => err instanceof SmaregiWebhookError && message.test(err.message),
      );
  });

  void test('verifySmaregiWebhookSecret compares the custom header', () => {
    const expected = { name: 'X-Zaiko-Webhook-Secret', value: 's3cret-value' };
    assert.equal(verifySmaregiWebhookSecret({ 'x-zaiko-webhook-secret': 's3cret-value' }, expected), true);
    assert.equal(verifySmaregiWebhookSecret({ 'x-zaiko-webhook-secret': 's3cret-valuE' }, expected), false);
    assert.equal(verifySmaregiWebhookSecret({}, expected), false);
  });

  void test("a simulator webhook parses into the change the client's write made", async () => {
    const received: { headers: IncomingMessage['headers']; body: string }[] = [];
    const receiver = await listen(
      createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          received.push({ headers: req.headers, body });
          res.end();
        });
      }),
    );
    const header = { name: 'X-Zaiko-Webhook-Secret', value: 'sim-webhook-secret' };
    const running = await startSmaregiSimulator({ webhook: { url: receiver.url, header } });
    try {
      running.sim.state.replaceContract(seed());
      const write = await makeClient(running.baseUrl).addStock(CID, {
        productId: '1',
        storeId: '2',
        delta: -1,
      });
      await running.sim.webhooksSettled();
      assert.equal(received.length, 1);
      const push = received[0]!;
      assert.equal(verifySmaregiWebhookSecret(push.headers, header), true);
      const event = parseSmaregiWebhook(push.headers, push.body);
      assert.equal(event.type, 'stock');
      assert.deepEqual(event.type === 'stock' && event.changes, [
        { stockHistoryId: write.stockHistoryId, productId: '1', storeId: '2' },
      ]);
    } finally {
      await running.close();
      await receiver.close();
    }
  });
});

async function listen(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
