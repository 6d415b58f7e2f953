// Sign-up, login, logout, throttling and session expiry over HTTP, against real MongoDB and Temporal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tenantsCollection } from '../../src/storage/tenants';
import { startTestApi } from '../support/api';
import { eventually } from '../support/platforms';
import { seedSmaregiContract, signUp, startStack, type Stack } from '../support/stack';

type ErrorBody = { error: { code: string; message: string } };

let stack: Stack;
/** The accounts created here, the first one first. */
const tenants: string[] = [];
const ACCOUNT = { email: 'Owner@Example.jp', password: 'correct-horse-1', shopName: 'アカウント商店', smaregiContractId: 'sb_acct_1' };

before(async () => {
  stack = await startStack('accounts', {
    onboarding: { maxLoginAttemptsPerAccountAddress: 5, maxLoginAttemptsPerAddress: 8, slowLoginsAfterPerAccount: 5, loginDelayStepMs: 10, sessionTtlMs: 60_000 },
    trustProxy: true, // the tests play clients behind the proxy with X-Forwarded-For
  });
  for (const contractId of ['sb_acct_1', 'sb_acct_2', 'sb_acct_3']) await seedSmaregiContract(stack, { contractId, stores: [{ storeId: '1', storeName: '本店' }] });
});
after(async () => {
  stack?.tenantIds.push(...tenants);
  await stack?.close();
});

const countTenants = () => tenantsCollection(stack.database.db).countDocuments({});
const logIn = (email: string, password: string, address = '203.0.113.1') =>
  stack.http<{ tenantId: string; token: string } & ErrorBody>('POST', '/api/v1/sessions', { body: { email, password }, headers: { 'x-forwarded-for': address } });

describe('sign-up', () => {
  const bad: [string, unknown, RegExp][] = [
    ['no email', { ...ACCOUNT, email: undefined }, /メールアドレスを入力してください/],
    ['a malformed email', { ...ACCOUNT, email: 'owner-at-example' }, /メールアドレスの形式/],
    ['a short password', { ...ACCOUNT, password: 'short' }, /8文字以上/],
    ['no shop name', { ...ACCOUNT, shopName: '' }, /ショップ名を入力してください/],
    ['an extra field', { ...ACCOUNT, role: 'admin' }, /不明な項目があります: role/],
  ];
  for (const [what, body, message] of bad) {
    test(`${what} → 400 in Japanese, no account`, async () => {
      const res = await stack.http<ErrorBody>('POST', '/api/v1/accounts', { body });
      assert.equal(res.status, 400);
      assert.match(res.body.error.message, message);
      assert.equal(await countTenants(), 0);
    });
  }

  test('201 with a token and an HttpOnly SameSite=Lax session cookie; the password is hashed', async () => {
    const res = await stack.http<{ tenantId: string; token: string }>('POST', '/api/v1/accounts', { body: ACCOUNT });
    assert.equal(res.status, 201);
    tenants.push(res.body.tenantId);
    assert.match(res.body.token, /^[A-Za-z0-9_-]{40,}$/);
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(cookie, new RegExp(`zaiko_session=${res.body.token}`));
    assert.match(cookie, /httponly/i);
    assert.match(cookie, /samesite=lax/i);
    assert.match(cookie, /expires=/i);
    const stored = await tenantsCollection(stack.database.db).findOne({ _id: res.body.tenantId });
    assert.equal(stored?.email, 'owner@example.jp');
    assert.equal(stored?.smaregiContractId, undefined, 'a smaregiContractId in the body binds nothing');
    assert.match(stored?.passwordHash ?? '', /^scrypt\$/);
    assert.ok(!JSON.stringify(stored).includes(ACCOUNT.password));
    const sessions = await stack.database.db.collection('sessions').find({}).toArray();
    assert.ok(!JSON.stringify(sessions).includes(res.body.token), 'only a hash of the token is stored');
  });

  test('the same email (any case) again → the same 201 answer for a fresh account; the first account keeps its email and login', async () => {
    const fresh = await stack.http<{ tenantId: string; token: string }>('POST', '/api/v1/accounts', { body: { ...ACCOUNT, email: 'OWNER@example.JP', password: 'another-pass-1' } });
    assert.equal(fresh.status, 201);
    assert.deepEqual(Object.keys(fresh.body).sort(), ['tenantId', 'token']);
    assert.notEqual(fresh.body.tenantId, tenants[0]);
    tenants.push(fresh.body.tenantId);
    assert.equal((await stack.http('GET', '/api/v1/onboarding', { token: fresh.body.token })).status, 200);
    const first = await tenantsCollection(stack.database.db).findOne({ _id: tenants[0]! });
    assert.equal(first?.email, 'owner@example.jp');
    assert.equal((await logIn(ACCOUNT.email, 'another-pass-1', '203.0.113.7')).status, 401, 'the second password opens nothing');
    assert.equal((await logIn(ACCOUNT.email, ACCOUNT.password, '203.0.113.7')).body.tenantId, tenants[0]);
  });
});

