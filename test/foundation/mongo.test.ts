import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoServerError } from 'mongodb';
import { testDatabase } from '../support/infra';

let database: Awaited<ReturnType<typeof testDatabase>>;
before(async () => (database = await testDatabase('mongo')));
after(async () => database.drop());

test('FerretDB round-trips documents and enforces a unique index', async () => {
  const orders = database.db.collection<{ tenantId: string; orderNumber: string; lines: { code: string; quantity: number }[] }>('orders');
  await orders.createIndex({ tenantId: 1, orderNumber: 1 }, { unique: true });
  await orders.insertOne({ tenantId: 't1', orderNumber: '1001', lines: [{ code: 'ABC ', quantity: 2 }] });
  const found = await orders.findOne({ tenantId: 't1', orderNumber: '1001' });
  assert.deepEqual(found?.lines, [{ code: 'ABC ', quantity: 2 }]);

  await assert.rejects(
    orders.insertOne({ tenantId: 't1', orderNumber: '1001', lines: [] }),
    (err: unknown) => err instanceof MongoServerError && err.code === 11000,
  );
  // Same order number for another tenant is a different order.
  await orders.insertOne({ tenantId: 't2', orderNumber: '1001', lines: [] });
  assert.equal(await orders.countDocuments({ orderNumber: '1001' }), 2);
});

test('single-document conditional updates give compare-and-set without transactions', async () => {
  const items = database.db.collection<{ _id: string; version: number }>('cas');
  await items.insertOne({ _id: 'x', version: 1 });
  const first = await items.updateOne({ _id: 'x', version: 1 }, { $set: { version: 2 } });
  const second = await items.updateOne({ _id: 'x', version: 1 }, { $set: { version: 3 } });
  assert.equal(first.modifiedCount, 1);
  assert.equal(second.modifiedCount, 0);
});
