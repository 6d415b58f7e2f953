// Forged and replayed webhooks change nothing; the secret is checked before a body is parsed; a
// de-duplication claim never swallows an event whose signal did not happen (items 8 and 9).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CLAIM_LEASE_MS, claimEvents } from '../../src/storage/webhook-events';
import { capturingLogger } from '../support/capture';
import { startWebhookApi, type WebhookApi } from '../support/webhooks';

const CONTRACT = 'sb_sec_hooks';

let hooks: WebhookApi;

before(async () => {
  hooks = await startWebhookApi('sec_hooks', { contractId: CONTRACT, notificationToken: 'the-real-token', makeshopShopId: 'shop1', secret: 'security-webhook-secret' });
});
after(async () => {
  await hooks?.close();
});

const smaregiHook: WebhookApi['smaregiHook'] = (...args) => hooks.smaregiHook(...args);
const signalsInWorkflow = () => hooks.signals();
/**
 * How many times an accepted delivery handed this product to the sync engine: the api stores the changed
 * products in MongoDB (sync_changed_products, read by the workflow's pushes) before it signals the counts.
 */
const timesHandedOver = (productId: string) => hooks.database.db.collection('sync_changed_products').countDocuments({ tenantId: hooks.tenantId, productIds: productId });
const claims = () => hooks.database.db.collection('webhook_events').countDocuments({});

describe('the Smaregi secret is checked before the body is read', () => {
  test('a bad secret with a body far over the size limit is 401, not 413', async () => {
    const huge = JSON.stringify({ contractId: CONTRACT, padding: 'x'.repeat(5 * 1024 * 1024) });
    const res = await smaregiHook(randomUUID(), { secret: 'wrong-secret', body: huge });
    assert.equal(res.status, 401);
  });

  test('a bad secret with malformed JSON is 401, not 400', async () => {
    const res = await smaregiHook(randomUUID(), { secret: 'wrong-secret', body: '{"contractId": ' });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error: { code: 'rejected', message: '' } });
  });

  test('the right secret still gets the size limit', async () => {
    const huge = JSON.stringify({ contractId: CONTRACT, padding: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal((await smaregiHook(randomUUID(), { body: huge })).status, 413);
  });
});

describe('forged and replayed webhooks change nothing', () => {
  test('a bad or missing secret: 401, no claim, no signal', async () => {
    const before = { claims: await claims(), signals: (await signalsInWorkflow()).length };
    assert.equal((await smaregiHook(randomUUID(), { secret: 'guess' })).status, 401);
    const noSecret = await fetch(`${hooks.api.baseUrl}/webhooks/smaregi`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contractId: CONTRACT, event: 'pos:stock', action: 'edited', ids: [{ id: '1', productId: '42', storeId: '1' }] }),
    });
    assert.equal(noSecret.status, 401);
    assert.deepEqual({ claims: await claims(), signals: (await signalsInWorkflow()).length }, before);
  });

  test('an unknown contract: 404, no claim, no signal', async () => {
    const before = { claims: await claims(), signals: (await signalsInWorkflow()).length };
    assert.equal((await smaregiHook(randomUUID(), { contractId: 'sb_somebody_else' })).status, 404);
    assert.deepEqual({ claims: await claims(), signals: (await signalsInWorkflow()).length }, before);
  });

  test('a replayed event is answered 200 and reaches the workflow once', async () => {
    const id = randomUUID();
    for (let i = 0; i < 3; i++) assert.equal((await smaregiHook(id, { productId: `p-${id}` })).status, 200);
    assert.equal(await timesHandedOver(`p-${id}`), 1);
  });

  test('a MakeShop notification with a guessed token: 404, no signal', async () => {
    const before = (await signalsInWorkflow()).length;
    for (const token of ['guess', 'the-real-toke', 'THE-REAL-TOKEN']) {
      assert.equal((await hooks.makeshopNotification(token, 'shopid=shop1&ordernum=1&cmd=0')).status, 404);
    }
    assert.equal((await signalsInWorkflow()).length, before);
  });
});

describe('a de-duplication claim is released when its signal did not happen', () => {
  test('an api that died between claim and signal does not swallow the redelivery once its lease ran out', async () => {
    const id = randomUUID();
    // What a crashed api leaves behind: the claim, written a lease ago, and no signal.
    await claimEvents(hooks.database.db, [`smaregi:${CONTRACT}:${id}`], new Date(Date.now() - CLAIM_LEASE_MS - 1000));
    assert.equal((await smaregiHook(id, { productId: `p-${id}` })).status, 200);
    assert.equal(await timesHandedOver(`p-${id}`), 1, 'the redelivered event reached the sync engine');
    assert.equal((await smaregiHook(id, { productId: `p-${id}` })).status, 200);
    assert.equal(await timesHandedOver(`p-${id}`), 1, 'and only once');
  });

  test('a claim still within its lease (a delivery in flight) keeps repeats out', async () => {
    const id = randomUUID();
    await claimEvents(hooks.database.db, [`smaregi:${CONTRACT}:${id}`]);
    assert.equal((await smaregiHook(id, { productId: `p-${id}` })).status, 200);
    assert.equal(await timesHandedOver(`p-${id}`), 0);
  });
});

describe('the MakeShop notification token never reaches the logs', () => {
  test('a notification that fails inside the api is logged with the token redacted from its path', async () => {
    const lines: string[] = [];
    const token = `tok-${randomUUID()}`;
    const failing = await hooks.startApi({
      logger: capturingLogger('api', lines),
      webhookTenants: { ...hooks.webhookTenants, byNotificationToken: () => Promise.reject(new Error('tenant look-up failed')) },
    });
    try {
      const res = await fetch(`${failing.baseUrl}/webhooks/makeshop/orders/${token}?shopid=shop1&ordernum=1&cmd=0`);
      assert.equal(res.status, 500);
      const logs = lines.join('');
      assert.match(logs, /\/webhooks\/makeshop\/orders\/\[redacted\]/, 'the failure was logged');
      assert.ok(!logs.includes(token), 'the token is not in the logs');
    } finally {
      await failing.close();
    }
  });
});