describe('sessions', () => {
  test('login with the right password (email case ignored) → 200 and a working token', async () => {
    const res = await logIn('owner@EXAMPLE.jp', ACCOUNT.password);
    assert.equal(res.status, 200);
    assert.equal(res.body.tenantId, tenants[0]);
    assert.equal((await stack.http('GET', '/api/v1/onboarding', { token: res.body.token })).status, 200);
  });

  test('the session cookie alone authenticates', async () => {
    const res = await logIn(ACCOUNT.email, ACCOUNT.password);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    const viaCookie = await stack.http<{ tenantId: string }>('GET', '/api/v1/onboarding', { headers: { cookie } });
    assert.equal(viaCookie.status, 200);
    assert.equal(viaCookie.body.tenantId, tenants[0]);
  });

  test('no token, a made-up token, or a case-twisted path → 401', async () => {
    assert.equal((await stack.http('GET', '/api/v1/onboarding')).status, 401);
    assert.equal((await stack.http('GET', '/api/v1/onboarding', { token: 'made-up' })).status, 401);
    assert.equal((await stack.http('GET', '/API/V1/Onboarding')).status, 401);
    assert.equal((await stack.http('GET', '/api/v1/stock-settings/')).status, 401);
  });

  test('logout revokes the token and clears the cookie', async () => {
    const { body } = await logIn(ACCOUNT.email, ACCOUNT.password);
    const out = await stack.http('DELETE', '/api/v1/sessions', { token: body.token });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /zaiko_session=;.*expires=Thu, 01 Jan 1970/i);
    const after = await stack.http<ErrorBody>('GET', '/api/v1/onboarding', { token: body.token });
    assert.equal(after.status, 401);
    assert.match(after.body.error.message, /もう一度ログイン/);
  });

  test('an expired token → 401', async () => {
    const shortLived = await startStack('accounts_ttl', { onboarding: { sessionTtlMs: 2000 } });
    try {
      // Without the contract link: the 2-second session would not outlive the スマレジID round trip on a busy machine.
      const account = (await shortLived.http<{ tenantId: string; token: string }>('POST', '/api/v1/accounts', { body: { email: 'ttl@example.jp', password: 'merchant-pass-123', shopName: 'TTL商店' } })).body;
      assert.equal((await shortLived.http('GET', '/api/v1/onboarding', { token: account.token })).status, 200);
      shortLived.tenantIds.push(account.tenantId);
      await eventually(async () => assert.equal((await shortLived.http('GET', '/api/v1/onboarding', { token: account.token })).status, 401, 'the session to expire'), 30_000);
    } finally {
      await shortLived.close();
    }
  });
});

describe('login throttling (in MongoDB, shared by every replica)', () => {
  test('5 failures for one account from one address → 429 in Japanese there, even with the right password; other accounts unaffected', async () => {
    const second = await signUp(stack, { email: 'second@example.jp', smaregiContractId: 'sb_acct_2' });
    tenants.push(second.tenantId);
    for (let i = 0; i < 5; i++) {
      const res = await logIn(ACCOUNT.email, 'wrong-password', '198.51.100.7');
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'invalid_credentials');
    }
    const locked = await logIn(ACCOUNT.email, ACCOUNT.password, '198.51.100.7');
    assert.equal(locked.status, 429);
    assert.equal(locked.body.error.code, 'too_many_login_attempts');
    assert.match(locked.body.error.message, /分後に再度お試しください/);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    assert.equal((await logIn('second@example.jp', 'merchant-pass-123', '198.51.100.7')).status, 200);
  });

  test("someone else's failures from many addresses never lock the owner out (the account is only slowed down)", async () => {
    for (let i = 0; i < 12; i++) assert.equal((await logIn(ACCOUNT.email, 'wrong-password', `198.51.100.${20 + i}`)).status, 401);
    assert.equal((await logIn(ACCOUNT.email, ACCOUNT.password, '203.0.113.77')).status, 200);
  });

  test('many failures from one address across accounts → 429 for that address only', async () => {
    await signUp(stack, { email: 'third@example.jp', smaregiContractId: 'sb_acct_3' }).then((t) => tenants.push(t.tenantId));
    const address = '192.0.2.50';
    for (let i = 0; i < 8; i++) assert.equal((await logIn(`nobody${i}@example.jp`, 'x', address)).status, 401);
    assert.equal((await logIn('third@example.jp', 'merchant-pass-123', address)).status, 429);
    assert.equal((await logIn('third@example.jp', 'merchant-pass-123', '192.0.2.51')).status, 200);
  });

  test('a second api replica on the same database sees the same lock', async () => {
    const replica = await startTestApi(stack.deps);
    try {
      const res = await fetch(`${replica.baseUrl}/api/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.50' },
        body: JSON.stringify({ email: 'third@example.jp', password: 'merchant-pass-123' }),
      });
      assert.equal(res.status, 429);
    } finally {
      await replica.close();
    }
  });
});
