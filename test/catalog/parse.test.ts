import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleCsv } from '../support/samples';
import iconv from 'iconv-lite';
import { parse as parseCsv } from 'csv-parse/sync';
import { importCatalogPair, type CatalogImportResult } from '../../src/catalog/import';
import { readCatalogPair, type CatalogLimits, type CatalogProgress } from '../../src/catalog/parse';
import { CatalogFileError, type CatalogFileErrorCode } from '../../src/catalog/errors';
import { bytesSource } from '../../src/catalog/sources';
import {
  IssueCollector,
  type ConflictUpdate,
  type MatchedStockItem,
  type StockItem,
} from '../../src/domain/catalog';
import {
  OPTION_CSV_COLUMNS,
  OPTION_CSV_COLUMNS_13,
  PRODUCT_CSV_COLUMNS,
  PRODUCT_CSV_COLUMNS_76,
} from '../../src/platforms/makeshop/csv-columns';

// test/fixtures/makeshop-samples/products.csv and options.csv, decoded from CP932 (byte-identical when
// re-encoded; checked below).
const SAMPLE_PRODUCTS = [
  PRODUCT_CSV_COLUMNS.join(','),
  '0,0,000000000012,TS-001,,メンズ\\Tシャツ,ベーシックTシャツ 白,,3000,0,,1200,,,,25,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"綿100%、""定番""の一枚",4901234567894,Y,,,,,,,,,,,,,,,,,,,,,,,,,,,,10,,,',
  '0,0,000000000013,SH-100,,メンズ\\スウェット,ロゴスウェット,,5800,0,,2500,,,,,,,,,,,,,,,,,,,,,カラー,サイズ,,,,,,,,,,,,,,Y,,,,,,,,,,,,,,,,,,,,,,,,,,,,10,,,',
  '0,0,000000000014,BG-7,,雑貨,"トートバッグ, キャンバス",,2200,0,,800,,,,0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,4901234567900,N,,,,,,,,,,,,,,,,,,,,,,,,,,,,10,,,',
  '0,0,000000000015,CAP-01,,雑貨,キャップ（在庫管理なし）,,1800,0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,Y,,,,,,,,,,,,,,,,,,,,,,,,,,,,10,,,',
  '0,0,000000000016,MUG-02 ,,雑貨\\食器,マグカップ,,1500,0,,,,,,12,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,4580000000017,Y,,,,,,,,,,,,,,,,,,,,,,,,,,,,10,,,',
];
const SAMPLE_OPTIONS = [
  OPTION_CSV_COLUMNS.join(','),
  '0,0,000000000013,SH-100,ロゴスウェット,メンズ\\スウェット,SH-100-BK-M,ブラック,M,5800,3,4901234567801',
  '0,0,000000000013,SH-100,ロゴスウェット,メンズ\\スウェット,SH-100-BK-L,ブラック,L,5800,0,4901234567818',
  '0,0,000000000013,SH-100,ロゴスウェット,メンズ\\スウェット,SH-100-GY-M,グレー,M,5800,7,4901234567825',
  '0,0,000000000013,SH-100,ロゴスウェット,メンズ\\スウェット,SH-100-GY-L,グレー,L,6000,2,',
];

type Encoding = 'cp932' | 'utf-8' | 'utf-8-bom';

function encodeLines(lines: readonly string[], encoding: Encoding = 'cp932', eol = '\r\n'): Buffer {
  const text = lines.map((line) => line + eol).join('');
  if (encoding === 'cp932') return iconv.encode(text, 'cp932');
  return Buffer.concat([
    Buffer.from(encoding === 'utf-8-bom' ? [0xef, 0xbb, 0xbf] : []),
    Buffer.from(text, 'utf8'),
  ]);
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A CSV with the given header, one line per row; cells not given are empty. */
function csvLines(columns: readonly string[], rows: readonly Record<string, string>[]): string[] {
  return [
    columns.join(','),
    ...rows.map((row) => columns.map((column) => csvCell(row[column] ?? '')).join(',')),
  ];
}

function product(
  systemCode: string,
  customCode: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    システム商品コード: systemCode,
    独自商品コード: customCode,
    商品名: `商品${customCode}`,
    数量: '5',
    ...extra,
  };
}

