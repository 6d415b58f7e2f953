// Item 9: the secrets scan of test/onboarding/secrets-and-alerts.test.ts, extended to today's secrets:
// the secret keys (APP_SECRET_KEYS), the operator token, the Smaregi webhook secret, the MakeShop
// notification token and session tokens never appear in logs, API answers or workflow histories,
// whatever the requests (successful, refused, failing).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSecretKey } from '../../src/storage/crypto';
import { textOf } from '../support/capture';
import { OPERATOR_TOKEN, seedSmaregiContract, signUp, startStack, type Stack } from '../support/stack';

const OLD_KEY = generateSecretKey();

let stack: Stack;
let tenant: { tenantId: string; token: string };
/** The Smaregi webhook secret the stack's api and Smaregi simulator share. */
const webhookSecret = () => ({ name: stack.config.SMAREGI_WEBHOOK_HEADER_NAME, value: stack.config.SMAREGI_WEBHOOK_HEADER_VALUE });

before(async () => {
  stack = await startStack('sec_scan', { captureLogs: true, config: { APP_SECRET_KEYS: [process.env.APP_SECRET_KEY!, OLD_KEY] } });
  await seedSmaregiContract(stack, { contractId: 'sb_scan_1', stores: [{ storeId: '1', storeName: '本店' }] });
  tenant = await signUp(stack, { email: 'scan@example.jp', smaregiContractId: 'sb_scan_1' });
});
after(async () => {
  await stack?.close();
});

test('no log line, API answer or workflow history carries a secret', async () => {
  const answers: string[] = [];
  const keep = async (res: Response) => {
    answers.push(`${res.status} ${[...res.headers.entries()].filter(([name]) => name !== 'set-cookie').map((e) => e.join(': ')).join('\n')}\n${await res.text()}`);
  };
  const base = stack.apiUrl;
  const asMerchant = { authorization: `Bearer ${tenant.token}` };
  const asOperator = { authorization: `Bearer ${OPERATOR_TOKEN}` };

  const orderImport = (await stack.http<{ notificationUrl: string }>('GET', '/api/v1/order-import', { token: tenant.token })).body;
  const notificationToken = /orders\/([^?]+)\?/.exec(orderImport.notificationUrl)?.[1] ?? '';
  assert.ok(notificationToken.length > 20);

  // Logins: wrong, right, from a browser; a second session.
  await keep(await fetch(`${base}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'scan@example.jp', password: 'wrong-password' }) }));
  const login = await fetch(`${base}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'scan@example.jp', password: 'merchant-pass-123' }) });
  // (This answer is the one place an API client receives its own token.)
  const session2 = ((await login.json()) as { token: string }).token;
  // Webhooks: a wrong secret, the right one for an unknown contract, a notification for a good and a bad token.
  for (const secret of ['wrong-secret-value', webhookSecret().value]) {
    await keep(await fetch(`${base}/webhooks/smaregi`, { method: 'POST', headers: { 'content-type': 'application/json', [webhookSecret().name]: secret, 'smaregi-contract-id': 'sb_unknown', 'smaregi-event': 'pos:stock', 'smaregi-event-id': 'e1' }, body: '{"contractId":"sb_unknown","event":"pos:stock","action":"edited","ids":[]}' }));
  }
  await keep(await fetch(`${base}/webhooks/makeshop/orders/${notificationToken}?shopid=nobody&ordernum=1&cmd=0`));
  await keep(await fetch(`${base}/webhooks/makeshop/orders/${notificationToken}x?shopid=nobody&ordernum=1&cmd=0`));
  // Operator surfaces, with and without the token; every merchant GET route.
  for (const path of ['/metrics', '/readyz', '/api/v1/operator/tenants']) {
    await keep(await fetch(`${base}${path}`));
    await keep(await fetch(`${base}${path}`, { headers: asOperator }));
  }
  const doc = (await stack.http<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/v1/openapi.json')).body;
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (!('get' in methods) || !path.startsWith('/api/v1/') || path.includes('{')) continue;
    await keep(await fetch(`${base}${path}`, { headers: asMerchant, redirect: 'manual' }));
  }

  const secrets: Record<string, string> = {
    newestKey: process.env.APP_SECRET_KEY!,
    oldKey: OLD_KEY,
    operatorToken: OPERATOR_TOKEN,
    webhookSecret: webhookSecret().value,
    session: tenant.token,
    session2,
  };
  const answerText = answers.join('\n');
  // The notification URL is the merchant's own (shown at step 4): only that answer may carry the token.
  for (const [name, secret] of Object.entries(secrets)) assert.ok(!answerText.includes(secret), `${name} found in an API answer`);
  const logs = stack.logLines.join('\n');
  assert.ok(logs.length > 0, 'logs were captured');
  for (const [name, secret] of Object.entries({ ...secrets, notificationToken, accountPassword: 'merchant-pass-123' })) {
    assert.ok(!logs.includes(secret), `${name} found in the logs`);
  }
  for (const wf of await stack.workflowsOf(tenant.tenantId)) {
    const history = textOf(await stack.temporal.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory());
    for (const [name, secret] of Object.entries({ ...secrets, notificationToken })) assert.ok(!history.includes(secret), `${name} found in ${wf.workflowId}`);
  }
});
