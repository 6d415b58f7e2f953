// The sync workflow's work sets in MongoDB (src/storage/sync-work.ts) against the real FerretDB: set
// semantics, a push that takes products before reading, changes during a push, re-notified orders.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../support/infra';
import {
  pendingProductIds,
  markProductsDirty,
  queueOrders,
  readQueuedOrders,
  releaseDeferredOrders,
  releaseRetryProducts,
  settleQueuedOrder,
  settleTakenProducts,
  takeDirtyProducts,
} from '../../src/storage/sync-work';

let database: Awaited<ReturnType<typeof testDatabase>>;
before(async () => (database = await testDatabase('syncwork')));
after(async () => database?.drop());

test('changed products: a push takes what is there; a change during the push stays for the next; refused rows wait for the reconciliation', async () => {
  const { db } = database;
  const ids = Array.from({ length: 500 }, (_, i) => `p.${i}`).concat(['$odd', '%2E']);
  assert.equal(await markProductsDirty(db, 't1', [...ids, ...ids.slice(0, 10)]), ids.length);
  await markProductsDirty(db, 't2', ['other']);
  const taken = await takeDirtyProducts(db, 't1');
  assert.deepEqual([...taken.productIds].sort(), [...ids].sort());
  await markProductsDirty(db, 't1', ['p.1']);
  // A push killed before it ended: the next take returns its products again, with the new change.
  const again = await takeDirtyProducts(db, 't1');
  assert.equal(again.productIds.length, ids.length);
  await settleTakenProducts(db, 't1', taken, ['p.7']);
  assert.deepEqual((await takeDirtyProducts(db, 't1')).productIds, ['p.1']);
  await settleTakenProducts(db, 't1', await takeDirtyProducts(db, 't1'), []);
  assert.deepEqual(await pendingProductIds(db, 't1'), []);
  await releaseRetryProducts(db, 't1');
  assert.deepEqual(await pendingProductIds(db, 't1'), ['p.7']);
  assert.deepEqual(await pendingProductIds(db, 't2'), ['other']);
});

test('queued orders: oldest first; a notification during processing keeps the order queued; deferred ones come back', async () => {
  const { db } = database;
  for (let i = 0; i < 30; i++) await queueOrders(db, 't3', [{ orderNumber: `O${i}`, cmd: 0 }]);
  const first = await readQueuedOrders(db, 't3', 10);
  assert.equal(first.queued, 30);
  assert.deepEqual(first.orders.map((o) => o.orderNumber), Array.from({ length: 10 }, (_, i) => `O${i}`));
  await queueOrders(db, 't3', [{ orderNumber: 'O0', cmd: 1 }]);
  await settleQueuedOrder(db, 't3', first.orders[0]!, 'done');
  await settleQueuedOrder(db, 't3', first.orders[1]!, 'done');
  await settleQueuedOrder(db, 't3', first.orders[2]!, 'deferred');
  const next = await readQueuedOrders(db, 't3', 100);
  assert.equal(next.queued, 28);
  assert.equal(next.orders.at(-1)?.orderNumber, 'O0');
  assert.equal(next.orders.at(-1)?.cmd, 1);
  assert.ok(!next.orders.some((o) => o.orderNumber === 'O2'));
  assert.equal(await releaseDeferredOrders(db, 't3'), 29);
  assert.ok((await readQueuedOrders(db, 't3', 100)).orders.some((o) => o.orderNumber === 'O2'));
});
