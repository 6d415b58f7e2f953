// A Smaregi contract is bound to a tenant only by スマレジID login of its owner (issue 11, item 1): tried
// as an attacker would, through the public API and the Smaregi simulator's login form, against the
// real Temporal server and FerretDB.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { registeredRoutes } from '../../src/api/openapi';
import { tenantsCollection } from '../../src/storage/tenants';
import { eventually } from '../support/platforms';
import { followCallback, linkSmaregiContract, logInWithSmaregiId, simOwner, smaregiIdFlow, startSmaregiIdFlow, type SmaregiIdUser } from '../support/smaregi-id';
import { OPERATOR_TOKEN, seedSmaregiContract, startStack, type Stack } from '../support/stack';

type ErrorBody = { error: { code: string; message: string } };
type Steps = { steps: { key: string; status: string; detail?: string }[]; requiredActions: { key: string }[] };

const STORES = [{ storeId: '1', storeName: '本店' }];
const STAFF: SmaregiIdUser = { email: 'staff@shop.example', password: 'staff-password-1' };

let stack: Stack;

before(async () => {
  stack = await startStack('contract_owner', { onboarding: { maxSignUpsPerAddress: 1000 }, captureLogs: true });
});
after(async () => {
  await stack?.close();
});

let seq = 0;
async function seedContract(users?: (SmaregiIdUser & { isOwner: boolean })[]): Promise<string> {
  const contractId = `sb_own_${++seq}`;
  await seedSmaregiContract(stack, { contractId, stores: STORES, ...(users && { users }) });
  return contractId;
}

