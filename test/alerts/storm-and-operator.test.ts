// The quiet side of alerts: a push that cannot get through for longer than ALERT_STALL_MS raises one
// alert; a storm of a thousand refused items sends one mail, then one digest once the kind's window
// has passed; OpenAlerts and /metrics follow; the operators' alert for an application left waiting.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, eventually } from '../support/platforms';
import { mailsTo, waitForMails } from '../support/mailpit';
import { OPERATOR_TOKEN, startStack, type Stack } from '../support/stack';
import { linkSmaregiContract, simOwner } from '../support/smaregi-id';
import { OpenAlertsKey, TenantIdKey } from '../../src/temporal/search-attributes';
import { alertWorld, addressOf, exactlyOneMail, merchantWithConfirmedAddress, replaceShop, smaregiSale, waitForAlert, waitForRefusals } from './support';

const MAIL_INTERVAL_MS = 8000;
const OPERATOR_EMAIL = 'ops-alerts@example.jp';
let stack: Stack;

before(async () => {
  stack = await startStack('alertstorm', {
    alerts: { stallMs: 1000, mailIntervalMs: MAIL_INTERVAL_MS, operatorEmail: OPERATOR_EMAIL },
    onboarding: { applicationReportAfterMs: 2000 },
  });
});
after(async () => {
  await stack?.close();
});

async function metric(name: string, labels: string): Promise<number | undefined> {
  const text = (await (await fetch(`${stack.apiUrl}/metrics`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } })).text()).split('\n');
  const line = text.find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

async function openAlertsAttribute(tenantId: string): Promise<number | undefined> {
  for await (const wf of stack.temporal.client.workflow.list({ query: `${TenantIdKey.name} = "${tenantId}" AND WorkflowType = "syncWorkflow"` })) {
    return wf.typedSearchAttributes.get(OpenAlertsKey);
  }
  return undefined;
}

describe('the sync unable to push while 稼働', () => {
  const world = alertWorld('stall');
  test('longer than ALERT_STALL_MS: one mail; OpenAlerts and the metrics count it; resolved by the next push that gets through', async () => {
    const { tenantId, token } = await merchantWithConfirmedAddress(stack, world);
    const faults = `${stack.platforms.makeshop.baseUrl}/__sim/faults`;
    await postJson(faults, { errorRate: 1 }, 'PUT');
    try {
      await smaregiSale(stack, world, 'A-001');
      await waitForAlert(stack, token, 'sync-stalled', 'open');
    } finally {
      await postJson(faults, { errorRate: 0 }, 'PUT');
    }
    await exactlyOneMail(stack, world, /在庫を MakeShop に送信できない状態が続いています/, '#/status');
    await waitForAlert(stack, token, 'sync-stalled', 'resolved');
    await eventually(async () => assert.equal(await openAlertsAttribute(tenantId), 0), 20_000, 300);
    assert.equal(await metric('zaiko_alerts_open', 'kind="sync-stalled"'), 0);
  });
});

describe('a storm of a thousand failures', () => {
  const world = alertWorld('storm', { products: 1000 });
  test('one mail for the first, one digest for the other 999 once the window has passed, nothing more', async () => {
    const { tenantId, token } = await merchantWithConfirmedAddress(stack, world);
    const subject = /在庫の更新を受け付けない商品があります/;
    const keep = (codes: string[]) => world.shop.products.filter((p) => !codes.includes(p.customCode));
    // The merchant deletes one item in the MakeShop admin (refused three times in a row: the alert), then
    // all of them: three full pushes refused row by row, 3,000 refusals.
    await replaceShop(stack, world, token, { products: keep(['S-00000']) });
    for (const refusals of [1, 2, 3]) {
      await smaregiSale(stack, world, 'S-00000');
      await waitForRefusals(stack, token, 'S-00000', refusals);
    }
    const [first] = await waitForMails(addressOf(world), subject, 1, 60_000);
    assert.match(first!.text, /「S-00000」/);
    await replaceShop(stack, world, token, { products: keep(world.products.map((p) => p.productCode)) });
    for (const pushes of [1, 2, 3]) {
      assert.equal((await stack.http('POST', '/api/v1/sync/resync', { token })).status, 202);
      await eventually(async () => {
        const log = await stack.http<{ kind: string; ok: boolean }[]>('GET', '/api/v1/sync/log?limit=500', { token });
        assert.equal(log.body.filter((e) => e.kind === 'resync' && !e.ok).length, pushes);
      }, 120_000, 500);
    }
    await eventually(async () => assert.equal(await metric('zaiko_alerts_open', 'kind="item-push-rejected"'), 1000), 120_000, 500);
    await eventually(async () => assert.equal(await openAlertsAttribute(tenantId), 1000), 30_000, 300);

    const digest = (await waitForMails(addressOf(world), subject, 2, 60_000))[1]!;
    assert.match(digest.subject, /まとめ.*999件/);
    assert.ok(digest.receivedAt - first!.receivedAt >= MAIL_INTERVAL_MS - 1000, 'the digest waited for the window');
    for (const code of ['S-00001', 'S-00500', 'S-00999']) assert.ok(digest.text.includes(`「${code}」`), code);
    // Nothing more: the thousand alerts stay open, and no new occurrence means no new mail.
    await new Promise((r) => setTimeout(r, MAIL_INTERVAL_MS + 2000));
    assert.equal((await mailsTo(addressOf(world))).filter((m) => subject.test(m.subject)).length, 2);
  });
});

