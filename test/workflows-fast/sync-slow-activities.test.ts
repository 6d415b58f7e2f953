// The sync workflow while an activity takes long: these tests wait in real time with short periods, on a
// time-skipping server of their own. The server skips no time while an activity runs, and an attempt that
// outlived its heartbeat timeout kept it from skipping for the rest of its run: sync.test.ts, which relies
// on skipping, waited 13 minutes of real time behind such a test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../support/platforms';
import { MINUTE, startFastLayer, type FastLayer } from './time-skipping';
import { SYNC_ACTIVITIES, startSyncOn, syncStubs } from './sync-stubs';

let fast: FastLayer;
before(async () => (fast = await startFastLayer(SYNC_ACTIVITIES)));
after(async () => fast?.close());

const TIMING = { debounceMs: 200, maxDelayMs: 1000, reconcileIntervalMs: 10 * MINUTE };
const startSync = (taskQueue: string, tenantId: string) => startSyncOn(fast.env, taskQueue, tenantId, { timing: TIMING });

test('a reconciliation that takes long holds no push: the full push and a change are pushed while it still runs', async () => {
  const stubs = syncStubs();
  const reconcile = stubs.activities.reconcileIntoQueue!;
  let release!: () => void;
  const slowPlatform = new Promise<void>((resolve) => (release = resolve));
  // Every attempt waits for the platform (one that outlives its heartbeat timeout is retried).
  stubs.activities.reconcileIntoQueue = async (input) => {
    await slowPlatform;
    return reconcile(input);
  };
  await fast.run(stubs.activities, async (taskQueue) => {
    const handle = await startSync(taskQueue, 'sync-fast-slow-reconcile');
    try {
      await stubs.pushed.called(1);
      await stubs.handOver(handle, { productIds: ['p1'], orders: [{ orderNumber: 'o1', cmd: 0 }] });
      await stubs.pushed.called(2);
      await stubs.processed.called(1);
      assert.equal(stubs.reconciled.calls.length, 0, 'the reconciliation was still running');
      assert.deepEqual(stubs.pushedProducts[1], ['p1']);
    } finally {
      release();
    }
    await stubs.reconciled.called(1);
    await handle.terminate('test finished');
  });
});

test('imports that take long hold no push: a change is pushed while the queued orders are still being imported', async () => {
  const stubs = syncStubs();
  const process = stubs.activities.processQueuedOrder!;
  let release!: () => void;
  let importStarted = false;
  const slowSmaregi = new Promise<void>((resolve) => (release = resolve));
  stubs.activities.processQueuedOrder = async (order) => {
    importStarted = true;
    await slowSmaregi;
    return process(order);
  };
  await fast.run(stubs.activities, async (taskQueue) => {
    const handle = await startSync(taskQueue, 'sync-fast-slow-import');
    try {
      await stubs.pushed.called(1);
      await stubs.handOver(handle, { orders: [{ orderNumber: 'o1', cmd: 0 }] });
      await eventually(async () => assert.ok(importStarted, 'the import of the order began'), 10_000, 50);
      await stubs.handOver(handle, { productIds: ['p2'] });
      await eventually(async () => assert.ok(stubs.pushedProducts.some((p) => p.includes('p2')), 'p2 pushed'), 10_000, 50);
      assert.equal(stubs.processed.calls.length, 0, 'the order was still being imported');
    } finally {
      release();
    }
    await stubs.processed.called(1);
    await handle.terminate('test finished');
  });
});
