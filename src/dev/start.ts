// `npm start`: the embedded stack. Temporal dev server, FerretDB, Mailpit, both platform simulators, the worker
// and the api, supervised as one: prefixed logs, readiness before the banner, and Ctrl-C stops it all.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { configSchema } from '../config';
import { generateSecretKey } from '../storage/crypto';
import { startFerretdb, startMailpit, startTemporal } from './infra';
import { WORKER_NODE_OPTIONS } from '../worker/node-options';
import { httpOk, isPortFree, startProcess, STOP_SIGNALS, typescriptCommand, waitFor, type ManagedProcess } from './processes';

const ROOT = resolve(__dirname, '..', '..');

/** A generated secret kept in .data/ so a second start reuses it (and can still decrypt the data). */
function persistentSecret(dataDir: string, file: string, make: () => string): string {
  const path = join(dataDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const value = make();
  writeFileSync(path, value + '\n', { mode: 0o600 });
  return value;
}

async function checkPorts(ports: Record<string, number>): Promise<void> {
  const taken: string[] = [];
  for (const [name, port] of Object.entries(ports)) {
    if (!(await isPortFree(port))) taken.push(`  - port ${port} (${name}) is already in use: stop what uses it, or set ${name}=<another port>`);
  }
  if (taken.length) throw new Error(`Cannot start:\n${taken.join('\n')}`);
}

function superviseApp(name: string, entry: string, env: NodeJS.ProcessEnv, stopping: () => boolean): { current: () => ManagedProcess } {
  const { command, args } = typescriptCommand(entry);
  let proc = startProcess(name, command, args, { env, cwd: ROOT });
  let restarts = 0;
  const watch = (p: ManagedProcess) =>
    void p.exited.then((code) => {
      if (stopping()) return;
      restarts++;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(restarts, 5));
      console.log(`[stack] ${name} exited with code ${code}; restarting in ${delay / 1000} s`);
      setTimeout(() => {
        if (stopping()) return;
        proc = startProcess(name, command, args, { env, cwd: ROOT });
        watch(proc);
      }, delay);
    });
  watch(proc);
  return { current: () => proc };
}

async function main(): Promise<void> {
  const base = configSchema.parse(process.env);
  const dataDir = resolve(ROOT, base.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  await checkPorts({
    PORT: base.PORT,
    TEMPORAL_PORT: base.TEMPORAL_PORT,
    TEMPORAL_UI_PORT: base.TEMPORAL_UI_PORT,
    MONGODB_PORT: base.MONGODB_PORT,
    SMAREGI_SIM_PORT: base.SMAREGI_SIM_PORT,
    MAKESHOP_SIM_PORT: base.MAKESHOP_SIM_PORT,
    MAILPIT_SMTP_PORT: base.MAILPIT_SMTP_PORT,
    MAILPIT_UI_PORT: base.MAILPIT_UI_PORT,
  });

  const appSecretKey = process.env.APP_SECRET_KEY ?? persistentSecret(dataDir, 'app-secret.key', generateSecretKey);
  const operatorToken =
    process.env.OPERATOR_TOKEN ?? persistentSecret(dataDir, 'operator-token', () => randomBytes(24).toString('base64url'));

  let stopping = false;
  const infra: ManagedProcess[] = [];
  const apps: { current: () => ManagedProcess }[] = [];
  const stopAll = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[stack] stopping (${reason})…`);
    await Promise.all(apps.map((a) => a.current().stop()));
    await Promise.all(infra.map((p) => p.stop()));
    console.log('[stack] stopped');
    process.exit(0);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => void stopAll(signal));

  console.log('[stack] starting Temporal, FerretDB and Mailpit…');
  const [temporal, mongo, mail] = await Promise.all([
    startTemporal({ port: base.TEMPORAL_PORT, uiPort: base.TEMPORAL_UI_PORT, dbFile: join(dataDir, 'temporal.db') }),
    startFerretdb({ port: base.MONGODB_PORT, dataDir: join(dataDir, 'ferretdb') }),
    startMailpit({ smtpPort: base.MAILPIT_SMTP_PORT, uiPort: base.MAILPIT_UI_PORT, dbFile: join(dataDir, 'mailpit.db') }),
  ]);
  infra.push(temporal.process, mongo.process, mail.process);
  for (const p of infra) {
    void p.exited.then((code) => {
      if (!stopping) void stopAll(`${p.name} exited unexpectedly with code ${code}`);
    });
  }

  const apiUrl = `http://127.0.0.1:${base.PORT}`;
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: temporal.address,
    MONGODB_URL: mongo.url,
    APP_SECRET_KEY: appSecretKey,
    OPERATOR_TOKEN: operatorToken,
    SMAREGI_ID_BASE_URL: process.env.SMAREGI_ID_BASE_URL ?? `http://127.0.0.1:${base.SMAREGI_SIM_PORT}`,
    SMAREGI_API_BASE_URL: process.env.SMAREGI_API_BASE_URL ?? `http://127.0.0.1:${base.SMAREGI_SIM_PORT}`,
    MAKESHOP_BASE_URL: process.env.MAKESHOP_BASE_URL ?? `http://127.0.0.1:${base.MAKESHOP_SIM_PORT}`,
    MAKESHOP_GRAPHQL_URL: process.env.MAKESHOP_GRAPHQL_URL ?? `http://127.0.0.1:${base.MAKESHOP_SIM_PORT}/v1/graphql`,
    // The simulated makeshop app sends its install / uninstall / 注文更新通知 webhooks to this api.
    MAKESHOP_SIM_APP_WEBHOOK_BASE_URL: process.env.MAKESHOP_SIM_APP_WEBHOOK_BASE_URL ?? apiUrl,
    SMAREGI_SIM_WEBHOOK_URL: process.env.SMAREGI_SIM_WEBHOOK_URL ?? `${apiUrl}/webhooks/smaregi`,
    SMTP_URL: process.env.SMTP_URL ?? mail.smtpUrl,
  };
  const isStopping = () => stopping;
  apps.push(superviseApp('smaregi', 'src/simulators/smaregi/main.ts', env, isStopping));
  apps.push(superviseApp('makeshop', 'src/simulators/makeshop/main.ts', env, isStopping));
  apps.push(superviseApp('worker', 'src/worker/main.ts', { ...env, NODE_OPTIONS: WORKER_NODE_OPTIONS }, isStopping));
  apps.push(superviseApp('api', 'src/api/main.ts', env, isStopping));

  await waitFor('api /readyz', () => httpOk(`${apiUrl}/readyz`), 120_000);
  console.log(
    [
      '',
      '  zaiko-sync is running',
      `  admin UI            ${apiUrl}`,
      `  Temporal UI         ${temporal.uiUrl}`,
      `  Smaregi simulator   http://127.0.0.1:${base.SMAREGI_SIM_PORT}`,
      `  MakeShop simulator  http://127.0.0.1:${base.MAKESHOP_SIM_PORT}`,
      `  mail (Mailpit)      ${mail.webUrl}   (SMTP ${mail.smtpUrl}; every alert mail lands here)`,
      `  operator token      ${operatorToken}   (Authorization: Bearer …; kept in ${join(base.DATA_DIR, 'operator-token')})`,
      `  data                ${dataDir}`,
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  console.error(`[stack] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
