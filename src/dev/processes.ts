import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { createInterface } from 'node:readline';
import { constants as osConstants } from 'node:os';

/** A child process whose output lines are prefixed with its name and which dies with its parent. */
export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  stop(timeoutMs?: number): Promise<void>;
}

const COLORS = [36, 35, 33, 32, 34, 31, 96, 95];
let colorIndex = 0;

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where the prefixed lines go; tests pass a sink that keeps them quiet unless something fails. */
  output?: (line: string) => void;
  /** Lines matching this are dropped (noisy but harmless output). */
  quiet?: RegExp;
}

/**
 * How a TypeScript entry is run: node itself with tsx's loader, never the `tsx` CLI. The CLI is a second
 * process that relays signals to node and SIGKILLs it when node doesn't confirm one within 30 ms — which is
 * what happens when a signal reaches the whole process group (systemd, a closing terminal): node got it
 * from the group too, and the supervisor was killed before it could stop the servers it started.
 */
export function typescriptCommand(entry: string, args: string[] = []): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', 'tsx', entry, ...args] };
}

export function startProcess(name: string, command: string, args: string[], opts: StartOptions = {}): ManagedProcess {
  // detached: the child leads its own process group, so stop() reaches grandchildren (tsx → node) too.
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const color = COLORS[colorIndex++ % COLORS.length];
  const prefix = process.stdout.isTTY ? `\x1b[${color}m${name.padEnd(9)}\x1b[0m│ ` : `${name.padEnd(9)}| `;
  const write = opts.output ?? ((line: string) => process.stdout.write(line + '\n'));
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      if (!opts.quiet?.test(line)) write(prefix + line);
    });
  }
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', (err) => {
      write(`${prefix}failed to start: ${err.message}`);
      resolve(-1);
    });
  });
  let stopping: Promise<void> | undefined;
  const stop = (timeoutMs = 10_000) =>
    (stopping ??= (async () => {
      if (child.exitCode !== null || child.pid === undefined) return;
      signalGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
      signalGroup(child.pid, 'SIGKILL'); // whatever of the group outlived its leader
    })());
  managed.add(stop);
  return { name, child, exited, stop };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

const managed = new Set<(timeoutMs?: number) => Promise<void>>();
/** Last-resort cleanup: a crash of the supervisor must not leave servers holding ports. */
process.on('exit', () => {
  for (const stop of managed) void stop(0);
});

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

// A signal kills node without an 'exit' event, and the children are detached (their own process groups),
// so a process that starts children and has no signal handler of its own (a test file) would orphan them.
// This default handler stops them and exits as the signal would have; a process with its own handler
// (the `npm start` supervisor, which stops apps before servers) keeps full control.
for (const signal of STOP_SIGNALS) {
  const handler = () => {
    if (process.listenerCount(signal) > 1) return;
    for (const stop of managed) void stop(0);
    process.exit(128 + (osConstants.signals[signal] ?? 0));
  };
  process.on(signal, handler);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** True when nothing listens on host:port (so we can bind it). */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000, proc?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void proc?.exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${what}: the process exited before it became ready (see its log lines above)`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready after ${Math.round(timeoutMs / 1000)} s`);
}

export function tcpOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  return res.ok;
}
