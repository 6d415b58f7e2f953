// bench:latency — 200 sparse Smaregi stock changes, each from the POS change (which fires the webhook)
// until the MakeShop simulator holds the new target. MakeShop's real 1 request/s rule is on (legacy API);
// BENCH_MAKESHOP_MODE=apps connects the merchant through the makeshop app (GraphQL) instead.
import { performance } from 'node:perf_hooks';
import { postJson } from '../test/support/platforms';
import { makeshopStock, startStack } from '../test/support/stack';
import { benchMakeshopMode, benchWorld, load, machine, onboardBenchMerchant, percentile, reportFigures } from './support';

const CHANGES = Number(process.env.BENCH_CHANGES ?? 200);
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 1500);
const MODE = benchMakeshopMode();

async function main(): Promise<void> {
  const stack = await startStack('latency', { workerMode: 'process', makeshopIntervalMs: 1000, sync: { debounceMs: 300, maxDelayMs: 2000 } });
  const world = benchWorld('latency', 50);
  try {
    await onboardBenchMerchant(stack, world, MODE);
    const expected = new Map<string, number>();
    for (const p of world.products) expected.set(p.productCode, world.stock.filter((s) => s.productCode === p.productCode).reduce((a, s) => a + s.amount, 0));
    await waitUntil(async () => (await makeshopStock(stack, world.shopId)).get('B000001') === expected.get('B000001'), 60_000);

    const latencies: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const code = world.products[i % world.products.length]!.productCode;
      const delta = i % 3 === 0 ? -1 : 1;
      expected.set(code, expected.get(code)! + delta);
      const t0 = performance.now();
      await postJson(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/stock-adjustments`, { storeId: '1', productCode: code, delta });
      await waitUntil(async () => (await makeshopStock(stack, world.shopId)).get(code) === expected.get(code), 30_000, 10);
      latencies.push(performance.now() - t0);
      if ((i + 1) % 20 === 0) console.log(`[latency] ${i + 1}/${CHANGES} changes, last ${latencies.at(-1)!.toFixed(0)} ms, load ${load()}`);
      await new Promise((r) => setTimeout(r, GAP_MS));
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(`\nbench:latency — ${CHANGES} sparse changes (gap ${GAP_MS} ms), webhook → MakeShop applied, MakeShop ${MODE} API`);
    console.log(`  p50 ${fmt(percentile(sorted, 50))}  p95 ${fmt(percentile(sorted, 95))}  p99 ${fmt(percentile(sorted, 99))}  max ${fmt(sorted.at(-1)!)}`);
    console.log(`  goal p95 ≤ 3 s: ${percentile(sorted, 95) <= 3000 ? 'met' : 'MISSED'}`);
    console.log(`  machine: ${machine()}; load average now ${load()}`);
    reportFigures('latency', { appsMode: MODE === 'apps' ? 1 : 0, p50Seconds: percentile(sorted, 50) / 1000, p95Seconds: percentile(sorted, 95) / 1000, p99Seconds: percentile(sorted, 99) / 1000, maxSeconds: sorted.at(-1)! / 1000, changes: sorted.length });
  } finally {
    await stack.close();
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for MakeShop');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