describe('operators', () => {
  test('the operator alert list names every tenant that needs help', async () => {
    const res = await stack.http<{ tenantId: string; kind: string; audience: string; resolvedAt?: string }[]>('GET', '/api/v1/operator/alerts?open=true', {
      token: OPERATOR_TOKEN,
    });
    assert.equal(res.status, 200);
    assert.ok(res.body.some((a) => a.kind === 'item-push-rejected' && a.audience === 'merchant' && a.resolvedAt === undefined));
    assert.equal((await stack.http('GET', '/api/v1/operator/alerts')).status, 401);
  });

  test('a MakeShop application waiting longer than the limit: one mail to the operators, resolved by the approval', async () => {
    const world = alertWorld('waiting');
    await postJson(`${stack.platforms.smaregi.baseUrl}/__sim/contracts`, { contractId: world.contractId, stores: world.stores, products: [], stock: [] });
    const signUp = await stack.http<{ tenantId: string; token: string }>('POST', '/api/v1/accounts', {
      body: { email: addressOf(world), password: 'merchant-password-1', shopName: world.shopId },
    });
    assert.equal(signUp.status, 201);
    const { tenantId, token } = signUp.body;
    stack.tenantIds.push(tenantId);
    await linkSmaregiContract(stack.apiUrl, { token }, simOwner(world.contractId));
    const form = { shopName: world.shopId, userName: '在庫 太郎', shopId: world.shopId, shopUrl: `https://${world.shopId}.example.jp` };
    assert.equal((await stack.http('POST', '/api/v1/onboarding/makeshop-application', { token, body: form })).status, 202);

    const [mail] = await waitForMails(OPERATOR_EMAIL, /^【在庫連携】MakeShop 利用申請/, 1, 60_000);
    assert.ok(mail!.text.includes(tenantId));
    assert.ok(mail!.text.includes(`${stack.apiUrl}/api/v1/operator/alerts`));
    const waiting = async () =>
      (await stack.http<{ tenantId: string; kind: string; resolvedAt?: string }[]>('GET', '/api/v1/operator/alerts?audience=operator', { token: OPERATOR_TOKEN })).body.find(
        (a) => a.tenantId === tenantId && a.kind === 'application-waiting',
      );
    assert.equal((await waiting())?.resolvedAt, undefined);
    assert.equal(await metric('zaiko_alerts_open', 'kind="application-waiting"'), 1);
    // The merchant does not see operator alerts.
    assert.deepEqual((await stack.http<unknown[]>('GET', '/api/v1/alerts', { token })).body, []);

    const approve = await stack.http('POST', `/api/v1/operator/tenants/${tenantId}/makeshop-application/approve`, { token: OPERATOR_TOKEN });
    assert.equal(approve.status, 200);
    await eventually(async () => assert.ok((await waiting())?.resolvedAt), 30_000, 200);
    const reports = (await mailsTo(OPERATOR_EMAIL)).filter((m) => /^【在庫連携】MakeShop 利用申請/.test(m.subject) && m.text.includes(tenantId));
    assert.equal(reports.length, 1);
  });
});
