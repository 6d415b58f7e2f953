// The sync engine against the real Temporal server, FerretDB and both simulators: the webhooks come
// in over HTTP from the simulators, the workflow runs on a real worker. Tenant settings come from a
// fixed port here (onboarding has its own end-to-end test).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createSyncActivities } from '../../src/activities/sync';
import { createLogger } from '../../src/lib/logger';
import { catalogActive, insertCatalogPack, type CatalogItemDoc } from '../../src/storage/catalog-items';
import { ensureIndexes } from '../../src/storage/indexes';
import { orderLedger } from '../../src/storage/orders';
import { readSyncLog } from '../../src/storage/sync-log';
import { computeTargets } from '../../src/sync/targets';
import { signalSyncWorkflow } from '../../src/temporal/tenant-workflows';
import { readinessChangedSignal, setSyncStateUpdate, syncStatusQuery, syncWorkflowId } from '../../src/workflows/messages';
import type { TenantSettingsPort } from '../../src/sync/ports';
import { startTestApi } from '../support/api';
import { startBundleWorker, temporalClient, testDatabase, uniqueTaskQueue } from '../support/infra';
import { eventually, getJson, postJson, startTestPlatforms, type TestPlatforms } from '../support/platforms';

const CONTRACT = 'sb_synctest';
const SHOP = 'syncshop';
const SECRET = { name: 'X-Zaiko-Webhook-Secret', value: 'test-webhook-secret' };
const creds = { mode: 'legacy' as const, shopId: SHOP, accountId: 'admin', password: 'pass-12', orderAuthCode: 'auth-code' };

let database: Awaited<ReturnType<typeof testDatabase>>;
let temporal: Awaited<ReturnType<typeof temporalClient>>;
let platforms: TestPlatforms;
let api: Awaited<ReturnType<typeof startTestApi>>;
let worker: Awaited<ReturnType<typeof startBundleWorker>> | undefined;
const tenantId = `t-${randomUUID().slice(0, 8)}`;
const taskQueue = uniqueTaskQueue('sync');
const productIds = new Map<string, string>();
const FAST = { debounceMs: 100, maxDelayMs: 500, reconcileIntervalMs: 60 * 60 * 1000 };

const port: TenantSettingsPort = {
  contractId: async () => CONTRACT,
  stockSettings: async () => ({ storeIds: ['1', '2'], buffer: 0, overrides: [{ code: 'A-002', buffer: 2 }] }),
  shipmentStoreId: async () => '1',
  orderImportMethod: async () => 'shipment',
  makeshopConnection: async () => creds,
};

async function makeshopStock(): Promise<Record<string, number | null>> {
  const rows = await getJson<{ customCode: string; optionCode: string; quantity: number | null }[]>(
    `${platforms.makeshop.baseUrl}/__sim/shops/${SHOP}/stock`,
  );
  return Object.fromEntries(rows.map((r) => [r.optionCode || r.customCode, r.quantity]));
}

async function smaregiTotal(code: string): Promise<{ perStore: { storeId: string; amount: number }[] }> {
  return getJson(`${platforms.smaregi.baseUrl}/__sim/contracts/${CONTRACT}/stock?productCode=${encodeURIComponent(code)}`);
}

function item(fields: Partial<CatalogItemDoc> & Pick<CatalogItemDoc, 'source' | 'systemCode' | 'customCode'>): CatalogItemDoc {
  const code = fields.source === 'option' ? (fields as { optionCode: string }).optionCode : fields.customCode;
  return {
    tenantId,
    version: 1,
    jan: '',
    name: code,
    quantity: 0,
    line: 2,
    status: 'matched',
    smaregiProductId: productIds.get(code) ?? null,
    smaregiProductCode: code,
    matchedBy: 'code',
    conflictReasons: [],
    ...fields,
  } as CatalogItemDoc;
}