function option(
  systemCode: string,
  optionCode: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { システム商品コード: systemCode, オプション独自コード: optionCode, 数量: '1', ...extra };
}

interface Pair {
  products: Buffer;
  options: Buffer;
}

function pairOf(
  products: readonly Record<string, string>[],
  options: readonly Record<string, string>[] = [],
): Pair {
  return {
    products: encodeLines(csvLines(PRODUCT_CSV_COLUMNS, products)),
    options: encodeLines(csvLines(OPTION_CSV_COLUMNS, options)),
  };
}

const SAMPLE_PAIR: Pair = { products: encodeLines(SAMPLE_PRODUCTS), options: encodeLines(SAMPLE_OPTIONS) };

interface Imported extends CatalogImportResult {
  items: MatchedStockItem[];
  updates: ConflictUpdate[];
}

async function importPair(
  pair: Pair,
  smaregi: Record<string, string> = {},
  options: { maxErrors?: number; chunkSize?: number; limits?: CatalogLimits } = {},
): Promise<Imported> {
  const items: MatchedStockItem[] = [];
  const updates: ConflictUpdate[] = [];
  const result = await importCatalogPair({
    productCsv: bytesSource(pair.products, options.chunkSize),
    optionCsv: bytesSource(pair.options, options.chunkSize),
    smaregiProducts: new Map(Object.entries(smaregi)),
    onItems: (batch) => {
      items.push(...batch);
    },
    applyConflictUpdates: (found) => {
      updates.push(...found);
    },
    maxErrors: options.maxErrors,
    limits: options.limits,
  });
  return { ...result, items, updates };
}

