// Shared set-up for the onboarding tests: the real api on a free port, a real Worker on the shared
// workflow bundle with the onboarding activities, both platform simulators in-process, and every
// pino line the api and the activities write, captured for the secrets checks.
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import pino from 'pino';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Db } from 'mongodb';
import { createActivities } from '../../src/activities';
import { loadConfig, type Config } from '../../src/config';
import { applySubscriptionNotification } from '../../src/sync/subscription';
import type { OnboardingOptions } from '../../src/api/onboarding-deps';
import { SecretBox } from '../../src/storage/crypto';
import { ensureIndexes } from '../../src/storage/indexes';
import { createTenantSettings } from '../../src/storage/tenant-settings';
import { findTenantByContractId, findTenantByNotificationToken } from '../../src/storage/tenants';
import { LegacyMakeshopClient } from '../../src/platforms/makeshop/legacy-client';
import { SmaregiClient } from '../../src/platforms/smaregi/client';
import { createMakeshopSimulator } from '../../src/simulators/makeshop/app';
import { startSmaregiSimulator, TEST_CLIENT_ID, TEST_CLIENT_SECRET } from '../../src/simulators/smaregi/testing';
import { TenantIdKey } from '../../src/temporal/search-attributes';
import { startTestApi } from '../support/api';
import { linkSmaregiContract, simOwner } from '../support/smaregi-id';
import { testDatabase, testInfra, uniqueTaskQueue } from '../support/infra';

export const OPERATOR_TOKEN = 'operator-token-for-tests-0123456789';

export interface HttpAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

/** Collects every log line a pino logger writes, at trace level, with no redaction (stricter than production). */
function capturingLogger(name: string, lines: string[]) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return pino({ name, level: 'trace' }, sink);
}

