// The whole service as `npm start` composes it — api, worker, both simulators — on this test run's real
// Temporal server and FerretDB. The worker runs in-process, or as its own OS process so a test can kill
// it (chaos). Merchants are set up through the public HTTP API only.
import type { Server } from 'node:http';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createServiceWorkers, runWorkers, shutdownWorkers } from '../../src/worker/service-workers';
import { createApp } from '../../src/api/app';
import { createActivities } from '../../src/activities';
import type { OnboardingOptions } from '../../src/api/onboarding-deps';
import { createAppDeps } from '../../src/composition';
import { loadConfig, secretKeysOf, type Config } from '../../src/config';
import { createLogger } from '../../src/lib/logger';
import { SecretBox } from '../../src/storage/crypto';
import { ensureIndexes } from '../../src/storage/indexes';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET } from '../../src/simulators/smaregi/testing';
import { TenantIdKey } from '../../src/temporal/search-attributes';
import { syncWorkflowId } from '../../src/workflows/messages';
import type { temporal as proto } from '@temporalio/proto';
import { freePort, startProcess, typescriptCommand, type ManagedProcess } from '../../src/dev/processes';
import { compiledEntry } from '../../src/dev/compile';
import { temporalClient, testDatabase, testInfra, uniqueTaskQueue } from './infra';
import { capturingLogger } from './capture';
import { getJson, postJson, startTestPlatforms, eventually } from './platforms';
import { linkSmaregiContract, simOwner, type SmaregiIdUser } from './smaregi-id';

export const OPERATOR_TOKEN = 'operator-token-for-tests-0123456789';
const WEBHOOK_SECRET = { name: 'X-Zaiko-Webhook-Secret', value: 'stack-webhook-secret' };

export interface StackOptions {
  workerMode?: 'in-process' | 'process';
  /** 'process': the real api entry point (src/api/main.ts) as its own OS process, e.g. to measure its memory. */
  apiMode?: 'in-process' | 'process';
  /** Behind a proxy: the api takes the client address from X-Forwarded-For (see onboardMerchant's clientAddress). */
  trustProxy?: boolean;
  makeshopIntervalMs?: number;
  catalogMaxFileBytes?: number;
  sync?: { debounceMs?: number; maxDelayMs?: number; reconcileIntervalMs?: number; driftRepairIntervalMs?: number };
  alerts?: { stallMs?: number; mailIntervalMs?: number; operatorEmail?: string };
  /** Accounts and onboarding tunables (session lifetime, sign-up and login limits, application report delay, the api's deadline for one Temporal call); production's by default. */
  onboarding?: Partial<OnboardingOptions>;
  /** Configuration set last, over the stack's own (e.g. PUBLIC_BASE_URL, APP_SECRET_KEYS). */
  config?: Partial<Config>;
  /**
   * Every line the api, the worker and the platform clients log goes to `logLines`, at trace level and
   * without the logger's redaction (stricter than production), for the secrets checks. In-process only.
   */
  captureLogs?: boolean;
}

