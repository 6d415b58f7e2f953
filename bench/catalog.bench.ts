// bench:catalog — a generated CP932 pair of 100,000 products and 300,000 option rows (350,000 stock
// items), uploaded over HTTP and imported to activation by the real worker process against FerretDB,
// with the matching Smaregi products in the simulator. Prints wall time and the worker's peak RSS.
import { mkdtempSync, statSync } from 'node:fs';
import { openAsBlob } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateCatalogPair } from './generate-catalog';
import { onboardMerchant, startStack } from '../test/support/stack';
import { machine, peakRssOfTree, reportFigures, useWorkerNodeOptions } from './support';

const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 100_000);

interface UploadProgressAnswer {
  status: string;
  progress: { phase: string; percent: number; rows: number; smaregiProducts: number };
  report: { errors: unknown[] } | null;
}

/** e.g. "smaregi 61.2 s, checking 19.0 s, writing 66.8 s, activating 0.4 s". */
function phaseBreakdown(starts: Map<string, number>, totalMs: number): string {
  const ordered = [...starts].filter(([phase]) => phase !== 'queued' && phase !== 'done');
  return ordered
    .map(([phase, start], i) => `${phase} ${(((ordered[i + 1]?.[1] ?? totalMs) - start) / 1000).toFixed(1)} s`)
    .join(', ');
}

/** The same breakdown as figures: `smaregiSeconds`, `checkingSeconds`, … */
function phaseSeconds(starts: Map<string, number>, totalMs: number): Record<string, number> {
  const ordered = [...starts].filter(([phase]) => phase !== 'queued' && phase !== 'done');
  return Object.fromEntries(ordered.map(([phase, start], i) => [`${phase}Seconds`, ((ordered[i + 1]?.[1] ?? totalMs) - start) / 1000]));
}

/** `after smaregi: {"rss":…}` from the worker's 'catalog import memory' log line. */
function workerMemoryFigures(line: string): string {
  const json = line.slice(line.indexOf('{'));
  try {
    const { after, memoryMiB } = JSON.parse(json) as { after: string; memoryMiB: unknown };
    return `after ${after}: ${JSON.stringify(memoryMiB)}`;
  } catch {
    return line;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zaiko-catalog-bench-'));
  let t = performance.now();
  const pair = await generateCatalogPair({ dir, products: PRODUCTS });
  console.log(`[catalog] generated ${pair.productRows} products + ${pair.optionRows} options (${pair.stockItems} stock items) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const workerNodeOptions = useWorkerNodeOptions();
  const stack = await startStack('catalogbench', { workerMode: 'process', catalogMaxFileBytes: 100 * 1024 * 1024 });
  try {
    const world = {
      contractId: 'sb_catalogbench',
      shopId: 'catalogbench',
      stores: [{ storeId: '1', storeName: '本店' }],
      products: [...pair.smaregiCodes.keys()].map((productCode) => ({ productCode, productName: productCode })),
      stock: [],
      shop: { products: [], options: [] },
      stockStoreIds: ['1'],
      shipmentStoreId: '1',
    };
    const { token } = await onboardMerchant(stack, world, { catalog: false, run: false });
    console.log(`[catalog] merchant ready; Smaregi holds ${world.products.length} products; uploading…`);
    const form = new FormData();
    form.append('productCsv', await openAsBlob(pair.productCsvPath), 'products.csv');
    form.append('optionCsv', await openAsBlob(pair.optionCsvPath), 'options.csv');
    t = performance.now();
    const res = await fetch(`${stack.apiUrl}/api/v1/catalog/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    if (res.status !== 202) throw new Error(`upload: ${res.status} ${await res.text()}`);
    const uploaded = performance.now() - t;
    const { uploadId } = (await res.json()) as { uploadId: string };
    const workerPid = stack.worker.pid();
    let peak = 0;
    let lastLine = 0;
    /** When each import phase was first seen, for the breakdown. */
    const phaseStarts = new Map<string, number>();
    const memoryLines = new Set<string>();
    for (;;) {
      peak = Math.max(peak, workerPid ? peakRssOfTree(workerPid) : 0);
      for (const line of stack.worker.recentOutput()) if (line.includes('catalog import memory')) memoryLines.add(line);
      const upload = (await stack.http<UploadProgressAnswer>('GET', `/api/v1/catalog/uploads/${uploadId}`, { token })).body;
      if (!phaseStarts.has(upload.progress.phase)) {
        phaseStarts.set(upload.progress.phase, performance.now() - t);
        // The high-water mark so far: what the phases before this one raised it to.
        console.log(`[catalog] phase ${upload.progress.phase} after ${((performance.now() - t) / 1000).toFixed(1)} s; worker peak RSS so far ${(peak / 2 ** 20).toFixed(0)} MiB`);
      }
      if (performance.now() - lastLine > 5000) {
        lastLine = performance.now();
        const { phase, percent, rows, smaregiProducts } = upload.progress;
        const detail = phase === 'smaregi' ? `${smaregiProducts} Smaregi products read` : `${rows} rows of the current file`;
        console.log(`[catalog] ${upload.status} ${phase} ${percent}% (${detail}) after ${((performance.now() - t) / 1000).toFixed(0)} s`);
      }
      if (upload.status === 'failed') throw new Error(`import failed: ${JSON.stringify(upload.report?.errors.slice(0, 3))}`);
      if (upload.status === 'succeeded') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const total = performance.now() - t;
    const catalog = (await stack.http<{ counts: Record<string, number> }>('GET', '/api/v1/catalog', { token })).body;
    console.log(`\nbench:catalog — ${pair.productRows} products + ${pair.optionRows} option rows (CP932, ${((statSync(pair.productCsvPath).size + statSync(pair.optionCsvPath).size) / 2 ** 20).toFixed(0)} MiB), ${pair.stockItems} stock items`);
    console.log(`  upload (HTTP → GridFS): ${(uploaded / 1000).toFixed(1)} s`);
    console.log(`  upload → activation: ${(total / 1000).toFixed(1)} s (goal ≤ 60 s: ${total <= 60_000 ? 'met' : 'MISSED'})`);
    console.log(`  phases (first seen by polling): ${phaseBreakdown(phaseStarts, total)}`);
    console.log(`  worker peak RSS: ${(peak / 2 ** 20).toFixed(0)} MiB (goal ≤ 400 MB: ${peak <= 400 * 10 ** 6 ? 'met' : 'MISSED'})`);
    console.log(`  counts: ${JSON.stringify(catalog.counts)}`);
    console.log(`  the worker's memory at the end of each import phase (MiB; peakRss = highest so far):`);
    for (const line of memoryLines) console.log(`    ${workerMemoryFigures(line)}`);
    console.log(`  worker NODE_OPTIONS: ${workerNodeOptions || '(none)'}`);
    console.log(`  machine: ${machine()}`);
    reportFigures('catalog', { seconds: total / 1000, peakRssBytes: peak, uploadSeconds: uploaded / 1000, stockItems: pair.stockItems, ...phaseSeconds(phaseStarts, total) });
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
