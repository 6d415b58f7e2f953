// A deploy that changes workflow code without a patch() gate: the running workflow's next task fails with a
// non-determinism error, forever, while webhooks still answer 200. The operator must hear of it (alert, mail,
// metric), and the alert must clear once the workflow is dealt with.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { eventually } from '../support/platforms';
import { mailsTo, waitForMails } from '../support/mailpit';
import { OPERATOR_TOKEN, startStack, type Stack } from '../support/stack';
import { uniqueTaskQueue } from '../support/infra';
import { createAlertCenter } from '../../src/alerts/center';
import { checkWorkflowHealth } from '../../src/alerts/workflow-health';
import { createLogger } from '../../src/lib/logger';
import { TenantIdKey } from '../../src/temporal/search-attributes';

const OPERATOR_EMAIL = 'ops-workflow-health@example.jp';
let stack: Stack;

before(async () => {
  stack = await startStack('wfhealth', { alerts: { operatorEmail: OPERATOR_EMAIL } });
});
after(async () => {
  await stack?.close();
});

async function gauge(labels: string): Promise<number> {
  const text = await (await fetch(`${stack.apiUrl}/metrics`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith('zaiko_workflows_failing_tasks{') && l.includes(labels));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

async function runWorker(version: 'v1' | 'v2', taskQueue: string): Promise<{ stop(): Promise<void> }> {
  const worker = await Worker.create({
    connection: stack.temporal.native,
    taskQueue,
    workflowsPath: require.resolve(`../fixtures/drifting-workflow/${version}`),
    activities: { async doNothing() {} },
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

test('an ungated workflow change: one operator alert and mail, the failing-tasks gauge, resolved once the workflow is terminated', { timeout: 240_000 }, async () => {
  const taskQueue = uniqueTaskQueue('drifting');
  const tenantId = `tenant-drifting-${Date.now()}`;
  const workflowId = `drifting-${tenantId}`;
  const check = () =>
    checkWorkflowHealth({
      client: stack.temporal.client,
      alerts: createAlertCenter({ db: stack.database.db, temporal: stack.temporal.client, taskQueue: stack.config.TEMPORAL_TASK_QUEUE, logger: createLogger('test', 'silent') }),
      logger: createLogger('test', 'silent'),
    });
  const alertOf = async () =>
    (
      await stack.http<{ subject?: string; kind: string; message: string; resolvedAt?: string }[]>('GET', '/api/v1/operator/alerts?audience=operator', {
        token: OPERATOR_TOKEN,
      })
    ).body.find((a) => a.kind === 'workflow-task-failing' && a.message.includes(workflowId));

  const v1 = await runWorker('v1', taskQueue);
  const handle = await stack.temporal.client.workflow.start('driftingWorkflow', {
    taskQueue,
    workflowId,
    typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
  });
  await eventually(async () => {
    const { events } = await handle.fetchHistory();
    assert.ok(events?.some((e) => e.timerFiredEventAttributes), 'v1 ran past its timer');
  }, 30_000, 200);
  await v1.stop();

  // The deploy: v2 replays v1's history on the next task and fails it, again and again.
  const v2 = await runWorker('v2', taskQueue);
  try {
    await handle.signal('poke');
    await eventually(async () => {
      await check();
      const alert = await alertOf();
      assert.ok(alert && alert.resolvedAt === undefined, 'the operator alert is open');
      assert.match(alert.message, /NonDeterministicError/);
      assert.ok(alert.message.includes(tenantId));
    }, 180_000, 2000);
    assert.equal(await gauge('workflow_type="driftingWorkflow",cause="NonDeterministicError"'), 1);
    const [mail] = await waitForMails(OPERATOR_EMAIL, /ワークフローのタスクが失敗し続けています/, 1, 60_000);
    assert.ok(mail!.text.includes(workflowId));

    await check();
    const subject = /ワークフローのタスクが失敗し続けています/;
    assert.equal((await mailsTo(OPERATOR_EMAIL)).filter((m) => subject.test(m.subject)).length, 1, 'checked again: still one mail');

    await handle.terminate('operator: restarted from its data');
    await eventually(async () => {
      await check();
      assert.ok((await alertOf())?.resolvedAt, 'resolved');
    }, 60_000, 1000);
    assert.equal(await gauge('workflow_type="driftingWorkflow"'), 0);
  } finally {
    await handle.terminate().catch(() => undefined);
    await v2.stop();
  }
});
