import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient, MongoServerError } from 'mongodb';
import { testDatabase, testInfra } from '../support/infra';

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

// Production MongoDB makes every single-document write atomic, and the service relies on it (alert
// mailboxes, queues, claims). FerretDB v1 does not on its own (a query, then a separate write): the
// embedded stack builds it with writes serialized per collection (scripts/ferretdb/).
test('concurrent updates of one document from two clients all land: $inc, and a pull racing an add', async () => {
  const other = new MongoClient(testInfra().mongoUrl);
  await other.connect();
  try {
    const counters = database.db.collection<{ _id: string; n: number }>('concurrent_counters');
    await counters.insertOne({ _id: 'c', n: 0 });
    const sides = [counters, other.db(database.name).collection<{ _id: string; n: number }>('concurrent_counters')];
    await Promise.all(Array.from({ length: 60 }, (_, i) => sides[i % 2]!.updateOne({ _id: 'c' }, { $inc: { n: 1 } })));
    assert.equal((await counters.findOne({ _id: 'c' }))?.n, 60, 'no increment lost');

    const boxes = database.db.collection<{ _id: string; pending: string[]; sent: number | null }>('concurrent_boxes');
    const otherBoxes = other.db(database.name).collection<{ _id: string; pending: string[]; sent: number | null }>('concurrent_boxes');
    for (let round = 0; round < 20; round++) {
      const _id = `box-${round}`;
      await boxes.insertOne({ _id, pending: ['a'], sent: null });
      await Promise.all([
        boxes.updateOne({ _id }, { $pullAll: { pending: ['a'] }, $set: { sent: round } }),
        otherBoxes.updateOne({ _id }, { $addToSet: { pending: { $each: ['b'] } } }),
      ]);
      assert.deepEqual(await boxes.findOne({ _id }), { _id, pending: ['b'], sent: round }, `round ${round}: both updates landed`);
    }

    const guarded = await Promise.all(
      Array.from({ length: 10 }, (_, i) => sides[i % 2]!.updateOne({ _id: 'c', n: 60 }, { $inc: { n: 100 } })),
    );
    assert.equal(guarded.reduce((sum, r) => sum + r.modifiedCount, 0), 1, 'a guarded update (compare-and-set) wins once');
  } finally {
    await other.close();
  }
});

// FerretDB v1 filters in Go after decoding every document of the collection, so on a service with many
// tenants each per-tenant read decoded all of them. The embedded build searches a read that names its
// tenant through the tenant's index in SQLite (scripts/ferretdb/zaiko_field_pushdown.go); it must find
// exactly what the whole filter finds. (MongoDB, in production, uses the same index on its own.)
test('a read that names its tenant is searched by the tenant index, and finds what the whole filter finds', async () => {
  type Row = { tenantId: string; n: number; status: string };
  const rows = database.db.collection<Row>('pushdown');
  await rows.createIndex({ tenantId: 1, status: 1 });
  const all: Row[] = [];
  for (let t = 0; t < 20; t++) for (let n = 0; n < 50; n++) all.push({ tenantId: `tn_${t}`, n, status: n % 3 === 0 ? 'pending' : 'imported' });
  all.push({ tenantId: 'tn_é "x"', n: 0, status: 'pending' }); // not an id of ours: read the old way
  await rows.insertMany(all.map((r) => ({ ...r })));

  const found = await rows.find({ tenantId: 'tn_7', $or: [{ status: 'pending' }, { n: { $gte: 45 } }] }).sort({ n: 1 }).toArray();
  const expected = all.filter((r) => r.tenantId === 'tn_7' && (r.status === 'pending' || r.n >= 45)).map((r) => r.n);
  assert.deepEqual(found.map((r) => r.n), expected.sort((a, b) => a - b));
  assert.equal(await rows.countDocuments({ tenantId: 'tn_é "x"' }), 1);
  assert.equal(await rows.countDocuments({ tenantId: 'tn_99' }), 0);
  assert.equal((await rows.updateMany({ tenantId: 'tn_3', status: 'pending' }, { $set: { status: 'done' } })).modifiedCount, 17);
  assert.equal(await rows.countDocuments({ status: 'done' }), 17);
  assert.equal((await rows.findOneAndUpdate({ tenantId: 'tn_5', n: 49 }, { $set: { status: 'claimed' } }, { returnDocument: 'after' }))?.status, 'claimed');
  assert.equal((await rows.deleteMany({ tenantId: 'tn_4' })).deletedCount, 50);
  assert.equal(await rows.countDocuments({}), all.length - 50);

  const plan = JSON.stringify(await rows.find({ tenantId: 'tn_7', status: 'pending' }).explain());
  assert.match(plan, /USING INDEX|IXSCAN/, `the tenant's index is not used: ${plan}`);
});

