// `npm run bench:*`: one benchmark file run against its own Temporal dev server and FerretDB.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startEphemeralServers } from './ephemeral';

const ROOT = resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const [file, ...args] = process.argv.slice(2);
  if (!file) throw new Error('usage: bench <bench/file.ts> [args…]');
  const servers = await startEphemeralServers('bench');
  console.log(`[bench] running ${file}`);
  const code = await new Promise<number>((done) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [file, ...args], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, ...servers.env, ZAIKO_BENCH_WORKDIR: servers.work },
    });
    child.on('exit', (c, signal) => done(c ?? (signal ? 1 : 0)));
  });
  await servers.stop();
  process.exit(code);
}

main().catch((err: unknown) => {
  console.error(`[bench] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
