// `npm start` as systemd, a closing terminal or CI stops it: one signal to its whole process group.
// Every server it started (Temporal, FerretDB, Mailpit, both simulators, worker, api) must be gone after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, isPortFree } from '../../src/dev/processes';

const ROOT = resolve(__dirname, '..', '..');
const PORT_NAMES = [
  'PORT',
  'TEMPORAL_PORT',
  'TEMPORAL_UI_PORT',
  'MONGODB_PORT',
  'SMAREGI_SIM_PORT',
  'MAKESHOP_SIM_PORT',
  'MAILPIT_SMTP_PORT',
  'MAILPIT_UI_PORT',
] as const;

/** Processes whose command line or environment mentions `marker` (the stack's own data directory). */
function processesMentioning(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (cmdline.includes(marker) || environ.includes(marker)) found.push(`${pid} ${cmdline.slice(0, 160)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
  test(`${signal} to the process group of npm start leaves no process and frees every port`, { timeout: 300_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zaiko-clean-stop-'));
    const ports = Object.fromEntries(await Promise.all(PORT_NAMES.map(async (name) => [name, String(await freePort())])));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...(process.env.ZAIKO_CACHE_DIR ? { ZAIKO_CACHE_DIR: process.env.ZAIKO_CACHE_DIR } : {}),
      ...ports,
      DATA_DIR: dataDir,
    };
    // detached: the stack leads its own process group, as `npm start` does in a terminal or under systemd.
    const stack = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    stack.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    stack.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((done) => stack.on('exit', () => done()));
    try {
      await until('the stack printed its banner', () => output.includes('zaiko-sync is running'), 240_000);
      process.kill(-stack.pid!, signal);
      await exited;
      await until(
        'every process of the stack stopped',
        () => processesMentioning(dataDir).length === 0,
        30_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nleft running:\n${processesMentioning(dataDir).join('\n')}\n--- output ---\n${output.slice(-3000)}`);
      });
      for (const name of PORT_NAMES) assert.ok(await isPortFree(Number(ports[name])), `${name} ${ports[name]} is still held`);
    } finally {
      try {
        process.kill(-stack.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      for (const line of processesMentioning(dataDir)) process.kill(Number(line.split(' ')[0]), 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
