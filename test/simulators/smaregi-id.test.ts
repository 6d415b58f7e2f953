// The Smaregi simulator's スマレジID: users per contract, the login form, codes (single-use, bound to
// redirect_uri and the PKCE challenge), the token endpoint and userinfo.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newPkce, SmaregiIdClient } from '../../src/platforms/smaregi/smaregi-id';
import { startSmaregiSimulator, TEST_CLIENT_ID, TEST_CLIENT_SECRET, type RunningSmaregiSimulator } from '../../src/simulators/smaregi/testing';
import { simOwner, submitSmaregiIdForm } from '../support/smaregi-id';

const REDIRECT_URI = 'https://zaiko.example.jp/api/v1/auth/smaregi/callback';
let sim: RunningSmaregiSimulator;
let client: SmaregiIdClient;

before(async () => {
  sim = await startSmaregiSimulator();
  client = new SmaregiIdClient({ idBaseUrl: sim.baseUrl, clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET });
  for (const [contractId, users] of [
    ['sb_id_default', undefined],
    ['sb_id_staff', [{ email: 'boss@id.example', password: 'boss-pass', isOwner: true }, { email: 'clerk@id.example', password: 'clerk-pass', isOwner: false }]],
  ] as const) {
    const res = await fetch(`${sim.baseUrl}/__sim/contracts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contractId, stores: [{ storeId: '1', storeName: '本店' }], products: [], ...(users && { users }) }),
    });
    assert.equal(res.status, 201, await res.text());
  }
});
after(() => sim.close());

/** Logs in through the form and answers the code, with the verifier that goes with it. */
async function codeFor(user: { email: string; password: string }, redirectUri = REDIRECT_URI): Promise<{ code: string; codeVerifier: string; state: string | null }> {
  const pkce = newPkce();
  const location = await submitSmaregiIdForm(client.authorizeUrl({ state: 'st-1', codeChallenge: pkce.challenge, redirectUri }), user);
  const back = new URL(location);
  assert.equal(`${back.origin}${back.pathname}`, redirectUri);
  return { code: back.searchParams.get('code')!, codeVerifier: pkce.verifier, state: back.searchParams.get('state') };
}

describe('スマレジID login', () => {
  test('the default owner of a contract logs in; userinfo names the contract and the owner flag', async () => {
    const grant = await codeFor(simOwner('sb_id_default'));
    assert.equal(grant.state, 'st-1');
    const identity = await client.identify({ code: grant.code, codeVerifier: grant.codeVerifier, redirectUri: REDIRECT_URI });
    assert.equal(identity.contractId, 'sb_id_default');
    assert.equal(identity.isOwner, true);
  });

  test('a staff member is not the owner', async () => {
    const grant = await codeFor({ email: 'clerk@id.example', password: 'clerk-pass' });
    const identity = await client.identify({ ...grant, redirectUri: REDIRECT_URI });
    assert.deepEqual([identity.contractId, identity.isOwner], ['sb_id_staff', false]);
  });

  test('a wrong password shows the form again with an error, and no redirect', async () => {
    const pkce = newPkce();
    const url = client.authorizeUrl({ state: 's', codeChallenge: pkce.challenge, redirectUri: REDIRECT_URI });
    await assert.rejects(submitSmaregiIdForm(url, { email: 'boss@id.example', password: 'wrong' }), /メールアドレスまたはパスワードが正しくありません/);
  });

  test('a code works once, only with its verifier and its redirect_uri', async () => {
    const wrongVerifier = await codeFor(simOwner('sb_id_default'));
    await assert.rejects(client.identify({ ...wrongVerifier, codeVerifier: newPkce().verifier, redirectUri: REDIRECT_URI }), /answered 400/);
    const otherRedirect = await codeFor(simOwner('sb_id_default'));
    await assert.rejects(client.identify({ ...otherRedirect, redirectUri: 'https://evil.example/callback' }), /answered 400/);
    const good = await codeFor(simOwner('sb_id_default'));
    await client.identify({ ...good, redirectUri: REDIRECT_URI });
    await assert.rejects(client.identify({ ...good, redirectUri: REDIRECT_URI }), /answered 400/, 'a code is single-use');
  });

  test('the token endpoint wants the app credentials; authorize wants PKCE S256 and the app client_id', async () => {
    const grant = await codeFor(simOwner('sb_id_default'));
    const impostor = new SmaregiIdClient({ idBaseUrl: sim.baseUrl, clientId: TEST_CLIENT_ID, clientSecret: 'guess' });
    await assert.rejects(impostor.identify({ ...grant, redirectUri: REDIRECT_URI }), /answered 401/);
    const plain = new URL(client.authorizeUrl({ state: 's', codeChallenge: newPkce().challenge, redirectUri: REDIRECT_URI }));
    plain.searchParams.set('code_challenge_method', 'plain');
    assert.equal((await fetch(plain)).status, 400);
    const otherClient = new URL(client.authorizeUrl({ state: 's', codeChallenge: newPkce().challenge, redirectUri: REDIRECT_URI }));
    otherClient.searchParams.set('client_id', 'someone-else');
    assert.equal((await fetch(otherClient)).status, 400);
  });

  test('an email belongs to one contract', async () => {
    const res = await fetch(`${sim.baseUrl}/__sim/contracts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contractId: 'sb_id_other', stores: [{ storeId: '1', storeName: '本店' }], products: [], users: [{ email: 'boss@id.example', password: 'x', isOwner: true }] }),
    });
    assert.equal(res.status, 400);
  });
});
