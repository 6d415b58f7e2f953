// Sign-up answers do not tell whether an email (or a contract) is known, and are throttled per client
// address in MongoDB (issue 11, item 3). Real api, Temporal and FerretDB; the Smaregi simulator.
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tenantsCollection } from '../../src/storage/tenants';
import { linkSmaregiContract, simOwner } from '../support/smaregi-id';
import { seedSmaregiContract, startStack, type Stack } from '../support/stack';
import { startTestApi } from '../support/api';

type Answer = { tenantId: string; token: string; error?: { code: string; message: string } };

const MAX_SIGN_UPS = 3;
let stack: Stack;

before(async () => {
  stack = await startStack('sign_up', { onboarding: { maxSignUpsPerAddress: MAX_SIGN_UPS } });
});
after(async () => {
  await stack?.close();
});

let seq = 0;
/**
 * POST /api/v1/accounts from a loopback source address of its own (127.0.0.x): distinct client
 * addresses without X-Forwarded-For, so the test holds whether or not the api trusts a proxy.
 */
async function signUp(body: Record<string, unknown>, address: string, baseUrl = stack.apiUrl) {
  const url = new URL('/api/v1/accounts', baseUrl);
  const payload = JSON.stringify({ password: 'merchant-pass-123', shopName: '登録テスト商店', ...body });
  const res = await new Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: address, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (answer) => {
        let text = '';
        answer.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        answer.on('end', () => resolve({ status: answer.statusCode ?? 0, text, headers: answer.headers }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
  const answer = JSON.parse(res.text) as Answer;
  if (res.status === 201) stack.tenantIds.push(answer.tenantId);
  const cookie = res.headers['set-cookie'];
  return { status: res.status, answer, cookie: Array.isArray(cookie) ? cookie.join('\n') : '', retryAfter: (res.headers['retry-after'] as string | undefined) ?? null };
}

/** The parts of an answer that could differ between a known and an unknown email. */
const shapeOf = (r: Awaited<ReturnType<typeof signUp>>) => ({
  status: r.status,
  keys: Object.keys(r.answer).sort(),
  tenantId: /^tn_[0-9a-f]{20}$/.test(r.answer.tenantId),
  token: /^[A-Za-z0-9_-]{43}$/.test(r.answer.token),
  cookie: r.cookie.replace(/=[^;]+/, '=…').replace(/expires=[^;]+/i, 'expires=…'),
});

test('a known email gets the same answer as a new one; the first account keeps its email and login', async () => {
  const contractId = 'sb_signup_known';
  await seedSmaregiContract(stack, { contractId, stores: [{ storeId: '1', storeName: '本店' }] });
  const first = await signUp({ email: 'known@merchant.example', password: 'first-password-1' }, '127.0.0.11');
  await linkSmaregiContract(stack.apiUrl, { token: first.answer.token }, simOwner(contractId));

  const unknown = await signUp({ email: `new${++seq}@merchant.example` }, '127.0.0.12');
  const known = await signUp({ email: 'KNOWN@merchant.example' }, '127.0.0.13');
  const knownWithContract = await signUp({ email: 'known@merchant.example', smaregiContractId: contractId }, '127.0.0.14');
  const unknownWithContract = await signUp({ email: `new${++seq}@merchant.example`, smaregiContractId: contractId }, '127.0.0.15');
  for (const r of [known, knownWithContract, unknownWithContract]) assert.deepEqual(shapeOf(r), shapeOf(unknown));

  // The fresh account works like any other, but the email still belongs to the first one.
  assert.equal((await stack.http('GET', '/api/v1/onboarding', { token: known.answer.token })).status, 200);
  const firstDoc = await tenantsCollection(stack.database.db).findOne({ _id: first.answer.tenantId });
  assert.equal(firstDoc?.email, 'known@merchant.example');
  assert.equal(firstDoc?.smaregiContractId, contractId, 'sign-ups naming its contract change nothing');
  const login = await stack.http<Answer>('POST', '/api/v1/sessions', { body: { email: 'known@merchant.example', password: 'first-password-1' } });
  assert.equal(login.body.tenantId, first.answer.tenantId);
  const knownDoc = await tenantsCollection(stack.database.db).findOne({ _id: known.answer.tenantId });
  assert.notEqual(knownDoc?.email, 'known@merchant.example');
  assert.equal(knownDoc?.emailTaken, true);
});

test(`sign-ups are throttled per address (${MAX_SIGN_UPS} per window): 429 in Japanese with Retry-After; other addresses unaffected`, async () => {
  const address = '127.0.0.20';
  for (let i = 0; i < MAX_SIGN_UPS; i++) assert.equal((await signUp({ email: `serial${++seq}@merchant.example` }, address)).status, 201);
  const refused = await signUp({ email: `serial${++seq}@merchant.example` }, address);
  assert.equal(refused.status, 429);
  assert.equal(refused.answer.error?.code, 'too_many_sign_ups');
  assert.match(refused.answer.error?.message ?? '', /分後に再度お試しください/);
  assert.ok(Number(refused.retryAfter) > 0);
  assert.equal((await signUp({ email: `other${++seq}@merchant.example` }, '127.0.0.21')).status, 201);
});

test('a parallel burst from one address gets no more sign-ups than a serial one, across two api replicas', async () => {
  const replica = await startTestApi(stack.deps);
  try {
    const address = '127.0.0.30';
    const before = await tenantsCollection(stack.database.db).countDocuments({});
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) => signUp({ email: `burst${++seq}@merchant.example` }, address, i % 2 === 0 ? stack.apiUrl : replica.baseUrl)),
    );
    const created = burst.filter((r) => r.status === 201).length;
    assert.ok(created <= MAX_SIGN_UPS, `${created} sign-ups got through`);
    assert.ok(burst.every((r) => r.status === 201 || r.status === 429));
    assert.equal(await tenantsCollection(stack.database.db).countDocuments({}), before + created);
  } finally {
    await replica.close();
  }
});
