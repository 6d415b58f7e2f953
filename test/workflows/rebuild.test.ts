// The tenant's entity workflows rebuild from MongoDB: terminated (as an operator does with a stuck
// run), they come back with the next event, 稼働 and all, and nothing the merchant set is lost.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { onboardingStatusQuery, onboardingWorkflowId, syncWorkflowId } from '../../src/workflows/messages';
import { eventually, postJson } from '../support/platforms';
import { makeshopStock, merchantWorld, onboardMerchant, OPERATOR_TOKEN, startStack, type Stack } from '../support/stack';

const world = merchantWorld('rebuild', { 'RB-1': 10, 'RB-2': 4 }, { productNames: { 'RB-1': '再構築テスト1', 'RB-2': '再構築テスト2' } });

let stack: Stack;
let merchant: { tenantId: string; token: string };
const stock = () => makeshopStock(stack, world.shopId);
const sale = (productCode: string, delta: number) =>
  postJson(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/stock-adjustments`, { storeId: '1', productCode, delta });

async function terminateBoth(reason: string): Promise<void> {
  for (const id of [syncWorkflowId(merchant.tenantId), onboardingWorkflowId(merchant.tenantId)]) {
    await stack.temporal.client.workflow.getHandle(id).terminate(reason);
  }
}

async function runStatus(workflowId: string): Promise<string> {
  return (await stack.temporal.client.workflow.getHandle(workflowId).describe()).status.name;
}

before(async () => {
  stack = await startStack('rebuild');
  merchant = await onboardMerchant(stack, world);
  await eventually(async () => assert.deepEqual([(await stock()).get('RB-1'), (await stock()).get('RB-2')], [10, 4]));
});
after(async () => stack?.close());

describe('workflows rebuilt from MongoDB', () => {
  test('both workflows terminated, one webhook: back to 稼働, the sale reaches MakeShop, every step still done', async () => {
    await terminateBoth('test: a stuck run');
    assert.equal(await runStatus(syncWorkflowId(merchant.tenantId)), 'TERMINATED');

    await sale('RB-1', -3); // the simulator sends the pos:stock webhook: signal-with-start
    await eventually(async () => assert.equal((await stock()).get('RB-1'), 7));
    const sync = await stack.http<{ state: string }>('GET', '/api/v1/sync', { token: merchant.token });
    assert.equal(sync.body.state, 'running');

    // Readiness came back too: 停止 and 稼働 again are accepted, and 稼働 pushes.
    assert.equal((await stack.http('PUT', '/api/v1/sync/state', { token: merchant.token, body: { state: 'stopped' } })).status, 200);
    await sale('RB-2', -1);
    const running = await stack.http('PUT', '/api/v1/sync/state', { token: merchant.token, body: { state: 'running' } });
    assert.deepEqual({ status: running.status, body: running.body }, { status: 200, body: { state: 'running' } });
    await eventually(async () => assert.equal((await stock()).get('RB-2'), 3));

    // The onboarding workflow comes back with the merchant's next action, from its stored progress.
    const shipment = await stack.http('PUT', '/api/v1/order-import', { token: merchant.token, body: { shipmentStoreId: '1' } });
    assert.equal(shipment.status, 200, JSON.stringify(shipment.body));
    assert.equal(await runStatus(onboardingWorkflowId(merchant.tenantId)), 'RUNNING');
    const status = await stack.temporal.client.workflow.getHandle(onboardingWorkflowId(merchant.tenantId)).query(onboardingStatusQuery);
    assert.deepEqual(status.steps.map((s) => s.status), ['done', 'done', 'done', 'done', 'done', 'done']);
    assert.equal(status.syncState, 'running');
    assert.equal(status.canSetRunning, true);
  });

  test('POST /operator/tenants/{id}/workflows/restart replaces both runs; 稼働 carries on', async () => {
    const before = await stack.temporal.client.workflow.getHandle(syncWorkflowId(merchant.tenantId)).describe();
    const res = await stack.http<{ tenantId: string; syncRunId: string; onboardingRunId: string }>(
      'POST',
      `/api/v1/operator/tenants/${merchant.tenantId}/workflows/restart`,
      { token: OPERATOR_TOKEN },
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.notEqual(res.body.syncRunId, before.runId);
    const handle = stack.temporal.client.workflow.getHandle(syncWorkflowId(merchant.tenantId), before.runId);
    assert.equal((await handle.describe()).status.name, 'TERMINATED');

    await sale('RB-1', -2);
    await eventually(async () => assert.equal((await stock()).get('RB-1'), 5));
    assert.equal((await stack.http<{ state: string }>('GET', '/api/v1/sync', { token: merchant.token })).body.state, 'running');

    assert.equal((await stack.http('POST', '/api/v1/operator/tenants/tn_nobody/workflows/restart', { token: OPERATOR_TOKEN })).status, 404);
    assert.equal((await stack.http('POST', `/api/v1/operator/tenants/${merchant.tenantId}/workflows/restart`, { token: merchant.token })).status, 401);
  });
});