async function newMerchant(extra: Record<string, unknown> = {}): Promise<{ tenantId: string; token: string }> {
  const res = await stack.http<{ tenantId: string; token: string }>('POST', '/api/v1/accounts', {
    body: { email: `m${++seq}@merchant.example`, password: 'merchant-pass-123', shopName: '攻撃テスト商店', ...extra },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  stack.tenantIds.push(res.body.tenantId);
  return res.body;
}

/** Everything that says who holds which contract. */
async function bindings(): Promise<string> {
  const rows = await tenantsCollection(stack.database.db)
    .find({}, { projection: { smaregiContractId: 1, smaregiContractConfirmed: 1, active: 1 } })
    .sort({ _id: 1 })
    .toArray();
  const claims = await stack.database.db.collection('smaregi_contracts').find({}, { projection: { claimedAt: 0 } }).sort({ _id: 1 }).toArray();
  return JSON.stringify({ rows, claims });
}

const contractOf = async (tenantId: string) => (await tenantsCollection(stack.database.db).findOne({ _id: tenantId }))?.smaregiContractId;
const stepOne = async (token: string) => (await stack.http<Steps>('GET', '/api/v1/onboarding', { token })).body.steps.find((s) => s.key === 'account');

describe('no binding without スマレジID proof', () => {
  test('sign-up with a victim’s contract id binds nothing: no stores, no webhooks, step 1 open', async () => {
    const victim = await seedContract();
    const attacker = await newMerchant({ smaregiContractId: victim });
    assert.equal(await contractOf(attacker.tenantId), undefined);
    const stores = await stack.http<ErrorBody>('GET', '/api/v1/smaregi/stores', { token: attacker.token });
    assert.equal(stores.status, 409);
    assert.equal(stores.body.error.code, 'smaregi_not_linked');
    assert.equal(await stack.deps.webhookTenants.byContractId(victim), null, 'the victim’s webhooks reach no tenant');
    assert.equal((await stepOne(attacker.token))?.status, 'todo');
    const shipmentStore = await stack.http<ErrorBody>('PUT', '/api/v1/order-import', { token: attacker.token, body: { shipmentStoreId: '1' } });
    assert.equal(shipmentStore.status, 409);
  });

  test('every documented route, given the contract id in its body, binds nothing', async () => {
    const victim = await seedContract();
    const attacker = await newMerchant();
    const before = await bindings();
    for (const route of registeredRoutes()) {
      if (route.method === 'get' || (route.method === 'delete' && route.path === '/api/v1/sessions')) continue;
      const path = route.path.replace(/\{[^}]+\}/g, attacker.tenantId);
      const token = route.auth === 'operator' ? undefined : attacker.token;
      await stack.http(route.method.toUpperCase(), path, { token, body: { smaregiContractId: victim, contractId: victim, contract: { id: victim } } });
    }
    assert.equal(await bindings(), before);
    assert.equal(await contractOf(attacker.tenantId), undefined);
  });

  test('the real owner links through スマレジID: step 1 done, stores readable, webhooks routed', async () => {
    const contractId = await seedContract();
    const owner = await newMerchant();
    await linkSmaregiContract(stack.apiUrl, { token: owner.token }, simOwner(contractId));
    assert.equal(await contractOf(owner.tenantId), contractId);
    await eventually(async () => assert.equal((await stepOne(owner.token))?.status, 'done', 'step 1 done'));
    assert.equal((await stack.http('GET', '/api/v1/smaregi/stores', { token: owner.token })).status, 200);
    assert.equal((await stack.deps.webhookTenants.byContractId(contractId))?.tenantId, owner.tenantId);
  });
});

describe('what the callback refuses, changing nothing', () => {
  test('a user who is not the contract’s owner cannot link it', async () => {
    const contractId = await seedContract([
      { ...simOwner('unused'), email: 'boss@shop.example', isOwner: true },
      { ...STAFF, isOwner: false },
    ]);
    const merchant = await newMerchant();
    const before = await bindings();
    const answer = await smaregiIdFlow(stack.apiUrl, 'link', { token: merchant.token }, STAFF);
    assert.equal(answer.status, 403);
    assert.match(answer.body, /オーナー/);
    assert.equal(await bindings(), before);
    assert.equal(await contractOf(merchant.tenantId), undefined);
    assert.ok(contractId);
  });

  test('a forged state, a forged code, and a replayed callback fail', async () => {
    const contractId = await seedContract();
    const merchant = await newMerchant();
    const before = await bindings();
    const forgedState = await smaregiIdFlow(stack.apiUrl, 'link', { token: merchant.token }, simOwner(contractId), {
      tamper: (url) => url.searchParams.set('state', 'forged-state-value'),
    });
    assert.equal(forgedState.status, 400);
    const forgedCode = await smaregiIdFlow(stack.apiUrl, 'link', { token: merchant.token }, simOwner(contractId), {
      tamper: (url) => url.searchParams.set('code', 'forged-code-value'),
    });
    assert.equal(forgedCode.status, 400);
    assert.equal(await bindings(), before);

    const linked = await smaregiIdFlow(stack.apiUrl, 'link', { token: merchant.token }, simOwner(contractId));
    assert.equal(linked.status, 302);
    const afterLink = await bindings();
    const replay = await followCallback(stack.apiUrl, linked.callbackPath, { token: merchant.token });
    assert.equal(replay.status, 400);
    assert.match(replay.body, /無効か、有効期限が切れています/);
    assert.equal(await bindings(), afterLink);
    const used = new URL(linked.callbackPath, 'http://callback');
    for (const secret of [used.searchParams.get('code')!, used.searchParams.get('state')!]) {
      assert.ok(!stack.logLines.some((line) => line.includes(secret)), 'neither the code nor the state is logged');
      assert.ok(!JSON.stringify(await stack.database.db.collection('smaregi_auth_requests').find({}).toArray()).includes(secret), 'only a hash of the state is stored');
    }
  });

  test('a link started by one tenant cannot be completed in another tenant’s browser (the owner’s)', async () => {
    const contractId = await seedContract();
    const attacker = await newMerchant();
    const victim = await newMerchant();
    const before = await bindings();
    // The attacker starts a link and lures the owner through スマレジID; the owner's browser carries the owner's session.
    const lure = await startSmaregiIdFlow(stack.apiUrl, 'link', { token: attacker.token }, simOwner(contractId));
    const inVictimBrowser = await followCallback(stack.apiUrl, lure.callbackPath, { token: victim.token });
    assert.equal(inVictimBrowser.status, 400);
    const loggedOut = await followCallback(stack.apiUrl, lure.callbackPath, {});
    assert.equal(loggedOut.status, 400, 'the state is spent');
    assert.equal(await bindings(), before);
  });

  test('a contract another tenant holds answers a Japanese page naming the operator contact; nothing changes', async () => {
    const contractId = await seedContract();
    const holder = await newMerchant();
    await linkSmaregiContract(stack.apiUrl, { token: holder.token }, simOwner(contractId));
    const second = await newMerchant();
    const before = await bindings();
    const answer = await smaregiIdFlow(stack.apiUrl, 'link', { token: second.token }, simOwner(contractId));
    assert.equal(answer.status, 409);
    assert.match(answer.body, /すでに別のアカウントに連携されています/);
    assert.match(answer.body, new RegExp(stack.config.SUPPORT_CONTACT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.match(answer.body, new RegExp(second.tenantId));
    assert.equal(await bindings(), before);
    assert.equal(await contractOf(holder.tenantId), contractId);
  });
});

describe('tenants bound before スマレジID linking', () => {
  /** A tenant as the old sign-up left it: the contract id taken on its word, no proof recorded. */
  async function legacyTenant(contractId: string): Promise<{ tenantId: string; token: string }> {
    const merchant = await newMerchant();
    await tenantsCollection(stack.database.db).updateOne({ _id: merchant.tenantId }, { $set: { smaregiContractId: contractId } });
    return merchant;
  }

  test('keep receiving webhooks, but 稼働 needs confirmation by スマレジID login', async () => {
    const contractId = await seedContract();
    const legacy = await legacyTenant(contractId);
    assert.equal((await stack.deps.webhookTenants.byContractId(contractId))?.tenantId, legacy.tenantId);
    const run = await stack.http<ErrorBody>('PUT', '/api/v1/sync/state', { token: legacy.token, body: { state: 'running' } });
    assert.equal(run.status, 409);
    assert.equal(run.body.error.code, 'smaregi_contract_unconfirmed');
    await linkSmaregiContract(stack.apiUrl, { token: legacy.token }, simOwner(contractId));
    assert.equal((await tenantsCollection(stack.database.db).findOne({ _id: legacy.tenantId }))?.smaregiContractConfirmed?.by, 'smaregi-id');
    const after = await stack.http<ErrorBody>('PUT', '/api/v1/sync/state', { token: legacy.token, body: { state: 'running' } });
    assert.notEqual(after.body.error?.code, 'smaregi_contract_unconfirmed');
    assert.equal((await stepOne(legacy.token))?.status, 'done');
  });

  test('or an operator confirms it', async () => {
    const contractId = await seedContract();
    const legacy = await legacyTenant(contractId);
    const confirm = await stack.http<Steps>('POST', `/api/v1/operator/tenants/${legacy.tenantId}/smaregi-contract/confirm`, { token: OPERATOR_TOKEN });
    assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
    assert.equal(confirm.body.steps.find((s) => s.key === 'account')?.status, 'done');
    assert.equal((await tenantsCollection(stack.database.db).findOne({ _id: legacy.tenantId }))?.smaregiContractConfirmed?.by, 'operator');
    const merchantTry = await stack.http('POST', `/api/v1/operator/tenants/${legacy.tenantId}/smaregi-contract/confirm`, { token: legacy.token });
    assert.equal(merchantTry.status, 401);
  });

  test('the proven owner takes the contract from a tenant that only claimed it', async () => {
    const contractId = await seedContract();
    const squatter = await legacyTenant(contractId);
    const owner = await newMerchant();
    await linkSmaregiContract(stack.apiUrl, { token: owner.token }, simOwner(contractId));
    assert.equal(await contractOf(owner.tenantId), contractId);
    assert.equal(await contractOf(squatter.tenantId), undefined);
    assert.equal((await tenantsCollection(stack.database.db).findOne({ _id: squatter.tenantId }))?.active, false);
    assert.equal((await stack.deps.webhookTenants.byContractId(contractId))?.tenantId, owner.tenantId);
    assert.equal((await stack.http('GET', '/api/v1/smaregi/stores', { token: squatter.token })).status, 409);
  });
});

describe('スマレジIDでログイン', () => {
  test('a user of a linked contract logs in and gets that tenant’s session', async () => {
    await seedContract([
      { email: 'login-owner@shop.example', password: 'owner-pass-1', isOwner: true },
      { email: 'login-staff@shop.example', password: 'staff-pass-1', isOwner: false },
    ]);
    const merchant = await newMerchant();
    await linkSmaregiContract(stack.apiUrl, { token: merchant.token }, { email: 'login-owner@shop.example', password: 'owner-pass-1' });
    for (const user of [
      { email: 'login-owner@shop.example', password: 'owner-pass-1' },
      { email: 'login-staff@shop.example', password: 'staff-pass-1' },
    ]) {
      const cookie = await logInWithSmaregiId(stack.apiUrl, user);
      const me = await stack.http<{ tenantId: string }>('GET', '/api/v1/onboarding', { headers: { cookie } });
      assert.equal(me.body.tenantId, merchant.tenantId);
    }
  });

  test('a contract linked to no tenant → a page saying what to do, no session', async () => {
    const contractId = await seedContract();
    const answer = await smaregiIdFlow(stack.apiUrl, 'login', {}, simOwner(contractId));
    assert.equal(answer.status, 404);
    assert.match(answer.body, /連携したアカウントがありません/);
    assert.ok(!answer.cookies.some((c) => c.startsWith('zaiko_session=') && c !== 'zaiko_session='));
  });

  test('login CSRF: a login callback without the browser’s pre-login cookie logs nobody in', async () => {
    const contractId = await seedContract();
    const merchant = await newMerchant();
    await linkSmaregiContract(stack.apiUrl, { token: merchant.token }, simOwner(contractId));
    // The attacker logs in at スマレジID with their own account and sends the callback URL to the victim.
    const lure = await startSmaregiIdFlow(stack.apiUrl, 'login', {}, simOwner(contractId));
    const victimBrowser = await followCallback(stack.apiUrl, lure.callbackPath, {});
    assert.equal(victimBrowser.status, 400);
    assert.ok(!victimBrowser.cookies.some((c) => c.startsWith('zaiko_session=') && c !== 'zaiko_session='));
  });
});
