// The whole set-up over HTTP against the real Temporal server and FerretDB: every bad input is a 4xx
// that changes nothing, the steps run in the order a merchant expects, and the worker can die midway.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowIdConflictPolicy } from '@temporalio/common';
import type { OnboardingView } from '../../src/domain/onboarding';
import { loadMakeshopCredentials } from '../../src/storage/secrets';
import { applySubscriptionNotification } from '../../src/sync/subscription';
import { findTenantByContractId, findTenantByNotificationToken, getShipmentStoreId, getStockSettings } from '../../src/storage/tenants';
import { OnboardingStepKey } from '../../src/temporal/search-attributes';
import {
  catalogActivatedSignal,
  chooseShipmentStoreUpdate,
  makeshopApplicationApprovedSignal,
  onboardingStatusQuery,
  onboardingWorkflowId,
  syncStateChangedSignal,
  syncWorkflowId,
} from '../../src/workflows/messages';
import { eventually } from '../support/platforms';
import { OPERATOR_TOKEN, seedMakeshopShop, seedSmaregiContract, signUp, startStack, type Stack } from '../support/stack';

const CONTRACT_A = 'sb_flow_a';
const CONTRACT_B = 'sb_flow_b';
const SHOP = { shopId: 'flowshop', accountId: 'flowshop', password: 'Pw-12chars!!', orderAuthCode: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' };
const FORM = { shopName: 'フロー商店', userName: '山田太郎', shopId: SHOP.shopId, shopUrl: 'https://www.flow-shop.example.jp/' };

type ErrorBody = { error: { code: string; message: string; details?: { path: string; message: string }[] } };

let stack: Stack;
let a: { tenantId: string; token: string };
let b: { tenantId: string; token: string };

const onboarding = async (token: string) => (await stack.http<OnboardingView>('GET', '/api/v1/onboarding', { token })).body;
const stepStatus = (view: OnboardingView, key: string) => view.steps.find((s) => s.key === key)?.status;
const handleOf = (tenantId: string) => stack.temporal.client.workflow.getHandle(onboardingWorkflowId(tenantId));
async function acceptedUpdates(tenantId: string): Promise<number> {
  const history = await handleOf(tenantId).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
}
async function searchAttributeStep(tenantId: string): Promise<string | undefined> {
  return (await handleOf(tenantId).describe()).typedSearchAttributes.get(OnboardingStepKey);
}
function assertJapaneseError(res: { status: number; body: unknown }, status: number, code?: string): ErrorBody['error'] {
  assert.equal(res.status, status, JSON.stringify(res.body));
  const { error } = res.body as ErrorBody;
  if (code) assert.equal(error.code, code);
  assert.match(error.message, /[ぁ-んァ-ン一-龥]/, `not a Japanese message: ${error.message}`);
  return error;
}

before(async () => {
  // Behind the https proxy production has: the 更新通知 URL of step 4 is built from it.
  stack = await startStack('flow', { config: { PUBLIC_BASE_URL: 'https://zaiko.example.jp/' } });
  await seedSmaregiContract(stack, {
    contractId: CONTRACT_A,
    stores: [
      { storeId: '1', storeName: '渋谷本店' },
      { storeId: '2', storeName: '梅田店' },
      { storeId: '3', storeName: '倉庫' },
    ],
  });
  await seedSmaregiContract(stack, { contractId: CONTRACT_B, stores: [{ storeId: '7', storeName: '札幌店' }] });
  await seedMakeshopShop(stack, SHOP);
  a = await signUp(stack, { email: 'flow-a@example.jp', smaregiContractId: CONTRACT_A });
  b = await signUp(stack, { email: 'flow-b@example.jp', smaregiContractId: CONTRACT_B });
});
after(async () => {
  await stack?.close();
});
/** What the api and the worker give applySubscriptionNotification. */
const subscriptionDeps = () => ({ db: stack.database.db, temporal: stack.temporal.client, taskQueue: stack.config.TEMPORAL_TASK_QUEUE, logger: stack.deps.logger });

describe('a new account', () => {
  test('starts with step 1 done, the checklist in Japanese, and 稼働 not allowed', async () => {
    const view = await onboarding(a.token);
    assert.equal(view.tenantId, a.tenantId);
    assert.deepEqual(
      view.steps.map((s) => [s.key, s.status]),
      [
        ['account', 'done'],
        ['makeshopApplication', 'todo'],
        ['makeshopCredentials', 'todo'],
        ['orderImport', 'todo'],
        ['catalog', 'todo'],
        ['syncState', 'todo'],
      ],
    );
    assert.equal(view.canSetRunning, false);
    assert.equal(view.syncState, 'stopped');
    assert.deepEqual(
      view.requiredActions.map((r) => r.key),
      ['makeshopApplication', 'makeshopCredentials', 'orderImport', 'catalog', 'stockSettings'],
    );
    assert.equal(await searchAttributeStep(a.tenantId), 'makeshopApplication');
    const status = await handleOf(a.tenantId).query(onboardingStatusQuery);
    assert.equal(status.nextStep, 'makeshopApplication');
  });

  test('also has a sync workflow, started with the readiness signal', async () => {
    const history = await stack.temporal.client.workflow.getHandle(syncWorkflowId(a.tenantId)).fetchHistory();
    const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'readinessChanged');
    assert.ok(signals.length >= 1);
  });
});

