#!/usr/bin/env node
// bench:startup — what a newcomer waits for: a fresh clone, with empty caches (npm, Go, our binary
// cache), `npm start` until /readyz answers 200; then Ctrl-C and a second `npm start` on the same clone.
// Uses its own ports and temporary directories, so it runs beside anything else.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'zaiko-startup-'));
const clone = join(work, 'clone');
const ports = { PORT: 3300, TEMPORAL_PORT: 7300, TEMPORAL_UI_PORT: 8300, MONGODB_PORT: 27300, SMAREGI_SIM_PORT: 3301, MAKESHOP_SIM_PORT: 3302 };
const env = {
  ...process.env,
  ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  ZAIKO_CACHE_DIR: join(work, 'zaiko-cache'),
  GOCACHE: join(work, 'go-build'),
  GOMODCACHE: join(work, 'go-mod'),
  npm_config_cache: join(work, 'npm-cache'),
  LOG_LEVEL: 'warn',
};

async function ready(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

async function timedStart(label) {
  const t0 = Date.now();
  const child = spawn('npm', ['start'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout.on('data', (d) => {
    for (const line of String(d).split('\n')) if (line.startsWith('[setup]')) console.log(`  ${label} ${line}`);
  });
  child.stderr.on('data', () => {});
  while (!(await ready(`http://127.0.0.1:${ports.PORT}/readyz`))) {
    if (child.exitCode !== null) throw new Error(`${label}: npm start exited with ${child.exitCode}`);
    if (Date.now() - t0 > 30 * 60_000) throw new Error(`${label}: not ready after 30 minutes`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (Date.now() - t0) / 1000;
  process.kill(-child.pid, 'SIGINT');
  await new Promise((r) => child.on('exit', r));
  return seconds;
}

try {
  execFileSync('git', ['clone', '--quiet', ROOT, clone]);
  console.log(`bench:startup — fresh clone in ${clone}, empty npm/Go/binary caches`);
  const first = await timedStart('first run ');
  const second = await timedStart('second run');
  console.log(`\n  first run (install everything, then start) until /readyz = 200: ${first.toFixed(0)} s`);
  console.log(`  second run (everything installed, data kept) until /readyz = 200: ${second.toFixed(1)} s`);
  console.log(`  machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
} finally {
  execFileSync('chmod', ['-R', 'u+w', work]);
  rmSync(work, { recursive: true, force: true });
}
