// The two webhook endpoints over HTTP against the real Temporal server and FerretDB: verification,
// tenant routing, de-duplication, the answers a sender acts on, and nothing lost or doubled.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { pendingProductIds, readQueuedOrders } from '../../src/storage/sync-work';
import { startWebhookApi, type WebhookApi } from '../support/webhooks';

const CONTRACT = 'sb_hooks';

let hooks: WebhookApi;

before(async () => {
  hooks = await startWebhookApi('hooks', { contractId: CONTRACT, notificationToken: 'good-token', makeshopShopId: 'shop1', secret: 'webhook-test-secret' });
});
after(async () => {
  await hooks?.close();
});

const smaregiHook: WebhookApi['smaregiHook'] = (...args) => hooks.smaregiHook(...args);

/** The hints the api gave the sync workflow (the ids themselves are stored in MongoDB first). */
async function workSignals(): Promise<{ products: number; orders: number }[]> {
  return (await hooks.signals()).filter((s) => s.name === 'syncWorkRecorded').map((s) => s.arg as { products: number; orders: number });
}
const productsSignalled = async () => (await workSignals()).reduce((n, w) => n + w.products, 0);
const storedProducts = () => pendingProductIds(hooks.database.db, hooks.tenantId);

describe('POST /webhooks/smaregi', () => {
  test('a wrong or missing secret header is 401 with no detail', async () => {
    const res = await smaregiHook(randomUUID(), { secret: 'wrong' });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error: { code: 'rejected', message: '' } });
  });

  test('an unknown contract is 404; a malformed body is 400 with the reason', async () => {
    assert.equal((await smaregiHook(randomUUID(), { contractId: 'sb_nobody' })).status, 404);
    const bad = await smaregiHook(randomUUID(), { body: { contractId: CONTRACT, event: 'pos:stock', action: 'edited', ids: 'nope' } });
    assert.equal(bad.status, 400);
    assert.notEqual(((await bad.json()) as { error: { message: string } }).error.message, '');
  });

  test('each event is stored and signalled exactly once, however often it is delivered', async () => {
    const ids = Array.from({ length: 40 }, () => randomUUID());
    // Concurrent first deliveries and repeats of half of them, as an at-least-once sender would.
    const answers = await Promise.all([...ids, ...ids.slice(0, 20)].map((id) => smaregiHook(id, { productId: `p-${id}` })));
    assert.ok(answers.every((r) => r.status === 200));
    const again = await Promise.all(ids.slice(20).map((id) => smaregiHook(id, { productId: `p-${id}` })));
    assert.ok(again.every((r) => r.status === 200));
    assert.deepEqual((await storedProducts()).filter((p) => p.startsWith('p-')).sort(), ids.map((id) => `p-${id}`).sort());
    assert.equal(await productsSignalled(), 40);
  });

  test('a burst for one tenant goes to Temporal in fewer signals than requests, every event once', async () => {
    const signalsBefore = (await workSignals()).length;
    const before = await productsSignalled();
    const ids = Array.from({ length: 60 }, () => randomUUID());
    const answers = await Promise.all(ids.map((id) => smaregiHook(id, { productId: `b-${id}` })));
    assert.ok(answers.every((r) => r.status === 200));
    assert.equal((await productsSignalled()) - before, ids.length);
    assert.deepEqual((await storedProducts()).filter((p) => p.startsWith('b-')).sort(), ids.map((id) => `b-${id}`).sort());
    const signals = (await workSignals()).length - signalsBefore;
    assert.ok(signals < ids.length, `${signals} signals for ${ids.length} concurrent requests`);
  });

  test('a pos:stock webhook without Smaregi-Event-Id is accepted once and its repeats are duplicates', async () => {
    const body = (historyId: string) => ({ contractId: CONTRACT, event: 'pos:stock', action: 'edited', ids: [{ id: historyId, productId: '77', storeId: '1' }] });
    const before = await productsSignalled();
    for (let i = 0; i < 3; i++) assert.equal((await smaregiHook(null, { body: body('5001') })).status, 200);
    assert.equal((await smaregiHook(null, { body: body('5002') })).status, 200);
    assert.equal((await productsSignalled()) - before, 2, 'two distinct events');
  });

  test('Temporal unreachable answers 503 and keeps no claim, so the retry is accepted', async () => {
    const deadTemporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
    const broken = await hooks.startApi({ temporal: deadTemporal });
    const id = randomUUID();
    const res = await smaregiHook(id, { productId: '7', apiUrl: broken.baseUrl });
    assert.equal(res.status, 503);
    await broken.close();
    const before = await productsSignalled();
    assert.equal((await smaregiHook(id, { productId: '7' })).status, 200);
    assert.equal((await productsSignalled()) - before, 1);
    assert.ok((await storedProducts()).includes('7'));
  });
});

describe('GET /webhooks/makeshop/orders/{token}', () => {
  const notify = (token: string, query: string) => hooks.makeshopNotification(token, query);

  test('an unknown token or another shop id is 404; a bad query is 400', async () => {
    assert.equal((await notify('bad-token', 'shopid=shop1&ordernum=1001&cmd=0')).status, 404);
    assert.equal((await notify('good-token', 'shopid=other&ordernum=1001&cmd=0')).status, 404);
    assert.equal((await notify('good-token', 'shopid=shop1&ordernum=1001&cmd=9')).status, 400);
    assert.equal((await notify('good-token', 'shopid=shop1&ordernum=[ORDERNUM]&cmd=0')).status, 400);
  });

  test('a notification is queued as the order number and command only, and the workflow gets a count', async () => {
    assert.equal((await notify('good-token', 'shopid=shop1&ordernum=1001&cmd=0')).status, 200);
    const queued = await readQueuedOrders(hooks.database.db, hooks.tenantId, 10);
    assert.deepEqual(queued.orders.map(({ orderNumber, cmd }) => ({ orderNumber, cmd })), [{ orderNumber: '1001', cmd: 0 }]);
    assert.deepEqual((await workSignals()).at(-1), { products: 0, orders: 1 });
  });
});