describe('actions out of order are refused with a reason and change nothing', () => {
  test('credentials before the application: 409, nothing stored, no update in history', async () => {
    const before = await acceptedUpdates(a.tenantId);
    const res = await stack.http('PUT', '/api/v1/makeshop/credentials', { token: a.token, body: SHOP_CREDENTIALS() });
    assertJapaneseError(res, 409, 'application_not_submitted');
    assert.deepEqual((await stack.http('GET', '/api/v1/makeshop/credentials', { token: a.token })).body, {
      accountId: null,
      passwordSet: false,
      orderAuthCodeSet: false,
      updatedAt: null,
    });
    assert.equal(await stack.database.db.collection('secrets').countDocuments({}), 0);
    assert.equal(await acceptedUpdates(a.tenantId), before);
  });

  test('operator approval before any application: 409 and no history', async () => {
    const before = await acceptedUpdates(a.tenantId);
    const res = await stack.http('POST', `/api/v1/operator/tenants/${a.tenantId}/makeshop-application/approve`, { token: OPERATOR_TOKEN });
    assertJapaneseError(res, 409, 'application_not_submitted');
    assert.equal(stepStatus(await onboarding(a.token), 'makeshopApplication'), 'todo');
    assert.equal(await acceptedUpdates(a.tenantId), before);
  });

  test('a malformed update sent straight to the workflow is refused by its validator, leaving no history', async () => {
    const before = await acceptedUpdates(a.tenantId);
    await assert.rejects(handleOf(a.tenantId).executeUpdate(chooseShipmentStoreUpdate, { args: [{ shipmentStoreId: '' }] }), (err: unknown) => {
      assert.ok(err instanceof WorkflowUpdateFailedError);
      assert.equal((err.cause as ApplicationFailure).type, 'invalid_request');
      return true;
    });
    assert.equal(await acceptedUpdates(a.tenantId), before);
  });

  test('the Temporal UI approval signal is ignored while nothing is waiting', async () => {
    await handleOf(a.tenantId).signal(makeshopApplicationApprovedSignal);
    const status = await handleOf(a.tenantId).query(onboardingStatusQuery);
    assert.equal(status.steps.find((s) => s.key === 'makeshopApplication')?.status, 'todo');
  });
});

