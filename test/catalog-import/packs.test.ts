// How a catalog version is stored (src/storage/catalog-items.ts): items in packs of a batch each, read
// back in file order whatever order the packs were written or rewritten in — never natural order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MatchedStockItem, MatchStatus } from '../../src/domain/catalog';
import {
  catalogItemPacks,
  countCatalogItems,
  insertCatalogPack,
  listCatalogItems,
  markItemsConflicting,
  purgeCatalogVersion,
  readSyncedItems,
} from '../../src/storage/catalog-items';
import { ensureIndexes } from '../../src/storage/indexes';
import { testDatabase } from '../support/infra';

const TENANT = 'tn_packs';
let database: Awaited<ReturnType<typeof testDatabase>>;

/** Option rows first (lines 2…), then products; every third item unmatched. */
function item(n: number): MatchedStockItem {
  const status: MatchStatus = n % 3 === 2 ? 'unmatched' : 'matched';
  const matched = status === 'matched';
  const common = { systemCode: String(n).padStart(12, '0'), customCode: `C${n}`, jan: '', name: `商品${n}`, quantity: n, status, conflictReasons: [] };
  const match = { smaregiProductId: matched ? `p${n}` : null, matchedBy: matched ? ('code' as const) : null };
  return n < 5 ? { ...common, ...match, source: 'option', optionCode: `O${n}`, line: n + 2 } : { ...common, ...match, source: 'product', line: n - 3 };
}
const codeOf = (i: { source: string; customCode: string; optionCode?: string }) => (i.source === 'option' ? i.optionCode : i.customCode);
const ALL = Array.from({ length: 10 }, (_, n) => item(n));

before(async () => {
  database = await testDatabase('catalog_packs');
  await ensureIndexes(database.db);
  // Three packs (batches of 4, 4, 2), written last first.
  for (const seq of [2, 1, 0]) await insertCatalogPack(database.db, TENANT, 1, seq, ALL.slice(seq * 4, seq * 4 + 4));
});
after(async () => database?.drop());

describe('catalog packs', () => {
  test('pages run across packs in file order, for all items and for one status', async () => {
    const page = async (status: MatchStatus | undefined, pageNo: number, limit: number) =>
      (await listCatalogItems(database.db, { tenantId: TENANT, version: 1, status, page: pageNo, limit })).items.map(codeOf);
    const all = ALL.map(codeOf);
    assert.deepEqual([...(await page(undefined, 1, 3)), ...(await page(undefined, 2, 3)), ...(await page(undefined, 3, 3)), ...(await page(undefined, 4, 3))], all);
    const matched = ALL.filter((i) => i.status === 'matched').map(codeOf);
    assert.deepEqual([...(await page('matched', 1, 5)), ...(await page('matched', 2, 5))], matched);
    assert.deepEqual(await page('unmatched', 1, 50), ['O2', 'C5', 'C8']);
    assert.deepEqual(await page('unmatched', 2, 50), []);
  });

  test('a rewritten pack keeps its place; counts and the synced items come from the packs', async () => {
    // O3 (pack 0) turns out to conflict: its pack is rewritten, which moves it last in natural order.
    await markItemsConflicting(database.db, TENANT, 1, [{ key: 'optionCsv:5', file: 'optionCsv', line: 5, status: 'conflict', conflictReasons: ['duplicate-code'] }]);
    const listed = await listCatalogItems(database.db, { tenantId: TENANT, version: 1, page: 1, limit: 50 });
    assert.deepEqual(listed.items.map(codeOf), ALL.map(codeOf));
    assert.deepEqual(listed.items.find((i) => codeOf(i) === 'O3')?.conflictReasons, ['duplicate-code']);
    assert.deepEqual(await countCatalogItems(database.db, TENANT, 1), { stockItems: 10, matched: 6, unmatched: 3, conflicts: 1, unlimited: 0 });
    assert.deepEqual((await readSyncedItems(database.db, TENANT, 1)).map(codeOf), ['O0', 'O1', 'O4', 'C6', 'C7', 'C9']);
    assert.deepEqual((await readSyncedItems(database.db, TENANT, 1, ['p7', 'p1'])).map((i) => i.smaregiProductCode), ['O1', 'C7']);
  });

  test('writing a pack again is harmless; purging a version deletes all of it', async () => {
    await insertCatalogPack(database.db, TENANT, 1, 1, ALL.slice(4, 8));
    assert.equal(await catalogItemPacks(database.db).countDocuments({ tenantId: TENANT, version: 1 }), 3);
    assert.equal(await purgeCatalogVersion(database.db, TENANT, 1), 3);
    assert.equal((await countCatalogItems(database.db, TENANT, 1)).stockItems, 0);
  });
});
