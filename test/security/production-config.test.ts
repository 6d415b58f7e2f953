// Item 4: with NODE_ENV=production the configuration refuses the embedded stack's conveniences, each
// with its own message, so a deployment cannot start on simulator credentials or plain http.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config';
import { generateSecretKey } from '../../src/storage/crypto';

const PRODUCTION = {
  NODE_ENV: 'production',
  PUBLIC_BASE_URL: 'https://zaiko.example.jp',
  APP_SECRET_KEY: generateSecretKey(),
  OPERATOR_TOKEN: 'operator-token-0123456789abcdef',
  SMAREGI_CLIENT_ID: 'real-client-id',
  SMAREGI_CLIENT_SECRET: 'real-client-secret',
  SMAREGI_WEBHOOK_HEADER_VALUE: 'a-long-random-webhook-secret',
  MAKESHOP_APP_API_KEY: 'real-app-api-key',
  MAKESHOP_APP_LAUNCH_SECRET: 'real-app-launch-secret',
};

function problemsOf(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail('the configuration was accepted');
}

test('a complete production configuration is accepted', () => {
  const config = loadConfig(PRODUCTION);
  assert.equal(config.NODE_ENV, 'production');
  assert.equal(config.TRUST_PROXY, false);
  assert.equal(config.PASSWORD_HASH_LOG2N, 17);
});

const refusals: [string, NodeJS.ProcessEnv, RegExp][] = [
  ['the simulator client id', { SMAREGI_CLIENT_ID: undefined }, /- SMAREGI_CLIENT_ID: is the simulator's default \(sim-client-id\)/],
  ['the simulator client secret', { SMAREGI_CLIENT_SECRET: 'sim-client-secret' }, /- SMAREGI_CLIENT_SECRET: is the simulator's default/],
  ['the simulator webhook secret', { SMAREGI_WEBHOOK_HEADER_VALUE: undefined }, /- SMAREGI_WEBHOOK_HEADER_VALUE: is the simulator's default \(sim-webhook-secret\)/],
  ['the simulator MakeShop app api key', { MAKESHOP_APP_API_KEY: undefined }, /- MAKESHOP_APP_API_KEY: is the simulator's default/],
  ['the simulator MakeShop app launch secret', { MAKESHOP_APP_LAUNCH_SECRET: undefined }, /- MAKESHOP_APP_LAUNCH_SECRET: is the simulator's default/],
  ['a non-https PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'http://zaiko.example.jp' }, /- PUBLIC_BASE_URL: must be an https:\/\/ URL in production/],
  ['no secret key', { APP_SECRET_KEY: undefined }, /- APP_SECRET_KEYS: is required in production \(or APP_SECRET_KEY\)/],
  ['no operator token', { OPERATOR_TOKEN: undefined }, /- OPERATOR_TOKEN: is required in production/],
  ["the tests' password hashing cost", { PASSWORD_HASH_LOG2N: '14' }, /- PASSWORD_HASH_LOG2N: must be at least 17 in production/],
];
for (const [what, change, message] of refusals) {
  test(`production refuses ${what}, saying so`, () => {
    const text = problemsOf({ ...PRODUCTION, ...change });
    assert.match(text, message);
    assert.equal(text.split('\n').filter((l) => l.startsWith('  - ')).length, 1, text);
  });
}

test('every problem at once is listed in one message', () => {
  const text = problemsOf({ NODE_ENV: 'production' });
  for (const name of ['SMAREGI_CLIENT_ID', 'SMAREGI_CLIENT_SECRET', 'SMAREGI_WEBHOOK_HEADER_VALUE', 'PUBLIC_BASE_URL', 'APP_SECRET_KEYS', 'OPERATOR_TOKEN']) {
    assert.match(text, new RegExp(`- ${name}:`));
  }
});

test('outside production the simulator defaults still start the embedded stack', () => {
  assert.equal(loadConfig({}).SMAREGI_CLIENT_ID, 'sim-client-id');
});

test('APP_SECRET_KEYS takes a comma-separated list, newest first, and refuses a bad key', () => {
  const [a, b] = [generateSecretKey(), generateSecretKey()];
  assert.deepEqual(loadConfig({ APP_SECRET_KEYS: `${a}, ${b}` }).APP_SECRET_KEYS, [a, b]);
  assert.equal(loadConfig({ APP_SECRET_KEYS: '' }).APP_SECRET_KEYS, undefined);
  assert.match(problemsOf({ APP_SECRET_KEYS: `${a},short` }), /- APP_SECRET_KEYS\.1: must be 32 random bytes/);
});

test('TRUST_PROXY is a flag and defaults to false', () => {
  assert.equal(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY, true);
  assert.equal(loadConfig({}).TRUST_PROXY, false);
  assert.match(problemsOf({ TRUST_PROXY: 'yes' }), /- TRUST_PROXY: must be true or false/);
});