describe('step 2: the MakeShop application', () => {
  const bad: [string, unknown, RegExp][] = [
    ['a missing field', { shopName: 'x', userName: 'y', shopId: 'z' }, /ショップURLを入力してください/],
    ['an extra field', { ...FORM, phone: '03-0000-0000' }, /不明な項目があります: phone/],
    ['an ftp URL', { ...FORM, shopUrl: 'ftp://www.flow-shop.example.jp/' }, /http:\/\/ または https:\/\//],
    ['not a URL', { ...FORM, shopUrl: 'flow-shop' }, /適用中/],
    ['a host that is not a domain', { ...FORM, shopUrl: 'http://localhost:8080/' }, /適用中/],
    ['a bad shop ID', { ...FORM, shopId: 'フロー' }, /ショップID/],
    ['alreadyEnabled false', { alreadyEnabled: false }, /alreadyEnabled/],
    ['alreadyEnabled with form fields', { alreadyEnabled: true, shopId: 'x' }, /不明な項目があります: shopId/],
    ['not an object', [FORM], /JSONオブジェクト/],
  ];
  for (const [what, body, message] of bad) {
    test(`${what} → 400 with an actionable message, nothing recorded`, async () => {
      const res = await stack.http('POST', '/api/v1/onboarding/makeshop-application', { token: a.token, body });
      const error = assertJapaneseError(res, 400, 'invalid_request');
      assert.match(error.message, message);
      assert.equal(stepStatus(await onboarding(a.token), 'makeshopApplication'), 'todo');
    });
  }

  test('the form → 202, the step waits for the operator, the operator list shows it', async () => {
    const res = await stack.http<OnboardingView>('POST', '/api/v1/onboarding/makeshop-application', { token: a.token, body: FORM });
    assert.equal(res.status, 202);
    assert.equal(stepStatus(res.body, 'makeshopApplication'), 'waiting');
    assert.equal(stepStatus(await onboarding(a.token), 'makeshopApplication'), 'waiting');
    assert.match((await onboarding(a.token)).requiredActions[0]?.message ?? '', /審査完了をお待ちください/);

    const list = await stack.http<{ tenantId: string; nextStep: string; makeshopApplication: { form: typeof FORM } }[]>(
      'GET',
      '/api/v1/operator/tenants?nextStep=makeshopApplication',
      { token: OPERATOR_TOKEN },
    );
    assert.equal(list.status, 200);
    const row = list.body.find((t) => t.tenantId === a.tenantId);
    assert.deepEqual(row?.makeshopApplication.form, FORM);
  });

  test('credentials while MakeShop reviews: 409 telling the merchant to wait', async () => {
    const res = await stack.http('PUT', '/api/v1/makeshop/credentials', { token: a.token, body: SHOP_CREDENTIALS() });
    assert.match(assertJapaneseError(res, 409, 'application_not_approved').message, /審査が完了してから/);
    assert.equal(await stack.database.db.collection('secrets').countDocuments({}), 0);
  });
});

describe('steps that need not wait for MakeShop', () => {
  test('the Smaregi stores of the merchant’s own contract', async () => {
    const res = await stack.http('GET', '/api/v1/smaregi/stores', { token: a.token });
    assert.deepEqual(res.body, [
      { storeId: '1', storeName: '渋谷本店' },
      { storeId: '2', storeName: '梅田店' },
      { storeId: '3', storeName: '倉庫' },
    ]);
    assert.deepEqual((await stack.http('GET', '/api/v1/smaregi/stores', { token: b.token })).body, [{ storeId: '7', storeName: '札幌店' }]);
  });

  test('step 4: an unknown store, a missing or extra field → 400 and nothing changes', async () => {
    for (const body of [{ shipmentStoreId: '9' }, { shipmentStoreId: '7' }, {}, { shipmentStoreId: '1', method: 'sale' }]) {
      const res = await stack.http('PUT', '/api/v1/order-import', { token: a.token, body });
      assertJapaneseError(res, 400);
    }
    assert.equal(await getShipmentStoreId(stack.database.db, a.tenantId), null);
    assert.equal(stepStatus(await onboarding(a.token), 'orderImport'), 'todo');
  });

  test('step 4: the 更新通知 URL, the shipment store, and rotating the token', async () => {
    const first = await stack.http<{ notificationUrl: string; method: string; shipmentStoreId: string | null }>('GET', '/api/v1/order-import', { token: a.token });
    assert.equal(first.body.method, 'shipment');
    assert.equal(first.body.shipmentStoreId, null);
    const match = /^https:\/\/zaiko\.example\.jp\/webhooks\/makeshop\/orders\/(tn_[0-9a-f]{20}\.[A-Za-z0-9_-]{32})\?shopid=\[SHOPID\]&ordernum=\[ORDERNUM\]&cmd=\[CMD\]$/.exec(
      first.body.notificationUrl,
    );
    assert.ok(match, first.body.notificationUrl);
    const oldToken = match[1]!;
    assert.equal((await findTenantByNotificationToken(stack.database.db, oldToken))?.tenantId, a.tenantId);

    const put = await stack.http<{ shipmentStoreId: string }>('PUT', '/api/v1/order-import', { token: a.token, body: { shipmentStoreId: '2' } });
    assert.equal(put.status, 200);
    assert.equal(put.body.shipmentStoreId, '2');
    assert.equal(await getShipmentStoreId(stack.database.db, a.tenantId), '2');
    assert.equal(stepStatus(await onboarding(a.token), 'orderImport'), 'done');

    const rotated = await stack.http<{ notificationUrl: string }>('POST', '/api/v1/order-import/rotate-token', { token: a.token });
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.notificationUrl, first.body.notificationUrl);
    assert.equal(await findTenantByNotificationToken(stack.database.db, oldToken), null);
    const newToken = /orders\/([^?]+)\?/.exec(rotated.body.notificationUrl)?.[1] ?? '';
    assert.equal((await findTenantByNotificationToken(stack.database.db, newToken))?.tenantId, a.tenantId);
  });

  test('stock settings: each bad input → 400 and the settings stay unset', async () => {
    const bad = [
      { storeIds: [], buffer: 0, overrides: [] },
      { storeIds: ['1'], buffer: -1, overrides: [] },
      { storeIds: ['1'], buffer: 1.5, overrides: [] },
      { storeIds: ['1', '1'], buffer: 0, overrides: [] },
      { storeIds: ['1', '9'], buffer: 0, overrides: [] },
      { storeIds: ['7'], buffer: 0, overrides: [] },
      { storeIds: ['1'], buffer: 0, overrides: [{ code: 'A', buffer: 1 }, { code: 'A', buffer: 2 }] },
      { storeIds: ['1'], buffer: 0, overrides: [{ code: 'A', buffer: 1, note: 'x' }] },
      { storeIds: ['1'], buffer: 0 },
      { storeIds: ['1'], buffer: 0, overrides: [], extra: true },
    ];
    for (const body of bad) assertJapaneseError(await stack.http('PUT', '/api/v1/stock-settings', { token: a.token, body }), 400);
    const unknown = await stack.http<ErrorBody>('PUT', '/api/v1/stock-settings', { token: a.token, body: bad[4] });
    assert.match(unknown.body.error.message, /存在しない店舗ID.*9/);
    assert.deepEqual((await stack.http('GET', '/api/v1/stock-settings', { token: a.token })).body, { storeIds: [], buffer: 0, overrides: [] });
    assert.equal(await getStockSettings(stack.database.db, a.tenantId), null);
  });

  test('stock settings: saved, read back, and exported for the sync engine (codes kept exactly)', async () => {
    const settings = { storeIds: ['1', '2'], buffer: 2, overrides: [{ code: 'ABC ', buffer: 0 }] };
    const res = await stack.http('PUT', '/api/v1/stock-settings', { token: a.token, body: settings });
    assert.equal(res.status, 200);
    assert.deepEqual((await stack.http('GET', '/api/v1/stock-settings', { token: a.token })).body, settings);
    assert.deepEqual(await getStockSettings(stack.database.db, a.tenantId), settings);
    const keys = (await onboarding(a.token)).requiredActions.map((r) => r.key);
    assert.ok(!keys.includes('stockSettings'));
  });
});