before(async () => {
  database = await testDatabase('sync');
  await ensureIndexes(database.db);
  temporal = await temporalClient();
  // The api must exist before the simulators so they can call its webhooks.
  api = await startTestApi({
    db: database.db,
    temporal: temporal.client,
    config: { TEMPORAL_TASK_QUEUE: taskQueue, SMAREGI_WEBHOOK_HEADER_NAME: SECRET.name, SMAREGI_WEBHOOK_HEADER_VALUE: SECRET.value },
    sync: undefined as never,
    webhookTenants: {
      byContractId: async (id) => (id === CONTRACT ? { tenantId, active: true } : null),
      byNotificationToken: async (token) => (token === 'tok' ? { tenantId, makeshopShopId: SHOP } : null),
      applySubscription: async () => false,
    },
  });
  platforms = await startTestPlatforms({ webhook: { url: `${api.baseUrl}/webhooks/smaregi`, header: SECRET } });
  api.deps.sync = { db: database.db, logger: createLogger('sync', 'silent'), smaregi: platforms.smaregiClient, makeshop: platforms.makeshopClient, tenants: port };

  await postJson(`${platforms.smaregi.baseUrl}/__sim/contracts`, {
    contractId: CONTRACT,
    stores: [
      { storeId: '1', storeName: '本店' },
      { storeId: '2', storeName: '支店' },
      { storeId: '3', storeName: '倉庫' },
    ],
    products: ['A-001', 'A-002', 'A-003', 'UNSYNCED'].map((c) => ({ productCode: c, productName: c })),
    stock: [
      { storeId: '1', productCode: 'A-001', amount: 5 },
      { storeId: '2', productCode: 'A-001', amount: 3 },
      { storeId: '3', productCode: 'A-001', amount: 100 },
      { storeId: '1', productCode: 'A-002', amount: 10 },
      { storeId: '2', productCode: 'A-003', amount: 4 },
    ],
  });
  for (const p of await platforms.smaregiClient.listProducts(CONTRACT)) productIds.set(p.productCode, p.productId);
  await postJson(`${platforms.makeshop.baseUrl}/__sim/shops`, {
    ...creds,
    products: [
      { systemCode: '000000000001', customCode: 'A-001', name: 'A1', jan: '', quantity: 0 },
      { systemCode: '000000000002', customCode: 'A-002', name: 'A2', jan: '', quantity: 0 },
      { systemCode: '000000000003', customCode: 'SHIRT', name: 'Shirt', jan: '', quantity: 0, optionNames: ['サイズ'] },
      { systemCode: '000000000004', customCode: 'FREE', name: 'Free', jan: '', quantity: null },
    ],
    options: [{ systemCode: '000000000003', optionCode: 'A-003', option1: 'M', option2: '', jan: '', quantity: 0 }],
  });
  await postJson(`${platforms.makeshop.baseUrl}/__sim/shops/${SHOP}/notification-url`, {
    url: `${api.baseUrl}/webhooks/makeshop/orders/tok?shopid=[SHOPID]&ordernum=[ORDERNUM]&cmd=[CMD]`,
  }, 'PUT');
  await insertCatalogPack(database.db, tenantId, 1, 0, [
    item({ source: 'product', systemCode: '000000000001', customCode: 'A-001' }),
    item({ source: 'product', systemCode: '000000000002', customCode: 'A-002' }),
    item({ source: 'option', systemCode: '000000000003', customCode: 'SHIRT', optionCode: 'A-003' } as Partial<CatalogItemDoc> & { source: 'option'; systemCode: string; customCode: string }),
  ]);
  await catalogActive(database.db).insertOne({ _id: tenantId, version: 1, uploadId: 'u1', activatedAt: new Date() });

  worker = await startBundleWorker(
    temporal.native,
    taskQueue,
    createSyncActivities({ db: database.db, logger: createLogger('sync', 'silent'), smaregi: platforms.smaregiClient, makeshop: platforms.makeshopClient, tenants: port }),
  );
  await signalSyncWorkflow(temporal.client, taskQueue, tenantId, readinessChangedSignal, [{ ready: true, missing: [] }], {
    timing: FAST,
  });
});

after(async () => {
  await temporal.client.workflow.getHandle(syncWorkflowId(tenantId)).terminate('test over').catch(() => undefined);
  await worker?.stop();
  await api.close();
  await platforms.close();
  await temporal.connection.close();
  await database.drop();
});

