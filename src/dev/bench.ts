// `npm run bench:*`: one benchmark file run against its own Temporal dev server and FerretDB.
import { resolve } from 'node:path';
import { runAgainstEphemeralServers } from './ephemeral';
import { typescriptCommand } from './processes';

const ROOT = resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const [file, ...args] = process.argv.slice(2);
  if (!file) throw new Error('usage: bench <bench/file.ts> [args…]');
  console.log(`[bench] running ${file}`);
  const { command, args: commandArgs } = typescriptCommand(file, args);
  const code = await runAgainstEphemeralServers('bench', command, commandArgs, { cwd: ROOT, workdirEnv: 'ZAIKO_BENCH_WORKDIR' });
  process.exit(code);
}

main().catch((err: unknown) => {
  console.error(`[bench] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