describe('approval survives a worker outage', () => {
  test('the Temporal UI signal sent while no worker runs is applied by a new worker', async () => {
    await stack.worker.stop();
    await handleOf(a.tenantId).signal(makeshopApplicationApprovedSignal, {});
    await stack.worker.start();
    await eventually(async () => assert.equal(stepStatus(await onboarding(a.token), 'makeshopApplication'), 'done', 'approval'));
    const status = await handleOf(a.tenantId).query(onboardingStatusQuery);
    assert.equal(status.steps.find((s) => s.key === 'orderImport')?.status, 'done', 'earlier steps were kept');
    assert.match(status.steps.find((s) => s.key === 'makeshopApplication')?.detail ?? '', /承認済み/);
    assert.equal(await searchAttributeStep(a.tenantId), 'makeshopCredentials');
  });

  test('approving again is refused (409), resubmitting the form too', async () => {
    const again = await stack.http('POST', `/api/v1/operator/tenants/${a.tenantId}/makeshop-application/approve`, { token: OPERATOR_TOKEN });
    assertJapaneseError(again, 409, 'application_already_approved');
    const resubmit = await stack.http('POST', '/api/v1/onboarding/makeshop-application', { token: a.token, body: FORM });
    assertJapaneseError(resubmit, 409, 'application_already_approved');
  });
});

