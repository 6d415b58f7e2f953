import { createLogger } from '../src/lib/logger';
import type { StockPushRow } from '../src/platforms/makeshop/gateway';
import { LegacyMakeshopClient } from '../src/platforms/makeshop/legacy-client';
import { buildOptionStockCsv, buildProductStockCsv, type OptionStockRow, type ProductStockRow } from '../src/platforms/makeshop/stock-csv';
import { startMakeshopSimulator } from '../src/simulators/makeshop/harness';
import { reportFigures } from './support';
import type { CallLogEntry, ShopSeed } from '../src/simulators/makeshop/shop';

/**
 * Pushes 10,000 SKUs (6,000 plain products + 1,000 products × 4 options) in one batch through
 * LegacyMakeshopClient against the in-process simulator with MakeShop's real rule (1 request/second,
 * one at a time). Goal: ≤ 4 calls (one key + one upload per CSV).
 */
const PLAIN_PRODUCTS = 6_000;
const OPTION_PRODUCTS = 1_000;
const OPTIONS_PER_PRODUCT = 4;
const MIN_INTERVAL_MS = 1000;

function seed(): ShopSeed {
  const products: ShopSeed['products'] = [];
  const options: ShopSeed['options'] = [];
  for (let i = 0; i < PLAIN_PRODUCTS + OPTION_PRODUCTS; i++) {
    const systemCode = String(i + 1).padStart(12, '0');
    const hasOptions = i >= PLAIN_PRODUCTS;
    products.push({
      systemCode,
      customCode: `ZS-${String(i).padStart(5, '0')}`,
      name: `商品 ${i}`,
      jan: '',
      quantity: hasOptions ? null : 1,
      ...(hasOptions ? { optionNames: ['カラー', 'サイズ'] } : {}),
    });
    for (let k = 0; hasOptions && k < OPTIONS_PER_PRODUCT; k++) {
      options.push({ systemCode, optionCode: `OP-${i}-${k}`, option1: `色${k % 2}`, option2: `サイズ${k}`, jan: '', quantity: 1 });
    }
  }
  return { shopId: 'benchshop', accountId: 'bench-admin', password: 'bench-pass', orderAuthCode: 'bench-code', products, options };
}

function stockRows(shop: ShopSeed): StockPushRow[] {
  const products: StockPushRow[] = shop.products
    .filter((product) => !product.optionNames)
    .map((product, i) => ({ kind: 'product', customCode: product.customCode, quantity: i % 50 }));
  const options: StockPushRow[] = shop.options.map((option, i) => ({
    kind: 'option',
    systemCode: option.systemCode,
    optionCode: option.optionCode,
    quantity: (i * 7) % 30,
  }));
  return [...products, ...options];
}

async function main(): Promise<void> {
  const logger = createLogger('makeshop-bench', 'warn');
  const running = await startMakeshopSimulator({ minIntervalMs: MIN_INTERVAL_MS, logger });
  try {
    const shop = seed();
    running.sim.state.replaceShop(shop);
    const rows = stockRows(shop);
    const productBytes = buildProductStockCsv(rows.filter((row): row is ProductStockRow => row.kind === 'product')).length;
    const optionBytes = buildOptionStockCsv(rows.filter((row): row is OptionStockRow => row.kind === 'option')).length;
    const client = new LegacyMakeshopClient({ baseUrl: running.baseUrl, minIntervalMs: MIN_INTERVAL_MS, logger });

    const startedAt = performance.now();
    const result = await client.pushStock(
      { mode: 'legacy', shopId: shop.shopId, accountId: shop.accountId, password: shop.password, orderAuthCode: shop.orderAuthCode },
      rows,
    );
    const wallMs = performance.now() - startedAt;

    const calls: CallLogEntry[] = running.sim.state.shop(shop.shopId)?.calls ?? [];
    const stockByKey = new Map(
      running.sim.state.shop(shop.shopId)!.stockRows().map((item) => [item.optionCode === null ? `p:${item.customCode}` : `o:${item.systemCode}:${item.optionCode}`, item.quantity]),
    );
    const mismatches = rows.filter(
      (row) => stockByKey.get(row.kind === 'product' ? `p:${row.customCode}` : `o:${row.systemCode}:${row.optionCode}`) !== row.quantity,
    ).length;

    console.log(`MakeShop stock push: ${rows.length} SKUs (${PLAIN_PRODUCTS} products, ${OPTION_PRODUCTS * OPTIONS_PER_PRODUCT} options), rule ${MIN_INTERVAL_MS} ms`);
    console.log(`  calls made (client):     ${result.calls}  (goal ≤ 4)`);
    console.log(`  calls seen (simulator):  ${calls.map((call) => `${call.endpoint}:${call.outcome}`).join(', ')}`);
    console.log(`  rows sent / succeeded:   ${result.rowsSent} / ${result.rowsSucceeded}, failures ${result.failures.length}`);
    console.log(`  stock mismatches after:  ${mismatches}`);
    console.log(`  CSV sizes:               products ${(productBytes / 1024).toFixed(0)} KiB, options ${(optionBytes / 1024).toFixed(0)} KiB`);
    console.log(`  wall time:               ${(wallMs / 1000).toFixed(2)} s`);
    reportFigures('makeshop', { seconds: wallMs / 1000, calls: result.calls, rowsSent: result.rowsSent, rowsSucceeded: result.rowsSucceeded, mismatches });
    if (result.calls > 4 || mismatches > 0 || result.failures.length > 0) process.exitCode = 1;
  } finally {
    await running.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
