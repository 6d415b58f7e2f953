// bench:resync — a merchant with a 100,000-item catalog, 稼働 and in step; then every MakeShop quantity is
// lost (the shop as the admin would restore it from an old backup: all 0) and the merchant asks for 再同期
// (POST /sync/resync). Timed from the request until MakeShop holds every target again, once per MakeShop
// path: legacy (CSV batches, MakeShop's real rule: one request at a time, at least 1 s apart) and apps
// (GraphQL stock mutations). BENCH_ITEMS sets the size, BENCH_PATHS=legacy|apps runs one path only.
import { performance } from 'node:perf_hooks';
import { postJson } from '../test/support/platforms';
import { MAKESHOP_LOGIN, onboardAppsMerchant, onboardMerchant, startStack, type Stack } from '../test/support/stack';
import { benchWorld, callPacing, expectedTargets, load, machine, makeshopCalls, peakRssOfTree, reportFigures, useWorkerNodeOptions, waitForTargets } from './support';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);
/** The apps path's pacing; unset, the test stack's (unpaced). 60 is the service's default (the real limit is unpublished). */
const APPS_REQUESTS_PER_MINUTE = process.env.BENCH_APPS_REQUESTS_PER_MINUTE ? Number(process.env.BENCH_APPS_REQUESTS_PER_MINUTE) : undefined;
const PATHS = (process.env.BENCH_PATHS ?? 'legacy,apps').split(',').filter((p): p is MakeshopPath => p === 'legacy' || p === 'apps');
const SETUP_TIMEOUT_MS = 30 * 60_000;

type MakeshopPath = 'legacy' | 'apps';

const seconds = (fromMs: number, toMs = performance.now()) => (toMs - fromMs) / 1000;

async function main(): Promise<void> {
  const figures: Record<string, number> = { items: ITEMS, ...(APPS_REQUESTS_PER_MINUTE === undefined ? {} : { appsRequestsPerMinute: APPS_REQUESTS_PER_MINUTE }) };
  const workerNodeOptions = useWorkerNodeOptions();
  for (const path of PATHS) Object.assign(figures, prefixed(path, await resyncOnce(path)));
  console.log(`  worker NODE_OPTIONS: ${workerNodeOptions || '(none)'}`);
  console.log(`  machine: ${machine()}`);
  reportFigures('resync', figures);
}