function SHOP_CREDENTIALS(overrides: Partial<{ accountId: string; password: string; orderAuthCode: string }> = {}) {
  return { accountId: SHOP.accountId, password: SHOP.password, orderAuthCode: SHOP.orderAuthCode, ...overrides };
}

describe('step 3: MakeShop credentials', () => {
  test('a 13-character password → 400 telling the merchant to shorten it in MakeShop first', async () => {
    const res = await stack.http('PUT', '/api/v1/makeshop/credentials', { token: a.token, body: SHOP_CREDENTIALS({ password: 'abcdefghijklm' }) });
    const error = assertJapaneseError(res, 400, 'invalid_request');
    assert.match(error.message, /12文字以内/);
    assert.match(error.message, /MakeShopの管理画面でパスワードを12文字以内に変更/);
    assert.equal(error.details?.[0]?.path, 'password');
    assert.equal(await stack.database.db.collection('secrets').countDocuments({}), 0);
  });

  test('missing and extra fields → 400, nothing stored', async () => {
    for (const body of [{ accountId: 'x', password: 'y' }, { ...SHOP_CREDENTIALS(), shopId: 'x' }, { ...SHOP_CREDENTIALS(), orderAuthCode: 'with space' }]) {
      assertJapaneseError(await stack.http('PUT', '/api/v1/makeshop/credentials', { token: a.token, body }), 400, 'invalid_request');
    }
    assert.equal(await stack.database.db.collection('secrets').countDocuments({}), 0);
  });

  test('the connection test before saving says what to do', async () => {
    const res = await stack.http('POST', '/api/v1/makeshop/credentials/test', { token: a.token });
    assertJapaneseError(res, 409, 'credentials_not_saved');
  });

  test('saved encrypted; GET shows only whether each secret is set', async () => {
    const res = await stack.http<{ accountId: string; passwordSet: boolean; orderAuthCodeSet: boolean; updatedAt: string }>(
      'PUT',
      '/api/v1/makeshop/credentials',
      { token: a.token, body: SHOP_CREDENTIALS() },
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.passwordSet, true);
    const got = await stack.http('GET', '/api/v1/makeshop/credentials', { token: a.token });
    assert.deepEqual(Object.keys(got.body as object).sort(), ['accountId', 'orderAuthCodeSet', 'passwordSet', 'updatedAt']);
    assert.ok(!JSON.stringify(got.body).includes(SHOP.password));
    const raw = JSON.stringify(await stack.database.db.collection('secrets').find({}).toArray());
    assert.ok(!raw.includes(SHOP.password) && !raw.includes(SHOP.orderAuthCode), 'secrets are encrypted at rest');
    assert.deepEqual(await loadMakeshopCredentials(stack.database.db, stack.secretBox, a.tenantId), { mode: 'legacy', ...SHOP, shopId: FORM.shopId });
    assert.equal(stepStatus(await onboarding(a.token), 'makeshopCredentials'), 'done');
  });

  test('the connection test passes against MakeShop, and explains a wrong auth code in Japanese', async () => {
    const ok = await stack.http<{ ok: boolean; message: string }>('POST', '/api/v1/makeshop/credentials/test', { token: a.token });
    assert.deepEqual(ok.body, { ok: true, message: 'MakeShopに接続できました。' });
    await stack.http('PUT', '/api/v1/makeshop/credentials', { token: a.token, body: SHOP_CREDENTIALS({ orderAuthCode: 'wrongcode' }) });
    const wrong = await stack.http<{ ok: boolean; reason: string; message: string }>('POST', '/api/v1/makeshop/credentials/test', { token: a.token });
    assert.equal(wrong.body.ok, false);
    assert.equal(wrong.body.reason, 'order-auth-code');
    assert.match(wrong.body.message, /注文データ連携認証コード/);
    await stack.http('PUT', '/api/v1/makeshop/credentials', { token: a.token, body: SHOP_CREDENTIALS() });
  });
});

