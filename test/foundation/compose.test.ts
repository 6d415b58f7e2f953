// docker-compose.yml cannot run here (no Docker engine): check its shape and env wiring instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configSchema } from '../../src/config';
import { WORKER_NODE_OPTIONS } from '../../src/worker/node-options';

const root = join(__dirname, '..', '..');
type Service = {
  image?: string;
  build?: string;
  command?: string[];
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: unknown;
};
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };

/** Variables that only the embedded stack reads (its own servers and simulators). */
const EMBEDDED_ONLY = ['DATA_DIR', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'MONGODB_PORT', 'SMAREGI_SIM_PORT', 'MAKESHOP_SIM_PORT', 'MAILPIT_SMTP_PORT', 'MAILPIT_UI_PORT', 'HOST', 'PORT'];

test('production runs Caddy, Temporal on PostgreSQL with its UI, MongoDB, the api and the worker — no simulators', () => {
  const names = Object.keys(compose.services).sort();
  assert.deepEqual(names, ['api', 'caddy', 'mongodb', 'postgresql', 'temporal', 'temporal-ui', 'worker']);
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
  for (const svc of [api!, worker!]) {
    assert.equal(svc.build, '.');
    assert.equal(svc.environment!.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.match(svc.environment!.MONGODB_URL!, /@mongodb:27017\//);
  }
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /npm run build/);
  assert.match(dockerfile, /WORKFLOW_BUNDLE_PATH/);
});

test('the worker runs with the V8 heap settings it is sized for; the api with Node defaults', () => {
  assert.equal(compose.services.worker!.environment!.NODE_OPTIONS, WORKER_NODE_OPTIONS);
  assert.equal(compose.services.api!.environment!.NODE_OPTIONS, undefined);
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
  assert.doesNotMatch(JSON.stringify(compose), /sim-client|sim-webhook|127\.0\.0\.1:310[12]/);
});

test('only Caddy is published: the api and the Temporal UI are reached through it, the UI with basic authentication', () => {
  const { caddy, api } = compose.services;
  for (const [name, svc] of Object.entries(compose.services)) {
    if (name === 'caddy') continue;
    for (const port of svc.ports ?? []) assert.match(port, /^127\.0\.0\.1:/, `${name} publishes ${port} beyond this host`);
  }
  assert.equal(api!.ports, undefined);
  assert.equal(compose.services['temporal-ui']!.ports, undefined);
  assert.deepEqual(caddy!.ports!.map((p) => p.split(':').at(-1)).sort(), ['443', '80', '8233']);
  assert.ok(caddy!.volumes!.some((v) => v.startsWith('./deploy/Caddyfile:/etc/caddy/Caddyfile')));
  assert.match(caddy!.environment!.TEMPORAL_UI_PASSWORD_HASH!, /^\$\{TEMPORAL_UI_PASSWORD_HASH:\?/);

  const caddyfile = readFileSync(join(root, 'deploy', 'Caddyfile'), 'utf8');
  const sites = caddyfile.split(/\n(?=\S[^\n]*\{\s*\n)/).filter((block) => block.startsWith('{$PUBLIC_DOMAIN}'));
  const apiSite = sites.find((b) => b.includes('reverse_proxy api:3000'));
  const uiSite = sites.find((b) => b.includes('reverse_proxy temporal-ui:8080'));
  assert.ok(apiSite && uiSite, 'one site proxies the api, one the Temporal UI');
  assert.match(uiSite!, /basic_auth \{\s*\{\$TEMPORAL_UI_USER\} \{\$TEMPORAL_UI_PASSWORD_HASH\}/);
  assert.doesNotMatch(apiSite!, /temporal-ui/);
  assert.doesNotMatch(caddyfile, /trusted_proxies/, 'Caddy must overwrite X-Forwarded-For, not extend a client-sent one');
});

test('the api trusts the proxy and runs with production settings', () => {
  const env = compose.services.api!.environment!;
  assert.equal(env.NODE_ENV, 'production');
  assert.equal(env.TRUST_PROXY, 'true');
  assert.match(env.PUBLIC_BASE_URL!, /^https:\/\//);
  assert.match(env.PASSWORD_HASH_LOG2N!, /:-17\}$/);
});

test('the app connects as a MongoDB user limited to its database, created by an init script', () => {
  const { mongodb, api, worker } = compose.services;
  for (const svc of [api!, worker!]) {
    const url = svc.environment!.MONGODB_URL!;
    assert.match(url, /^mongodb:\/\/\$\{MONGO_APP_USER:\?[^}]*\}:\$\{MONGO_APP_PASSWORD:\?[^}]*\}@mongodb:27017\//);
    assert.match(url, /authSource=\$\{MONGODB_DB:-zaiko_sync\}/);
    assert.doesNotMatch(url, /ROOT|authSource=admin/);
  }
  assert.ok(mongodb!.volumes!.includes('./deploy/mongo-init:/docker-entrypoint-initdb.d:ro'));
  const init = readFileSync(join(root, 'deploy', 'mongo-init', 'create-app-user.js'), 'utf8');
  assert.match(init, /createUser\(/);
  assert.match(init, /roles: \[\{ role: 'readWrite', db: dbName \}\]/);
  assert.deepEqual([...init.matchAll(/role: '([^']+)'/g)].map((m) => m[1]), ['readWrite'], 'no other role');
});