/** One merchant on its own stack (own database): set up, in step, MakeShop wiped, 再同期, timed. */
async function resyncOnce(path: MakeshopPath): Promise<Record<string, number>> {
  const stack = await startStack(`resync_${path}`, {
    workerMode: 'process',
    makeshopIntervalMs: 1000,
    catalogMaxFileBytes: 100 * 1024 * 1024,
    ...(APPS_REQUESTS_PER_MINUTE === undefined ? {} : { config: { MAKESHOP_APPS_REQUESTS_PER_MINUTE: APPS_REQUESTS_PER_MINUTE } }),
  });
  const world = benchWorld(`resync${path}`, ITEMS);
  const expected = expectedTargets(world);
  try {
    console.log(`[resync ${path}] setting up a merchant with ${ITEMS} items through the API (load ${load()})…`);
    let t = performance.now();
    const onboard = path === 'legacy' ? onboardMerchant : onboardAppsMerchant;
    const { token } = await onboard(stack, world, { catalogTimeoutMs: SETUP_TIMEOUT_MS });
    const setupSeconds = seconds(t);
    console.log(`[resync ${path}] 稼働 after ${setupSeconds.toFixed(0)} s (sign-up, catalog import); waiting for the first full push…`);
    t = performance.now();
    await waitForTargets(stack, world.shopId, expected, SETUP_TIMEOUT_MS, 1000);
    const firstPushSeconds = seconds(t);
    const firstPush = await nextPushTimings(stack, null);
    console.log(`[resync ${path}] in step ${firstPushSeconds.toFixed(0)} s later (the worker's timing of that push: ${firstPush ?? 'no line'}); MakeShop loses every quantity…`);

    // Re-seeding the shop sets every quantity back to 0 and empties its call log (an installed app stays installed).
    await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops`, { shopId: world.shopId, ...(world.login ?? MAKESHOP_LOGIN), ...world.shop });
    const requestedAt = Date.now();
    t = performance.now();
    const res = await stack.http('POST', '/api/v1/sync/resync', { token });
    if (res.status !== 202) throw new Error(`resync: ${res.status} ${JSON.stringify(res.body)}`);
    await waitForTargets(stack, world.shopId, expected, SETUP_TIMEOUT_MS, 200);
    const resyncSeconds = seconds(t);
    const resyncPush = await nextPushTimings(stack, firstPush);
    return report(path, stack, world.shopId, { setupSeconds, firstPushSeconds, resyncSeconds, requestedAt, resyncPush });
  } finally {
    await stack.close();
  }
}

async function report(
  path: MakeshopPath,
  stack: Stack,
  shopId: string,
  run: { setupSeconds: number; firstPushSeconds: number; resyncSeconds: number; requestedAt: number; resyncPush: string | null },
): Promise<Record<string, number>> {
  const calls = await makeshopCalls(stack, shopId);
  // Legacy: webftp + upload pairs. Apps: every GraphQL call (the simulator logs them as one endpoint; order reads are a few).
  const stockCalls = calls.filter((c) => c.endpoint !== 'orderinfo');
  const pacing = callPacing(calls);
  const firstStockCall = stockCalls[0]?.startedAt ?? run.requestedAt;
  const lastStockCall = stockCalls.at(-1)?.finishedAt ?? run.requestedAt;
  const beforeMakeshop = (firstStockCall - run.requestedAt) / 1000;
  const inMakeshop = (lastStockCall - firstStockCall) / 1000;
  const rule = path === 'legacy' ? 'CSV batches, 1 request/s rule' : 'GraphQL stock mutations';
  console.log(`\nbench:resync (${path}) — full resync of ${ITEMS} items (${rule})`);
  console.log(`  POST /sync/resync → every item at its target in MakeShop: ${run.resyncSeconds.toFixed(1)} s (goal ≤ 120 s: ${run.resyncSeconds <= 120 ? 'met' : 'MISSED'})`);
  console.log(`    request → first MakeShop stock call: ${beforeMakeshop.toFixed(1)} s (signal, workflow, catalog read, Smaregi stock read, last-pushed record)`);
  console.log(`    MakeShop stock calls, first start → last end: ${inMakeshop.toFixed(1)} s (${stockCalls.length} calls)`);
  console.log(`    last call → all targets seen by this bench: ${(run.resyncSeconds - beforeMakeshop - inMakeshop).toFixed(1)} s (recording what was pushed, polling)`);
  console.log(`    the worker's own timing of the push: ${run.resyncPush ?? 'no timing line'}`);
  console.log(`  MakeShop calls: ${calls.length} (${summarise(calls.map((c) => c.endpoint.replace(/^.*\//, '')))}); refused by the rule: ${pacing.throttled}; shortest start-to-start gap ${pacing.shortestGapMs} ms; overlapping ${pacing.overlapping}`);
  console.log(`  set-up: 稼働 after ${run.setupSeconds.toFixed(0)} s, first full push in step ${run.firstPushSeconds.toFixed(0)} s later`);
  // The highest the worker went over the whole run: the catalog import, the first full push and the resync's.
  const workerPid = stack.worker.pid();
  const workerPeakRss = workerPid ? peakRssOfTree(workerPid) : 0;
  console.log(`  worker peak RSS (import, first push, resync push): ${(workerPeakRss / 2 ** 20).toFixed(0)} MiB`);
  return {
    seconds: run.resyncSeconds,
    beforeMakeshopSeconds: beforeMakeshop,
    makeshopSeconds: inMakeshop,
    makeshopCalls: calls.length,
    throttledCalls: pacing.throttled,
    shortestGapMs: pacing.shortestGapMs,
    setupSeconds: run.setupSeconds,
    firstPushSeconds: run.firstPushSeconds,
    workerPeakRssBytes: workerPeakRss,
  };
}

/**
 * The worker's timing of the push after `previous`: its line comes once what was pushed is recorded, a
 * moment after MakeShop holds the targets.
 */
async function nextPushTimings(stack: Stack, previous: string | null): Promise<string | null> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const timings = lastPushTimings(stack);
    if (timings !== null && timings !== previous) return timings;
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The worker's last 'stock push timings' line: ms per step of its last push. */
function lastPushTimings(stack: Stack): string | null {
  const line = [...stack.worker.recentOutput()].reverse().find((l) => l.includes('stock push timings'));
  const json = line?.slice(line.indexOf('{'));
  if (!json) return null;
  try {
    const parsed = JSON.parse(json) as { ms?: Record<string, number>; totalMs?: number; rows?: number };
    return `${parsed.rows} rows in ${parsed.totalMs} ms: ${Object.entries(parsed.ms ?? {}).map(([step, ms]) => `${step} ${ms} ms`).join(', ')}`;
  } catch {
    return null;
  }
}

/** "webftp ×2, upload ×2" */
function summarise(names: string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, n]) => (n > 1 ? `${name} ×${n}` : name)).join(', ');
}

function prefixed(path: MakeshopPath, figures: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(figures).map(([name, value]) => [`${path}${name[0]!.toUpperCase()}${name.slice(1)}`, value]));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