describe('steps 5 and 6 come from the other workflows', () => {
  test('catalog activation completes step 5 and makes 稼働 possible; the sync workflow is told', async () => {
    await handleOf(a.tenantId).signal(catalogActivatedSignal, { version: 1, uploadId: 'up-1' });
    const view = await eventually(async () => {
      const v = await onboarding(a.token);
      assert.ok(v.canSetRunning, 'readiness');
      return v;
    });
    assert.deepEqual(view.requiredActions, []);
    assert.equal(stepStatus(view, 'catalog'), 'done');
    await eventually(async () => {
      const history = await stack.temporal.client.workflow.getHandle(syncWorkflowId(a.tenantId)).fetchHistory();
      const readiness = (history.events ?? [])
        .filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'readinessChanged')
        .map((e) => JSON.parse(Buffer.from(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!.data!).toString()) as { ready: boolean });
      assert.equal(readiness.at(-1)?.ready, true, 'readinessChanged {ready: true} in the sync workflow');
    });
  });

  test('稼働 recorded from the sync workflow completes onboarding (OnboardingStep = done)', async () => {
    await handleOf(a.tenantId).signal(syncStateChangedSignal, { state: 'running' });
    const view = await eventually(async () => {
      const v = await onboarding(a.token);
      assert.equal(v.syncState, 'running');
      return v;
    });
    assert.equal(stepStatus(view, 'syncState'), 'done');
    await eventually(async () => assert.equal(await searchAttributeStep(a.tenantId), 'done', 'OnboardingStep done'));
    await handleOf(a.tenantId).signal(syncStateChangedSignal, { state: 'stopped' });
    await eventually(async () => assert.equal((await onboarding(a.token)).syncState, 'stopped'));
    assert.equal(stepStatus(await onboarding(a.token), 'syncState'), 'done');
  });
});

describe('tenant isolation', () => {
  test("another tenant's token sees only its own tenant, and A's store ids are unknown to it", async () => {
    const view = await onboarding(b.token);
    assert.equal(view.tenantId, b.tenantId);
    assert.equal(stepStatus(view, 'orderImport'), 'todo');
    assertJapaneseError(await stack.http('PUT', '/api/v1/order-import', { token: b.token, body: { shipmentStoreId: '2' } }), 400, 'unknown_store');
    assert.equal((await stack.http<{ accountId: string | null }>('GET', '/api/v1/makeshop/credentials', { token: b.token })).body.accountId, null);
    assert.equal(await getShipmentStoreId(stack.database.db, b.tenantId), null);
  });

  test('operators get 404 for an unknown tenant, merchants cannot use operator routes', async () => {
    assertJapaneseError(await stack.http('POST', '/api/v1/operator/tenants/tn_nope/makeshop-application/approve', { token: OPERATOR_TOKEN }), 404);
    assertJapaneseError(await stack.http('GET', '/api/v1/operator/tenants', { token: a.token }), 401);
    assertJapaneseError(await stack.http('GET', '/api/v1/onboarding', { token: OPERATOR_TOKEN }), 401);
  });
});

