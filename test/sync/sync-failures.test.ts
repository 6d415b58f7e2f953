// A sync that cannot work (settings missing on the platform side) reports the error and waits for the
// reconciliation instead of retrying in a tight loop that would flood its history.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createSyncActivities } from '../../src/activities/sync';
import { createLogger } from '../../src/lib/logger';
import { catalogActive } from '../../src/storage/catalog-items';
import { ensureIndexes } from '../../src/storage/indexes';
import { signalSyncWorkflow } from '../../src/temporal/tenant-workflows';
import { readinessChangedSignal, setSyncStateUpdate, syncStatusQuery, syncWorkflowId } from '../../src/workflows/messages';
import { startBundleWorker, temporalClient, testDatabase, uniqueTaskQueue } from '../support/infra';
import { eventually } from '../support/platforms';
import { SmaregiClient } from '../../src/platforms/smaregi/client';
import { LegacyMakeshopClient } from '../../src/platforms/makeshop/legacy-client';

let database: Awaited<ReturnType<typeof testDatabase>>;
let temporal: Awaited<ReturnType<typeof temporalClient>>;
let worker: Awaited<ReturnType<typeof startBundleWorker>> | undefined;
const tenantId = `t-${randomUUID().slice(0, 8)}`;
const taskQueue = uniqueTaskQueue('sync-fail');

before(async () => {
  database = await testDatabase('syncfail');
  await ensureIndexes(database.db);
  temporal = await temporalClient();
  await catalogActive(database.db).insertOne({ _id: tenantId, version: 1, uploadId: 'u', activatedAt: new Date() });
  const unreachable = 'http://127.0.0.1:1';
  worker = await startBundleWorker(
    temporal.native,
    taskQueue,
    createSyncActivities({
      db: database.db,
      logger: createLogger('sync', 'silent'),
      smaregi: new SmaregiClient({ idBaseUrl: unreachable, apiBaseUrl: unreachable, clientId: 'x', clientSecret: 'y' }),
      makeshop: new LegacyMakeshopClient({ baseUrl: unreachable }),
      tenants: {
        contractId: async () => 'sb_x',
        stockSettings: async () => null, // the merchant's stock stores are gone
        shipmentStoreId: async () => null,
        orderImportMethod: async () => 'shipment',
        makeshopConnection: async () => null,
      },
    }),
  );
});
after(async () => {
  await temporal.client.workflow.getHandle(syncWorkflowId(tenantId)).terminate().catch(() => undefined);
  await worker?.stop();
  await temporal.connection.close();
  await database.drop();
});

test('a full push that cannot succeed is reported once and deferred to the reconciliation', async () => {
  await signalSyncWorkflow(temporal.client, taskQueue, tenantId, readinessChangedSignal, [{ ready: true, missing: [] }], {
    timing: { debounceMs: 50, maxDelayMs: 200, reconcileIntervalMs: 60 * 60 * 1000 },
  });
  const handle = temporal.client.workflow.getHandle(syncWorkflowId(tenantId));
  await handle.executeUpdate(setSyncStateUpdate, { args: [{ state: 'running' }] });
  const status = await eventually(async () => {
    const s = await handle.query(syncStatusQuery);
    assert.match(s.lastError?.message ?? '', /no Smaregi stores are selected/);
    return s;
  });
  assert.equal(status.pending.fullPush, true, 'the full push is still owed');
  await new Promise((r) => setTimeout(r, 2000));
  const history = await handle.fetchHistory();
  // Order discovery runs around each push; only the push itself must not repeat.
  const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'pushStock').length;
  assert.ok(scheduled <= 1, `expected the failing push to be tried once, saw ${scheduled} pushStock schedules`);
});
