// bench:burst — 5,000 SKUs changed in Smaregi within 10 s (one pos:stock webhook each): time until
// MakeShop holds every new target, how many MakeShop calls that took, and the shortest gap between two
// MakeShop calls (MakeShop's rule: one at a time, at most one per second). BENCH_MAKESHOP_MODE=apps
// connects the merchant through the makeshop app (GraphQL) instead of the legacy API.
import { performance } from 'node:perf_hooks';
import { getJson, postJson } from '../test/support/platforms';
import { makeshopStock, startStack } from '../test/support/stack';
import { benchMakeshopMode, benchWorld, load, machine, onboardBenchMerchant, reportFigures } from './support';

const SKUS = Number(process.env.BENCH_SKUS ?? 5000);
const SPREAD_MS = 10_000;
const MODE = benchMakeshopMode();

interface Call {
  endpoint: string;
  startedAt: number;
  finishedAt: number;
  outcome: string;
}

async function main(): Promise<void> {
  const stack = await startStack('burst', { workerMode: 'process', makeshopIntervalMs: 1000, sync: { debounceMs: 300, maxDelayMs: 2000 } });
  const world = benchWorld('burst', SKUS);
  const callsUrl = `${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/calls`;
  try {
    console.log(`[burst] setting up a merchant with ${SKUS} SKUs through the API (MakeShop ${MODE} API)…`);
    await onboardBenchMerchant(stack, world, MODE);
    const expected = new Map(world.products.map((p) => [p.productCode, world.stock.filter((s) => s.productCode === p.productCode).reduce((a, s) => a + s.amount, 0)]));
    await waitForTargets(stack, world.shopId, expected, 300_000);
    const callsBefore = (await getJson<Call[]>(callsUrl)).length;

    console.log(`[burst] changing ${SKUS} SKUs within ${SPREAD_MS / 1000} s…`);
    const t0 = performance.now();
    const slices = 10;
    const per = Math.ceil(SKUS / slices);
    for (let s = 0; s < slices; s++) {
      const adjustments = world.products.slice(s * per, (s + 1) * per).map((p, i) => {
        const delta = (s + i) % 2 === 0 ? -2 : 3;
        expected.set(p.productCode, expected.get(p.productCode)! + delta);
        return { storeId: '1', productCode: p.productCode, delta };
      });
      await postJson(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/stock-adjustments/bulk`, { adjustments });
      const next = ((s + 1) * SPREAD_MS) / slices;
      const wait = next - (performance.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const sent = performance.now() - t0;
    await waitForTargets(stack, world.shopId, expected, 600_000);
    const applied = performance.now() - t0;

    const calls = (await getJson<Call[]>(callsUrl)).slice(callsBefore);
    const startGaps = calls.slice(1).map((c, i) => c.startedAt - calls[i]!.startedAt);
    const overlaps = calls.slice(1).filter((c, i) => c.startedAt < calls[i]!.finishedAt).length;
    console.log(`\nbench:burst — ${SKUS} SKUs changed within ${(sent / 1000).toFixed(1)} s, MakeShop ${MODE} API`);
    console.log(`  all applied in MakeShop after ${(applied / 1000).toFixed(1)} s (goal ≤ 20 s: ${applied <= 20_000 ? 'met' : 'MISSED'})`);
    console.log(`  MakeShop calls: ${calls.length} (${calls.map((c) => c.endpoint.replace(/^.*\//, '')).join(', ')})`);
    console.log(`  refused by MakeShop's rate rule: ${calls.filter((c) => c.outcome === 'throttled').length}`);
    console.log(`  shortest start-to-start gap between two calls: ${startGaps.length ? Math.min(...startGaps) : '—'} ms; overlapping calls: ${overlaps}`);
    console.log(`  machine: ${machine()}; load average now ${load()}`);
    reportFigures('burst', { appsMode: MODE === 'apps' ? 1 : 0, seconds: applied / 1000, makeshopCalls: calls.length, skus: SKUS, shortestGapMs: startGaps.length ? Math.min(...startGaps) : 0, overlappingCalls: overlaps });
  } finally {
    await stack.close();
  }
}

async function waitForTargets(stack: Awaited<ReturnType<typeof startStack>>, shopId: string, expected: Map<string, number>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stock = await makeshopStock(stack, shopId);
    const wrong = [...expected].filter(([code, qty]) => stock.get(code) !== qty).length;
    if (wrong === 0) return;
    if (Date.now() > deadline) throw new Error(`${wrong} SKUs never reached their target`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
