// Step 5 over HTTP: the CSV pair uploaded as multipart, imported by catalogImportWorkflow on the real
// worker (Temporal + FerretDB + the Smaregi simulator), activated atomically — and every malformed
// pair refused with a clear report while the previous catalog stays active.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { generateCatalogPair } from '../../bench/generate-catalog';
import { syncStatusQuery, syncWorkflowId } from '../../src/workflows/messages';
import { eventually } from '../support/platforms';
import { sampleCsv } from '../support/samples';
import { onboardMerchant, startStack, type MerchantWorld, type Stack } from '../support/stack';

const sampleProducts = sampleCsv('products');
const sampleOptions = sampleCsv('options');

const world: MerchantWorld = {
  contractId: 'sb_catalog1',
  shopId: 'catshop',
  stores: [{ storeId: '1', storeName: '本店' }],
  // 'MUG-02 ' (with its trailing space) matches; 'BG-7' does not exist in Smaregi; one option matches by JAN.
  products: ['TS-001', 'SH-100-BK-M', '4901234567818', 'SH-100-GY-M', 'CAP-01', 'MUG-02 ', 'POS-ONLY'].map((productCode) => ({ productCode, productName: productCode })),
  stock: [],
  shop: { products: [], options: [] },
  stockStoreIds: ['1'],
  shipmentStoreId: '1',
};

let stack: Stack;
let token: string;
let tenantId: string;

interface UploadAnswer {
  status: string;
  progress: { percent: number; rows: number };
  report: { productRows: number; optionRows: number; stockItems: number; matched: number; unmatched: number; conflicts: number; unlimited: number; errors: { file: string; line: number; message: string }[] } | null;
}

