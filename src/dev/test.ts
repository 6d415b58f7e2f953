// `npm test`: the whole suite (node's test runner over test/**/*.test.ts) against a real Temporal dev
// server and a real FerretDB started for this run; arguments filter test files by substring. The fast
// layer (test/workflows-fast/) runs on the time-skipping test server it starts itself: when only its
// files are selected (`npm test -- fast`), the other servers are not started.
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { runAgainstEphemeralServers } from './ephemeral';

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

  const bundleOnly = files.every((f) => f.startsWith(join('test', 'workflows-fast')));
  console.log(`[test] running ${files.length} test files…`);
  const code = await runAgainstEphemeralServers(
    'test',
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
    { cwd: ROOT, workdirEnv: 'ZAIKO_TEST_WORKDIR', bundleOnly, keepWorkdir: (c) => c !== 0 || Boolean(process.env.KEEP_TEST_WORKDIR) },
  );
  process.exit(code);
}

main().catch((err: unknown) => {
  console.error(`[test] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