describe('App Market subscription notifications', () => {
  const activeSignals = async (tenantId: string) => {
    const history = await stack.temporal.client.workflow.getHandle(syncWorkflowId(tenantId)).fetchHistory();
    return (history.events ?? [])
      .filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'tenantActiveChanged')
      .map((e) => JSON.parse(Buffer.from(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!.data!).toString()) as { active: boolean });
  };

  test('end / force-stop make the tenant inactive and tell its sync workflow; start / cancel-force-stop undo it', async () => {
    const ended = await applySubscriptionNotification(subscriptionDeps(), { contractId: CONTRACT_B, action: 'end' });
    assert.equal(ended?.tenantId, b.tenantId);
    assert.equal((await findTenantByContractId(stack.database.db, CONTRACT_B))?.active, false);
    await applySubscriptionNotification(subscriptionDeps(), { contractId: CONTRACT_B, action: 'start' });
    assert.equal((await findTenantByContractId(stack.database.db, CONTRACT_B))?.active, true);
    await applySubscriptionNotification(subscriptionDeps(), { contractId: CONTRACT_B, action: 'force-stop' });
    await applySubscriptionNotification(subscriptionDeps(), { contractId: CONTRACT_B, action: 'cancel-force-stop' });
    // Signals that arrive during a workflow task reach the history when that task completes.
    const signals = await eventually(async () => {
      const got = await activeSignals(b.tenantId);
      assert.equal(got.length, 4, 'four tenantActiveChanged signals');
      return got;
    });
    assert.deepEqual(signals, [{ active: false }, { active: true }, { active: false }, { active: true }]);
  });

  test('change-plan changes nothing; an unknown contract answers null', async () => {
    assert.equal((await applySubscriptionNotification(subscriptionDeps(), { contractId: CONTRACT_B, action: 'change-plan' }))?.active, true);
    assert.equal((await activeSignals(b.tenantId)).length, 4);
    assert.equal(await applySubscriptionNotification(subscriptionDeps(), { contractId: 'sb_unknown', action: 'end' }), null);
  });
});

describe('"already enabled" and a duplicate start', () => {
  test('"already enabled" completes step 2 at once; the 主管理者 ID stands in for the shop ID', async () => {
    const res = await stack.http<OnboardingView>('POST', '/api/v1/onboarding/makeshop-application', { token: b.token, body: { alreadyEnabled: true } });
    assert.equal(res.status, 202);
    assert.equal(stepStatus(res.body, 'makeshopApplication'), 'done');
    assert.equal(
      (await stack.http('PUT', '/api/v1/makeshop/credentials', { token: b.token, body: { accountId: 'bshop', password: 'short', orderAuthCode: 'code' } })).status,
      200,
    );
    assert.equal((await loadMakeshopCredentials(stack.database.db, stack.secretBox, b.tenantId))?.shopId, 'bshop');
  });

  test('starting the onboarding workflow again keeps the running one', async () => {
    const handle = await stack.temporal.client.workflow.start('onboardingWorkflow', {
      workflowId: onboardingWorkflowId(b.tenantId),
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      args: [{ tenantId: b.tenantId }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    const status = await handle.query(onboardingStatusQuery);
    assert.equal(status.steps.find((s) => s.key === 'makeshopCredentials')?.status, 'done');
  });
});

test('a whole onboarding leaves a short history (no continue-as-new needed)', async () => {
  const { historyLength, historySize } = await handleOf(a.tenantId).describe();
  assert.ok(historyLength < 300, `history has ${historyLength} events`);
  assert.ok((historySize ?? 0) < 100_000, `history has ${historySize} bytes`);
});
