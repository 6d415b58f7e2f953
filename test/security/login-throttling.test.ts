// Item 2: a login attempt is counted before its password is checked, in one atomic write, so a
// parallel burst gets no more guesses than a serial run; the client address comes from
// X-Forwarded-For only with TRUST_PROXY; password hashes are upgraded at login (item 7).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tenantsCollection } from '../../src/storage/tenants';
import { startTestApi } from '../support/api';
import { seedSmaregiContract, signUp, startStack, type Stack } from '../support/stack';

const LIMITS = { maxLoginAttemptsPerAccountAddress: 5, maxLoginAttemptsPerAddress: 12, slowLoginsAfterPerAccount: 5, loginDelayStepMs: 5, maxLoginDelayMs: 50 };
const PASSWORD = 'merchant-pass-123';

let stack: Stack;

before(async () => {
  stack = await startStack('sec_login', { onboarding: LIMITS }); // TRUST_PROXY: default (false)
  for (const [i, contractId] of ['sb_login_1', 'sb_login_2', 'sb_login_3'].entries()) {
    await seedSmaregiContract(stack, { contractId, stores: [{ storeId: '1', storeName: '本店' }] });
    await signUp(stack, { email: `victim${i + 1}@example.jp`, smaregiContractId: contractId });
  }
});
after(async () => {
  await stack?.close();
});

const logInAt = (baseUrl: string, email: string, password: string, headers: Record<string, string> = {}) =>
  fetch(`${baseUrl}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ email, password }) });
const statuses = (answers: Response[]) => answers.map((r) => r.status);
const count = (list: number[], status: number) => list.filter((s) => s === status).length;

test('50 parallel wrong passwords for one account get at most 5 evaluated; the rest are 429', async () => {
  const answers = statuses(await Promise.all(Array.from({ length: 50 }, () => logInAt(stack.apiUrl, 'victim1@example.jp', 'guess-password'))));
  assert.equal(count(answers, 401), LIMITS.maxLoginAttemptsPerAccountAddress, `evaluated: ${count(answers, 401)}`);
  assert.equal(count(answers, 401) + count(answers, 429), 50, JSON.stringify(answers));
  // The right password from the same address is refused too: the limit is on guesses, not on failures seen so far.
  assert.equal((await logInAt(stack.apiUrl, 'victim1@example.jp', PASSWORD)).status, 429);
});

test('without TRUST_PROXY a rotating X-Forwarded-For does not escape the per-address limit', async () => {
  // 127.0.0.1 spent 5 of its 12 attempts above (the 45 refused ones took no address slot): 7 remain,
  // whatever X-Forwarded-For says. Were the header believed, all 20 would be evaluated.
  const answers = statuses(
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => logInAt(stack.apiUrl, `nobody${i}@example.jp`, 'guess-password', { 'x-forwarded-for': `198.51.100.${i}` })),
    ),
  );
  assert.equal(count(answers, 401), LIMITS.maxLoginAttemptsPerAddress - LIMITS.maxLoginAttemptsPerAccountAddress, JSON.stringify(answers));
  assert.equal(count(answers, 429), 20 - count(answers, 401));
});

test('with TRUST_PROXY the last X-Forwarded-For entry (the proxy’s) counts; a client-sent entry before it does not help', async () => {
  const proxied = await startTestApi({ ...stack.deps, config: { ...stack.config, TRUST_PROXY: true } });
  try {
    const answers = statuses(
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          logInAt(proxied.baseUrl, `someone${i}@example.jp`, 'guess-password', { 'x-forwarded-for': `10.9.${i}.1, 192.0.2.200` }),
        ),
      ),
    );
    assert.equal(count(answers, 401), LIMITS.maxLoginAttemptsPerAddress, JSON.stringify(answers));
    // Another client behind the same proxy is its own address, and the owner logs in.
    assert.equal((await logInAt(proxied.baseUrl, 'victim2@example.jp', PASSWORD, { 'x-forwarded-for': '192.0.2.201' })).status, 200);
  } finally {
    await proxied.close();
  }
});

test("a parallel burst against one account from many addresses never locks its owner out", async () => {
  const proxied = await startTestApi({ ...stack.deps, config: { ...stack.config, TRUST_PROXY: true } });
  try {
    const answers = statuses(
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => logInAt(proxied.baseUrl, 'victim3@example.jp', 'guess-password', { 'x-forwarded-for': `203.0.113.${i}` })),
      ),
    );
    assert.equal(count(answers, 401), 30, 'each address has its own budget: the account is slowed, not locked');
    assert.equal((await logInAt(proxied.baseUrl, 'victim3@example.jp', PASSWORD, { 'x-forwarded-for': '198.18.0.1' })).status, 200);
  } finally {
    await proxied.close();
  }
});

test('a login with a hash of a lower cost rehashes it at the configured cost, transparently', async () => {
  const hashOf = async () => (await tenantsCollection(stack.database.db).findOne({ email: 'victim2@example.jp' }))!.passwordHash;
  const before = await hashOf();
  assert.match(before, /^scrypt\$16384\$/);
  const stronger = await startTestApi({ ...stack.deps, config: { ...stack.config, TRUST_PROXY: true, PASSWORD_HASH_LOG2N: 15 } });
  try {
    assert.equal((await logInAt(stronger.baseUrl, 'victim2@example.jp', PASSWORD, { 'x-forwarded-for': '198.18.0.2' })).status, 200);
    assert.match(await hashOf(), /^scrypt\$32768\$8\$1\$/);
    assert.equal((await logInAt(stronger.baseUrl, 'victim2@example.jp', PASSWORD, { 'x-forwarded-for': '198.18.0.2' })).status, 200);
    assert.equal((await logInAt(stronger.baseUrl, 'victim2@example.jp', 'wrong-password', { 'x-forwarded-for': '198.18.0.2' })).status, 401);
  } finally {
    await stronger.close();
  }
});
