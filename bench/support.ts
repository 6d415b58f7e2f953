// Shared pieces of the sync benchmarks: a merchant with N plain products, set up through the public API
// on the full stack (api in this process, the real worker as its own process).
import { cpus, totalmem } from 'node:os';
import type { MerchantWorld } from '../test/support/stack';

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