async function importFails(pair: Pair, code: CatalogFileErrorCode): Promise<CatalogFileError> {
  try {
    await importPair(pair);
  } catch (error) {
    assert.ok(error instanceof CatalogFileError, `expected CatalogFileError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

function byCode(items: readonly MatchedStockItem[]): Map<string, MatchedStockItem> {
  return new Map(items.map((item) => [item.source === 'option' ? item.optionCode : item.customCode, item]));
}

/** What the samples README promises, independent of encoding and layout. */
function assertSampleItems(items: readonly StockItem[]): void {
  const codes = new Map(
    items.map((item) => [item.source === 'option' ? item.optionCode : item.customCode, item]),
  );
  assert.deepEqual([...codes.keys()].sort(), [
    'BG-7',
    'CAP-01',
    'MUG-02 ',
    'SH-100-BK-L',
    'SH-100-BK-M',
    'SH-100-GY-L',
    'SH-100-GY-M',
    'TS-001',
  ]);
  const ts = codes.get('TS-001');
  assert.deepEqual(
    ts && {
      source: ts.source,
      systemCode: ts.systemCode,
      customCode: ts.customCode,
      jan: ts.jan,
      name: ts.name,
      quantity: ts.quantity,
      line: ts.line,
    },
    {
      source: 'product',
      systemCode: '000000000012',
      customCode: 'TS-001',
      jan: '4901234567894',
      name: 'ベーシックTシャツ 白',
      quantity: 25,
      line: 2,
    },
  );
  const options = items.filter((item) => item.source === 'option');
  assert.deepEqual(
    options.map((item) => [item.optionCode, item.customCode, item.systemCode, item.quantity, item.jan]),
    [
      ['SH-100-BK-M', 'SH-100', '000000000013', 3, '4901234567801'],
      ['SH-100-BK-L', 'SH-100', '000000000013', 0, '4901234567818'],
      ['SH-100-GY-M', 'SH-100', '000000000013', 7, '4901234567825'],
      ['SH-100-GY-L', 'SH-100', '000000000013', 2, ''],
    ],
  );
  assert.equal(options[0]?.name, 'ロゴスウェット ブラック / M');
  assert.equal(codes.get('BG-7')?.quantity, 0);
  assert.equal(codes.get('BG-7')?.name, 'トートバッグ, キャンバス');
  assert.equal(codes.get('CAP-01')?.quantity, null);
  assert.equal(codes.get('MUG-02 ')?.quantity, 12);
}

describe('MakeShop sample CSVs', () => {
  test('the embedded samples are the sample files of test/fixtures/makeshop-samples', () => {
    assert.ok(sampleCsv('products').equals(SAMPLE_PAIR.products));
    assert.ok(sampleCsv('options').equals(SAMPLE_PAIR.options));
  });

  test('import as the samples README describes', async () => {
    const result = await importPair(SAMPLE_PAIR, {
      'TS-001': 'p-ts',
      '4901234567801': 'p-bk-m',
      'SH-100-GY-L': 'p-gy-l',
      '4901234567900': 'p-bg',
      'CAP-01': 'p-cap',
      'MUG-02': 'p-mug',
      'SH-100': 'p-parent',
    });
    assertSampleItems(result.items);
    const items = byCode(result.items);
    assert.equal(items.get('TS-001')?.status, 'matched');
    assert.equal(items.get('TS-001')?.matchedBy, 'code');
    assert.equal(items.get('SH-100-BK-M')?.matchedBy, 'jan');
    assert.equal(items.get('SH-100-GY-L')?.status, 'matched');
    assert.equal(items.get('SH-100-BK-L')?.status, 'unmatched');
    assert.equal(items.get('BG-7')?.status, 'matched');
    assert.equal(items.get('CAP-01')?.status, 'unlimited');
    assert.equal(items.get('CAP-01')?.smaregiProductId, 'p-cap');
    assert.equal(items.get('MUG-02 ')?.status, 'unmatched', '"MUG-02 " must not match "MUG-02"');
    assert.deepEqual(result.report, {
      productRows: 5,
      optionRows: 4,
      stockItems: 8,
      matched: 4,
      unmatched: 3,
      conflicts: 0,
      unlimited: 1,
      errors: [],
      errorCount: 0,
      unmatchedSmaregiProducts: 2,
    });
    assert.deepEqual(result.unmatchedSmaregiProducts, [
      { productCode: 'MUG-02', productId: 'p-mug' },
      { productCode: 'SH-100', productId: 'p-parent' },
    ]);
    assert.deepEqual(result.updates, []);
  });

  test('a Smaregi code with the same trailing space matches MUG-02 ', async () => {
    const { items } = await importPair(SAMPLE_PAIR, { 'MUG-02 ': 'p-mug' });
    assert.equal(byCode(items).get('MUG-02 ')?.status, 'matched');
  });

  for (const [label, encoding, eol] of [
    ['UTF-8 with BOM, LF', 'utf-8-bom', '\n'],
    ['UTF-8 without BOM, LF', 'utf-8', '\n'],
    ['UTF-8 without BOM, CRLF', 'utf-8', '\r\n'],
    ['CP932, LF', 'cp932', '\n'],
  ] as const) {
    test(`accepted as ${label}`, async () => {
      const pair = {
        products: encodeLines(SAMPLE_PRODUCTS, encoding, eol),
        options: encodeLines(SAMPLE_OPTIONS, encoding, eol),
      };
      const { items, report } = await importPair(pair, {}, { chunkSize: 7 });
      assertSampleItems(items);
      assert.equal(report.errorCount, 0);
    });
  }

  test('the 76-column product layout and the 13-column option layout are read by name', async () => {
    const products = SAMPLE_PRODUCTS.map((line) => {
      const [cells = []] = parseCsv(line) as string[][];
      return cells
        .filter((_, i) => PRODUCT_CSV_COLUMNS_76.includes(PRODUCT_CSV_COLUMNS[i] ?? ''))
        .map(csvCell)
        .join(',');
    });
    assert.equal(products[0], PRODUCT_CSV_COLUMNS_76.join(','));
    const options = SAMPLE_OPTIONS.map((line, i) => {
      if (i === 0) return OPTION_CSV_COLUMNS_13.join(',');
      const cells = line.split(',');
      return [...cells.slice(0, 5), 'メンズ', 'スウェット', ...cells.slice(6)].join(',');
    });
    const { items, report } = await importPair({
      products: encodeLines(products),
      options: encodeLines(options),
    });
    assertSampleItems(items);
    assert.equal(report.errorCount, 0);
  });
});

describe('header handling', () => {
  test('columns in any order, unknown extra columns, padded and full-width header names', async () => {
    const columns = [
      '備考（独自列）',
      ' JANコード ',
      '数量',
      '商品名',
      '独自商品コード',
      'システム商品コード',
      'オプション１名称',
      'カテゴリーパス',
    ];
    const products = encodeLines([
      columns.join(','),
      'memo,4901234567894,25,シャツ,TS-001,000000000012,,メンズ',
    ]);
    const options = encodeLines([
      [
        'システム商品コード',
        'オプション独自コード',
        'オプション１項目',
        'オプション２項目',
        '数量',
        'ＪＡＮコード',
        '追加列',
      ].join(','),
    ]);
    const { items, report } = await importPair({ products, options });
    assert.equal(report.errorCount, 0);
    assert.deepEqual(
      items.map((item) => [item.customCode, item.jan, item.quantity, item.name]),
      [['TS-001', '4901234567894', 25, 'シャツ']],
    );
  });

  test('a missing required column is named in the error', async () => {
    const columns = PRODUCT_CSV_COLUMNS.filter((column) => column !== '独自商品コード');
    const error = await importFails(
      { products: encodeLines(csvLines(columns, [product('1', 'A')])), options: SAMPLE_PAIR.options },
      'missing-column',
    );
    assert.equal(error.file, 'productCsv');
    assert.equal(
      error.message.startsWith('商品データCSVに必須列「独自商品コード」がありません'),
      true,
      error.message,
    );

    const optionColumns = OPTION_CSV_COLUMNS.filter(
      (column) => column !== 'オプション独自コード' && column !== '数量',
    );
    const optionError = await importFails(
      { products: SAMPLE_PAIR.products, options: encodeLines(csvLines(optionColumns, [])) },
      'missing-column',
    );
    assert.equal(optionError.file, 'optionCsv');
    assert.match(
      optionError.message,
      /^オプションデータCSVに必須列「オプション独自コード」「数量」がありません/,
    );
  });

  test('the two files swapped between the slots', async () => {
    const error = await importFails(
      { products: SAMPLE_PAIR.options, options: SAMPLE_PAIR.products },
      'files-swapped',
    );
    assert.match(error.message, /逆に選択されています/);
  });

  test('the same kind of file in both slots', async () => {
    const optionTwice = await importFails(
      { products: SAMPLE_PAIR.options, options: SAMPLE_PAIR.options },
      'wrong-file',
    );
    assert.equal(
      optionTwice.message,
      '商品データCSVの欄にオプションデータCSVが選択されています。商品データCSVを選択してください。',
    );
    const productTwice = await importFails(
      { products: SAMPLE_PAIR.products, options: SAMPLE_PAIR.products },
      'wrong-file',
    );
    assert.equal(productTwice.file, 'optionCsv');
    assert.match(productTwice.message, /オプションデータCSVの欄に商品データCSVが選択されています/);
  });

  test('a file that is not a MakeShop CSV is not recognised', async () => {
    const other = await importFails(
      { products: encodeLines(['日付,金額', '2024-01-01,100']), options: SAMPLE_PAIR.options },
      'unrecognised-header',
    );
    assert.match(other.message, /見出し行（1行目）がMakeShopの商品データCSVの形式ではありません/);
    assert.match(other.message, /Shift_JISまたはUTF-8/);
  });
});

describe('whole-file errors', () => {
  test('zero data rows in the product CSV', async () => {
    const error = await importFails(
      { products: encodeLines([PRODUCT_CSV_COLUMNS.join(','), '']), options: SAMPLE_PAIR.options },
      'no-data-rows',
    );
    assert.match(error.message, /商品の行がありません/);
  });

  test('an empty file', async () => {
    const error = await importFails(
      { products: Buffer.alloc(0), options: SAMPLE_PAIR.options },
      'empty-file',
    );
    assert.equal(error.message, '商品データCSVが空です。見出し行もありません。');
  });

  test('a header-only option CSV is a shop without options: accepted', async () => {
    const pair = pairOf([product('1', 'A'), product('2', 'B', { オプション１名称: 'カラー' })]);
    const { items, report } = await importPair(pair);
    assert.deepEqual(
      items.map((item) => item.customCode),
      ['A'],
    );
    assert.equal(report.optionRows, 0);
    assert.deepEqual(
      report.errors.map((e) => [e.file, e.line]),
      [['productCsv', 3]],
    );
    assert.match(report.errors[0]?.message ?? '', /オプションデータCSVにこの商品の行がありません/);
  });

  test('a truncated quoted field fails with the line where that record starts', async () => {
    const lines = csvLines(PRODUCT_CSV_COLUMNS, [
      product('1', 'A', { PC用メイン商品説明文: '1行目\r\n2行目' }),
      product('2', 'B'),
    ]);
    const truncated = Buffer.concat([
      encodeLines(lines),
      iconv.encode('0,0,3,C,,,"途中で切れた説明', 'cp932'),
    ]);
    const error = await importFails({ products: truncated, options: SAMPLE_PAIR.options }, 'malformed-csv');
    assert.equal(error.line, 5);
    assert.match(error.message, /5行目から始まる項目の引用符（"）が閉じられていません/);
  });

  test('a stray quote inside a field fails with its line', async () => {
    const lines = [...SAMPLE_OPTIONS, '0,0,000000000013,SH-100,"ロゴ"スウェット,,SH-100-X,,,,1,'];
    const error = await importFails(
      { products: SAMPLE_PAIR.products, options: encodeLines(lines) },
      'malformed-csv',
    );
    assert.equal(error.file, 'optionCsv');
    assert.equal(error.line, 6);
  });

  test('another encoding (EUC-JP) fails the file instead of importing garbled text', async () => {
    const eucJp = iconv.encode(`${SAMPLE_PRODUCTS.join('\r\n')}\r\n`, 'euc-jp');
    const error = await importFails({ products: eucJp, options: SAMPLE_PAIR.options }, 'encoding');
    assert.match(error.message, /読み取れない文字（文字化け）/);
  });

  test('invalid bytes late in a CP932 file fail it with their line', async () => {
    const products = Buffer.concat([
      encodeLines(SAMPLE_PRODUCTS),
      Buffer.from([0x30, 0x2c, 0xfd, 0xfe, 0x0d, 0x0a]),
    ]);
    const error = await importFails({ products, options: SAMPLE_PAIR.options }, 'encoding');
    assert.equal(error.line, 7);
  });
});

describe('row errors', () => {
  test('bad 数量 values are row errors with their line; the other rows still import', async () => {
    const pair = pairOf(
      [
        product('1', 'A', { 数量: 'abc' }),
        product('2', 'B', { 数量: '-1' }),
        product('3', 'C', { 数量: '1.5' }),
        product('4', 'D', { 数量: '１０' }),
        product('5', 'E', { 数量: ' 5' }),
        product('6', 'F', { 数量: '007' }),
        product('7', 'P', { オプション１名称: 'カラー', 数量: 'ignored for option products' }),
      ],
      [option('7', 'P-1', { 数量: 'x' }), option('7', 'P-2', { 数量: '' })],
    );
    const { items, report } = await importPair(pair);
    assert.deepEqual(
      items.map((item) => [item.source === 'option' ? item.optionCode : item.customCode, item.quantity]),
      [
        ['P-2', null],
        ['F', 7],
      ],
    );
    assert.deepEqual(
      report.errors.map((e) => [e.file, e.line]),
      [
        ['productCsv', 2],
        ['productCsv', 3],
        ['productCsv', 4],
        ['productCsv', 5],
        ['productCsv', 6],
        ['optionCsv', 2],
      ],
    );
    assert.equal(
      report.errors[0]?.message,
      '数量「abc」が正しくありません。0以上の整数を入力するか、在庫管理しない場合は空欄にしてください。',
    );
  });

  test('an option row whose product is missing, a repeated システム商品コード, a row of the wrong width', async () => {
    const products = csvLines(PRODUCT_CSV_COLUMNS, [product('1', 'A'), product('1', 'A2')]);
    products.push('0,0,2,B');
    const options = csvLines(OPTION_CSV_COLUMNS, [option('9', 'Z-1')]);
    const { items, report } = await importPair({
      products: encodeLines(products),
      options: encodeLines(options),
    });
    assert.deepEqual(
      items.map((item) => item.customCode),
      ['A'],
    );
    assert.deepEqual(
      report.errors.map((e) => [e.file, e.line]),
      [
        ['productCsv', 3],
        ['productCsv', 4],
        ['optionCsv', 2],
      ],
    );
    assert.match(report.errors[0]?.message ?? '', /システム商品コード「1」が2行目と重複/);
    assert.match(
      report.errors[1]?.message ?? '',
      /項目数が見出し行と一致しません（見出し行79項目、この行4項目）/,
    );
    assert.match(report.errors[2]?.message ?? '', /システム商品コード「9」の商品が商品データCSVにありません/);
  });

  test('duplicate codes in the upload: a row error, and every item with the code is a conflict', async () => {
    const pair = pairOf(
      [product('1', 'DUP'), product('2', 'B'), product('3', 'P', { オプション１名称: 'サイズ' })],
      [option('3', 'DUP'), option('3', 'P-L')],
    );
    const { items, report, updates } = await importPair(pair, { DUP: 'p-dup' });
    const statuses = items.map((item) => [item.line, item.source, item.status, item.conflictReasons]);
    // The option row streams first; the product with the same code arrives later and conflicts at once.
    assert.deepEqual(statuses, [
      [2, 'option', 'matched', []],
      [3, 'option', 'unmatched', []],
      [2, 'product', 'conflict', ['shared-smaregi-product', 'duplicate-code']],
      [3, 'product', 'unmatched', []],
    ]);
    assert.deepEqual(updates, [
      {
        key: 'optionCsv:2',
        file: 'optionCsv',
        line: 2,
        status: 'conflict',
        conflictReasons: ['shared-smaregi-product', 'duplicate-code'],
      },
    ]);
    assert.equal(report.conflicts, 2);
    assert.equal(report.matched, 0);
    assert.deepEqual(report.errors, [
      {
        file: 'productCsv',
        line: 2,
        message:
          '独自商品コード「DUP」がオプションデータCSVの2行目と重複しています。コードを重複しないように修正してください（重複した商品は在庫連携しません）。',
      },
    ]);
  });

  test('errors beyond the cap are counted, not kept', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => product(String(i + 1), `C${i}`, { 数量: 'x' }));
    const { report } = await importPair(pairOf([...rows, product('99', 'OK')]), {}, { maxErrors: 3 });
    assert.equal(report.errors.length, 3);
    assert.equal(report.errorCount, 10);
    assert.equal(report.stockItems, 1);
  });
});

describe('per-tenant limits', () => {
  const limits: CatalogLimits = { maxRows: 3, maxFieldChars: 20 };

  test('a file with more data rows than the limit is refused, saying the limit', async () => {
    const products = [1, 2, 3, 4].map((n) => product(String(n), `C${n}`));
    await assert.rejects(importPair(pairOf(products), {}, { limits }), (err: unknown) => {
      assert.ok(err instanceof CatalogFileError);
      assert.equal(err.code, 'too-many-rows');
      assert.equal(err.file, 'productCsv');
      assert.match(err.message, /商品データCSVの行数が上限（3行）を超えています/);
      return true;
    });
    const options = [1, 2, 3, 4].map((n) => option('1', `O${n}`));
    await assert.rejects(importPair(pairOf([product('1', 'C1')], options), {}, { limits }), /オプションデータCSVの行数が上限（3行）/);
    const { report } = await importPair(pairOf([1, 2, 3].map((n) => product(String(n), `C${n}`))), {}, { limits });
    assert.equal(report.stockItems, 3);
  });

  test('a field longer than the limit is a row error naming the column; the other rows import', async () => {
    const longName = 'あ'.repeat(21);
    const { report } = await importPair(
      pairOf([product('1', 'C1', { 商品名: longName }), product('2', 'C2'), product('3', 'SH', { オプション１名称: 'サイズ' })], [option('3', 'O'.repeat(21))]),
      {},
      { limits },
    );
    assert.equal(report.stockItems, 1);
    assert.deepEqual(
      report.errors.filter((e) => /長すぎます/.test(e.message)).map((e) => [e.file, e.line, e.message]),
      [
        ['productCsv', 2, '「商品名」が長すぎます（21文字）。20文字以内にしてからアップロードしてください。'],
        ['optionCsv', 2, '「オプション独自コード」が長すぎます（21文字）。20文字以内にしてからアップロードしてください。'],
      ],
    );
  });
});

describe('streaming', () => {
  test('line numbers count the physical lines of quoted multi-line cells (CRLF and LF)', async () => {
    for (const eol of ['\r\n', '\n']) {
      const lines = csvLines(PRODUCT_CSV_COLUMNS, [
        product('1', 'A', { PC用メイン商品説明文: `1行目${eol}2行目${eol}3行目` }),
        product('2', 'B'),
      ]);
      const { items } = await importPair({
        products: encodeLines([...lines, ''], 'cp932', eol),
        options: SAMPLE_PAIR.options,
      });
      assert.deepEqual(
        items.filter((item) => item.source === 'product').map((item) => [item.customCode, item.line]),
        [
          ['A', 2],
          ['B', 5],
        ],
      );
    }
  });

  test('items arrive in batches and progress reports rows and bytes', async () => {
    const batches: number[] = [];
    const progress: CatalogProgress[] = [];
    const counts = await readCatalogPair({
      productCsv: bytesSource(SAMPLE_PAIR.products, 100),
      optionCsv: bytesSource(SAMPLE_PAIR.options, 100),
      onItems: (items) => {
        batches.push(items.length);
      },
      onProgress: (report) => progress.push(report),
      batchSize: 3,
      progressEveryRows: 2,
    });
    assert.deepEqual(counts, { productRows: 5, optionRows: 4, stockItems: 8 });
    assert.deepEqual(batches, [3, 3, 2]);
    assert.deepEqual(
      progress.map((p) => [p.file, p.rows, p.done]),
      [
        ['productCsv', 2, false],
        ['productCsv', 4, false],
        ['productCsv', 5, true],
        ['optionCsv', 2, false],
        ['optionCsv', 4, false],
        ['optionCsv', 4, true],
      ],
    );
    assert.equal(progress[2]?.bytes, SAMPLE_PAIR.products.length);
    assert.equal(progress[5]?.bytes, SAMPLE_PAIR.options.length);
  });

  test('both headers are checked before any row is read, and the files are closed', async () => {
    const closed: string[] = [];
    const tracked = (name: string, bytes: Buffer) => ({
      async *open() {
        try {
          yield* bytesSource(bytes, 64).open();
        } finally {
          closed.push(name);
        }
      },
    });
    await assert.rejects(
      importCatalogPair({
        productCsv: tracked('products', SAMPLE_PAIR.products),
        optionCsv: tracked('options', pairOf([]).products),
        smaregiProducts: new Map(),
        onItems: () => undefined,
        applyConflictUpdates: () => undefined,
      }),
      (error: unknown) => error instanceof CatalogFileError && error.code === 'wrong-file',
    );
    assert.deepEqual(closed.sort(), ['options', 'products']);
  });

  test('an unusable option file fails before the product rows are read', async () => {
    const progress: CatalogProgress[] = [];
    const options = encodeLines([OPTION_CSV_COLUMNS.filter((column) => column !== 'JANコード').join(',')]);
    await assert.rejects(
      readCatalogPair({
        productCsv: bytesSource(SAMPLE_PAIR.products),
        optionCsv: bytesSource(options),
        onItems: () => undefined,
        onProgress: (report) => progress.push(report),
      }),
      /オプションデータCSVに必須列「JANコード」がありません/,
    );
    assert.deepEqual(progress, []);
  });

  test('an aborted import stops', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await assert.rejects(
      readCatalogPair({
        productCsv: bytesSource(SAMPLE_PAIR.products),
        optionCsv: bytesSource(SAMPLE_PAIR.options),
        onItems: () => undefined,
        issues: new IssueCollector(),
        signal: controller.signal,
      }),
      /cancelled/,
    );
  });
});