// The tenants themselves are found by e-mail (log-in, sign-up), contract (webhooks, App Market, binding) and
// token (MakeShop notifications), and written by `_id` with a condition (compare-and-set): each decoded every
// tenant document on FerretDB (bench:tenants stalled in onboarding at a few hundred tenants). The embedded build
// searches each through its index, and must still find exactly what the whole filter finds.
test('a tenant looked up by e-mail, contract, token or _id with a condition is searched by its index', async () => {
  type Tenant = { _id: string; email: string; smaregiContractId?: string; notificationToken: string; n: number };
  const tenants = database.db.collection<Tenant>('pushdown_tenants');
  await tenants.createIndex({ email: 1 }, { unique: true });
  await tenants.createIndex({ smaregiContractId: 1 });
  await tenants.createIndex({ notificationToken: 1 }, { unique: true });
  const all: Tenant[] = Array.from({ length: 300 }, (_, n) => ({
    _id: `tn_${n}`,
    email: `shop+${n}@example.co.jp`,
    ...(n % 2 === 0 ? { smaregiContractId: `c${n % 100}` } : {}),
    notificationToken: `tn_${n}.tok-${n}_x`,
    n,
  }));
  all.push({ _id: 'tn_odd', email: 'Ünïcode "q"@example.jp', notificationToken: 'tok é', n: 999 });
  await tenants.insertMany(all.map((t) => ({ ...t })));

  assert.equal((await tenants.findOne({ email: 'shop+123@example.co.jp' }))?._id, 'tn_123');
  assert.equal((await tenants.findOne({ email: 'Ünïcode "q"@example.jp' }))?._id, 'tn_odd', 'a value of other characters is read the old way');
  assert.equal(await tenants.findOne({ email: 'nobody@example.jp' }), null);
  const holders = await tenants.find({ smaregiContractId: 'c42', _id: { $ne: 'tn_42' } }).sort({ n: 1 }).toArray();
  assert.deepEqual(holders.map((t) => t._id), ['tn_142', 'tn_242']);
  assert.equal((await tenants.findOne({ notificationToken: 'tn_77.tok-77_x' }))?.n, 77);
  assert.equal((await tenants.findOne({ notificationToken: 'tok é' }))?._id, 'tn_odd');
  assert.equal((await tenants.updateOne({ _id: 'tn_8', n: 7 }, { $set: { n: 0 } })).matchedCount, 0, 'the condition still decides');
  assert.equal((await tenants.updateOne({ _id: 'tn_8', n: 8 }, { $inc: { n: 1000 } })).modifiedCount, 1);
  const bound = await tenants.updateOne(
    { _id: 'tn_9', $or: [{ smaregiContractId: { $exists: false } }, { smaregiContractId: 'c9' }] },
    { $set: { smaregiContractId: 'c9' } },
  );
  assert.equal(bound.modifiedCount, 1);
  assert.deepEqual((await tenants.find({ smaregiContractId: 'c9' }).sort({ n: 1 }).toArray()).map((t) => t._id), ['tn_9']);
  assert.equal((await tenants.findOne({ _id: 'tn_8' }))?.n, 1008);

  for (const [what, filter] of [
    ['e-mail', { email: 'shop+123@example.co.jp' }],
    ['contract', { smaregiContractId: 'c42', _id: { $ne: 'tn_42' } }],
    ['token', { notificationToken: 'tn_77.tok-77_x' }],
    ['_id with a condition', { _id: 'tn_8', n: 1008 }],
  ] as const) {
    const plan = JSON.stringify(await tenants.find(filter as Record<string, unknown>).explain());
    assert.match(plan, /USING INDEX|IXSCAN|IDHACK|EXPRESS_IXSCAN/, `the ${what} look-up uses no index: ${plan}`);
  }
});

