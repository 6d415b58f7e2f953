// docker-compose.yml cannot run here (no Docker engine): check its shape and env wiring instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configSchema } from '../../src/config';

const root = join(__dirname, '..', '..');
type Service = { image?: string; build?: string; command?: string[]; ports?: string[]; environment?: Record<string, string>; depends_on?: unknown };
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };

/** Variables that only the embedded stack reads (its own servers and simulators). */
const EMBEDDED_ONLY = ['DATA_DIR', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'MONGODB_PORT', 'SMAREGI_SIM_PORT', 'MAKESHOP_SIM_PORT', 'MAILPIT_SMTP_PORT', 'MAILPIT_UI_PORT', 'HOST', 'PORT'];

test('production runs Temporal on PostgreSQL with its UI, MongoDB, the api and the worker — no simulators', () => {
  const names = Object.keys(compose.services).sort();
  assert.deepEqual(names, ['api', 'mongodb', 'postgresql', 'temporal', 'temporal-ui', 'worker']);
  assert.match(compose.services.temporal!.image!, /^temporalio\/auto-setup/);
  assert.equal(compose.services.temporal!.environment!.DB, 'postgres12');
  assert.equal(compose.services['temporal-ui']!.environment!.TEMPORAL_ADDRESS, 'temporal:7233');
  assert.match(compose.services.mongodb!.image!, /^mongo:/);
  for (const name of names) assert.doesNotMatch(name, /sim/);
});

test('api and worker are built from this repository and wired to Temporal and MongoDB', () => {
  const { api, worker } = compose.services;
  assert.deepEqual(api!.command, ['node', 'dist/api/main.js']);
  assert.deepEqual(worker!.command, ['node', 'dist/worker/main.js']);
  assert.ok(api!.ports!.some((p) => p.endsWith('3000:3000')));
  assert.ok(compose.services['temporal-ui']!.ports!.some((p) => p.endsWith(':8233:8080')));
  for (const svc of [api!, worker!]) {
    assert.equal(svc.build, '.');
    assert.equal(svc.environment!.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.match(svc.environment!.MONGODB_URL!, /@mongodb:27017\//);
  }
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /npm run build/);
  assert.match(dockerfile, /WORKFLOW_BUNDLE_PATH/);
});

test('every service setting reaches the app, and secrets come only from the environment', () => {
  const env = compose.services.api!.environment!;
  for (const name of Object.keys(configSchema.shape)) {
    if (EMBEDDED_ONLY.includes(name) && name !== 'HOST' && name !== 'PORT') continue;
    assert.ok(name in env, `${name} is not set for the api`);
  }
  for (const secret of ['APP_SECRET_KEY', 'OPERATOR_TOKEN', 'SMAREGI_CLIENT_SECRET', 'SMAREGI_WEBHOOK_HEADER_VALUE']) {
    assert.match(env[secret]!, /^\$\{[A-Z_]+:\?/, `${secret} must be required from the environment, never written in the file`);
  }
  assert.doesNotMatch(JSON.stringify(compose), /sim-client|127\.0\.0\.1:310[12]/);
});
