import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../support/api';
import { temporalClient, testDatabase } from '../support/infra';

let api: Awaited<ReturnType<typeof startTestApi>>;
let database: Awaited<ReturnType<typeof testDatabase>>;
let temporal: Awaited<ReturnType<typeof temporalClient>>;

before(async () => {
  database = await testDatabase('api');
  temporal = await temporalClient();
  api = await startTestApi({ db: database.db, temporal: temporal.client, config: { OPERATOR_TOKEN } });
});
const OPERATOR_TOKEN = 'operator-token-for-api-tests-0123';
const asOperator = { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } };
after(async () => {
  await api.close();
  await temporal.connection.close();
  await temporal.native.close();
  await database.drop();
});

test('GET /healthz answers while the process is up', async () => {
  const res = await fetch(`${api.baseUrl}/healthz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
});

test('GET /readyz checks Temporal and MongoDB for real', async () => {
  const res = await fetch(`${api.baseUrl}/readyz`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { checks: { mongodb: { ok: boolean }; temporal: { ok: boolean } } };
  assert.equal(body.checks.mongodb.ok, true);
  assert.equal(body.checks.temporal.ok, true);
});

test('GET /readyz is 503 when MongoDB is gone; the error text only for the operator', async () => {
  const other = await testDatabase('api-down');
  const broken = await startTestApi({ db: other.db, temporal: temporal.client, config: { OPERATOR_TOKEN } });
  await other.client.close(); // the app's database connection is now closed
  type Checks = { checks: { mongodb: { ok: boolean; error?: string }; temporal: { ok: boolean } } };
  const res = await fetch(`${broken.baseUrl}/readyz`);
  assert.equal(res.status, 503);
  const body = (await res.json()) as Checks;
  assert.equal(body.checks.mongodb.ok, false);
  assert.equal(body.checks.mongodb.error, undefined);
  assert.equal(body.checks.temporal.ok, true);
  const detailed = (await (await fetch(`${broken.baseUrl}/readyz`, asOperator)).json()) as Checks;
  assert.ok(detailed.checks.mongodb.error);
  await broken.close();
});

test('GET /metrics serves Prometheus text including request durations, to the operator only', async () => {
  await fetch(`${api.baseUrl}/healthz`);
  assert.equal((await fetch(`${api.baseUrl}/metrics`)).status, 401);
  const res = await fetch(`${api.baseUrl}/metrics`, asOperator);
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, /zaiko_http_request_duration_seconds_bucket\{.*route="\/healthz"/);
  assert.match(text, /process_cpu_user_seconds_total/);
});
