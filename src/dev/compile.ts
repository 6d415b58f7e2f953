// The benches run the api and the worker as production does (`node dist/…`, Dockerfile), not through tsx:
// tsx's loader keeps the transpiled sources and its own state in memory (~70 MiB of the worker's idle
// RSS, measured 2026-12-06). esbuild transpiles src/ file by file in about a second; `npm run build`
// (tsc) type-checks too and takes a minute on the two-core VM.
import { readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';

/** Where a compiled entry point of src/ lands, e.g. src/worker/main.ts → <outDir>/worker/main.js. */
export function compiledEntry(outDir: string, entry: string): string {
  return join(outDir, relative('src', entry)).replace(/\.ts$/, '.js');
}

/** Transpiles every .ts file of `srcDir` into `outDir` (CommonJS, as tsconfig.build.json emits), no type check. */
export async function compileSources(srcDir: string, outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  const entryPoints = (readdirSync(srcDir, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(srcDir, file));
  await build({ entryPoints, outdir: outDir, outbase: srcDir, format: 'cjs', platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' });
}
