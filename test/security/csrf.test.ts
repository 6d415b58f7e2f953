// Item 6: a foreign page cannot change anything with the merchant's cookie, cannot log the merchant
// into another account, and cannot send form bodies; the token stays out of browsers' reach; API
// answers are not cached.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seedSmaregiContract, signUp, startStack, type Stack } from '../support/stack';

const PUBLIC_ORIGIN = 'https://zaiko.example.jp'; // the stack's PUBLIC_BASE_URL here: a proxy in front of the api
const SETTINGS = { storeIds: ['1'], buffer: 2, overrides: [] };

let stack: Stack;
let cookie: string;
let token: string;

before(async () => {
  stack = await startStack('sec_csrf', { config: { PUBLIC_BASE_URL: `${PUBLIC_ORIGIN}/` } });
  await seedSmaregiContract(stack, { contractId: 'sb_csrf_1', stores: [{ storeId: '1', storeName: '本店' }] });
  const account = await signUp(stack, { email: 'csrf@example.jp', smaregiContractId: 'sb_csrf_1' });
  cookie = account.cookie.split(';')[0]!;
  token = account.token;
});
after(async () => {
  await stack?.close();
});

const settings = async () => (await stack.http<typeof SETTINGS>('GET', '/api/v1/stock-settings', { token })).body;
const putSettings = (headers: Record<string, string>, body = JSON.stringify(SETTINGS)) =>
  fetch(`${stack.apiUrl}/api/v1/stock-settings`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body });

describe('cookie-authenticated state changes need our own origin', () => {
  const refused: [string, Record<string, string>][] = [
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }],
    ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site', origin: 'https://shop.zaiko.example.jp' }],
    ['a foreign Origin (older browser)', { origin: 'https://evil.example' }],
    ['Origin: null (sandboxed frame)', { origin: 'null' }],
    ['neither header', {}],
  ];
  for (const [what, headers] of refused) {
    test(`${what} → 403 in Japanese, nothing changed`, async () => {
      const before = await settings();
      const res = await putSettings({ cookie, ...headers });
      assert.equal(res.status, 403);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'cross_site_request');
      assert.match(body.error.message, /管理画面/);
      assert.deepEqual(await settings(), before);
    });
  }

  test('logout by a foreign page is refused too', async () => {
    const res = await fetch(`${stack.apiUrl}/api/v1/sessions`, { method: 'DELETE', headers: { cookie, 'sec-fetch-site': 'cross-site' } });
    assert.equal(res.status, 403);
    assert.equal((await stack.http('GET', '/api/v1/onboarding', { headers: { cookie } })).status, 200);
  });

  test('the admin UI (same-origin) and our public origin are accepted', async () => {
    assert.equal((await putSettings({ cookie, 'sec-fetch-site': 'same-origin', origin: stack.apiUrl })).status, 200);
    assert.equal((await putSettings({ cookie, origin: PUBLIC_ORIGIN })).status, 200);
    assert.equal((await putSettings({ cookie, origin: stack.apiUrl })).status, 200);
  });

  test('a bearer token is not a cookie: API clients need no Origin', async () => {
    assert.equal((await putSettings({ authorization: `Bearer ${token}` })).status, 200);
  });

  test('reading with the cookie needs no Origin (GET changes nothing)', async () => {
    assert.equal((await fetch(`${stack.apiUrl}/api/v1/stock-settings`, { headers: { cookie, 'sec-fetch-site': 'cross-site' } })).status, 200);
  });
});

describe('the API takes JSON only (multipart on the upload route)', () => {
  const bodies: [string, string, string][] = [
    ['a form-encoded body', 'application/x-www-form-urlencoded', 'storeIds=1&buffer=2'],
    ['a text/plain body holding JSON', 'text/plain', JSON.stringify(SETTINGS)],
    ['a multipart body', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="buffer"\r\n\r\n2\r\n--x--\r\n'],
    ['a body with no content type', '', JSON.stringify(SETTINGS)],
  ];
  for (const [what, type, body] of bodies) {
    test(`${what} → 415, nothing changed (even same-origin, even with a bearer token)`, async () => {
      const before = await settings();
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (type) headers['content-type'] = type;
      const res = await fetch(`${stack.apiUrl}/api/v1/stock-settings`, { method: 'PUT', headers, body: type ? body : new Blob([body]) });
      assert.equal(res.status, 415);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /JSON形式/);
      assert.deepEqual(await settings(), before);
    });
  }

  test('the CSV upload route refuses a form-encoded body with 415 and says multipart', async () => {
    const res = await fetch(`${stack.apiUrl}/api/v1/catalog/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'productCsv=a&optionCsv=b',
    });
    assert.equal(res.status, 415);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /multipart\/form-data/);
  });
});

describe('login CSRF', () => {
  const logIn = (headers: Record<string, string>, body: string, type = 'application/json') =>
    fetch(`${stack.apiUrl}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': type, ...headers }, body });
  const credentials = JSON.stringify({ email: 'csrf@example.jp', password: 'merchant-pass-123' });

  test('a foreign page cannot log the browser in: 403 for cross-site, 415 for a form post, and no cookie is set', async () => {
    for (const res of [
      await logIn({ 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }, credentials),
      await logIn({ origin: 'https://evil.example' }, credentials),
    ]) {
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('set-cookie'), null);
    }
    const form = await logIn({ 'sec-fetch-site': 'cross-site' }, 'email=csrf%40example.jp&password=merchant-pass-123', 'application/x-www-form-urlencoded');
    assert.ok(form.status === 403 || form.status === 415, String(form.status));
    assert.equal(form.headers.get('set-cookie'), null);
    const signUpForm = await fetch(`${stack.apiUrl}/api/v1/accounts`, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, body: '{}' });
    assert.equal(signUpForm.status, 403);
  });

  test('a browser login gets the HttpOnly cookie and no token in JSON; an API client gets the token', async () => {
    const browser = await logIn({ 'sec-fetch-site': 'same-origin', origin: stack.apiUrl }, credentials);
    assert.equal(browser.status, 200);
    const body = (await browser.json()) as { tenantId: string; token?: string };
    assert.equal(body.token, undefined);
    assert.equal(body.tenantId, stack.tenantIds[0]);
    assert.match(browser.headers.get('set-cookie') ?? '', /zaiko_session=.+; .*httponly/i);
    const client = (await (await logIn({}, credentials)).json()) as { token?: string };
    assert.ok(client.token && client.token.length > 20);
  });
});

test('API answers, errors included, carry Cache-Control: no-store', async () => {
  for (const res of [
    await fetch(`${stack.apiUrl}/api/v1/onboarding`, { headers: { authorization: `Bearer ${token}` } }),
    await fetch(`${stack.apiUrl}/api/v1/onboarding`),
    await fetch(`${stack.apiUrl}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
    await fetch(`${stack.apiUrl}/api/v1/nowhere`, { headers: { authorization: `Bearer ${token}` } }),
  ]) {
    assert.equal(res.headers.get('cache-control'), 'no-store', res.url);
  }
});
