import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { generateCatalogPair, type GeneratedCatalogPair } from '../../bench/generate-catalog';
import { importCatalogPair } from '../../src/catalog/import';
import { fileSource } from '../../src/catalog/sources';
import { PRODUCT_CSV_COLUMNS } from '../../src/platforms/makeshop/csv-columns';

describe('bench catalog generator', () => {
  let dir: string;
  let pair: GeneratedCatalogPair;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'catalog-gen-'));
    pair = await generateCatalogPair({ dir, products: 300, optionsPerProduct: 3, optionProductShare: 0.5 });
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('writes a CP932, CRLF pair with the 79-column header', async () => {
    const text = iconv.decode(await readFile(pair.productCsvPath), 'cp932');
    assert.ok(text.startsWith(`${PRODUCT_CSV_COLUMNS.join(',')}\r\n`));
    assert.equal(pair.productRows, 300);
    assert.equal(pair.optionRows, 450);
    assert.equal(pair.stockItems, 150 + 450);
  });

  test('imports without errors, and the Smaregi codes match most items', async () => {
    let conflictUpdates = 0;
    const { report } = await importCatalogPair({
      productCsv: fileSource(pair.productCsvPath),
      optionCsv: fileSource(pair.optionCsvPath),
      smaregiProducts: pair.smaregiCodes,
      onItems: () => undefined,
      applyConflictUpdates: (updates) => {
        conflictUpdates = updates.length;
      },
    });
    assert.equal(report.errorCount, 0, JSON.stringify(report.errors.slice(0, 3)));
    assert.equal(report.productRows, pair.productRows);
    assert.equal(report.optionRows, pair.optionRows);
    assert.equal(report.stockItems, pair.stockItems);
    assert.equal(report.conflicts, 0);
    assert.equal(conflictUpdates, 0);
    assert.ok(report.unlimited > 0);
    assert.ok(report.matched > report.stockItems * 0.8, `matched ${report.matched} of ${report.stockItems}`);
    assert.equal(report.unmatchedSmaregiProducts, 3);
    const tsv = await readFile(pair.smaregiCodesPath, 'utf8');
    assert.equal(tsv.trim().split('\n').length, pair.smaregiCodes.size);
  });
});