export interface HttpAnswer<T = unknown> {
  status: number;
  /** JSON answers parsed, other answers as text; undefined when empty. */
  body: T;
  headers: Headers;
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

export async function startStack(label: string, opts: StackOptions = {}) {
  if (opts.captureLogs && (opts.workerMode === 'process' || opts.apiMode === 'process')) {
    throw new Error('captureLogs needs the api and the worker in this process');
  }
  const database = await testDatabase(label);
  await ensureIndexes(database.db);
  const temporal = await temporalClient();
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const platforms = await startTestPlatforms({
    makeshopIntervalMs: opts.makeshopIntervalMs ?? 50,
    webhook: { url: `${apiUrl}/webhooks/smaregi`, header: WEBHOOK_SECRET },
  });
  const config: Config = {
    ...loadConfig(process.env),
    MONGODB_DB: database.name,
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue(label),
    TEMPORAL_CATALOG_TASK_QUEUE: uniqueTaskQueue(`${label}_catalog`),
    PUBLIC_BASE_URL: apiUrl,
    OPERATOR_TOKEN,
    SMAREGI_ID_BASE_URL: platforms.smaregi.baseUrl,
    SMAREGI_API_BASE_URL: platforms.smaregi.baseUrl,
    SMAREGI_CLIENT_ID: TEST_CLIENT_ID,
    SMAREGI_CLIENT_SECRET: TEST_CLIENT_SECRET,
    SMAREGI_WEBHOOK_HEADER_NAME: WEBHOOK_SECRET.name,
    SMAREGI_WEBHOOK_HEADER_VALUE: WEBHOOK_SECRET.value,
    MAKESHOP_BASE_URL: platforms.makeshop.baseUrl,
    MAKESHOP_MIN_INTERVAL_MS: opts.makeshopIntervalMs ?? 50,
    MAKESHOP_GRAPHQL_URL: `${platforms.makeshop.baseUrl}/v1/graphql`,
    // Relaxed like the legacy interval: the suites' shops are far busier than a real one.
    MAKESHOP_APPS_REQUESTS_PER_MINUTE: 60_000,
    CATALOG_MAX_FILE_BYTES: opts.catalogMaxFileBytes ?? 16 * 1024 * 1024,
    SYNC_DEBOUNCE_MS: opts.sync?.debounceMs ?? 100,
    SYNC_MAX_DELAY_MS: opts.sync?.maxDelayMs ?? 1000,
    SYNC_RECONCILE_INTERVAL_MS: opts.sync?.reconcileIntervalMs ?? 60 * 60 * 1000,
    SYNC_DRIFT_REPAIR_INTERVAL_MS: opts.sync?.driftRepairIntervalMs ?? 24 * 60 * 60 * 1000,
    ALERT_STALL_MS: opts.alerts?.stallMs ?? 15 * 60 * 1000,
    ALERT_MAIL_INTERVAL_MS: opts.alerts?.mailIntervalMs ?? 60 * 60 * 1000,
    OPERATOR_ALERT_EMAIL: opts.alerts?.operatorEmail,
    HOST: '127.0.0.1',
    PORT: apiPort,
    TRUST_PROXY: opts.trustProxy ?? false,
    ...opts.config,
  };
  const logLines: string[] = [];
  const logger = opts.captureLogs ? capturingLogger('stack', logLines) : createLogger('stack', process.env.LOG_LEVEL ?? 'silent');
  const secretBox = new SecretBox(secretKeysOf(config));
  const base = { config, logger, db: database.db, temporal: temporal.client, secretBox };
  const composed = createAppDeps(base);
  const appDeps = { ...composed, onboarding: { ...composed.onboarding!, options: { ...composed.onboarding!.options, ...opts.onboarding } } };
  const api = opts.apiMode === 'process' ? childService('api', 'src/api/main.ts', config, 'api listening') : inProcessApi(createApp(appDeps), apiPort);
  await api.start();

  // The makeshop app's webhooks go to this api, as `npm start` wires them (注文更新通知 flushed by tests).
  await postJson(
    `${platforms.makeshop.baseUrl}/__sim/apps`,
    {
      apiKey: config.MAKESHOP_APP_API_KEY,
      launchSecret: config.MAKESHOP_APP_LAUNCH_SECRET,
      installUrl: `${apiUrl}/webhooks/makeshop/apps/install`,
      uninstallUrl: `${apiUrl}/webhooks/makeshop/apps/uninstall`,
      orderUpdateUrl: `${apiUrl}/webhooks/makeshop/apps/orders`,
      orderUpdateIntervalMs: 2000,
    },
    'PUT',
  );
  const worker =
    opts.workerMode === 'process' ? childService('worker', 'src/worker/main.ts', config, 'worker polling') : inProcessWorker(base, appDeps.sync, temporal.native);
  await worker.start();

  /** Every workflow of the tenant (onboarding, sync, …), found by the TenantId search attribute. */
  async function workflowsOf(tenantId: string) {
    const found = [];
    for await (const wf of temporal.client.workflow.list({ query: `${TenantIdKey.name} = "${tenantId}"` })) found.push(wf);
    return found;
  }

  /** Tenants whose workflows close() terminates; signUp and onboardMerchant add theirs. */
  const tenantIds: string[] = [];
  return {
    config,
    apiUrl,
    database,
    temporal,
    platforms,
    worker,
    api,
    tenantIds,
    /** What the api is built from (e.g. for a second api replica on the same database: startTestApi(stack.deps)). */
    deps: appDeps,
    secretBox,
    /** With captureLogs: every log line of the api, the worker and the platform clients. */
    logLines,
    /** The sync engine's collaborators, wired as the worker's (for tests that call the engine directly). */
    sync: appDeps.sync,
    workflowsOf,
    /** A request to the api as a merchant (token), the operator or nobody; an object body is sent as JSON, a string as it is. */
    async http<T = unknown>(
      method: string,
      path: string,
      opts2: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
    ): Promise<HttpAnswer<T>> {
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: {
          ...opts2.headers,
          ...(opts2.token && { authorization: `Bearer ${opts2.token}` }),
          ...(opts2.body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(opts2.body !== undefined && { body: typeof opts2.body === 'string' ? opts2.body : JSON.stringify(opts2.body) }),
      });
      const text = await res.text();
      const json = res.headers.get('content-type')?.includes('json');
      return { status: res.status, body: (text ? (json ? JSON.parse(text) : text) : undefined) as T, headers: res.headers };
    },
    async close() {
      platforms.makeshop.sim.state.apps.stop();
      for (const tenantId of tenantIds) {
        for (const wf of await workflowsOf(tenantId)) {
          if (wf.status.name === 'RUNNING') await temporal.client.workflow.getHandle(wf.workflowId).terminate('test finished').catch(() => undefined);
        }
      }
      await worker.stop();
      await api.stop();
      await platforms.close();
      await temporal.connection.close();
      await temporal.native.close();
      await database.drop();
    },
  };
}

interface StackService {
  start(): Promise<void>;
  /** SIGKILL: no graceful shutdown, in-flight activities are lost mid-way. */
  kill(): Promise<void>;
  stop(): Promise<void>;
  /** The worker's OS process (its tsx launcher), when it runs as one. */
  pid(): number | undefined;
  /** Its last output lines, when it runs as its own process (benches read its timing lines). */
  recentOutput(): readonly string[];
}

function inProcessWorker(base: Parameters<typeof createAppDeps>[0], sync: ReturnType<typeof createAppDeps>['sync'], connection: NativeConnection): StackService {
  let running: { workers: Worker[]; done: Promise<void> } | null = null;
  const stop = async () => {
    if (!running) return;
    const { workers, done } = running;
    running = null;
    shutdownWorkers(workers);
    await done;
  };
  return {
    async start() {
      const workers = await createServiceWorkers({
        connection,
        config: base.config,
        workflows: { workflowBundle: { codePath: testInfra().bundlePath } },
        activities: createActivities({ ...base, platforms: { smaregi: sync.smaregi, makeshop: sync.makeshop } }),
      });
      running = { workers, done: runWorkers(workers) };
    },
    kill: stop,
    stop,
    pid: () => undefined,
    recentOutput: () => [],
  };
}

/** The api in this process, on the stack's port. */
function inProcessApi(app: ReturnType<typeof createApp>, port: number): Pick<StackService, 'start' | 'stop' | 'pid'> {
  let server: Server | null = null;
  return {
    async start() {
      const listening = app.listen(port, '127.0.0.1');
      await new Promise<void>((resolve) => listening.once('listening', resolve));
      server = listening;
    },
    async stop() {
      if (!server) return;
      const closing = server;
      server = null;
      closing.closeAllConnections();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
    pid: () => undefined,
  };
}

/**
 * A real entry point (src/worker/main.ts, src/api/main.ts) as a child process with the stack's
 * configuration; ready once it logs `readyText` (at info level).
 */
/**
 * Under `npm run bench:*` the api and worker run compiled JavaScript (ZAIKO_COMPILED_SRC, src/dev/bench.ts)
 * as production does, so their memory is production's; tests run the TypeScript sources through tsx.
 */
function serviceCommand(entry: string): { command: string; args: string[] } {
  const compiled = process.env.ZAIKO_COMPILED_SRC;
  return compiled ? { command: process.execPath, args: [compiledEntry(compiled, entry)] } : typescriptCommand(entry);
}

/** ZAIKO_TEST_SERVICE_LOG_DIR keeps every line the child api and worker print, for a stress run's post-mortem. */
const serviceLogDir = process.env.ZAIKO_TEST_SERVICE_LOG_DIR;

function childService(name: string, entry: string, config: Config, readyText: string): StackService {
  let proc: ManagedProcess | null = null;
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    // Unset optional settings stay unset (String(undefined) would be an invalid value).
    Object.entries({ ...config, LOG_LEVEL: 'info', WORKFLOW_BUNDLE_PATH: testInfra().bundlePath })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
  /** The last lines only: a long benchmark's output would grow without bound. */
  const lines: string[] = [];
  let ready = false;
  return {
    async start() {
      ready = false;
      const { command, args } = serviceCommand(entry);
      proc = startProcess(name, command, args, {
        env,
        cwd: join(__dirname, '..', '..'),
        output: (line) => {
          if (serviceLogDir) appendFileSync(join(serviceLogDir, `${name}-${process.pid}.log`), `${line}\n`);
          if (line.includes(readyText)) ready = true;
          if (lines.push(line) > 100) lines.shift();
        },
      });
      await eventually(async () => {
        if (proc?.child.exitCode !== null) throw new Error(`${name} exited:\n${lines.slice(-20).join('\n')}`);
        if (!ready) throw new Error(`${name} not ready yet`);
      }, 60_000, 100);
    },
    async kill() {
      if (!proc?.child.pid) return;
      process.kill(-proc.child.pid, 'SIGKILL');
      await proc.exited;
      proc = null;
    },
    async stop() {
      await proc?.stop();
      proc = null;
    },
    pid: () => proc?.child.pid,
    recentOutput: () => lines,
  };
}

export interface MerchantWorld {
  contractId: string;
  shopId: string;
  stores: { storeId: string; storeName: string }[];
  products: { productCode: string; productName: string }[];
  stock: { storeId: string; productCode: string; amount: number }[];
  shop: {
    products: { systemCode: string; customCode: string; name: string; jan: string; quantity: number | null; optionNames?: string[] }[];
    options: { systemCode: string; optionCode: string; option1: string; option2: string; jan: string; quantity: number | null }[];
  };
  stockStoreIds: string[];
  shipmentStoreId: string;
  /** How orders are imported (step 4); the service's default when absent. */
  importMethod?: 'shipment' | 'stockAdjustment';
  buffer?: number;
  /** MakeShop admin login; default MAKESHOP_LOGIN. The simulator finds a shop by its admin ID: shops of one stack need their own. */
  login?: typeof MAKESHOP_LOGIN;
}

/**
 * A merchant whose Smaregi products are its MakeShop products, one to one by code (no options): `stock`
 * maps each product code to its Smaregi stock, in store '1' or per store. MakeShop starts at 0 for each.
 */
export function merchantWorld(
  name: string,
  stock: Record<string, number | Record<string, number>>,
  opts: Partial<Pick<MerchantWorld, 'stores' | 'stockStoreIds' | 'shipmentStoreId' | 'login' | 'buffer'>> & { productNames?: Record<string, string> } = {},
): MerchantWorld {
  const codes = Object.keys(stock);
  const productName = (code: string) => opts.productNames?.[code] ?? code;
  const { productNames: _names, ...rest } = opts;
  return {
    contractId: `sb_${name}`,
    shopId: `${name}shop`,
    stores: [{ storeId: '1', storeName: '本店' }],
    products: codes.map((productCode) => ({ productCode, productName: productName(productCode) })),
    stock: codes.flatMap((productCode) => {
      const amounts = stock[productCode]!;
      return Object.entries(typeof amounts === 'number' ? { '1': amounts } : amounts).map(([storeId, amount]) => ({ storeId, productCode, amount }));
    }),
    shop: {
      products: codes.map((customCode, i) => ({ systemCode: String(i + 1).padStart(12, '0'), customCode, name: productName(customCode), jan: '', quantity: 0 })),
      options: [],
    },
    stockStoreIds: ['1'],
    shipmentStoreId: '1',
    ...rest,
  };
}

/** A shop and its branch, for worlds whose stock counts across stores. */
export const TWO_STORES: MerchantWorld['stores'] = [
  { storeId: '1', storeName: '本店' },
  { storeId: '2', storeName: '支店' },
];

export const MAKESHOP_LOGIN = { accountId: 'shop-admin', password: 'pass-1234567', orderAuthCode: 'order-auth-code-1' };

/**
 * A new merchant from sign-up to 稼働, through the public API exactly as the admin UI drives it: the
 * platforms are seeded as the merchant's real accounts would be, the catalog CSVs are the ones the
 * MakeShop admin screen downloads.
 */
export async function onboardMerchant(
  stack: Stack,
  world: MerchantWorld,
  opts: {
    run?: boolean;
    catalog?: boolean;
    stopAfterAccount?: boolean;
    /** The merchant's own address, sent as X-Forwarded-For at sign-up (a stack with trustProxy: many merchants, each under the sign-up limit). */
    clientAddress?: string;
    /** How long the catalog import may take (default 2 min; imports queue when many merchants onboard at once). */
    catalogTimeoutMs?: number;
  } = {},
): Promise<{ tenantId: string; token: string }> {
  const { platforms } = stack;
  await seedSmaregiContract(stack, { contractId: world.contractId, stores: world.stores, products: world.products, stock: world.stock });
  const login = world.login ?? MAKESHOP_LOGIN;
  await seedMakeshopShop(stack, { shopId: world.shopId, ...login, ...world.shop });

  const expectOk = <T>(what: string, res: { status: number; body: T }, status = 200): T => {
    if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const { tenantId, token } = await signUp(stack, {
    email: `${world.shopId}@example.jp`,
    password: 'merchant-password-1',
    shopName: world.shopId,
    smaregiContractId: world.contractId,
    clientAddress: opts.clientAddress,
  });
  if (opts.stopAfterAccount) return { tenantId, token };
  expectOk(
    'step 2',
    await stack.http('POST', '/api/v1/onboarding/makeshop-application', {
      token,
      body: { shopName: world.shopId, userName: '在庫 太郎', shopId: world.shopId, shopUrl: `https://${world.shopId}.example.jp` },
    }),
    202,
  );
  expectOk('approval', await stack.http('POST', `/api/v1/operator/tenants/${tenantId}/makeshop-application/approve`, { token: OPERATOR_TOKEN }));
  expectOk('step 3', await stack.http('PUT', '/api/v1/makeshop/credentials', { token, body: login }));
  expectOk('step 4', await stack.http('PUT', '/api/v1/order-import', { token, body: orderImportBody(world) }));
  const { notificationUrl } = expectOk('order import', await stack.http<{ notificationUrl: string }>('GET', '/api/v1/order-import', { token }));
  await postJson(`${platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/notification-url`, { url: notificationUrl }, 'PUT');
  expectOk(
    'stock settings',
    await stack.http('PUT', '/api/v1/stock-settings', { token, body: { storeIds: world.stockStoreIds, buffer: world.buffer ?? 0, overrides: [] } }),
  );
  if (opts.catalog === false) return { tenantId, token };
  await uploadCatalogFromShop(stack, token, world.shopId, opts.catalogTimeoutMs);
  if (opts.run !== false) {
    // The catalog's activation reaches the onboarding and sync workflows just after the upload succeeds.
    await eventually(async () => expectOk('稼働', await stack.http('PUT', '/api/v1/sync/state', { token, body: { state: 'running' } })), 10_000, 100);
  }
  return { tenantId, token };
}

/** A Smaregi contract in the simulator, as the merchant's real one would be; without `users`, its owner is simOwner(contractId). */
export async function seedSmaregiContract(
  stack: Stack,
  contract: Pick<MerchantWorld, 'contractId' | 'stores'> &
    Partial<Pick<MerchantWorld, 'products' | 'stock'>> & { users?: (SmaregiIdUser & { isOwner: boolean })[] },
): Promise<void> {
  await postJson(`${stack.platforms.smaregi.baseUrl}/__sim/contracts`, { products: [], stock: [], ...contract });
}

/** A MakeShop shop in the simulator, with its admin login; no products unless given. */
export async function seedMakeshopShop(
  stack: Stack,
  shop: { shopId: string } & typeof MAKESHOP_LOGIN & Partial<MerchantWorld['shop']>,
): Promise<void> {
  await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops`, { products: [], options: [], ...shop });
}

/**
 * Sign-up through the api, then step 1's contract link through スマレジID as the contract's (seeded)
 * owner. The tenant's workflows end with the stack.
 */
export async function signUp(
  stack: Stack,
  account: {
    email: string;
    password?: string;
    shopName?: string;
    smaregiContractId: string;
    /** The merchant's own address, sent as X-Forwarded-For (a stack with trustProxy). */
    clientAddress?: string;
  },
): Promise<{ tenantId: string; token: string; cookie: string }> {
  const { smaregiContractId, clientAddress, ...fields } = account;
  const res = await stack.http<{ tenantId: string; token: string }>('POST', '/api/v1/accounts', {
    body: { password: 'merchant-pass-123', shopName: 'テスト商店', ...fields },
    ...(clientAddress && { headers: { 'x-forwarded-for': clientAddress } }),
  });
  if (res.status !== 201) throw new Error(`sign-up: ${res.status} ${JSON.stringify(res.body)}`);
  stack.tenantIds.push(res.body.tenantId);
  await linkSmaregiContract(stack.apiUrl, { token: res.body.token }, simOwner(smaregiContractId));
  return { ...res.body, cookie: res.headers.get('set-cookie') ?? '' };
}

function orderImportBody(world: MerchantWorld): { shipmentStoreId: string; method?: string } {
  return { shipmentStoreId: world.shipmentStoreId, ...(world.importMethod && { method: world.importMethod }) };
}

/** Downloads the shop's CSVs as the MakeShop admin screen does and uploads them as step 5. */
export async function uploadCatalogFromShop(stack: Stack, token: string, shopId: string, timeoutMs = 120_000): Promise<void> {
  const download = async (kind: string) =>
    new Blob([await (await fetch(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${shopId}/csv/${kind}`)).arrayBuffer()]);
  const form = new FormData();
  form.append('productCsv', await download('products'), 'products.csv');
  form.append('optionCsv', await download('options'), 'options.csv');
  const res = await fetch(`${stack.apiUrl}/api/v1/catalog/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  if (res.status !== 202) throw new Error(`catalog upload: ${res.status} ${await res.text()}`);
  const { uploadId } = (await res.json()) as { uploadId: string };
  await eventually(async () => {
    const upload = await stack.http<{ status: string; report: unknown }>('GET', `/api/v1/catalog/uploads/${uploadId}`, { token });
    if (upload.body.status === 'failed') throw new Error(`catalog upload failed: ${JSON.stringify(upload.body.report)}`);
    if (upload.body.status !== 'succeeded') throw new Error(`catalog upload still ${upload.body.status}`);
  }, timeoutMs, 200);
}

/**
 * Waits until the sync workflow has recorded a stock change as pending (GET /sync): a condition to
 * wait on before asserting that a stopped sync pushed nothing, instead of a fixed sleep.
 */
export async function stockChangePending(stack: Stack, token: string): Promise<void> {
  await eventually(async () => {
    const { body } = await stack.http<{ pending: { items: number } }>('GET', '/api/v1/sync', { token });
    if (!(body.pending.items > 0)) throw new Error(`no stock change pending yet: ${JSON.stringify(body)}`);
  }, 30_000, 100);
}

/** MakeShop's stock per code (option code for options, 独自商品コード for products). */
export async function makeshopStock(stack: Stack, shopId: string): Promise<Map<string, number | null>> {
  const rows = await getJson<{ customCode: string; optionCode: string; quantity: number | null }[]>(
    `${stack.platforms.makeshop.baseUrl}/__sim/shops/${shopId}/stock`,
  );
  return new Map(rows.map((r) => [r.optionCode || r.customCode, r.quantity]));
}

/** Smaregi stock per store for one product code. */
export async function smaregiStock(stack: Stack, contractId: string, code: string): Promise<Map<string, number>> {
  const body = await getJson<{ perStore: { storeId: string; amount: number }[] }>(
    `${stack.platforms.smaregi.baseUrl}/__sim/contracts/${contractId}/stock?productCode=${encodeURIComponent(code)}`,
  );
  return new Map(body.perStore.map((s) => [s.storeId, s.amount]));
}

/**
 * Step 2 on the apps path, as a merchant does it: name the shop, install the app in MakeShop (its install
 * webhook reaches the api), then open the app from the MakeShop admin while logged in (the launch URL).
 */
export async function connectMakeshopApp(stack: Stack, token: string, shopId: string): Promise<void> {
  const choose = await stack.http('POST', '/api/v1/onboarding/makeshop-application', { token, body: { mode: 'apps', shopId } });
  if (choose.status !== 202) throw new Error(`step 2 (apps): ${choose.status} ${JSON.stringify(choose.body)}`);
  await installMakeshopApp(stack, shopId);
  await launchMakeshopApp(stack, token, shopId);
}

export async function installMakeshopApp(stack: Stack, shopId: string): Promise<void> {
  const installed = (await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${shopId}/apps/install`, {})) as { status: string };
  if (installed.status !== 'installed') throw new Error(`app install: ${JSON.stringify(installed)}`);
}

