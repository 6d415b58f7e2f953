import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { temporalClient, uniqueTaskQueue } from '../support/infra';
import { addSignal, counterWorkflow, finishSignal, setLimitUpdate, stateQuery } from '../fixtures/counter-workflow';

let temporal: Awaited<ReturnType<typeof temporalClient>>;
let bundle: { code: string };

before(async () => {
  temporal = await temporalClient();
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/counter-workflow') });
});
after(async () => {
  await temporal.connection.close();
  await temporal.native.close();
});

test('a real worker on the real server handles a signal, an update with a validator and a query', async () => {
  const taskQueue = uniqueTaskQueue('counter');
  const worker = await Worker.create({ connection: temporal.native, taskQueue, workflowBundle: bundle });
  await worker.runUntil(async () => {
    const handle = await temporal.client.workflow.start(counterWorkflow, { taskQueue, workflowId: `counter-${taskQueue}` });
    await handle.signal(addSignal, { amount: 4 });
    assert.equal(await handle.executeUpdate(setLimitUpdate, { args: [{ limit: 5 }] }), 5);
    await handle.signal(addSignal, { amount: 4 });
    assert.deepEqual(await handle.query(stateQuery), { total: 5, limit: 5 });

    await assert.rejects(handle.executeUpdate(setLimitUpdate, { args: [{ limit: 1 }] }), (err: unknown) => {
      assert.ok(err instanceof WorkflowUpdateFailedError);
      assert.match(String(err.cause?.message), /below the total 5/);
      return true;
    });
    // A rejected update leaves no trace in the history.
    const history = await handle.fetchHistory();
    const updateEvents = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    assert.equal(updateEvents.length, 1);

    await handle.signal(finishSignal);
    assert.equal(await handle.result(), 5);
  });
});