/** The stopped workflow has the change as pending work: had it pushed, MakeShop would show it by now. */
async function changeRecorded(handle: ReturnType<typeof temporal.client.workflow.getHandle>): Promise<void> {
  await eventually(async () => assert.ok((await handle.query(syncStatusQuery)).pending.items > 0, 'the change reached the workflow'));
}

describe('sync engine', () => {
  test('while 停止 nothing is pushed, and 稼働 pushes every matched item', async () => {
    const handle = temporal.client.workflow.getHandle(syncWorkflowId(tenantId));
    await postJson(`${platforms.smaregi.baseUrl}/__sim/contracts/${CONTRACT}/stock-adjustments`, { storeId: '1', productCode: 'A-001', delta: 1 });
    await changeRecorded(handle);
    assert.deepEqual(await makeshopStock(), { 'A-001': 0, 'A-002': 0, SHIRT: 0, 'A-003': 0, FREE: null });

    assert.deepEqual(await handle.executeUpdate(setSyncStateUpdate, { args: [{ state: 'running' }] }), { state: 'running' });
    await eventually(async () => {
      // stores 1+2 = 6+3; A-002: 10 − override buffer 2; A-003: 4; the unlimited item untouched.
      assert.deepEqual(await makeshopStock(), { 'A-001': 9, 'A-002': 8, SHIRT: 0, 'A-003': 4, FREE: null });
    });
  });

  test('a POS sale in Smaregi reaches MakeShop within seconds', async () => {
    const started = Date.now();
    await postJson(`${platforms.smaregi.baseUrl}/__sim/contracts/${CONTRACT}/stock-adjustments`, { storeId: '2', productCode: 'A-001', delta: -2 });
    await eventually(async () => assert.equal((await makeshopStock())['A-001'], 7));
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  test('a MakeShop order becomes exactly one Smaregi shipment even when notified three times', async () => {
    const { orderNumber } = (await postJson(`${platforms.makeshop.baseUrl}/__sim/shops/${SHOP}/orders`, {
      lines: [{ code: 'A-001', quantity: 2 }, { code: 'A-003', quantity: 1 }],
    })) as { orderNumber: string };
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${api.baseUrl}/webhooks/makeshop/orders/tok?shopid=${SHOP}&ordernum=${orderNumber}&cmd=0`);
      assert.equal(res.status, 200);
    }
    await eventually(async () => {
      const ledger = await orderLedger(database.db).findOne({ tenantId, orderNumber });
      assert.equal(ledger?.status, 'imported');
    });
    const shipments = await getJson<{ identificationNo?: string }[]>(`${platforms.smaregi.baseUrl}/__sim/contracts/${CONTRACT}/shipments`);
    assert.equal(shipments.filter((s) => s.identificationNo === orderNumber).length, 1);
    // Shipped from store 1: A-001 store 1 goes 6 → 4; A-003 had no stock in store 1 (goes negative there).
    assert.equal((await smaregiTotal('A-001')).perStore.find((s) => s.storeId === '1')?.amount, 4);
    await eventually(async () => {
      const stock = await makeshopStock();
      assert.equal(stock['A-001'], 5);
      assert.equal(stock['A-003'], 3);
    });
    // The push runs beside the import and reserves the order while it is pending, so MakeShop can show 5 before
    // the import's activity has returned to the workflow and been counted.
    await eventually(async () => {
      const status = await temporal.client.workflow.getHandle(syncWorkflowId(tenantId)).query(syncStatusQuery);
      assert.equal(status.counters.ordersImported, 1);
    });
  });

  test('a cancellation reverses the shipment and restores stock', async () => {
    const { orderNumber } = (await postJson(`${platforms.makeshop.baseUrl}/__sim/shops/${SHOP}/orders`, {
      lines: [{ code: 'A-002', quantity: 3 }],
    })) as { orderNumber: string };
    await eventually(async () => assert.equal((await orderLedger(database.db).findOne({ tenantId, orderNumber }))?.status, 'imported'));
    await eventually(async () => assert.equal((await makeshopStock())['A-002'], 5));
    await postJson(`${platforms.makeshop.baseUrl}/__sim/shops/${SHOP}/orders/${orderNumber}/cancel`, {});
    await eventually(async () => assert.equal((await orderLedger(database.db).findOne({ tenantId, orderNumber }))?.status, 'cancelled'));
    await eventually(async () => assert.equal((await makeshopStock())['A-002'], 8));
    assert.equal((await smaregiTotal('A-002')).perStore.find((s) => s.storeId === '1')?.amount, 10);
  });

  test('the sync log and the dry run tell the merchant what happened and what would be pushed', async () => {
    const log = await readSyncLog(database.db, tenantId, 100);
    assert.ok(log.some((e) => e.kind === 'resync'));
    assert.ok(log.some((e) => e.kind === 'stock-push' && e.code === 'A-001'));
    assert.ok(log.some((e) => e.kind === 'order-import'));
    assert.ok(log.some((e) => e.kind === 'order-cancel'));
    // The push is recorded just after MakeShop accepted it: allow that moment.
    await eventually(async () => {
      const { targets } = await computeTargets(api.deps.sync, tenantId);
      const a2 = targets.find((t) => t.item.customCode === 'A-002');
      assert.deepEqual({ total: a2?.smaregiTotal, buffer: a2?.buffer, target: a2?.target, last: a2?.lastPushed }, { total: 10, buffer: 2, target: 8, last: 8 });
    });
  });

  test('stopping again freezes MakeShop; 稼働 after 停止 pushes the changes made meanwhile', async () => {
    const handle = temporal.client.workflow.getHandle(syncWorkflowId(tenantId));
    await handle.executeUpdate(setSyncStateUpdate, { args: [{ state: 'stopped' }] });
    await postJson(`${platforms.smaregi.baseUrl}/__sim/contracts/${CONTRACT}/stock-adjustments`, { storeId: '1', productCode: 'A-002', delta: 5 });
    await changeRecorded(handle);
    assert.equal((await makeshopStock())['A-002'], 8);
    await handle.executeUpdate(setSyncStateUpdate, { args: [{ state: 'running' }] });
    await eventually(async () => assert.equal((await makeshopStock())['A-002'], 13));
  });

  test('with a tiny history limit it continues-as-new many times and loses nothing', async () => {
    const old = temporal.client.workflow.getHandle(syncWorkflowId(tenantId));
    await old.terminate('restart with a tiny history limit');
    await signalSyncWorkflow(temporal.client, taskQueue, tenantId, readinessChangedSignal, [{ ready: true, missing: [] }], {
      timing: FAST,
      maxHistoryEvents: 15,
    });
    const handle = temporal.client.workflow.getHandle(syncWorkflowId(tenantId));
    await handle.executeUpdate(setSyncStateUpdate, { args: [{ state: 'running' }] });
    const codes = ['A-001', 'A-002', 'A-003'];
    const expected = async () => {
      const total = async (code: string) =>
        (await smaregiTotal(code)).perStore.filter((s) => s.storeId === '1' || s.storeId === '2').reduce((a, s) => a + s.amount, 0);
      return { 'A-001': Math.max(0, await total('A-001')), 'A-002': Math.max(0, (await total('A-002')) - 2), 'A-003': Math.max(0, await total('A-003')) };
    };
    // Six rounds of ten changes, each allowed to settle, so the workflow runs many cycles.
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 10; i++) {
        await postJson(`${platforms.smaregi.baseUrl}/__sim/contracts/${CONTRACT}/stock-adjustments`, {
          storeId: i % 2 === 0 ? '1' : '2',
          productCode: codes[(round + i) % 3],
          delta: i % 4 === 0 ? -1 : 2,
        });
      }
      await eventually(async () => {
        const stock = await makeshopStock();
        assert.deepEqual({ 'A-001': stock['A-001'], 'A-002': stock['A-002'], 'A-003': stock['A-003'] }, await expected());
      }, 30_000);
    }
    let continued = 0;
    const query = `WorkflowId = '${syncWorkflowId(tenantId)}' AND ExecutionStatus = 'ContinuedAsNew'`;
    for await (const _ of temporal.client.workflow.list({ query })) continued++;
    assert.ok(continued >= 3, `expected several continue-as-new runs, saw ${continued}`);
    assert.equal((await handle.query(syncStatusQuery)).state, 'running');
  });
});
