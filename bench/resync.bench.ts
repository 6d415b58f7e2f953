// bench:resync — a merchant with a 100,000-item catalog (legacy MakeShop API, its real rule: one request
// at a time, at least 1 s apart), 稼働 and in step; then every MakeShop quantity is lost (the shop as the
// admin would restore it from an old backup: all 0) and the merchant asks for 再同期 (POST /sync/resync).
// Timed from the request until MakeShop holds every target again; also the MakeShop calls it took.
import { performance } from 'node:perf_hooks';
import { getJson, postJson } from '../test/support/platforms';
import { MAKESHOP_LOGIN, makeshopStock, onboardMerchant, startStack, type Stack } from '../test/support/stack';
import { benchWorld, machine, reportFigures } from './support';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);

interface Call {
  endpoint: string;
  startedAt: number;
  finishedAt: number;
  outcome: string;
}

async function main(): Promise<void> {
  const stack = await startStack('resync', { workerMode: 'process', makeshopIntervalMs: 1000, catalogMaxFileBytes: 100 * 1024 * 1024 });
  const world = benchWorld('resync', ITEMS);
  const makeshop = stack.platforms.makeshop.baseUrl;
  try {
    let t = performance.now();
    console.log(`[resync] setting up a merchant with ${ITEMS} items through the API (catalog upload, 稼働)…`);
    const { token } = await onboardMerchant(stack, world);
    const expected = new Map(world.products.map((p) => [p.productCode, world.stock.filter((s) => s.productCode === p.productCode).reduce((a, s) => a + s.amount, 0)]));
    await waitForTargets(stack, world.shopId, expected, 30 * 60_000);
    console.log(`[resync] merchant 稼働 and in step after ${((performance.now() - t) / 1000).toFixed(0)} s; MakeShop loses every quantity…`);

    await postJson(`${makeshop}/__sim/shops`, { shopId: world.shopId, ...MAKESHOP_LOGIN, ...world.shop });
    t = performance.now();
    const res = await stack.http('POST', '/api/v1/sync/resync', { token });
    if (res.status !== 202) throw new Error(`resync: ${res.status} ${JSON.stringify(res.body)}`);
    await waitForTargets(stack, world.shopId, expected, 30 * 60_000);
    const seconds = (performance.now() - t) / 1000;

    const calls = await getJson<Call[]>(`${makeshop}/__sim/shops/${world.shopId}/calls`);
    const startGaps = calls.slice(1).map((c, i) => c.startedAt - calls[i]!.startedAt);
    const throttled = calls.filter((c) => c.outcome === 'throttled').length;
    console.log(`\nbench:resync — full resync of ${ITEMS} items (legacy API, 1 request/s rule)`);
    console.log(`  POST /sync/resync → every item at its target in MakeShop: ${seconds.toFixed(1)} s (goal ≤ 120 s: ${seconds <= 120 ? 'met' : 'MISSED'})`);
    console.log(`  MakeShop calls: ${calls.length} (${calls.map((c) => c.endpoint.replace(/^.*\//, '')).join(', ')}); refused by the rule: ${throttled}`);
    console.log(`  shortest start-to-start gap: ${startGaps.length ? Math.min(...startGaps) : '—'} ms`);
    console.log(`  machine: ${machine()}`);
    reportFigures('resync', { seconds, items: ITEMS, makeshopCalls: calls.length, throttledCalls: throttled, shortestGapMs: startGaps.length ? Math.min(...startGaps) : 0 });
  } finally {
    await stack.close();
  }
}

/** Polls the MakeShop simulator until every code holds its expected quantity. */
async function waitForTargets(stack: Stack, shopId: string, expected: Map<string, number>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stock = await makeshopStock(stack, shopId);
    const wrong = [...expected].filter(([code, qty]) => stock.get(code) !== qty).length;
    if (wrong === 0) return;
    if (Date.now() > deadline) throw new Error(`${wrong} items never reached their target`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
