// Issue 12 #4: with no worker polling the task queue, `PUT /sync/state` answers 503 within the api's
// Temporal deadline instead of hanging — whether the sync workflow runs (its update waits for a worker)
// or is gone (update-with-start) — and works again as soon as a worker polls.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { syncWorkflowId } from '../../src/workflows/messages';
import { eventually } from '../support/platforms';
import { merchantWorld, onboardMerchant, startStack, type Stack } from '../support/stack';

const DEADLINE_MS = 2000;
/** The bound the merchant sees: the deadline plus generous room for a loaded machine. */
const ANSWER_WITHIN_MS = 5000;

let stack: Stack;
before(async () => void (stack = await startStack('noworker', { onboarding: { workflowCallTimeoutMs: DEADLINE_MS } })));
after(async () => stack?.close());

test('PUT /sync/state answers 503 within the deadline while no worker polls, then works once one does', async () => {
  const { tenantId, token } = await onboardMerchant(stack, merchantWorld('noworker', { 'NW-1': 1 }), { stopAfterAccount: true });
  await stack.worker.stop();

  const timedStop = async () => {
    const t0 = Date.now();
    const res = await stack.http<{ error?: { code: string; message: string } }>('PUT', '/api/v1/sync/state', { token, body: { state: 'stopped' } });
    return { ...res, ms: Date.now() - t0 };
  };
  const whileRunning = await timedStop();
  assert.equal(whileRunning.status, 503, JSON.stringify(whileRunning.body));
  assert.ok(whileRunning.ms < ANSWER_WITHIN_MS, `answered after ${whileRunning.ms} ms`);
  assert.match(JSON.stringify(whileRunning.body), /しばらくしてから再度お試しください/);

  await stack.temporal.client.workflow.getHandle(syncWorkflowId(tenantId)).terminate('the test removes the workflow');
  const withoutWorkflow = await timedStop();
  assert.equal(withoutWorkflow.status, 503, JSON.stringify(withoutWorkflow.body));
  assert.ok(withoutWorkflow.ms < ANSWER_WITHIN_MS, `answered after ${withoutWorkflow.ms} ms`);

  await stack.worker.start();
  await eventually(async () => assert.equal((await timedStop()).status, 200), 60_000, 200);
});
