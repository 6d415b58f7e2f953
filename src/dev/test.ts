// `npm test`: a real Temporal dev server and a real FerretDB on free ports (so it runs beside a live
// `npm start`), the workflow bundle built once, then node's test runner over test/**/*.test.ts.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { generateSecretKey } from '../storage/crypto';
import { startFerretdb, startTemporal } from './infra';
import { freePort } from './processes';

const ROOT = resolve(__dirname, '..', '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' || e.name === 'support' ? [] : testFiles(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const files = testFiles(join(ROOT, 'test'))
    .map((f) => relative(ROOT, f))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  if (files.length === 0) throw new Error(`no test files match ${filters.join(' ')}`);

  const work = mkdtempSync(join(tmpdir(), 'zaiko-test-'));
  const serverLog = createWriteStream(join(work, 'servers.log'));
  const output = (line: string) => serverLog.write(line + '\n');
  console.log(`[test] starting Temporal and FerretDB on free ports (server logs: ${join(work, 'servers.log')})…`);
  const t0 = Date.now();
  const [temporal, mongo] = await Promise.all([
    startTemporal({ port: await freePort(), output }),
    startFerretdb({ port: await freePort(), dataDir: join(work, 'ferretdb'), output }),
  ]);
  console.log(`[test] servers ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; bundling workflows…`);
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} } as never,
  });
  const bundlePath = join(work, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  console.log(`[test] running ${files.length} test files…`);
  const code = await new Promise<number>((done) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
      {
        cwd: ROOT,
        stdio: 'inherit',
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: temporal.address,
          MONGODB_URL: mongo.url,
          WORKFLOW_BUNDLE_PATH: bundlePath,
          APP_SECRET_KEY: process.env.APP_SECRET_KEY ?? generateSecretKey(),
          ZAIKO_TEST_WORKDIR: work,
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
        },
      },
    );
    child.on('exit', (c, signal) => done(c ?? (signal ? 1 : 0)));
  });
  await Promise.all([temporal.process.stop(), mongo.process.stop()]);
  serverLog.end();
  if (code === 0 && !process.env.KEEP_TEST_WORKDIR) rmSync(work, { recursive: true, force: true });
  process.exit(code);
}

main().catch((err: unknown) => {
  console.error(`[test] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
