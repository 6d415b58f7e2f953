import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { freePort, httpOk, startProcess, tcpOpen, waitFor, type ManagedProcess, type StartOptions } from './processes';
import { SEARCH_ATTRIBUTES } from '../temporal/search-attributes';

/** The embedded infrastructure: a Temporal CLI dev server and FerretDB, both real servers. */

function requiredBinary(envName: string): string {
  const path = process.env[envName];
  if (!path) throw new Error(`${envName} is not set: run through 'npm start' / 'npm test', which install the binaries`);
  return path;
}

export interface TemporalServer {
  address: string;
  uiUrl?: string;
  /** The server's Prometheus metrics (service_requests per operation: workflow and activity tasks). */
  metricsUrl: string;
  process: ManagedProcess;
}

export async function startTemporal(opts: {
  port: number;
  uiPort?: number;
  dbFile?: string;
  output?: StartOptions['output'];
}): Promise<TemporalServer> {
  const bin = requiredBinary('TEMPORAL_CLI_PATH');
  const metricsPort = await freePort();
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--namespace',
    'default',
    '--log-level',
    'warn',
    '--http-port',
    String(await freePort()),
    '--metrics-port',
    String(metricsPort),
    ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=${a.cliType}`]),
  ];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort), '--ui-ip', '127.0.0.1');
  else args.push('--headless');
  if (opts.dbFile) {
    mkdirSync(resolve(opts.dbFile, '..'), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  const proc = startProcess('temporal', bin, args, { output: opts.output });
  const address = `127.0.0.1:${opts.port}`;
  await waitFor('Temporal server', async () => (await tcpOpen(opts.port)) && clusterHealthy(bin, address), 90_000, proc);
  return { address, uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, process: proc };
}

function clusterHealthy(bin: string, address: string): boolean {
  const res = spawnSync(bin, ['operator', 'namespace', 'describe', '--namespace', 'default', '--address', address], {
    stdio: 'ignore',
    timeout: 5000,
  });
  return res.status === 0;
}

export interface MongoServer {
  url: string;
  process: ManagedProcess;
}

export async function startFerretdb(opts: { port: number; dataDir: string; output?: StartOptions['output'] }): Promise<MongoServer> {
  const bin = requiredBinary('FERRETDB_PATH');
  const dir = resolve(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  const proc = startProcess(
    'ferretdb',
    bin,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${dir}/`,
      `--listen-addr=127.0.0.1:${opts.port}`,
      `--debug-addr=127.0.0.1:${await freePort()}`,
      '--telemetry=disable',
      '--log-level=error',
      `--state-dir=${dir}`,
    ],
    { output: opts.output },
  );
  await waitFor('FerretDB', () => tcpOpen(opts.port), 60_000, proc);
  return { url: `mongodb://127.0.0.1:${opts.port}/`, process: proc };
}

export interface MailServer {
  /** What SMTP_URL points at. */
  smtpUrl: string;
  /** Web UI and HTTP API (`/api/v1/messages`, `/api/v1/search`). */
  webUrl: string;
  process: ManagedProcess;
}

/** Mailpit: a real SMTP server that keeps every mail for its web UI and API instead of delivering it. */
export async function startMailpit(opts: {
  smtpPort: number;
  uiPort: number;
  dbFile?: string;
  output?: StartOptions['output'];
}): Promise<MailServer> {
  const bin = requiredBinary('MAILPIT_PATH');
  const args = [
    '--smtp',
    `127.0.0.1:${opts.smtpPort}`,
    '--listen',
    `127.0.0.1:${opts.uiPort}`,
    '--smtp-auth-accept-any',
    '--smtp-auth-allow-insecure',
    '--smtp-disable-rdns',
    '--disable-version-check',
    '--max',
    '10000',
    '--quiet',
  ];
  if (opts.dbFile) {
    mkdirSync(resolve(opts.dbFile, '..'), { recursive: true });
    args.push('--database', opts.dbFile);
  }
  const proc = startProcess('mailpit', bin, args, { output: opts.output });
  const webUrl = `http://127.0.0.1:${opts.uiPort}`;
  await waitFor('Mailpit', async () => (await tcpOpen(opts.smtpPort)) && (await httpOk(`${webUrl}/api/v1/info`)), 60_000, proc);
  return { smtpUrl: `smtp://127.0.0.1:${opts.smtpPort}`, webUrl, process: proc };
}
