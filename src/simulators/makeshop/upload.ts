import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { OPTION_COLUMN, OPTION_CSV_COLUMNS, PRODUCT_COLUMN, PRODUCT_CSV_COLUMNS } from '../../platforms/makeshop/csv-columns';
import type { SimOption, SimProduct, SimShop } from './shop';

/**
 * The webftp upload's processing (reference makeshop-api.md §6, §7): 商品一括登録 (dest 1) and
 * オプション一括登録 (dest 2). The header row is ignored; every data row must have the current format's
 * column count and is matched by the key its 特定コード指定 names.
 */
export interface UploadReport {
  total: number;
  failures: { line: number; message: string }[];
}

class RowFailure extends Error {}

const productCell = cellReader(PRODUCT_CSV_COLUMNS);
const optionCell = cellReader(OPTION_CSV_COLUMNS);

export function applyUpload(shop: SimShop, dest: '1' | '2', file: Buffer): UploadReport {
  let records: string[][];
  try {
    records = parse(decodeUpload(file), { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
  } catch (error) {
    return { total: 0, failures: [{ line: 1, message: `CSVを読み取れません (${(error as Error).message.replace(/\s+/g, ' ')})` }] };
  }
  const columnCount = dest === '1' ? PRODUCT_CSV_COLUMNS.length : OPTION_CSV_COLUMNS.length;
  const failures: UploadReport['failures'] = [];
  records.slice(1).forEach((cells, index) => {
    const line = index + 2;
    try {
      if (cells.length !== columnCount) throw new RowFailure(`${line}行目 項目数が一致しません`);
      if (dest === '1') applyProductRow(shop, cells);
      else applyOptionRow(shop, cells);
    } catch (error) {
      if (!(error instanceof RowFailure)) throw error;
      failures.push({ line, message: error.message });
    }
  });
  return { total: Math.max(0, records.length - 1), failures };
}

/** ASSUMPTION (unconfirmed): uploads are CP932, like the admin downloads (§7.1, §12.6). */
function decodeUpload(file: Buffer): string {
  return iconv.decode(file, 'cp932');
}

/**
 * ASSUMPTION (unconfirmed): a partial row changes only 数量 and the cells it fills; blank cells leave the
 * product as it is (§7.2 "verify on a test shop"). Key type 0 with a blank システム商品コード registers
 * a new product (§7.2, column 1).
 */
function applyProductRow(shop: SimShop, cells: string[]): void {
  const cell = (column: string) => productCell(cells, column);
  const quantity = parseQuantityCell(cell(PRODUCT_COLUMN.quantity));
  const keyType = cell(PRODUCT_COLUMN.productKeyType);
  if (keyType === '0' && cell(PRODUCT_COLUMN.systemCode) === '') {
    registerProduct(shop, cells, quantity);
    return;
  }
  const product = findProduct(shop, keyType, cell(PRODUCT_COLUMN.systemCode), cell(PRODUCT_COLUMN.customCode));
  shop.writeStock(product, quantity);
  if (cell(PRODUCT_COLUMN.name)) product.name = cell(PRODUCT_COLUMN.name);
  if (cell(PRODUCT_COLUMN.jan)) product.jan = cell(PRODUCT_COLUMN.jan);
  if (keyType === '0' && cell(PRODUCT_COLUMN.customCode)) shop.changeCustomCode(product, cell(PRODUCT_COLUMN.customCode));
}

function registerProduct(shop: SimShop, cells: string[], quantity: number | null): void {
  const cell = (column: string) => productCell(cells, column);
  if (!cell(PRODUCT_COLUMN.name)) throw new RowFailure('商品名が入力されていません');
  const optionNames = [cell(PRODUCT_COLUMN.option1Name), cell(PRODUCT_COLUMN.option2Name)].filter(Boolean);
  shop.addProduct({
    systemCode: shop.nextSystemCode(),
    customCode: cell(PRODUCT_COLUMN.customCode),
    name: cell(PRODUCT_COLUMN.name),
    jan: cell(PRODUCT_COLUMN.jan),
    quantity,
    optionNames,
    price: Number(cell(PRODUCT_COLUMN.price)) || 0,
    categoryPath: cell(PRODUCT_COLUMN.categoryPath),
  });
}

function applyOptionRow(shop: SimShop, cells: string[]): void {
  const cell = (column: string) => optionCell(cells, column);
  const quantity = parseQuantityCell(cell(OPTION_COLUMN.quantity));
  const product = findProduct(shop, cell(OPTION_COLUMN.productKeyType), cell(OPTION_COLUMN.systemCode), cell(OPTION_COLUMN.customCode));
  const option = findOption(shop, product, cell(OPTION_COLUMN.optionKeyType), cells);
  shop.writeStock(option, quantity);
  if (cell(OPTION_COLUMN.jan)) option.jan = cell(OPTION_COLUMN.jan);
}

function findProduct(shop: SimShop, keyType: string, systemCode: string, customCode: string): SimProduct {
  if (keyType === '0') {
    const product = shop.productBySystemCode(systemCode);
    if (!product) throw new RowFailure(`システム商品コード ${systemCode} の商品がありません`);
    return product;
  }
  if (keyType === '1') {
    if (!customCode) throw new RowFailure('独自商品コードが入力されていません');
    const products = shop.productsByCustomCode(customCode);
    if (products.length > 1) throw new RowFailure(`独自商品コード ${customCode} が重複しています`);
    if (!products[0]) throw new RowFailure(`独自商品コード ${customCode} の商品がありません`);
    return products[0];
  }
  throw new RowFailure('商品特定コード指定が不正です');
}

function findOption(shop: SimShop, product: SimProduct, keyType: string, cells: string[]): SimOption {
  const cell = (column: string) => optionCell(cells, column);
  const candidates = shop.optionsOf(product);
  let option: SimOption | undefined;
  if (keyType === '0') {
    const code = cell(OPTION_COLUMN.optionCode);
    if (!code) throw new RowFailure('オプション独自コードが入力されていません');
    option = candidates.find((candidate) => candidate.optionCode === code);
  } else if (keyType === '1') {
    option = candidates.find((c) => c.option1 === cell(OPTION_COLUMN.option1) && c.option2 === cell(OPTION_COLUMN.option2));
  } else {
    throw new RowFailure('オプション特定コード指定が不正です');
  }
  if (!option) throw new RowFailure(`商品 ${product.systemCode} に該当するオプションがありません`);
  return option;
}

/** ASSUMPTION (unconfirmed): a blank 数量 means 在庫管理しない, unlimited (§7.2 INFERRED); else a whole number ≥ 0. */
function parseQuantityCell(text: string): number | null {
  if (text === '') return null;
  if (!/^\d{1,9}$/.test(text)) throw new RowFailure(`数量が不正です (${text})`);
  return Number(text);
}

/**
 * ASSUMPTION (unconfirmed): the upload reply. The source documents only "5 tab-separated lines, line 2
 * total, line 3 success" (§6, §12.6); lines 1, 4 and 5 are this simulator's guess: a result flag, the
 * failed count and "<line>:<message>" entries naming the failed CSV lines (header = line 1).
 */
export function formatUploadReply(report: UploadReport): string {
  const failed = report.failures.length;
  const succeeded = Math.max(0, report.total - failed);
  const entries = report.failures.map((failure) => `\t${failure.line}:${failure.message.replace(/[\t\r\n]+/g, ' ')}`).join('');
  return [`RESULT\t${failed === 0 ? 'OK' : 'NG'}`, `TOTAL\t${report.total}`, `SUCCESS\t${succeeded}`, `FAILURE\t${failed}`, `ERROR${entries}`].join('\n') + '\n';
}

function cellReader(columns: readonly string[]) {
  return (cells: string[], column: string): string => {
    const index = columns.indexOf(column);
    if (index < 0) throw new Error(`unknown column ${column}`);
    return cells[index] ?? '';
  };
}
