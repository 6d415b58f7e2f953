// The sync workflow's timers on the time-skipping server, observed through its signals, update, query
// and activity calls only (not its internal state): the reconciliation period, the debounce's quiet
// period and maximum delay, and continue-as-new keeping pending work. Push and reconciliation
// themselves are tested on the full stack in test/sync/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eventually } from '../support/platforms';
import type { SyncWorkflowInput } from '../../src/workflows/sync';
import { setSyncStateUpdate, syncStatusQuery } from '../../src/workflows/messages';
import { MINUTE, startFastLayer, type FastLayer } from './time-skipping';
import { SYNC_ACTIVITIES, startSyncOn, syncStubs } from './sync-stubs';

const TIMING = { debounceMs: MINUTE, maxDelayMs: 5 * MINUTE, reconcileIntervalMs: 10 * MINUTE };

let fast: FastLayer;
let env: TestWorkflowEnvironment;
before(async () => {
  fast = await startFastLayer(SYNC_ACTIVITIES);
  env = fast.env;
});
after(async () => fast?.close());

const startSync = (taskQueue: string, tenantId: string, extra: Partial<SyncWorkflowInput> = {}) => startSyncOn(env, taskQueue, tenantId, { timing: TIMING, ...extra });

/** Lets the workflow time pass until the first push (after a quiet period) has happened. */
async function settled(pushed: ReturnType<typeof syncStubs>['pushed']): Promise<void> {
  await env.sleep(2 * TIMING.debounceMs);
  await pushed.called(1);
}

test('a running tenant is reconciled at once, then every reconciliation interval', async () => {
  const { activities, reconciled, pushed } = syncStubs();
  await fast.run(activities, async (taskQueue) => {
    const handle = await startSync(taskQueue, 'sync-fast-1');
    await settled(pushed); // the rebuilt run's full push
    await env.sleep(35 * MINUTE);
    const calls = await reconciled.called(4);
    await handle.terminate('test finished');
    assert.equal(calls.length, 4, 'at 0, 10, 20 and 30 minutes');
    for (let i = 1; i < calls.length; i++) {
      const gap = calls[i]!.at - calls[i - 1]!.at;
      // (Measured between the activities' schedule times, which trail the workflow's clock by a few ms.)
      assert.ok(Math.abs(gap - TIMING.reconcileIntervalMs) < 1000, `reconciliation ${i} came after ${gap} ms`);
    }
    assert.ok(pushed.calls[0]!.input.full, 'the first push is a full push');
  });
});

// A thousand idle tenants each wake every reconciliation interval (bench:tenants): the reconciliation reads
// the stores and the order window itself and queues what it finds, so a wake with nothing pending runs it alone.
test('an idle reconciliation runs alone: no look for orders, no push, no follow-up look beside it', async () => {
  const { activities, reconciled, pushed, looks } = syncStubs();
  await fast.run(activities, async (taskQueue) => {
    const handle = await startSync(taskQueue, 'sync-fast-idle');
    await settled(pushed);
    await env.sleep(2 * MINUTE); // past the follow-up look of the first push
    await handle.query(syncStatusQuery);
    const before = { looks: looks.calls.length, pushes: pushed.calls.length, reconciliations: reconciled.calls.length };
    await env.sleep(31 * MINUTE);
    await reconciled.called(before.reconciliations + 3);
    await handle.query(syncStatusQuery);
    await handle.terminate('test finished');
    assert.equal(looks.calls.length - before.looks, 0, 'looks for orders beside three idle reconciliations');
    assert.equal(pushed.calls.length - before.pushes, 0, 'pushes after three idle reconciliations');
  });
});

test('what a reconciliation finds (a lost webhook) is pushed once it is queued', async () => {
  const { activities, reconciled, pushed, pushedProducts, lose } = syncStubs();
  await fast.run(activities, async (taskQueue) => {
    const handle = await startSync(taskQueue, 'sync-fast-lost');
    await settled(pushed);
    lose({ productIds: ['p-lost'] });
    const seen = reconciled.calls.length;
    await env.sleep(11 * MINUTE);
    await reconciled.called(seen + 1);
    await env.sleep(2 * TIMING.debounceMs);
    await pushed.called(2);
    await handle.terminate('test finished');
    assert.deepEqual(pushedProducts[1], ['p-lost']);
  });
});

test('a change is pushed once the quiet period passed with no further change', async () => {
  const { activities, pushed, pushedProducts, handOver } = syncStubs();
  await fast.run(activities, async (taskQueue) => {
    const handle = await startSync(taskQueue, 'sync-fast-2');
    await settled(pushed);
    const changedAt = await env.currentTimeMs();
    await handOver(handle, { productIds: ['p1'] });
    await env.sleep(TIMING.debounceMs / 2);
    await handle.query(syncStatusQuery);
    assert.equal(pushed.calls.length, 1, 'nothing pushed during the quiet period');
    await env.sleep(TIMING.debounceMs);
    const [, push] = await pushed.called(2);
    await handle.terminate('test finished');
    assert.deepEqual(pushedProducts[1], ['p1']);
    const waited = push!.at - changedAt;
    assert.ok(waited >= TIMING.debounceMs && waited < TIMING.debounceMs + 20_000, `pushed ${waited} ms after the change`);
  });
});

