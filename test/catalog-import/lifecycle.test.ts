// Catalog versions over the full stack (api, real worker, Temporal, FerretDB, both simulators): items
// whose conflict only a later row reveals, one version per upload with the previous one kept and older
// ones purged, an older upload that finishes late, Smaregi failing mid-import, tenant isolation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { catalogItemPacks } from '../../src/storage/catalog-items';
import { ObjectId } from 'mongodb';
import { createLogger } from '../../src/lib/logger';
import { catalogFileBucket, catalogUploads, deleteStoredFiles, insertCatalogUpload } from '../../src/storage/catalog-uploads';
import { periodicPurge } from '../../src/worker/periodic-purge';
import { tenantsCollection } from '../../src/storage/tenants';
import { catalogImportProgressQuery, catalogWorkflowId } from '../../src/workflows/messages';
import { eventually, postJson } from '../support/platforms';
import { MAKESHOP_LOGIN, onboardMerchant, startStack, type MerchantWorld, type Stack } from '../support/stack';

type Shop = MerchantWorld['shop'];

const world: MerchantWorld = {
  contractId: 'sb_lifecycle',
  shopId: 'lifecycleshop',
  stores: [{ storeId: '1', storeName: '本店' }],
  products: ['A-1', 'A-2', 'SHARED', 'OPT-M', '4900000000017'].map((productCode) => ({ productCode, productName: productCode })),
  stock: [],
  shop: { products: [], options: [] },
  stockStoreIds: ['1'],
  shipmentStoreId: '1',
};

const product = (n: number, customCode: string, fields: Partial<Shop['products'][number]> = {}) => ({
  systemCode: String(n).padStart(12, '0'),
  customCode,
  name: `商品${n}`,
  jan: '',
  quantity: n,
  ...fields,
});

/** A-1 by code; 'SHARED' matched by one item's code and another's JAN (both conflict); an option by JAN. */
const conflictingShop: Shop = {
  products: [
    product(1, 'SHARED'),
    product(2, 'B-2', { jan: 'SHARED' }),
    product(3, 'A-1'),
    product(4, 'WEB-ONLY'),
    product(5, 'SHIRT', { quantity: null, optionNames: ['サイズ'] }),
  ],
  options: [
    { systemCode: '000000000005', optionCode: 'OPT-M', option1: 'M', option2: '', jan: '', quantity: 4 },
    { systemCode: '000000000005', optionCode: 'OPT-L', option1: 'L', option2: '', jan: '4900000000017', quantity: 5 },
  ],
};
const plainShop = (n: number): Shop => ({ products: [product(1, 'A-1'), product(2, 'A-2', { quantity: n })], options: [] });

let stack: Stack;
let merchant: { tenantId: string; token: string };

interface UploadAnswer {
  status: string;
  version: number;
  error: { code: string; message: string } | null;
  report: { matched: number; unmatched: number; conflicts: number; stockItems: number } | null;
}
interface ItemsAnswer {
  items: { code: string; status: string; smaregiProductCode: string | null; conflictReasons: string[] }[];
  page: number;
  limit: number;
  total: number;
}

/** The CSV pair exactly as the MakeShop admin downloads it, for this shop content. */
async function shopCsvPair(shop: Shop): Promise<FormData> {
  await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops`, { shopId: world.shopId, ...MAKESHOP_LOGIN, ...shop });
  const download = async (kind: string) => new Blob([await (await fetch(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/csv/${kind}`)).arrayBuffer()]);
  const form = new FormData();
  form.append('productCsv', await download('products'), 'products.csv');
  form.append('optionCsv', await download('options'), 'options.csv');
  return form;
}