async function upload(files: { productCsv?: Buffer; optionCsv?: Buffer }): Promise<{ status: number; body: { uploadId?: string; error?: { code: string; message: string } } }> {
  const form = new FormData();
  if (files.productCsv) form.append('productCsv', new Blob([files.productCsv]), 'products.csv');
  if (files.optionCsv) form.append('optionCsv', new Blob([files.optionCsv]), 'options.csv');
  const res = await fetch(`${stack.apiUrl}/api/v1/catalog/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: res.status, body: (await res.json()) as never };
}

async function finished(uploadId: string): Promise<UploadAnswer> {
  return eventually(async () => {
    const res = await stack.http<UploadAnswer>('GET', `/api/v1/catalog/uploads/${uploadId}`, { token });
    assert.equal(res.status, 200);
    assert.notEqual(res.body.status, 'processing');
    return res.body;
  }, 60_000, 150);
}

async function activeVersion(): Promise<number | null> {
  const res = await stack.http<{ version: number }>('GET', '/api/v1/catalog', { token });
  return res.status === 404 ? null : res.body.version;
}

const utf8 = (buf: Buffer) => iconv.decode(buf, 'cp932');
const cp932 = (text: string) => iconv.encode(text, 'cp932');

before(async () => {
  stack = await startStack('catalog');
  ({ token, tenantId } = await onboardMerchant(stack, world, { catalog: false, run: false }));
});
after(async () => stack?.close());

describe('catalog upload', () => {
  test('the sample pair imports with the results its README describes', async () => {
    const res = await upload({ productCsv: sampleProducts, optionCsv: sampleOptions });
    assert.equal(res.status, 202);
    const done = await finished(res.body.uploadId!);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.report));
    assert.deepEqual(
      { ...done.report!, errors: done.report!.errors.length },
      { ...done.report!, productRows: 5, optionRows: 4, stockItems: 8, errors: 0 },
    );
    const items = async (status: string) =>
      (await stack.http<{ items: { code: string; quantity: number | null }[] }>('GET', `/api/v1/catalog/items?status=${status}&limit=100`, { token })).body.items;
    assert.deepEqual((await items('matched')).map((i) => i.code).sort(), ['MUG-02 ', 'SH-100-BK-L', 'SH-100-BK-M', 'SH-100-GY-M', 'TS-001']);
    assert.deepEqual((await items('unmatched')).map((i) => i.code).sort(), ['BG-7', 'SH-100-GY-L']);
    assert.deepEqual((await items('unlimited')).map((i) => [i.code, i.quantity]), [['CAP-01', null]]);
    const catalog = await stack.http<{ version: number; counts: { matched: number } }>('GET', '/api/v1/catalog', { token });
    assert.equal(catalog.body.counts.matched, 5);
    // The sync workflow learns the new version (it pushes at once when 稼働, or at the next 稼働).
    await eventually(async () =>
      assert.equal((await stack.temporal.client.workflow.getHandle(syncWorkflowId(tenantId)).query(syncStatusQuery)).catalogVersion, catalog.body.version),
    );
  });

  const products = utf8(sampleProducts);
  const rejected: [string, () => { productCsv?: Buffer; optionCsv?: Buffer }, RegExp][] = [
    ['the files swapped between the two slots', () => ({ productCsv: sampleOptions, optionCsv: sampleProducts }), /逆|入れ替|オプションデータCSV/],
    ['a required column missing', () => ({ productCsv: cp932(products.replace('独自商品コード', '独自コード')), optionCsv: sampleOptions }), /独自商品コード/],
    ['zero data rows', () => ({ productCsv: cp932(products.split('\r\n')[0]! + '\r\n'), optionCsv: sampleOptions }), /データ|行/],
    ['a truncated quoted field', () => ({ productCsv: cp932(products.replace('"トートバッグ, キャンバス"', '"トートバッグ, キャンバス')), optionCsv: sampleOptions }), /行/],
    ['duplicate codes', () => ({ productCsv: cp932(products.replace('BG-7', 'TS-001')), optionCsv: sampleOptions }), /重複/],
    ['a wrong encoding (EUC-JP)', () => ({ productCsv: iconv.encode(products, 'euc-jp'), optionCsv: sampleOptions }), /文字コード|エンコード|Shift_JIS|UTF-8/],
  ];
  for (const [what, files, message] of rejected) {
    test(`${what}: a clear error, and the active catalog is unchanged`, async () => {
      const before = await activeVersion();
      const res = await upload(files());
      assert.equal(res.status, 202);
      const done = await finished(res.body.uploadId!);
      assert.equal(done.status, 'failed');
      assert.ok(done.report!.errors.length > 0);
      assert.match(done.report!.errors.map((e) => e.message).join('\n'), message);
      for (const e of done.report!.errors) assert.ok(['productCsv', 'optionCsv'].includes(e.file) && e.line >= 0);
      assert.equal(await activeVersion(), before);
    });
  }

  test('one file alone is refused at once, saying both are needed', async () => {
    const before = await activeVersion();
    const res = await upload({ productCsv: sampleProducts });
    assert.equal(res.status, 400);
    assert.equal(res.body.error?.code, 'both_files_required');
    assert.match(res.body.error!.message, /両方/);
    assert.equal(await activeVersion(), before);
  });

  test('a file over the size limit is refused with 413 and nothing is kept', async () => {
    const before = await activeVersion();
    const big = Buffer.concat([sampleProducts, Buffer.alloc(stack.config.CATALOG_MAX_FILE_BYTES, 0x41)]);
    const res = await upload({ productCsv: big, optionCsv: sampleOptions });
    assert.equal(res.status, 413);
    assert.match(res.body.error!.message, /商品データCSV.*大きすぎます/);
    assert.equal(await stack.database.db.collection('catalog_files.files').countDocuments(), 0);
    assert.equal(await activeVersion(), before);
  });

  test('progress (rows, bytes, percent) is visible while a large pair is processed', async () => {
    const pair = await generateCatalogPair({ dir: mkdtempSync(join(tmpdir(), 'zaiko-cat-')), products: 20_000, optionsPerProduct: 3 });
    const res = await upload({ productCsv: readFileSync(pair.productCsvPath), optionCsv: readFileSync(pair.optionCsvPath) });
    assert.equal(res.status, 202);
    const seen = await eventually(async () => {
      const body = (await stack.http<UploadAnswer>('GET', `/api/v1/catalog/uploads/${res.body.uploadId}`, { token })).body;
      assert.equal(body.status, 'processing');
      assert.ok(body.progress.percent > 0 && body.progress.rows > 0, JSON.stringify(body.progress));
      return body.progress;
    }, 60_000, 50);
    assert.ok(seen.percent < 100);
    const done = await finished(res.body.uploadId!);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.report?.errors.slice(0, 3)));
    assert.equal(done.report!.productRows, pair.productRows);
    assert.equal(done.report!.stockItems, pair.stockItems);
  });

  test("another tenant's upload is not found", async () => {
    const res = await stack.http('GET', '/api/v1/catalog/uploads/up_000000000000000000000000', { token });
    assert.equal(res.status, 404);
  });
});
