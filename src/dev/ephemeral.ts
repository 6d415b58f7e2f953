import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { generateSecretKey } from '../storage/crypto';
import { startFerretdb, startMailpit, startTemporal } from './infra';
import { freePort, STOP_SIGNALS } from './processes';
import { spawn } from 'node:child_process';

/**
 * A throw-away Temporal dev server, FerretDB and Mailpit on free ports (so they run beside a live `npm start`),
 * plus the workflow bundle built once, for the test suite and the benchmarks.
 */
export interface EphemeralServers {
  work: string;
  /** What a child process needs in its environment to use these servers. */
  env: NodeJS.ProcessEnv;
  stop(opts?: { keepWorkdir?: boolean }): Promise<void>;
}

export async function startEphemeralServers(label: string): Promise<EphemeralServers> {
  const work = mkdtempSync(join(tmpdir(), `zaiko-${label}-`));
  const serverLog = createWriteStream(join(work, 'servers.log'));
  const output = (line: string) => serverLog.write(line + '\n');
  console.log(`[${label}] starting Temporal, FerretDB and Mailpit on free ports (server logs: ${join(work, 'servers.log')})…`);
  const t0 = Date.now();
  const [temporal, mongo, mail] = await Promise.all([
    startTemporal({ port: await freePort(), output }),
    startFerretdb({ port: await freePort(), dataDir: join(work, 'ferretdb'), output }),
    startMailpit({ smtpPort: await freePort(), uiPort: await freePort(), dbFile: join(work, 'mailpit.db'), output }),
  ]);
  console.log(`[${label}] servers ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; bundling workflows…`);
  const bundlePath = await bundleWorkflows(work);
  return {
    work,
    env: {
      TEMPORAL_ADDRESS: temporal.address,
      /** The dev server's Prometheus metrics (benchmarks count workflow and activity tasks there). */
      TEMPORAL_METRICS_URL: temporal.metricsUrl,
      MONGODB_URL: mongo.url,
      SMTP_URL: mail.smtpUrl,
      /** Mailpit's HTTP API, where the tests read the mails the service sent. */
      MAILPIT_API_URL: mail.webUrl,
      WORKFLOW_BUNDLE_PATH: bundlePath,
      APP_SECRET_KEY: process.env.APP_SECRET_KEY ?? generateSecretKey(),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      // Tests and benches only: scrypt at 2^14 instead of 2^17 (production refuses less than 2^17).
      PASSWORD_HASH_LOG2N: process.env.PASSWORD_HASH_LOG2N ?? '14',
    },
    async stop(opts = {}) {
      await Promise.all([temporal.process.stop(), mongo.process.stop(), mail.process.stop()]);
      serverLog.end();
      if (!opts.keepWorkdir) rmSync(work, { recursive: true, force: true });
    },
  };
}

/** The workflow bundle built once per run into `work`, shared by every worker of the run; answers its path. */
export async function bundleWorkflows(work: string): Promise<string> {
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} } as never,
  });
  const bundlePath = join(work, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  return bundlePath;
}

/**
 * Runs one child (the test runner, a benchmark) against fresh servers and stops them after it, whatever
 * ends it: its own exit or a signal (Ctrl-C, or one sent to the whole process group, which the child also
 * receives). Resolves with the exit code to use.
 */
export async function runAgainstEphemeralServers(
  label: string,
  command: string,
  args: string[],
  opts: {
    cwd: string;
    workdirEnv: string;
    keepWorkdir?: (code: number) => boolean;
    /** Only the workflow bundle, no servers (the fast layer starts its own time-skipping server). */
    bundleOnly?: boolean;
  },
): Promise<number> {
  let stopSignal: NodeJS.Signals | undefined;
  let forward: (signal: NodeJS.Signals) => void = () => {};
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      stopSignal ??= signal;
      forward(signal);
    });
  }
  const servers = opts.bundleOnly ? await bundleOnlyWorkdir(label) : await startEphemeralServers(label);
  let code = 130;
  if (!stopSignal) {
    code = await new Promise<number>((done) => {
      const child = spawn(command, args, {
        cwd: opts.cwd,
        stdio: 'inherit',
        env: { ...process.env, ...servers.env, [opts.workdirEnv]: servers.work },
      });
      forward = (signal) => child.kill(signal);
      child.on('exit', (c, signal) => done(c ?? (signal ? 1 : 0)));
    });
  }
  await servers.stop({ keepWorkdir: opts.keepWorkdir?.(code) ?? false });
  return stopSignal ? 128 + (osConstants.signals[stopSignal] ?? 0) : code;
}

async function bundleOnlyWorkdir(label: string): Promise<EphemeralServers> {
  const work = mkdtempSync(join(tmpdir(), `zaiko-${label}-`));
  return {
    work,
    env: { WORKFLOW_BUNDLE_PATH: await bundleWorkflows(work) },
    async stop(opts = {}) {
      if (!opts.keepWorkdir) rmSync(work, { recursive: true, force: true });
    },
  };
}
