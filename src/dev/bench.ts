// `npm run bench:*`: one benchmark file run against its own Temporal dev server and FerretDB.
import { join, resolve } from 'node:path';
import { compileSources } from './compile';
import { runAgainstEphemeralServers } from './ephemeral';
import { typescriptCommand } from './processes';

const ROOT = resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const [file, ...args] = process.argv.slice(2);
  if (!file) throw new Error('usage: bench <bench/file.ts> [args…]');
  // The api and worker processes a bench starts run this compiled copy, as production runs dist/ (test/support/stack.ts).
  const compiled = join(ROOT, 'dist', 'bench-build');
  await compileSources(join(ROOT, 'src'), compiled);
  process.env.ZAIKO_COMPILED_SRC = compiled;
  console.log(`[bench] running ${file}`);
  const { command, args: commandArgs } = typescriptCommand(file, args);
  const code = await runAgainstEphemeralServers('bench', command, commandArgs, { cwd: ROOT, workdirEnv: 'ZAIKO_BENCH_WORKDIR' });
  process.exit(code);
}

main().catch((err: unknown) => {
  console.error(`[bench] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