async function startUpload(shop: Shop, token = merchant.token): Promise<string> {
  const res = await fetch(`${stack.apiUrl}/api/v1/catalog/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: await shopCsvPair(shop) });
  assert.equal(res.status, 202, await res.clone().text());
  return ((await res.json()) as { uploadId: string }).uploadId;
}

/** Waits for the whole workflow (activation, signals, pruning), not just the upload's status. */
async function importToEnd(shop: Shop): Promise<{ uploadId: string; upload: UploadAnswer }> {
  const uploadId = await startUpload(shop);
  await stack.temporal.client.workflow.getHandle(catalogWorkflowId(merchant.tenantId, uploadId)).result();
  return { uploadId, upload: (await stack.http<UploadAnswer>('GET', `/api/v1/catalog/uploads/${uploadId}`, { token: merchant.token })).body };
}

const items = (query: string) => stack.http<ItemsAnswer>('GET', `/api/v1/catalog/items?${query}`, { token: merchant.token });
const activeCatalog = () => stack.http<{ version: number; uploadId: string; counts: Record<string, number> }>('GET', '/api/v1/catalog', { token: merchant.token });

async function storedVersions(): Promise<number[]> {
  const docs = await catalogItemPacks(stack.database.db).find({ tenantId: merchant.tenantId }, { projection: { version: 1 } }).toArray();
  return [...new Set(docs.map((d) => d.version))].sort((a, b) => a - b);
}

before(async () => {
  stack = await startStack('catalog_lifecycle');
  merchant = await onboardMerchant(stack, world, { catalog: false, run: false });
});
after(async () => stack?.close());

describe('catalog versions', () => {
  test('before the first activation there is no catalog: 404 with a message saying what to do', async () => {
    const res = await activeCatalog();
    assert.equal(res.status, 404);
    assert.match((res.body as unknown as { error: { message: string } }).error.message, /アップロードしてください/);
    assert.equal((await items('status=matched')).status, 404);
  });

  test('an item whose conflict only a later row reveals is stored as a conflict and never as matched', async () => {
    const { uploadId, upload } = await importToEnd(conflictingShop);
    assert.equal(upload.status, 'succeeded', JSON.stringify(upload));
    assert.deepEqual(
      { matched: upload.report!.matched, conflicts: upload.report!.conflicts, unmatched: upload.report!.unmatched, stockItems: upload.report!.stockItems },
      { matched: 3, conflicts: 2, unmatched: 1, stockItems: 6 },
    );
    const conflicts = (await items('status=conflict')).body;
    assert.deepEqual(conflicts.items.map((i) => [i.code, i.conflictReasons]).sort(), [
      ['B-2', ['shared-smaregi-product']],
      ['SHARED', ['shared-smaregi-product']],
    ]);
    const matched = (await items('status=matched')).body.items;
    assert.deepEqual(matched.map((i) => [i.code, i.smaregiProductCode]).sort(), [
      ['A-1', 'A-1'],
      ['OPT-L', '4900000000017'],
      ['OPT-M', 'OPT-M'],
    ]);
    assert.equal((await activeCatalog()).body.uploadId, uploadId);
    const progress = await stack.temporal.client.workflow.getHandle(catalogWorkflowId(merchant.tenantId, uploadId)).query(catalogImportProgressQuery);
    assert.deepEqual(progress, { uploadId, phase: 'done', outcome: 'activated', version: upload.version });
    // The onboarding workflow recorded step 5.
    await eventually(async () => {
      const onboarding = await stack.http<{ steps: { key: string; status: string }[] }>('GET', '/api/v1/onboarding', { token: merchant.token });
      assert.equal(onboarding.body.steps.find((s) => s.key === 'catalog')?.status, 'done');
    });
  });

  test("imports run on their own task queue, apart from every tenant's sync", async () => {
    const { uploadId } = (await activeCatalog()).body;
    const described = await stack.temporal.client.workflow.getHandle(catalogWorkflowId(merchant.tenantId, uploadId)).describe();
    assert.equal(described.taskQueue, stack.config.TEMPORAL_CATALOG_TASK_QUEUE);
    assert.notEqual(stack.config.TEMPORAL_CATALOG_TASK_QUEUE, stack.config.TEMPORAL_TASK_QUEUE);
  });

  test('items come a page at a time, with the total of their status; a wrong status is refused in Japanese', async () => {
    const first = (await items('limit=2&page=1')).body;
    const second = (await items('limit=2&page=2')).body;
    assert.equal(first.total, 6);
    assert.equal(first.items.length, 2);
    assert.equal(second.items.length, 2);
    assert.equal(new Set([...first.items, ...second.items].map((i) => i.code)).size, 4);
    const bad = await stack.http<{ error: { code: string; message: string } }>('GET', '/api/v1/catalog/items?status=synced', { token: merchant.token });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /matched、unmatched、conflict、unlimited/);
    assert.equal((await items('limit=500')).status, 400);
  });

  test('the item list keeps import order after items are rewritten (natural order is never relied on)', async () => {
    const inImportOrder = (await items('limit=200')).body.items.map((i) => i.code);
    assert.deepEqual(inImportOrder, ['OPT-M', 'OPT-L', 'SHARED', 'B-2', 'A-1', 'WEB-ONLY']); // option rows, then products
    // MongoDB after an update that moves a document, and FerretDB on PostgreSQL after any update, return
    // rewritten documents last in natural order: a delete and re-insert does the same on every server.
    const collection = stack.database.db.collection<{ _id: string; tenantId: string }>('catalog_items');
    const rewritten = await collection.find({ tenantId: merchant.tenantId }).sort({ _id: 1 }).limit(2).toArray();
    for (const doc of rewritten) {
      await collection.deleteOne({ _id: doc._id });
      await collection.insertOne(doc);
    }
    assert.deepEqual((await items('limit=200')).body.items.map((i) => i.code), inImportOrder);
    const firstPages = [...(await items('limit=3&page=1')).body.items, ...(await items('limit=3&page=2')).body.items];
    assert.deepEqual(firstPages.map((i) => i.code), inImportOrder);
  });

  test('each upload is a new version; the previous one is kept, older ones and the uploaded files are deleted', async () => {
    const versions: number[] = [];
    for (const n of [10, 20]) {
      const { upload } = await importToEnd(plainShop(n));
      assert.equal(upload.status, 'succeeded');
      versions.push(upload.version);
    }
    assert.ok(versions[1]! > versions[0]!);
    assert.equal((await activeCatalog()).body.version, versions[1]);
    assert.deepEqual(await storedVersions(), versions);
    assert.equal(await stack.database.db.collection('catalog_files.files').countDocuments(), 0);
    assert.equal(await stack.database.db.collection('catalog_files.chunks').countDocuments(), 0);
    const snapshots = await stack.database.db.collection('smaregi_products').distinct('snapshotId', { tenantId: merchant.tenantId });
    assert.equal(snapshots.length, 1);
  });

  test('one import at a time: a new upload cancels the running one, which is never activated and leaves nothing behind', async () => {
    await stack.worker.stop();
    const first = await startUpload(plainShop(60));
    const second = await startUpload(plainShop(70));
    await stack.worker.start();
    const firstRun = stack.temporal.client.workflow.getHandle(catalogWorkflowId(merchant.tenantId, first));
    await assert.rejects(firstRun.result(), (err: Error) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure);
    assert.equal((await stack.temporal.client.workflow.getHandle(catalogWorkflowId(merchant.tenantId, second)).result()).outcome, 'activated');

    const firstUpload = (await stack.http<UploadAnswer>('GET', `/api/v1/catalog/uploads/${first}`, { token: merchant.token })).body;
    assert.equal(firstUpload.status, 'failed');
    assert.equal(firstUpload.error?.code, 'superseded');
    assert.match(firstUpload.error!.message, /後にアップロードされた/);
    assert.equal((await catalogUploads(stack.database.db).findOne({ _id: first }))?.activatedAt, null);
    assert.equal((await activeCatalog()).body.uploadId, second);
    assert.equal(await catalogItemPacks(stack.database.db).countDocuments({ tenantId: merchant.tenantId, version: firstUpload.version }), 0);
    assert.equal(await stack.database.db.collection('catalog_files.files').countDocuments({ 'metadata.uploadId': first }), 0);
  });

  test('an older upload that finishes after a newer one is activated never replaces it', async () => {
    await stack.worker.stop();
    const older = await startUpload(plainShop(30));
    const newer = await startUpload(plainShop(40));
    // The older upload's import is held back: it runs again only after the newer one is active.
    const olderRun = stack.temporal.client.workflow.getHandle(catalogWorkflowId(merchant.tenantId, older));
    await olderRun.terminate('held back by the test');
    await stack.worker.start();
    await stack.temporal.client.workflow.getHandle(catalogWorkflowId(merchant.tenantId, newer)).result();
    const active = (await activeCatalog()).body;
    assert.equal(active.uploadId, newer);

    await stack.temporal.client.workflow.start('catalogImportWorkflow', {
      workflowId: catalogWorkflowId(merchant.tenantId, older),
      taskQueue: stack.config.TEMPORAL_CATALOG_TASK_QUEUE,
      args: [{ tenantId: merchant.tenantId, uploadId: older }],
    });
    const late = await stack.temporal.client.workflow.getHandle(catalogWorkflowId(merchant.tenantId, older)).result();
    assert.equal(late.outcome, 'superseded');
    const olderUpload = (await stack.http<UploadAnswer>('GET', `/api/v1/catalog/uploads/${older}`, { token: merchant.token })).body;
    assert.equal(olderUpload.status, 'failed');
    assert.equal(olderUpload.error?.code, 'superseded');
    assert.match(olderUpload.error!.message, /後にアップロードされた/);
    assert.equal((await activeCatalog()).body.version, active.version);
    assert.equal(await catalogItemPacks(stack.database.db).countDocuments({ tenantId: merchant.tenantId, version: olderUpload.version }), 0);
  });

  test('the sync preview is computed for the requested page of matched items only', async () => {
    const preview = (query: string) => stack.http<{ code: string; target: number }[]>('GET', `/api/v1/sync/preview?${query}`, { token: merchant.token });
    const all = (await preview('limit=200')).body;
    assert.deepEqual(all.map((r) => r.code), ['A-1', 'A-2']);
    assert.deepEqual((await preview('page=1&limit=1')).body.map((r) => r.code), ['A-1']);
    assert.deepEqual((await preview('page=2&limit=1')).body, [all[1]]);
    assert.deepEqual((await preview('page=3&limit=1')).body, []);
    const refused = await stack.http<{ error: { message: string } }>('GET', '/api/v1/sync/preview?limit=100000', { token: merchant.token });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /limit は1〜200の整数/);
  });

  test('when Smaregi cannot be read the upload fails saying so, and the active catalog stays', async () => {
    const before = (await activeCatalog()).body;
    const tenants = tenantsCollection(stack.database.db);
    // As if the app's use on this contract had ended: the token request is refused.
    await tenants.updateOne({ _id: merchant.tenantId }, { $set: { smaregiContractId: 'sb_contract_gone' } });
    try {
      const { upload } = await importToEnd(plainShop(50));
      assert.equal(upload.status, 'failed');
      assert.equal(upload.error?.code, 'smaregi_unavailable');
      assert.match(upload.error!.message, /スマレジ/);
    } finally {
      await tenants.updateOne({ _id: merchant.tenantId }, { $set: { smaregiContractId: world.contractId } });
    }
    assert.deepEqual((await activeCatalog()).body, before);
  });

  test("another merchant sees neither this merchant's uploads nor its catalog", async () => {
    const other = await onboardMerchant(stack, { ...world, contractId: 'sb_lifecycle_other', shopId: 'othershop' }, { catalog: false, run: false });
    const uploadId = (await activeCatalog()).body.uploadId;
    assert.equal((await stack.http('GET', `/api/v1/catalog/uploads/${uploadId}`, { token: other.token })).status, 404);
    assert.equal((await stack.http('GET', '/api/v1/catalog', { token: other.token })).status, 404);
    assert.equal((await stack.http('GET', '/api/v1/catalog/items', { token: other.token })).status, 404);
    assert.equal((await stack.http('GET', '/api/v1/catalog', {})).status, 401);
  });

  test("the worker's periodic purge sweeps what interrupted uploads left in GridFS, never an upload in progress", async () => {
    const { db } = stack.database;
    const now = new Date();
    const twoHoursAgo = new Date(now.getTime() - 2 * 3600_000);
    const bucket = catalogFileBucket(db);
    const storeFile = async (uploadId: string, uploadDate: Date) => {
      const stream = bucket.openUploadStream('products.csv', { metadata: { tenantId: merchant.tenantId, uploadId, field: 'productCsv' } });
      await new Promise<void>((resolve, reject) => stream.end(Buffer.from('a,b\r\n'), (err?: Error | null) => (err ? reject(err) : resolve())));
      await db.collection('catalog_files.files').updateOne({ _id: stream.id }, { $set: { uploadDate } });
      return stream.id;
    };
    // The api died mid-upload: chunks were written, the files document never was.
    const headlessId = ObjectId.createFromTime(Math.floor(twoHoursAgo.getTime() / 1000));
    await db.collection('catalog_files.chunks').insertOne({ files_id: headlessId, n: 0, data: Buffer.from('x') });
    // The api died after the files were stored, before the upload was recorded.
    const unrecorded = await storeFile('up_000000000000000000000000', twoHoursAgo);
    const arriving = await storeFile('up_111111111111111111111111', now);
    const processing = 'up_222222222222222222222222';
    const importing = await storeFile(processing, twoHoursAgo);
    const file = { fileId: importing, name: 'products.csv', bytes: 5 };
    await insertCatalogUpload(db, { _id: processing, tenantId: merchant.tenantId, version: 999, files: { productCsv: file, optionCsv: file }, createdAt: twoHoursAgo });
    try {
      await periodicPurge(db, createLogger('test', 'silent'), now);
      const left = (await bucket.find({}).toArray()).map((f) => f._id.toHexString()).sort();
      assert.deepEqual(left, [arriving, importing].map((id) => id.toHexString()).sort());
      assert.equal(await db.collection('catalog_files.chunks').countDocuments({ files_id: { $in: [headlessId, unrecorded] } }), 0);
    } finally {
      await catalogUploads(db).deleteOne({ _id: processing });
      await deleteStoredFiles(db, [arriving, importing]);
    }
  });
});
