// Item 9: every route of the OpenAPI document (so a new route is covered the day it is documented)
// × (no credentials, another tenant, an expired session, a wrong content type) → 401/403/404/415,
// and nothing of the tenant under attack changes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSession } from '../../src/storage/sessions';
import { eventually } from '../support/platforms';
import { OPERATOR_TOKEN, seedSmaregiContract, signUp, startStack, type Stack } from '../support/stack';

interface Operation {
  method: string;
  path: string;
  security: Record<string, string[]>[];
  requestBody?: { content: Record<string, unknown> };
}

/** Collections that change on any request (sessions, throttling counters, webhook claims), not tenant state. */
const VOLATILE = new Set(['sessions', 'login_attempts', 'webhook_events']);

let stack: Stack;
let victim: { tenantId: string; token: string };
let attacker: { tenantId: string; token: string };
let operations: Operation[];
let pathValues: Record<string, string>;

before(async () => {
  stack = await startStack('sec_matrix');
  for (const contractId of ['sb_matrix_a', 'sb_matrix_b']) await seedSmaregiContract(stack, { contractId, stores: [{ storeId: '1', storeName: '本店' }] });
  victim = await signUp(stack, { email: 'victim@example.jp', smaregiContractId: 'sb_matrix_a' });
  attacker = await signUp(stack, { email: 'attacker@example.jp', smaregiContractId: 'sb_matrix_b' });
  const uploadId = await uploadSomething(victim.token);
  pathValues = { uploadId, tenantId: victim.tenantId, id: 'al_000000000000000000000000' };
  await settled();
  const doc = (await stack.http<{ paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>> }>('GET', '/api/v1/openapi.json')).body;
  operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, ...op })));
});
after(async () => {
  await stack?.close();
});

