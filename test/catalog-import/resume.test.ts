// The import of one stored upload (runCatalogImport, what the heartbeating activity runs) against the
// real FerretDB and the Smaregi simulator: an attempt cut off mid-way is resumed from its last
// heartbeat without listing Smaregi again and without writing anything twice; a refused pair writes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { generateCatalogPair, type GeneratedCatalogPair } from '../../bench/generate-catalog';
import { runCatalogImport, type CatalogImportRunDeps, type ImportCheckpoint } from '../../src/activities/catalog-import-run';
import { createLogger } from '../../src/lib/logger';
import { SmaregiClient } from '../../src/platforms/smaregi/client';
import { startSmaregiSimulator, TEST_CLIENT_ID, TEST_CLIENT_SECRET, type RunningSmaregiSimulator } from '../../src/simulators/smaregi/testing';
import { countCatalogItems, readSyncedItems } from '../../src/storage/catalog-items';
import { catalogFileBucket, catalogUploads, insertCatalogUpload, type CatalogUploadDoc } from '../../src/storage/catalog-uploads';
import { ensureIndexes } from '../../src/storage/indexes';
import { testDatabase } from '../support/infra';

const CONTRACT = 'sb_resume';
const TENANT = 'tn_resume';

let database: Awaited<ReturnType<typeof testDatabase>>;
let smaregiSim: RunningSmaregiSimulator;
let pair: GeneratedCatalogPair;
let listings = 0;
let nextVersion = 1;

const smaregi = () => {
  const client = new SmaregiClient({ idBaseUrl: smaregiSim.baseUrl, apiBaseUrl: smaregiSim.baseUrl, clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET });
  return {
    productPages: (...args: Parameters<SmaregiClient['productPages']>) => {
      listings += 1;
      return client.productPages(...args);
    },
  };
};

async function store(source: Readable, name: string) {
  const upload = catalogFileBucket(database.db).openUploadStream(name);
  await pipeline(source, upload);
  return upload.id;
}

async function newUpload(files: { productCsv: Readable; optionCsv: Readable; productBytes: number; optionBytes: number }): Promise<CatalogUploadDoc> {
  const uploadId = `up_${String(nextVersion).padStart(24, '0')}`;
  await insertCatalogUpload(database.db, {
    _id: uploadId,
    tenantId: TENANT,
    version: nextVersion++,
    files: {
      productCsv: { fileId: await store(files.productCsv, 'products.csv'), name: 'products.csv', bytes: files.productBytes },
      optionCsv: { fileId: await store(files.optionCsv, 'options.csv'), name: 'options.csv', bytes: files.optionBytes },
    },
    createdAt: new Date(),
  });
  return (await catalogUploads(database.db).findOne({ _id: uploadId }))!;
}

function deps(overrides: Partial<CatalogImportRunDeps> = {}): CatalogImportRunDeps {
  return {
    db: database.db,
    smaregi: smaregi(),
    logger: createLogger('catalog-resume-test', 'silent'),
    heartbeat: () => undefined,
    resumeFrom: undefined,
    now: () => new Date(),
    progressEveryMs: 0,
    insertBatchSize: 500,
    ...overrides,
  };
}

const versionCount = async (version: number) => (await countCatalogItems(database.db, TENANT, version)).stockItems;

before(async () => {
  database = await testDatabase('catalog_resume');
  await ensureIndexes(database.db);
  pair = await generateCatalogPair({ dir: mkdtempSync(join(tmpdir(), 'zaiko-resume-')), products: 3000, optionsPerProduct: 3 });
  smaregiSim = await startSmaregiSimulator();
  smaregiSim.sim.state.replaceContract({
    contractId: CONTRACT,
    stores: [{ storeId: '1', storeName: '本店' }],
    products: [...pair.smaregiCodes.keys()].map((productCode) => ({ productCode, productName: productCode })),
    stock: [],
  });
});

after(async () => {
  await smaregiSim?.close();
  await database?.drop();
});

describe('resuming an interrupted import', () => {
  test('a retry resumes after the last stored batch, against the same Smaregi snapshot', async () => {
    const productBytes = statSync(pair.productCsvPath).size;
    const optionBytes = statSync(pair.optionCsvPath).size;
    const upload = await newUpload({ productCsv: createReadStream(pair.productCsvPath), optionCsv: createReadStream(pair.optionCsvPath), productBytes, optionBytes });
    listings = 0;

    // Attempt 1 is cut off (as a worker crash would) once a few batches are stored.
    const abort = new AbortController();
    let last: ImportCheckpoint | undefined;
    const first = runCatalogImport(
      deps({
        signal: abort.signal,
        heartbeat: (checkpoint) => {
          last = structuredClone(checkpoint);
          if (checkpoint.written >= 2000) abort.abort();
        },
      }),
      upload,
      CONTRACT,
    );
    await assert.rejects(first);
    assert.ok(last && last.written >= 2000 && last.written < pair.stockItems, JSON.stringify(last));
    const storedBefore = await versionCount(upload.version);
    assert.ok(storedBefore >= last.written);

    // Attempt 2 gets attempt 1's last heartbeat, as Temporal hands it over.
    const retried = (await catalogUploads(database.db).findOne({ _id: upload._id }))!;
    const firstWritten: number[] = [];
    const outcome = await runCatalogImport(deps({ resumeFrom: last, heartbeat: (c) => c.progress.phase === 'writing' && firstWritten.push(c.written) }), retried, CONTRACT);
    assert.equal(outcome.ok, true, JSON.stringify(outcome.report.errors.slice(0, 3)));
    assert.equal(listings, 1, 'the retry matched against the stored snapshot instead of listing Smaregi again');
    assert.ok((firstWritten[0] ?? 0) >= last.written, 'the retry started after the items already stored');
    assert.equal(await versionCount(upload.version), pair.stockItems);
    assert.equal(outcome.report.stockItems, pair.stockItems);
    assert.equal((await countCatalogItems(database.db, TENANT, upload.version)).matched, outcome.report.matched);
    assert.equal((await readSyncedItems(database.db, TENANT, upload.version)).length, outcome.report.matched);
  });

  test('a retry that cannot reuse the snapshot starts the version over and still writes each item once', async () => {
    const upload = (await catalogUploads(database.db).findOne({ version: 1 }))!;
    await database.db.collection('smaregi_products').deleteMany({});
    const outcome = await runCatalogImport(deps(), upload, CONTRACT);
    assert.equal(outcome.ok, true);
    assert.equal(await versionCount(upload.version), pair.stockItems);
  });

  test('a refused pair writes no item at all', async () => {
    // Products 7 and 9 have no options, so both are items: now with the same 独自商品コード.
    const products = iconv.encode(iconv.decode(readFileSync(pair.productCsvPath), 'cp932').replace('MS-7,', 'MS-9,'), 'cp932');
    const options = readFileSync(pair.optionCsvPath);
    const upload = await newUpload({
      productCsv: Readable.from([products]),
      optionCsv: Readable.from([options]),
      productBytes: products.length,
      optionBytes: options.length,
    });
    const outcome = await runCatalogImport(deps(), upload, CONTRACT);
    assert.equal(outcome.ok, false);
    assert.match(outcome.report.errors.map((e) => e.message).join('\n'), /MS-9.*重複/);
    assert.equal(await versionCount(upload.version), 0);
    assert.equal((await catalogUploads(database.db).findOne({ _id: upload._id }))?.itemsWrittenAt, null);
  });
});