test('a burst that never goes quiet is pushed at the maximum delay, with everything it brought so far', async () => {
  const { activities, pushed, pushedProducts, handOver } = syncStubs();
  await fast.run(activities, async (taskQueue) => {
    const handle = await startSync(taskQueue, 'sync-fast-3');
    await settled(pushed);
    const burstAt = await env.currentTimeMs();
    // One change every 40 s (shorter than the 60 s quiet period) for 8 minutes.
    for (let i = 1; i <= 12 && pushed.calls.length < 2; i++) {
      await handOver(handle, { productIds: [`p${i}`] });
      await env.sleep(40_000);
    }
    const [, push] = await pushed.called(2);
    await handle.terminate('test finished');
    const waited = push!.at - burstAt;
    assert.ok(waited >= TIMING.maxDelayMs && waited < TIMING.maxDelayMs + 40_000, `the burst was pushed after ${waited} ms`);
    assert.deepEqual(pushedProducts[1], ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']);
  });
});

test('orders are imported as soon as they are queued, beside the cycle; the items of an order found by a look are pushed by the next cycle', async () => {
  const { activities, pushed, processed, sequence, nextLook, handOver } = syncStubs();
  await fast.run(activities, async (taskQueue) => {
    const handle = await startSync(taskQueue, 'sync-fast-push-first');
    await settled(pushed);
    // The cycle's own look finds nothing; the look shortly after its push finds an order no notification announced.
    Object.assign(nextLook, { skip: 1, find: { orderNumber: 'o-found', productId: 'p-found' } });
    await handOver(handle, { productIds: ['p1'], orders: [{ orderNumber: 'o1', cmd: 0 }] });
    await env.sleep(4 * TIMING.debounceMs);
    await processed.called(2);
    await handle.terminate('test finished');
    // The imports wait for no quiet period (runs past sync-import-beside-cycle); the pushes do.
    assert.deepEqual(sequence.slice(1), ['import o1', 'push p1', 'import o-found', 'push p-found']);
  });
});

test('a push that keeps failing does not hold the orders of its cycle', async () => {
  const stubs = syncStubs();
  const push = stubs.activities.pushQueuedStock!;
  let smaregiDown = false;
  // Every attempt is recorded, then fails while Smaregi is down (the activity's retries back off up to 30 s).
  stubs.activities.pushQueuedStock = async (input) => {
    const result = await push(input);
    if (smaregiDown) throw ApplicationFailure.retryable('Smaregi answers 503', 'smaregi-server');
    return result;
  };
  await fast.run(stubs.activities, async (taskQueue) => {
    const handle = await startSync(taskQueue, 'sync-fast-push-fails');
    await settled(stubs.pushed);
    smaregiDown = true;
    await stubs.handOver(handle, { productIds: ['p1'], orders: [{ orderNumber: 'o1', cmd: 0 }] });
    await env.sleep(4 * TIMING.debounceMs);
    const [imported] = await stubs.processed.called(1);
    await handle.terminate('test finished');
    const attempts = stubs.pushed.calls.slice(1);
    assert.ok(attempts.length >= 3, `${attempts.length} push attempts`);
    assert.ok(imported!.at < attempts.at(-1)!.at, 'the order was imported while the push was still being retried');
  });
});

test('continue-as-new keeps the work that waits while stopped: the orders are imported at the next 稼働', async () => {
  const { activities, processed, pushed, handOver } = syncStubs({ state: 'stopped' });
  await fast.run(activities, async (taskQueue) => {
    const handle = await startSync(taskQueue, 'sync-fast-4', { maxHistoryEvents: 30 });
    const firstRun = (await handle.describe()).runId;
    for (let i = 1; i <= 3; i++) await handOver(handle, { orders: [{ orderNumber: `order-${i}`, cmd: 1 }] });
    for (let i = 1; i <= 15; i++) await handOver(handle, { productIds: [`p${i}`] });
    await eventually(async () => assert.notEqual((await handle.describe()).runId, firstRun, 'continued as new'), 20_000, 100);
    const status = await handle.query(syncStatusQuery);
    assert.equal(status.state, 'stopped');
    assert.equal(status.pending.orders, 3, 'the new run still has the three orders');

    assert.deepEqual(await handle.executeUpdate(setSyncStateUpdate, { args: [{ state: 'running' }] }), { state: 'running' });
    await settled(pushed);
    // The backlog loop stops between two orders for continue-as-new (the 30-event limit): the next runs go on.
    for (let i = 0; i < 10 && processed.calls.length < 3; i++) await env.sleep(2 * TIMING.debounceMs);
    await processed.called(3);
    await handle.terminate('test finished');
    assert.deepEqual(processed.calls.map((c) => c.input.orderNumber), ['order-1', 'order-2', 'order-3'], 'each once, in order');
    assert.ok(pushed.calls[0]!.input.full, '稼働 starts from a full push');
  });
});


