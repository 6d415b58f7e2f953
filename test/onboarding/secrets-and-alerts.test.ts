// Secrets never reach Temporal histories or logs; a waiting application is reported through a durable
// timer and a gauge every api replica computes from MongoDB; an update sent while no worker runs is
// completed by the next worker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OnboardingView } from '../../src/domain/onboarding';
import { onboardingWorkflowId } from '../../src/workflows/messages';
import { captureTemporalRuntimeLogs } from '../support/infra';
import { eventually } from '../support/platforms';
import { textOf } from '../support/capture';
import { OPERATOR_TOKEN, seedMakeshopShop, seedSmaregiContract, signUp, startStack, type Stack } from '../support/stack';

const CONTRACT = 'sb_secrets_1';
const ACCOUNT_PASSWORD = 'Merchant-Login-Secret-77';
const SHOP = { shopId: 'secretshop', accountId: 'secretshop', password: 'Zq9!xR2#kL7m', orderAuthCode: 'f00dfacecafebabe0123456789abcdef' };
const FORM = { shopName: '秘密商店', userName: '佐藤花子', shopId: SHOP.shopId, shopUrl: 'https://secret-shop.example.jp/' };

const runtimeLogs: string[] = [];
let stack: Stack;
let tenant: { tenantId: string; token: string };

before(async () => {
  // Everything the Temporal runtime logs (workflow `log` calls included) is captured too.
  captureTemporalRuntimeLogs(runtimeLogs);
  stack = await startStack('secrets', { captureLogs: true, onboarding: { applicationReportAfterMs: 1500 } });
  await seedSmaregiContract(stack, { contractId: CONTRACT, stores: [{ storeId: '1', storeName: '本店' }] });
  await seedMakeshopShop(stack, SHOP);
  tenant = await signUp(stack, { email: 'secret@example.jp', password: ACCOUNT_PASSWORD, smaregiContractId: CONTRACT });
});
after(async () => {
  await stack?.close();
});

async function metric(name: string): Promise<number | undefined> {
  const text = (await stack.http<string>('GET', '/metrics', { token: OPERATOR_TOKEN })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

test('an application waiting longer than the limit is logged, recorded and exposed as a gauge until approved', async () => {
  assert.equal((await stack.http('POST', '/api/v1/onboarding/makeshop-application', { token: tenant.token, body: FORM })).status, 202);
  assert.equal(await metric('zaiko_onboarding_applications_waiting'), 1);
  await eventually(async () => assert.equal(await metric('zaiko_onboarding_applications_waiting_too_long'), 1, 'the gauge'));
  assert.ok(stack.logLines.some((line) => line.includes('still waiting for operator approval') && line.includes(tenant.tenantId)));
  const list = await stack.http<{ tenantId: string; makeshopApplication: { waitingTooLongReportedAt: string | null } }[]>(
    'GET',
    '/api/v1/operator/tenants',
    { token: OPERATOR_TOKEN },
  );
  assert.ok(list.body.find((t) => t.tenantId === tenant.tenantId)?.makeshopApplication.waitingTooLongReportedAt);
  // The workflow records the report in its own state right after the activity: the merchant sees it too.
  await eventually(async () => {
    const view = await stack.http<OnboardingView>('GET', '/api/v1/onboarding', { token: tenant.token });
    assert.match(view.body.steps[1]?.detail ?? '', /担当者が確認しています/, 'the detail about the late review');
  });

  const approve = await stack.http('POST', `/api/v1/operator/tenants/${tenant.tenantId}/makeshop-application/approve`, { token: OPERATOR_TOKEN });
  assert.equal(approve.status, 200);
  assert.equal(await metric('zaiko_onboarding_applications_waiting_too_long'), 0);
  assert.match((await stack.http<string>('GET', '/metrics', { token: OPERATOR_TOKEN })).body, /zaiko_onboarding_tenants\{next_step="makeshopCredentials"[^}]*\} 1/);
});

test('an update sent while no worker runs completes once a new worker starts', async () => {
  await stack.worker.stop();
  const pending = stack.http('PUT', '/api/v1/order-import', { token: tenant.token, body: { shipmentStoreId: '1' } });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await stack.worker.start();
  assert.equal((await pending).status, 200);
  const view = await stack.http<OnboardingView>('GET', '/api/v1/onboarding', { token: tenant.token });
  assert.deepEqual(
    view.body.steps.map((s) => s.status),
    ['done', 'done', 'todo', 'done', 'todo', 'todo'],
  );
});

test('after step 3, no workflow history of the tenant and no log line contains a secret', async () => {
  assert.equal((await stack.http('PUT', '/api/v1/makeshop/credentials', { token: tenant.token, body: { accountId: SHOP.accountId, password: SHOP.password, orderAuthCode: SHOP.orderAuthCode } })).status, 200);
  assert.equal((await stack.http<{ ok: boolean }>('POST', '/api/v1/makeshop/credentials/test', { token: tenant.token })).body.ok, true);
  const login = await stack.http<{ token: string }>('POST', '/api/v1/sessions', { body: { email: 'secret@example.jp', password: ACCOUNT_PASSWORD } });
  const orderImport = await stack.http<{ notificationUrl: string }>('GET', '/api/v1/order-import', { token: tenant.token });
  const notificationToken = /orders\/([^?]+)\?/.exec(orderImport.body.notificationUrl)?.[1] ?? '';
  const secrets = { password: SHOP.password, orderAuthCode: SHOP.orderAuthCode, ACCOUNT_PASSWORD, session: tenant.token, session2: login.body.token, notificationToken };

  const workflows = await stack.workflowsOf(tenant.tenantId);
  const ids = workflows.map((w) => w.workflowId);
  assert.ok(ids.includes(onboardingWorkflowId(tenant.tenantId)), `found: ${ids.join(', ')}`);
  for (const wf of workflows) {
    const text = textOf(await stack.temporal.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory());
    for (const [name, secret] of Object.entries(secrets)) assert.ok(!text.includes(secret), `${name} found in the history of ${wf.workflowId}`);
    if (wf.workflowId === onboardingWorkflowId(tenant.tenantId)) assert.ok(text.includes(FORM.shopUrl), 'payloads were decoded');
  }

  const logs = [...stack.logLines, ...runtimeLogs].join('\n');
  assert.ok(logs.includes('merchant account created'), 'logs were captured');
  for (const [name, secret] of Object.entries(secrets)) assert.ok(!logs.includes(secret), `${name} found in the logs`);
});
