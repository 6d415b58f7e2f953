// Shared pieces of the sync benchmarks: a merchant with N plain products, set up through the public API
// on the full stack (api in this process, the real worker as its own process), and what MakeShop holds.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { getJson } from '../test/support/platforms';
import { WORKER_NODE_OPTIONS } from '../src/worker/node-options';
import { makeshopStock, onboardAppsMerchant, onboardMerchant, type MerchantWorld, type Stack } from '../test/support/stack';

export function benchWorld(label: string, products: number, stores = 2): MerchantWorld {
  const codes = Array.from({ length: products }, (_, i) => `B${String(i + 1).padStart(6, '0')}`);
  const storeIds = Array.from({ length: stores }, (_, i) => String(i + 1));
  return {
    contractId: `sb_${label}`,
    shopId: label,
    stores: storeIds.map((storeId) => ({ storeId, storeName: `店舗${storeId}` })),
    products: codes.map((productCode) => ({ productCode, productName: productCode })),
    stock: codes.flatMap((productCode, i) => storeIds.map((storeId) => ({ storeId, productCode, amount: 10 + (i % 7) }))),
    shop: {
      products: codes.map((customCode, i) => ({ systemCode: String(i + 1).padStart(12, '0'), customCode, name: customCode, jan: '', quantity: 0 })),
      options: [],
    },
    stockStoreIds: storeIds,
    shipmentStoreId: '1',
  };
}

/** What MakeShop must hold per code: the sum of the selected stores' stock, less the buffer (0 here). */
export function expectedTargets(world: MerchantWorld): Map<string, number> {
  const stores = new Set(world.stockStoreIds);
  const expected = new Map<string, number>(world.products.map((p) => [p.productCode, 0]));
  for (const row of world.stock) {
    if (stores.has(row.storeId)) expected.set(row.productCode, (expected.get(row.productCode) ?? 0) + row.amount);
  }
  return expected;
}

/** Polls the MakeShop simulator until every code holds its expected quantity. */
export async function waitForTargets(stack: Stack, shopId: string, expected: ReadonlyMap<string, number>, timeoutMs: number, pollMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The simulator shares this process with the api and may answer late under load: a failed poll is retried.
    const stock = await makeshopStock(stack, shopId).catch(() => new Map<string, number | null>());
    let wrong = 0;
    for (const [code, qty] of expected) if (stock.get(code) !== qty) wrong += 1;
    if (wrong === 0) return;
    if (Date.now() > deadline) throw new Error(`${wrong} items never reached their target`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** One call the MakeShop simulator logged (legacy API or GraphQL). */
export interface MakeshopCall {
  endpoint: string;
  startedAt: number;
  finishedAt: number;
  outcome: string;
}

export async function makeshopCalls(stack: Stack, shopId: string): Promise<MakeshopCall[]> {
  return getJson<MakeshopCall[]>(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${shopId}/calls`);
}

/** How the calls kept MakeShop's rule: shortest start-to-start gap, calls overlapping the previous one, refusals. */
export function callPacing(calls: readonly MakeshopCall[]): { shortestGapMs: number; overlapping: number; throttled: number } {
  const gaps = calls.slice(1).map((c, i) => c.startedAt - calls[i]!.startedAt);
  return {
    shortestGapMs: gaps.length ? Math.min(...gaps) : 0,
    overlapping: calls.slice(1).filter((c, i) => c.startedAt < calls[i]!.finishedAt).length,
    throttled: calls.filter((c) => c.outcome === 'throttled').length,
  };
}

export type MakeshopMode = 'legacy' | 'apps';

/** BENCH_MAKESHOP_MODE: `legacy` (the seed's webftp/CSV API, default) or `apps` (the GraphQL API of the makeshop app). */
export function benchMakeshopMode(): MakeshopMode {
  const mode = process.env.BENCH_MAKESHOP_MODE ?? 'legacy';
  if (mode !== 'legacy' && mode !== 'apps') throw new Error(`BENCH_MAKESHOP_MODE must be legacy or apps, not ${mode}`);
  return mode;
}

/** A merchant from sign-up to 稼働 through the public API, connected to MakeShop in the given mode. */
export async function onboardBenchMerchant(stack: Stack, world: MerchantWorld, mode: MakeshopMode): Promise<{ tenantId: string; token: string }> {
  return mode === 'apps' ? onboardAppsMerchant(stack, world) : onboardMerchant(stack, world);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Gives the worker process a stack starts after this call production's V8 settings (src/worker/node-options.ts),
 * or BENCH_WORKER_NODE_OPTIONS to compare others ('' for Node's defaults). Only for benches whose api runs in
 * this process: every child the stack starts inherits NODE_OPTIONS. Answers the options, for the printout.
 */
export function useWorkerNodeOptions(): string {
  const options = process.env.BENCH_WORKER_NODE_OPTIONS ?? WORKER_NODE_OPTIONS;
  process.env.NODE_OPTIONS = options;
  return options;
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')}`;
}

/**
 * DESIGN §4: a bench's figures as one JSON object `{"bench":name,…}` (numbers), printed as the very last
 * line of its output when it exits successfully — after the servers' shutdown messages.
 */
export function reportFigures(bench: string, figures: Record<string, number>): void {
  process.once('exit', (code) => {
    if (code === 0) process.stdout.write(`${JSON.stringify({ bench, ...figures })}\n`);
  });
}

/** Every process's parent, from /proc. */
function processTree(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process went away
    }
  }
  return children;
}

/** Sums `read(pid)` over `pid` and every process below it (0 for processes that went away). */
function sumOverTree(pid: number, read: (pid: number) => number, combine: (a: number, b: number) => number): number {
  const children = processTree();
  let total = 0;
  const visit = (p: number) => {
    try {
      total = combine(total, read(p));
    } catch {
      // gone
    }
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return total;
}

/** Peak resident memory (VmHWM) of the processes below `pid` — the api and worker run under tsx. */
export function peakRssOfTree(pid: number): number {
  return sumOverTree(pid, (p) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) * 1024, Math.max);
}

/** CPU seconds (user + system) used so far by `pid` and the processes below it. */
export function cpuSecondsOfTree(pid: number): number {
  const ticksPerSecond = 100; // USER_HZ on Linux
  return sumOverTree(
    pid,
    (p) => {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
    },
    (a, b) => a + b,
  );
}

/**
 * The Temporal dev server and FerretDB of this bench run (started by `npm run bench:…`), found by the port
 * in their command lines: for their CPU time.
 */
export function serverPids(): { temporal: number | null; ferretdb: number | null; ferretdbDebugUrl: string | null } {
  const temporalPort = process.env.TEMPORAL_ADDRESS?.split(':')[1];
  const mongoPort = process.env.MONGODB_URL ? new URL(process.env.MONGODB_URL).port : undefined;
  let temporal: number | null = null;
  let ferretdb: number | null = null;
  let ferretdbDebugUrl: string | null = null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (temporalPort && cmdline.includes('start-dev') && cmdline.includes(`--port ${temporalPort} `)) temporal = Number(entry);
    if (mongoPort && cmdline.includes('ferretdb') && cmdline.includes(`--listen-addr=127.0.0.1:${mongoPort}`)) {
      ferretdb = Number(entry);
      const debug = /--debug-addr=(\S+)/.exec(cmdline)?.[1];
      ferretdbDebugUrl = debug ? `http://${debug}/debug/metrics` : null;
    }
  }
  return { temporal, ferretdb, ferretdbDebugUrl };
}

