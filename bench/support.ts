// Shared pieces of the sync benchmarks: a merchant with N plain products, set up through the public API
// on the full stack (api in this process, the real worker as its own process).
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { onboardAppsMerchant, onboardMerchant, type MerchantWorld, type Stack } from '../test/support/stack';

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

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
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

/** Peak resident memory (VmHWM) of the processes below `pid` — the api and worker run under tsx. */
export function peakRssOfTree(pid: number): number {
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
  let peak = 0;
  const visit = (p: number) => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (hwm) peak = Math.max(peak, Number(hwm[1]) * 1024);
    } catch {
      // gone
    }
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return peak;
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