/** A catalog upload of the victim's, so there is a real resource id to attack (its import may run on; settled() waits). */
async function uploadSomething(token: string): Promise<string> {
  const form = new FormData();
  form.append('productCsv', new Blob(['商品名,独自商品コード\r\nA,A-1\r\n']), 'products.csv');
  form.append('optionCsv', new Blob(['独自商品コード,オプション独自コード\r\n']), 'options.csv');
  const res = await fetch(`${stack.apiUrl}/api/v1/catalog/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  assert.equal(res.status, 202, await res.clone().text());
  const { uploadId } = (await res.json()) as { uploadId: string };
  return uploadId;
}

const isMerchant = (op: Operation) => op.security.some((s) => 'bearerAuth' in s || 'sessionCookie' in s);
const isOperator = (op: Operation) => op.security.some((s) => 'operatorToken' in s);
const apiOperations = () => operations.filter((op) => op.path.startsWith('/api/v1/'));
const urlOf = (op: Operation) => op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(pathValues[name] ?? 'x_unknown_1'));
const label = (op: Operation) => `${op.method} ${op.path}`;

function send(op: Operation, headers: Record<string, string>, body?: { type: string; text: string }): Promise<Response> {
  const withBody = body && op.method !== 'GET' && op.method !== 'HEAD';
  return fetch(`${stack.apiUrl}${urlOf(op)}`, {
    method: op.method,
    redirect: 'manual',
    headers: { ...headers, ...(withBody && { 'content-type': body.type }) },
    ...(withBody && { body: body.text }),
  });
}
const JSON_BODY = { type: 'application/json', text: '{}' };

/** Everything stored about the victim, and what its onboarding workflow says. */
async function victimState(): Promise<string> {
  const parts: string[] = [];
  for (const { name } of await stack.database.db.listCollections().toArray()) {
    if (VOLATILE.has(name)) continue;
    const docs = await stack.database.db.collection(name).find({}).toArray();
    const mine = docs.map((d) => JSON.stringify(d)).filter((text) => text.includes(victim.tenantId)).sort();
    parts.push(`${name}: ${mine.join('\n')}`);
  }
  const onboarding = await stack.http('GET', '/api/v1/onboarding', { token: victim.token });
  return [...parts.sort(), JSON.stringify(onboarding.body)].join('\n');
}

/** The import workflow tidies up after its report (files deleted): wait until the victim's state stops moving. */
async function settled(): Promise<void> {
  let previous = await victimState();
  await eventually(async () => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await victimState();
    const same = now === previous;
    previous = now;
    assert.ok(same, "the victim's state to settle");
  }, 60_000);
}

async function expectStatus(cases: { op: Operation; res: Promise<Response>; allowed: number[] }[]): Promise<void> {
  const wrong: string[] = [];
  for (const c of cases) {
    const res = await c.res;
    if (!c.allowed.includes(res.status)) wrong.push(`${label(c.op)} → ${res.status} ${(await res.text()).slice(0, 200)}`);
  }
  assert.deepEqual(wrong, []);
}

test('the document lists the routes this suite attacks', () => {
  assert.ok(apiOperations().filter(isMerchant).length >= 15, `${apiOperations().filter(isMerchant).length} merchant routes`);
  assert.ok(apiOperations().some(isOperator));
  assert.ok(operations.some((op) => op.path.includes('{uploadId}')));
});

test('no credentials → 401 on every merchant and operator route; nothing changed', async () => {
  const before = await victimState();
  const targets = operations.filter((op) => isMerchant(op) || isOperator(op));
  await expectStatus(targets.map((op) => ({ op, res: send(op, {}, JSON_BODY), allowed: [401] })));
  assert.equal(await victimState(), before);
});

test('a merchant token on operator routes → 401; nothing changed', async () => {
  const before = await victimState();
  await expectStatus(operations.filter(isOperator).map((op) => ({ op, res: send(op, { authorization: `Bearer ${victim.token}` }, JSON_BODY), allowed: [401] })));
  assert.equal(await victimState(), before);
});

test('an expired session (bearer or cookie) → 401 on every merchant route; nothing changed', async () => {
  const before = await victimState();
  const expired = await createSession(stack.database.db, victim.tenantId, 1000, new Date(Date.now() - 60_000));
  const cases = apiOperations()
    .filter(isMerchant)
    .flatMap((op) => [
      { op, res: send(op, { authorization: `Bearer ${expired.token}` }, JSON_BODY), allowed: [401] },
      { op, res: send(op, { cookie: `zaiko_session=${expired.token}`, 'sec-fetch-site': 'same-origin' }, JSON_BODY), allowed: [401] },
    ]);
  await expectStatus(cases);
  assert.equal(await victimState(), before);
});

test("another tenant gets 404 for the victim's resources, and no request of theirs changes the victim", async () => {
  const before = await victimState();
  const withIds = apiOperations().filter((op) => isMerchant(op) && /\{[^}]+\}/.test(op.path));
  assert.ok(withIds.length > 0);
  await expectStatus(withIds.map((op) => ({ op, res: send(op, { authorization: `Bearer ${attacker.token}` }, JSON_BODY), allowed: [404] })));
  // Routes without ids act on the caller's own tenant: sent as the attacker (fresh session each, as
  // logout revokes one), none may touch the victim.
  for (const op of apiOperations().filter((o) => isMerchant(o) && !/\{/.test(o.path))) {
    const session = await createSession(stack.database.db, attacker.tenantId, 60_000, new Date());
    await (await send(op, { authorization: `Bearer ${session.token}` }, JSON_BODY)).arrayBuffer();
  }
  assert.equal(await victimState(), before);
});

test('a wrong content type → 415 on every /api/v1 route that takes a body or changes state; nothing changed', async () => {
  const before = await victimState();
  const changing = apiOperations().filter((op) => op.method !== 'GET');
  const cases = changing.flatMap((op) => {
    const auth = isOperator(op) ? OPERATOR_TOKEN : isMerchant(op) ? (victim.token as string) : undefined;
    const headers: Record<string, string> = auth ? { authorization: `Bearer ${auth}` } : {};
    const multipart = Boolean(op.requestBody?.content['multipart/form-data']);
    const wrong = [
      { type: 'application/x-www-form-urlencoded', text: 'a=1' },
      { type: 'text/plain', text: '{}' },
      multipart ? { type: 'application/json', text: '{}' } : { type: 'multipart/form-data; boundary=x', text: '--x--\r\n' },
    ];
    return wrong.map((body) => ({ op, res: send(op, headers, body), allowed: [415] }));
  });
  await expectStatus(cases);
  assert.equal(await victimState(), before);
});