export async function startHarness(
  label: string,
  temporal: { client: Client; native: NativeConnection },
  options: Partial<OnboardingOptions> = {},
  config: Partial<Config> = {},
) {
  const { bundlePath } = testInfra();
  const database = await testDatabase(`onb_${label}`);
  await ensureIndexes(database.db);
  const taskQueue = uniqueTaskQueue(`onb-${label}`);
  const secretBox = new SecretBox(process.env.APP_SECRET_KEY!);
  const logLines: string[] = [];
  const apiLogger = capturingLogger('api', logLines);
  const workerLogger = capturingLogger('worker', logLines);

  const smaregiSim = await startSmaregiSimulator();
  const makeshopSim = createMakeshopSimulator({ minIntervalMs: 0, logger: capturingLogger('makeshop-sim', []) });
  const makeshopServer: Server = await makeshopSim.listen(0);
  const makeshopBaseUrl = `http://127.0.0.1:${(makeshopServer.address() as AddressInfo).port}`;

  const smaregi = new SmaregiClient({
    idBaseUrl: smaregiSim.baseUrl,
    apiBaseUrl: smaregiSim.baseUrl,
    clientId: TEST_CLIENT_ID,
    clientSecret: TEST_CLIENT_SECRET,
    logger: apiLogger,
    maxRetries: 0,
  });
  const makeshop = new LegacyMakeshopClient({ baseUrl: makeshopBaseUrl, minIntervalMs: 0, logger: apiLogger, maxRetries: 0 });
  const subscriptionDeps = { db: database.db, temporal: temporal.client, taskQueue, logger: apiLogger };

  const api = await startTestApi({
    db: database.db,
    temporal: temporal.client,
    logger: apiLogger,
    config: {
      TEMPORAL_TASK_QUEUE: taskQueue,
      OPERATOR_TOKEN,
      PUBLIC_BASE_URL: 'https://zaiko.example.jp/',
      SMAREGI_ID_BASE_URL: smaregiSim.baseUrl,
      SMAREGI_CLIENT_ID: TEST_CLIENT_ID,
      SMAREGI_CLIENT_SECRET: TEST_CLIENT_SECRET,
      MAKESHOP_GRAPHQL_URL: `${makeshopBaseUrl}/v1/graphql`,
      ...config,
    },
    onboarding: { secretBox, smaregi, makeshop, options: { workflowCallTimeoutMs: 20_000, ...options } },
    sync: { db: database.db, logger: apiLogger, smaregi, makeshop, tenants: createTenantSettings(database.db, secretBox) },
    webhookTenants: {
      byContractId: (contractId) => findTenantByContractId(database.db, contractId),
      byNotificationToken: (token) => findTenantByNotificationToken(database.db, token),
      applySubscription: async (contractId, action) => (await applySubscriptionNotification(subscriptionDeps, { contractId, action })) !== null,
    },
  });

  let running: { worker: Worker; done: Promise<void> } | null = null;
  async function startWorker(): Promise<void> {
    const worker = await Worker.create({
      connection: temporal.native,
      taskQueue,
      workflowBundle: { codePath: bundlePath },
      // The worker's real composition: the sync workflow each sign-up starts needs its activities too.
      activities: createActivities({
        config: { ...loadConfig(process.env), TEMPORAL_TASK_QUEUE: taskQueue },
        logger: workerLogger,
        db: database.db,
        temporal: temporal.client,
        secretBox,
        platforms: { smaregi, makeshop },
      }),
    });
    running = { worker, done: worker.run() };
  }
  async function stopWorker(): Promise<void> {
    if (!running) return;
    const { worker, done } = running;
    running = null;
    worker.shutdown();
    await done;
  }

  async function http<T = unknown>(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<HttpAnswer<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers,
      ...(opts.body !== undefined && { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T, headers: res.headers };
  }

  async function seedSmaregiContract(contractId: string, stores: { storeId: string; storeName: string }[]): Promise<void> {
    const res = await fetch(`${smaregiSim.baseUrl}/__sim/contracts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contractId, stores, products: [], stock: [] }),
    });
    if (!res.ok) throw new Error(`seeding Smaregi contract failed: ${res.status} ${await res.text()}`);
  }

  async function seedMakeshopShop(shop: { shopId: string; accountId: string; password: string; orderAuthCode: string }): Promise<void> {
    const res = await fetch(`${makeshopBaseUrl}/__sim/shops`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...shop, products: [], options: [] }),
    });
    if (!res.ok) throw new Error(`seeding MakeShop shop failed: ${res.status} ${await res.text()}`);
  }

  /** Every workflow of the tenant (onboarding, sync, …), found by the TenantId search attribute. */
  async function workflowsOf(tenantId: string) {
    const found = [];
    for await (const wf of temporal.client.workflow.list({ query: `${TenantIdKey.name} = "${tenantId}"` })) found.push(wf);
    return found;
  }

  async function close(tenantIds: string[] = []): Promise<void> {
    for (const tenantId of tenantIds) {
      for (const wf of await workflowsOf(tenantId)) {
        if (wf.status.name === 'RUNNING') await temporal.client.workflow.getHandle(wf.workflowId).terminate('test finished').catch(() => undefined);
      }
    }
    await stopWorker();
    await api.close();
    await smaregiSim.close();
    await new Promise<void>((resolve) => {
      makeshopServer.close(() => resolve());
      makeshopServer.closeAllConnections();
    });
    await database.drop();
  }

  return {
    api,
    smaregiSim,
    db: database.db as Db,
    taskQueue,
    secretBox,
    logLines,
    temporal,
    subscriptionDeps,
    http,
    startWorker,
    stopWorker,
    seedSmaregiContract,
    seedMakeshopShop,
    workflowsOf,
    close,
  };
}

/** Polls until `check` returns a value (not undefined); for effects that follow a signal. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sign-up, then step 1's contract link through スマレジID as the contract's (seeded) owner. */
export async function signUp(
  h: Harness,
  account: { email: string; password?: string; shopName?: string; smaregiContractId: string },
): Promise<{ tenantId: string; token: string; cookie: string }> {
  const { smaregiContractId, ...fields } = account;
  const res = await h.http<{ tenantId: string; token: string }>('POST', '/api/v1/accounts', {
    body: { password: 'merchant-pass-123', shopName: 'テスト商店', ...fields },
  });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
  await linkSmaregiContract(h.api.baseUrl, { token: res.body.token }, simOwner(smaregiContractId));
  return { ...res.body, cookie: res.headers.get('set-cookie') ?? '' };
}
