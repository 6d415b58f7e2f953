// bench:burst — 5,000 SKUs changed in Smaregi within 10 s (one pos:stock webhook each): time until
// MakeShop holds every new target, how many MakeShop calls that took, and the shortest gap between two
// MakeShop calls (MakeShop's rule: one at a time, at most one per second). BENCH_MAKESHOP_MODE=apps
// connects the merchant through the makeshop app (GraphQL) instead of the legacy API.
import { performance } from 'node:perf_hooks';
import { postJson } from '../test/support/platforms';
import { startStack } from '../test/support/stack';
import { benchMakeshopMode, benchWorld, callPacing, expectedTargets, load, machine, makeshopCalls, onboardBenchMerchant, reportFigures, waitForTargets } from './support';

const SKUS = Number(process.env.BENCH_SKUS ?? 5000);
const SPREAD_MS = 10_000;
const MODE = benchMakeshopMode();

async function main(): Promise<void> {
  const stack = await startStack('burst', { workerMode: 'process', makeshopIntervalMs: 1000, sync: { debounceMs: 300, maxDelayMs: 2000 } });
  const world = benchWorld('burst', SKUS);
  try {
    console.log(`[burst] setting up a merchant with ${SKUS} SKUs through the API (MakeShop ${MODE} API)…`);
    await onboardBenchMerchant(stack, world, MODE);
    const expected = expectedTargets(world);
    await waitForTargets(stack, world.shopId, expected, 300_000);
    const callsBefore = (await makeshopCalls(stack, world.shopId)).length;

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

    const calls = (await makeshopCalls(stack, world.shopId)).slice(callsBefore);
    const pacing = callPacing(calls);
    console.log(`\nbench:burst — ${SKUS} SKUs changed within ${(sent / 1000).toFixed(1)} s, MakeShop ${MODE} API`);
    console.log(`  all applied in MakeShop after ${(applied / 1000).toFixed(1)} s (goal ≤ 20 s: ${applied <= 20_000 ? 'met' : 'MISSED'})`);
    console.log(`  MakeShop calls: ${calls.length} (${calls.map((c) => c.endpoint.replace(/^.*\//, '')).join(', ')})`);
    console.log(`  refused by MakeShop's rate rule: ${pacing.throttled}`);
    console.log(`  shortest start-to-start gap between two calls: ${calls.length > 1 ? pacing.shortestGapMs : '—'} ms; overlapping calls: ${pacing.overlapping}`);
    console.log(`  machine: ${machine()}; load average now ${load()}`);
    reportFigures('burst', { appsMode: MODE === 'apps' ? 1 : 0, seconds: applied / 1000, makeshopCalls: calls.length, skus: SKUS, shortestGapMs: pacing.shortestGapMs, overlappingCalls: pacing.overlapping });
  } finally {
    await stack.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
