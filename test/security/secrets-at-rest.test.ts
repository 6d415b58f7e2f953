// Item 7: AES-256-GCM with a pinned 128-bit tag, key ids, rotation through APP_SECRET_KEYS, and the
// re-encryption command run as an operator would (its own process, progress lines), on real FerretDB.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateSecretKey, keyIdOf, SecretBox, UnknownKeyError, type EncryptedValue } from '../../src/storage/crypto';
import { loadMakeshopCredentials, saveMakeshopCredentials } from '../../src/storage/secrets';
import { testDatabase, testInfra } from '../support/infra';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const [OLD_KEY, NEW_KEY] = [generateSecretKey(), generateSecretKey()];
const CREDENTIALS = { accountId: 'shop-admin', password: 'Pw-rotate-1', orderAuthCode: 'auth-code-rotate' };

let database: Awaited<ReturnType<typeof testDatabase>>;
before(async () => {
  database = await testDatabase('sec_keys');
});
after(async () => {
  await database.drop();
});

test('values carry the id of the key that sealed them; a truncated tag is refused', () => {
  const box = new SecretBox(OLD_KEY);
  const sealed = box.seal('secret', 'tn_1:makeshop:password');
  assert.equal(sealed.v, 2);
  assert.equal(sealed.kid, keyIdOf(Buffer.from(OLD_KEY, 'base64')));
  assert.equal(Buffer.from(sealed.tag, 'base64').length, 16);
  assert.equal(box.open(sealed, 'tn_1:makeshop:password'), 'secret');
  const truncated: EncryptedValue = { ...sealed, tag: Buffer.from(sealed.tag, 'base64').subarray(0, 4).toString('base64') };
  assert.throws(() => box.open(truncated, 'tn_1:makeshop:password'));
  assert.throws(() => box.open(sealed, 'tn_2:makeshop:password'), 'another context does not open');
});

test('after rotation the new key seals, the old one still opens; without the old key its values fail clearly', () => {
  const before = new SecretBox(OLD_KEY).seal('secret', 'ctx');
  const rotated = new SecretBox([NEW_KEY, OLD_KEY]);
  assert.equal(rotated.open(before, 'ctx'), 'secret');
  assert.equal(rotated.seal('x', 'ctx').kid, keyIdOf(Buffer.from(NEW_KEY, 'base64')));
  assert.ok(rotated.isStale(before));
  assert.throws(() => new SecretBox(NEW_KEY).open(before, 'ctx'), UnknownKeyError);
});

test('values sealed before key ids existed (v 1) open with any listed key', () => {
  const legacy = new SecretBox(OLD_KEY).seal('secret', 'ctx');
  const v1: EncryptedValue = { v: 1, iv: legacy.iv, tag: legacy.tag, data: legacy.data };
  assert.equal(new SecretBox([NEW_KEY, OLD_KEY]).open(v1, 'ctx'), 'secret');
});

test('npm run secrets:reencrypt reseals every stored secret with the newest key, printing progress; the old key can then go', async () => {
  const oldBox = new SecretBox(OLD_KEY);
  const tenants = ['tn_rot_a', 'tn_rot_b', 'tn_rot_c'];
  for (const tenantId of tenants) await saveMakeshopCredentials(database.db, oldBox, tenantId, CREDENTIALS, new Date());

  const { APP_SECRET_KEY: _single, ...inherited } = process.env;
  const env = { ...inherited, MONGODB_URL: testInfra().mongoUrl, MONGODB_DB: database.name, APP_SECRET_KEYS: `${NEW_KEY},${OLD_KEY}` };
  const { stdout } = await run(join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/cli/reencrypt-secrets.ts'], { cwd: ROOT, env, timeout: 120_000 });
  assert.match(stdout, /\[reencrypt\] 3\/3 documents scanned, 3 resealed/);
  assert.match(stdout, /done: 3 of 3 documents resealed/);

  const newOnly = new SecretBox(NEW_KEY);
  for (const tenantId of tenants) {
    const loaded = await loadMakeshopCredentials(database.db, newOnly, tenantId);
    assert.equal(loaded?.password, CREDENTIALS.password);
    assert.equal(loaded?.orderAuthCode, CREDENTIALS.orderAuthCode);
  }
  const again = await run(join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/cli/reencrypt-secrets.ts'], { cwd: ROOT, env, timeout: 120_000 });
  assert.match(again.stdout, /done: 0 of 3 documents resealed/, 'a second run has nothing left to do');
});
