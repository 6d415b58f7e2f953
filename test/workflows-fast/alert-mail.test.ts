// The alert-mail workflow's grouping on the time-skipping server: it mails what may go now, sleeps until
// the next kind's window opens (an hour later by default), wakes early for a new notice, ends when
// nothing waits. The delivery itself (which notices may go) is tested against Mailpit in test/alerts/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { alertMailWorkflow } from '../../src/workflows/alert-mail';
import { alertNoticesQueuedSignal } from '../../src/workflows/alert-messages';
import type { AlertMailActivities } from '../../src/workflows/activity-types';
import { HOUR, MINUTE, recorder, startFastLayer, type FastLayer } from './time-skipping';

let fast: FastLayer;
let env: TestWorkflowEnvironment;
before(async () => {
  fast = await startFastLayer(['deliverAlertMails']);
  env = fast.env;
});
after(async () => fast?.close());

type Delivery = ReturnType<typeof recorder<{ mailbox: string }, { nextDueAt: number | null }>>;
const activitiesWith = (delivery: Delivery) => ({ deliverAlertMails: delivery.activity }) as Partial<AlertMailActivities>;

test('a kind held back by the hourly grouping is mailed when its window opens, then the workflow ends', async () => {
  let firstAt = 0;
  const delivery: Delivery = recorder((_input, call) => {
    if (call > 0) return { nextDueAt: null };
    firstAt = delivery.calls[0]!.at;
    return { nextDueAt: firstAt + HOUR };
  });
  await fast.run(activitiesWith(delivery), async (taskQueue) => {
    await env.client.workflow.execute(alertMailWorkflow, { taskQueue, workflowId: 'alert-mail-fast-1', args: [{ mailbox: 'operator' }] });
  });
  assert.equal(delivery.calls.length, 2);
  const waited = delivery.calls[1]!.at - firstAt;
  assert.ok(waited >= HOUR && waited < HOUR + MINUTE, `the second delivery came ${waited} ms after the first`);
  assert.deepEqual(delivery.calls.map((c) => c.input.mailbox), ['operator', 'operator']);
});

test('a new notice wakes the workflow before the window; the held-back kind still waits for its hour', async () => {
  let dueAt = 0;
  const delivery: Delivery = recorder((_input, call) => {
    if (call === 0) dueAt = delivery.calls[0]!.at + HOUR;
    return { nextDueAt: call < 2 ? dueAt : null };
  });
  await fast.run(activitiesWith(delivery), async (taskQueue) => {
    const handle = await env.client.workflow.start(alertMailWorkflow, { taskQueue, workflowId: 'alert-mail-fast-2', args: [{ mailbox: 'tenant-1' }] });
    await delivery.called(1);
    await env.sleep(10 * MINUTE);
    await handle.signal(alertNoticesQueuedSignal);
    await delivery.called(2);
    await handle.result();
  });
  const [first, woken, due] = delivery.calls;
  assert.equal(delivery.calls.length, 3);
  assert.ok(woken!.at - first!.at >= 10 * MINUTE && woken!.at - first!.at < 20 * MINUTE, 'the notice woke it at once');
  assert.ok(due!.at >= dueAt && due!.at < dueAt + MINUTE, 'then it slept until the window opened');
});

test('a notice queued while mails are being delivered is looked at before the workflow ends', async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const delivery: Delivery = recorder(async (_input, call) => {
    if (call === 0) await released;
    return { nextDueAt: null };
  });
  await fast.run(activitiesWith(delivery), async (taskQueue) => {
    const handle = await env.client.workflow.start(alertMailWorkflow, { taskQueue, workflowId: 'alert-mail-fast-3', args: [{ mailbox: 'tenant-2' }] });
    await delivery.called(1);
    await handle.signal(alertNoticesQueuedSignal);
    release();
    await handle.result();
  });
  assert.equal(delivery.calls.length, 2);
});