// FerretDB's SQLite backend looked a document up by `_id` (a lone `_id` filter, every update and delete of a
// document) through another expression than its own `_id` index, so each was a scan of the table; the
// embedded build writes it as the index's expression.
test('a look-up by _id, and the write of a document, go through the _id index', async () => {
  const docs = database.db.collection<{ _id: string; n: number }>('by_id');
  await docs.insertMany(Array.from({ length: 500 }, (_, n) => ({ _id: `tn_${n}`, n })));
  assert.equal((await docs.findOne({ _id: 'tn_321' }))?.n, 321);
  assert.equal((await docs.updateOne({ _id: 'tn_321' }, { $inc: { n: 1 } })).modifiedCount, 1);
  assert.equal((await docs.findOne({ _id: 'tn_321' }))?.n, 322);
  assert.equal((await docs.deleteOne({ _id: 'tn_7' })).deletedCount, 1);
  assert.equal(await docs.countDocuments({}), 499);
  const plan = JSON.stringify(await docs.find({ _id: 'tn_321' }).explain());
  assert.match(plan, /USING INDEX|IDHACK|EXPRESS_IXSCAN|IXSCAN/, `the _id index is not used: ${plan}`);
});

// A tenant's buckets (its queued orders, its catalog packs) are read by a list of _ids: on FerretDB that read
// decoded every tenant's buckets (bench:tenants: the order queue's reads cost more than any other query).
test('a read of a list of _ids goes through the _id index, and finds exactly those', async () => {
  const docs = database.db.collection<{ _id: string; tenantId: string; n: number }>('by_ids');
  await docs.insertMany(Array.from({ length: 600 }, (_, n) => ({ _id: `tn_${n % 50}:${n}`, tenantId: `tn_${n % 50}`, n })));
  const wanted = ['tn_3:3', 'tn_3:53', 'tn_4:54', 'tn_3:nothing'];
  assert.deepEqual((await docs.find({ _id: { $in: wanted } }).sort({ n: 1 }).toArray()).map((d) => d.n), [3, 53, 54]);
  assert.deepEqual((await docs.find({ _id: { $in: wanted }, tenantId: 'tn_3' }).sort({ n: 1 }).toArray()).map((d) => d.n), [3, 53]);
  assert.deepEqual((await docs.find({ _id: { $in: wanted }, n: { $gt: 3 } }, { limit: 1 }).sort({ n: 1 }).toArray()).map((d) => d.n), [53]);
  assert.equal(await docs.countDocuments({ _id: { $in: ['tn_3:3', /^tn_4:/] } }), 13, 'a list with a pattern is read the old way');
  assert.equal(await docs.countDocuments({ _id: { $in: [], $nin: ['x'] } }), 0);
  assert.equal((await docs.deleteMany({ _id: { $in: ['tn_5:5', 'tn_5:55'] } })).deletedCount, 2);
  assert.equal(await docs.countDocuments({}), 598);
  const plan = JSON.stringify(await docs.find({ _id: { $in: wanted } }).explain());
  assert.match(plan, /USING INDEX|IXSCAN/, `the _id index is not used for the list: ${plan}`);
});