/** Seconds FerretDB spent on query cursors so far, per collection (its own `ferretdb_cursors_duration_seconds`). */
export async function ferretdbCursorSeconds(debugUrl: string | null): Promise<Map<string, number>> {
  const seconds = new Map<string, number>();
  if (!debugUrl) return seconds;
  for (const line of (await (await fetch(debugUrl)).text()).split('\n')) {
    const m = /^ferretdb_cursors_duration_seconds_sum\{collection="([^"]+)".*\} (\S+)$/.exec(line);
    if (m) seconds.set(m[1]!, (seconds.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return seconds;
}

/** The 1-minute load average, for the log lines a RESULTS entry quotes (what else was running). */
export function load(): string {
  return loadavg()[0]!.toFixed(1);
}

/** Runs `work` over `items` with at most `concurrency` at once; the first failure stops the rest. */
export async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await work(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

/**
 * Workflow and activity tasks the Temporal server has seen completed so far: its frontend's
 * `service_requests` for RespondWorkflowTaskCompleted / RespondActivityTaskCompleted (failed ones
 * included), read from the dev server's Prometheus endpoint (TEMPORAL_METRICS_URL, set by `npm run bench:*`).
 */
export async function temporalTaskCounts(): Promise<{ workflowTasks: number; activityTasks: number }> {
  const url = process.env.TEMPORAL_METRICS_URL;
  if (!url) throw new Error('TEMPORAL_METRICS_URL is not set: run the bench through `npm run bench:…`');
  const text = await (await fetch(url)).text();
  const sum = (operations: string[]) =>
    text
      .split('\n')
      .filter((line) => line.startsWith('service_requests{') && line.includes('service_name="frontend"') && operations.some((op) => line.includes(`operation="${op}"`)))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return {
    workflowTasks: sum(['RespondWorkflowTaskCompleted', 'RespondWorkflowTaskFailed']),
    activityTasks: sum(['RespondActivityTaskCompleted', 'RespondActivityTaskFailed', 'RespondActivityTaskCanceled']),
  };
}