/** Opens the launch URL as the logged-in merchant's browser would; answers the api's status and location. */
export async function launchMakeshopApp(stack: Stack, token: string, shopId: string, expectStatus = 302): Promise<{ status: number; location: string | null; text: string }> {
  const { url } = await getJson<{ url: string }>(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${shopId}/apps/launch-url`);
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, redirect: 'manual' });
  const answer = { status: res.status, location: res.headers.get('location'), text: await res.text() };
  if (res.status !== expectStatus) throw new Error(`launch: ${res.status} ${answer.text}`);
  return answer;
}

/** Step 5 on the apps path: the catalog read from MakeShop, waited for like an upload. */
export async function importCatalogFromMakeshop(stack: Stack, token: string, timeoutMs = 120_000): Promise<string> {
  const res = await stack.http<{ uploadId: string }>('POST', '/api/v1/catalog/imports', { token, body: { source: 'makeshop' } });
  if (res.status !== 202) throw new Error(`catalog import: ${res.status} ${JSON.stringify(res.body)}`);
  await eventually(async () => {
    const upload = await stack.http<{ status: string; report: unknown; error: unknown }>('GET', `/api/v1/catalog/uploads/${res.body.uploadId}`, { token });
    if (upload.body.status === 'failed') throw new Error(`catalog import failed: ${JSON.stringify(upload.body)}`);
    if (upload.body.status !== 'succeeded') throw new Error(`catalog import still ${upload.body.status}`);
  }, timeoutMs, 200);
  return res.body.uploadId;
}

/** A new merchant on the apps path: sign-up → install → launch → store and method → catalog from MakeShop → 稼働. */
export async function onboardAppsMerchant(
  stack: Stack,
  world: MerchantWorld,
  opts: { run?: boolean; catalogTimeoutMs?: number } = {},
): Promise<{ tenantId: string; token: string }> {
  const { tenantId, token } = await onboardMerchant(stack, world, { stopAfterAccount: true });
  await connectMakeshopApp(stack, token, world.shopId);
  const store = await stack.http('PUT', '/api/v1/order-import', { token, body: orderImportBody(world) });
  if (store.status !== 200) throw new Error(`step 4: ${store.status} ${JSON.stringify(store.body)}`);
  const settings = await stack.http('PUT', '/api/v1/stock-settings', { token, body: { storeIds: world.stockStoreIds, buffer: world.buffer ?? 0, overrides: [] } });
  if (settings.status !== 200) throw new Error(`stock settings: ${settings.status} ${JSON.stringify(settings.body)}`);
  await importCatalogFromMakeshop(stack, token, opts.catalogTimeoutMs);
  if (opts.run !== false) {
    await eventually(async () => {
      const res = await stack.http('PUT', '/api/v1/sync/state', { token, body: { state: 'running' } });
      if (res.status !== 200) throw new Error(`稼働: ${res.status} ${JSON.stringify(res.body)}`);
    }, 10_000, 100);
  }
  return { tenantId, token };
}

/** Every event of every run of the tenant's sync workflow (the continue-as-new chain), newest run first. */
export async function syncHistories(
  stack: Pick<Stack, 'temporal'>,
  tenantId: string,
): Promise<{ runId: string; status: string; events: proto.api.history.v1.IHistoryEvent[] }[]> {
  const runs: { runId: string; status: string; events: proto.api.history.v1.IHistoryEvent[] }[] = [];
  for await (const run of stack.temporal.client.workflow.list({ query: `WorkflowId = '${syncWorkflowId(tenantId)}'` })) {
    const history = await stack.temporal.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    runs.push({ runId: run.runId, status: run.status.name, events: history.events ?? [] });
  }
  return runs;
}
