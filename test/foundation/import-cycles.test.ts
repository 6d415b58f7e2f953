// No module of src/ imports itself back through others, type-only imports included (what
// `npx madge --circular --extensions ts src` reports): workflows own the activity contracts they call
// (src/workflows/activity-types.ts) instead of importing the activities, which reach the Temporal client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '..', '..', 'src');

function typescriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return typescriptFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** The src files a file imports or re-exports from (relative specifiers; statements start a line). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*['"](\.[^'"]+)['"]/gm),
    ...text.matchAll(/^\s*import\s*['"](\.[^'"]+)['"]/gm),
  ].map((m) => m[1]!);
  return specifiers.map((specifier) => {
    const base = resolve(dirname(file), specifier);
    const found = [`${base}.ts`, join(base, 'index.ts'), base].find((candidate) => candidate.endsWith('.ts') && existsSync(candidate));
    if (!found) throw new Error(`${relative(SRC, file)}: cannot resolve ${specifier}`);
    return found;
  });
}

/** Every cycle found by a depth-first walk, each as the chain of files that closes it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string) => {
    if (done.has(file)) return;
    const at = path.indexOf(file);
    if (at >= 0) return void found.push([...path.slice(at), file]);
    path.push(file);
    for (const next of graph.get(file) ?? []) visit(next);
    path.pop();
    done.add(file);
  };
  for (const file of graph.keys()) visit(file);
  return found;
}

test('src has no import cycles, type-only imports included', () => {
  const files = typescriptFiles(SRC);
  assert.ok(files.length > 100, `${files.length} files read`);
  const graph = new Map(files.map((file) => [file, importsOf(file)]));
  assert.ok([...graph.values()].flat().length > 500, 'imports were read');
  assert.deepEqual(cycles(graph).map((chain) => chain.map((f) => relative(SRC, f)).join(' → ')), []);
});
