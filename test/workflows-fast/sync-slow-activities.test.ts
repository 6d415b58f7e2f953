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

/** Makes every attempt of the activity wait for a slow platform until `release` (one that outlives its heartbeat timeout is retried). */
function heldUntilReleased<I, O>(activity: (input: I) => Promise<O>) {
  let release!: () => void;
  const platform = new Promise<void>((resolve) => (release = resolve));
  const held = { started: false, release: () => release() };
  const slow = async (input: I): Promise<O> => {
    held.started = true;
    await platform;
    return activity(input);
  };
  return { held, slow };
}

test('a reconciliation that takes long holds no push: the full push and a change are pushed while it still runs', async () => {
  const stubs = syncStubs();
  const { held, slow } = heldUntilReleased(stubs.activities.reconcileIntoQueue!);
  stubs.activities.reconcileIntoQueue = slow;
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
      held.release();
    }
    await stubs.reconciled.called(1);
    await handle.terminate('test finished');
  });
});

test('imports that take long hold no push: a change is pushed while the queued orders are still being imported', async () => {
  const stubs = syncStubs();
  const { held, slow } = heldUntilReleased(stubs.activities.processQueuedOrder!);
  stubs.activities.processQueuedOrder = slow;
  await fast.run(stubs.activities, async (taskQueue) => {
    const handle = await startSync(taskQueue, 'sync-fast-slow-import');
    try {
      await stubs.pushed.called(1);
      await stubs.handOver(handle, { orders: [{ orderNumber: 'o1', cmd: 0 }] });
      await eventually(async () => assert.ok(held.started, 'the import of the order began'), 10_000, 50);
      await stubs.handOver(handle, { productIds: ['p2'] });
      await eventually(async () => assert.ok(stubs.pushedProducts.some((p) => p.includes('p2')), 'p2 pushed'), 10_000, 50);
      assert.equal(stubs.processed.calls.length, 0, 'the order was still being imported');
    } finally {
      held.release();
    }
    await stubs.processed.called(1);
    await handle.terminate('test finished');
  });
});
