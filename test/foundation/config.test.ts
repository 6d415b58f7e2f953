import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, configSchema, loadConfig } from '../../src/config';

test('defaults match the documented embedded ports', () => {
  const config = loadConfig({});
  assert.equal(config.PORT, 3000);
  assert.equal(config.TEMPORAL_UI_PORT, 8233);
  assert.equal(config.SMAREGI_SIM_PORT, 3101);
  assert.equal(config.MAKESHOP_SIM_PORT, 3102);
  assert.equal(config.TEMPORAL_TASK_QUEUE, 'zaiko-sync');
});

test('a bad configuration stops start-up with one message listing every problem', () => {
  assert.throws(
    () => loadConfig({ PORT: 'abc', MONGODB_URL: 'postgres://x', APP_SECRET_KEY: 'short', PUBLIC_BASE_URL: 'not a url' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      for (const name of ['PORT', 'MONGODB_URL', 'APP_SECRET_KEY', 'PUBLIC_BASE_URL']) assert.match(err.message, new RegExp(`- ${name}:`));
      return true;
    },
  );
});

test('the worker workflow cache is the SDK default unless a size is given (compose passes an empty value)', () => {
  assert.equal(loadConfig({}).WORKER_CACHED_WORKFLOWS, undefined);
  assert.equal(loadConfig({ WORKER_CACHED_WORKFLOWS: '' }).WORKER_CACHED_WORKFLOWS, undefined);
  assert.equal(loadConfig({ WORKER_CACHED_WORKFLOWS: '1200' }).WORKER_CACHED_WORKFLOWS, 1200);
  assert.throws(() => loadConfig({ WORKER_CACHED_WORKFLOWS: 'many' }), /WORKER_CACHED_WORKFLOWS/);
});

test('.env.example documents every variable the schema reads', async () => {
  const example = await readFile(join(__dirname, '..', '..', '.env.example'), 'utf8');
  for (const name of Object.keys(configSchema.shape)) assert.match(example, new RegExp(`^#? ?${name}=`, 'm'), `${name} missing`);
});
