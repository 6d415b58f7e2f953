// The onboarding workflow's timer on the time-skipping server: an application left waiting is reported
// to the operator once, when 7 days have passed, and never when it was approved in time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { onboardingWorkflow, type OnboardingActivities } from '../../src/workflows/onboarding';
import {
  approveMakeshopApplicationUpdate,
  linkSmaregiContractUpdate,
  onboardingStatusQuery,
  submitMakeshopApplicationUpdate,
} from '../../src/workflows/messages';
import { APPLICATION_REPORT_AFTER_MS, type OnboardingState } from '../../src/domain/onboarding';
import { DAY, MINUTE, recorder, idleOnboardingActivities, startFastLayer, type FastLayer } from './time-skipping';

let fast: FastLayer;
let env: TestWorkflowEnvironment;
before(async () => {
  fast = await startFastLayer(Object.keys(idleOnboardingActivities));
  env = fast.env;
});
after(async () => fast?.close());

function stubActivities() {
  const saved = recorder<{ state: OnboardingState }, void>(() => undefined);
  const reported = recorder<{ tenantId: string; waitingSince: string; waitedMs: number }, void>(() => undefined);
  const activities: OnboardingActivities = {
    ...idleOnboardingActivities,
    saveOnboardingProgress: saved.activity,
    reportApplicationWaitingTooLong: reported.activity,
  };
  return { activities, saved, reported };
}

/** Steps 1 and 2 through the workflow's updates; answers when the application started waiting. */
async function submitApplication(handle: Awaited<ReturnType<typeof env.client.workflow.start<typeof onboardingWorkflow>>>, saved: ReturnType<typeof stubActivities>['saved']) {
  await handle.executeUpdate(linkSmaregiContractUpdate, { args: [{ contractId: 'contract-1', linkedAt: new Date().toISOString(), linkedBy: 'smaregi-id' }] });
  const status = await handle.executeUpdate(submitMakeshopApplicationUpdate, {
    args: [{ shopName: 'テスト商店', userName: '在庫 太郎', shopId: 'shop-1', shopUrl: 'https://shop-1.example.jp' }],
  });
  assert.equal(status.steps.find((s) => s.key === 'makeshopApplication')?.status, 'waiting');
  const waitingSince = saved.calls.at(-1)?.input.state.application.waitingSince;
  assert.ok(waitingSince, 'the saved state records when the application started waiting');
  return Date.parse(waitingSince);
}

test('an application left waiting is reported once, when 7 days have passed', async () => {
  const { activities, saved, reported } = stubActivities();
  await fast.run(activities, async (taskQueue) => {
    const handle = await env.client.workflow.start(onboardingWorkflow, { taskQueue, workflowId: 'onboarding-fast-1', args: [{ tenantId: 'fast-1' }] });
    const waitingSince = await submitApplication(handle, saved);

    await env.sleep(APPLICATION_REPORT_AFTER_MS - MINUTE);
    await handle.query(onboardingStatusQuery);
    assert.equal(reported.calls.length, 0, 'nothing reported a minute before the 7 days');

    await env.sleep(2 * MINUTE);
    const [report] = await reported.called(1);
    assert.ok(report!.at - waitingSince >= APPLICATION_REPORT_AFTER_MS, 'not before 7 days');
    assert.ok(report!.at - waitingSince < APPLICATION_REPORT_AFTER_MS + 2 * MINUTE, 'at 7 days, not later');
    assert.equal(report!.input.waitingSince, new Date(waitingSince).toISOString());
    assert.ok(report!.input.waitedMs >= APPLICATION_REPORT_AFTER_MS);
    await saved.called(3); // link, submission, then the overdue mark
    assert.ok(saved.calls.at(-1)!.input.state.application.overdueReportedAt);

    await env.sleep(30 * DAY);
    const status = await handle.query(onboardingStatusQuery);
    assert.match(status.steps.find((s) => s.key === 'makeshopApplication')?.detail ?? '', /担当者が確認しています/);
    assert.equal(reported.calls.length, 1, 'reported only once');
    await handle.terminate('test finished');
  });
});

test('an application approved within 7 days is never reported', async () => {
  const { activities, saved, reported } = stubActivities();
  await fast.run(activities, async (taskQueue) => {
    const handle = await env.client.workflow.start(onboardingWorkflow, { taskQueue, workflowId: 'onboarding-fast-2', args: [{ tenantId: 'fast-2' }] });
    await submitApplication(handle, saved);
    await env.sleep(6 * DAY);
    await handle.executeUpdate(approveMakeshopApplicationUpdate, { args: [{ approvedBy: 'operator-api' }] });
    await env.sleep(30 * DAY);
    const status = await handle.query(onboardingStatusQuery);
    assert.equal(status.steps.find((s) => s.key === 'makeshopApplication')?.status, 'done');
    assert.equal(reported.calls.length, 0);
    await handle.terminate('test finished');
  });
});

test('the report period is the one the workflow was started with', async () => {
  const { activities, saved, reported } = stubActivities();
  await fast.run(activities, async (taskQueue) => {
    const handle = await env.client.workflow.start(onboardingWorkflow, {
      taskQueue,
      workflowId: 'onboarding-fast-3',
      args: [{ tenantId: 'fast-3', applicationReportAfterMs: 2 * DAY }],
    });
    const waitingSince = await submitApplication(handle, saved);
    await env.sleep(2 * DAY + MINUTE);
    const [report] = await reported.called(1);
    assert.ok(report!.at - waitingSince >= 2 * DAY && report!.at - waitingSince < 2 * DAY + MINUTE);
    await handle.terminate('test finished');
  });
});
