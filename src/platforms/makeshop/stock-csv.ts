import iconv from 'iconv-lite';
import { PlatformError } from '../http';
import {
  OPTION_COLUMN,
  OPTION_CSV_COLUMNS,
  OPTION_KEY_TYPE,
  PRODUCT_COLUMN,
  PRODUCT_CSV_COLUMNS,
  PRODUCT_KEY_TYPE,
} from './csv-columns';
import type { StockPushFailure, StockPushRow } from './gateway';

/**
 * Stock-update CSVs for the webftp upload (reference makeshop-api.md §6, §7): the full header, one row per
 * SKU with only the key columns and 数量 filled, CP932, CRLF.
 */
export type ProductStockRow = Extract<StockPushRow, { kind: 'product' }>;
export type OptionStockRow = Extract<StockPushRow, { kind: 'option' }>;

export const UPLOAD_DEST = { products: '1', options: '2' } as const;
export const CSV_ENCODING = 'cp932';

/**
 * Splits a batch into the rows MakeShop can be sent and the rows it cannot (bad 数量, no product key, an
 * option without オプション独自コード, and for the CSV upload a code CP932 cannot write). A bad row fails alone, with a message the
 * merchant can act on; it never holds back the other rows of the batch.
 */
export function partitionStockRows(
  rows: readonly StockPushRow[],
  opts: { csv: boolean } = { csv: true },
): { writable: StockPushRow[]; refused: StockPushFailure[] } {
  const writable: StockPushRow[] = [];
  const refused: StockPushFailure[] = [];
  for (const row of rows) {
    const problems = rowProblems(row, opts.csv);
    if (problems.length === 0) writable.push(row);
    else refused.push({ row, message: problems.join(' '), permanent: true });
  }
  return { writable, refused };
}

function rowProblems(row: StockPushRow, csv: boolean): string[] {
  const problems: string[] = [];
  if (!Number.isSafeInteger(row.quantity) || row.quantity < 0) {
    problems.push(`数量は0以上の整数である必要があります（${String(row.quantity)}）。`);
  }
  if (!row.systemCode && !row.customCode) problems.push('システム商品コードまたは独自商品コードがないため在庫を更新できません。');
  if (row.kind === 'option' && !row.optionCode) {
    problems.push('オプション独自コードが未設定のため、このオプションの在庫はCSVで更新できません。MakeShopでオプション独自コードを設定し、カタログをアップロードし直してください。');
  }
  for (const code of csv ? [row.systemCode, row.customCode, row.kind === 'option' ? row.optionCode : undefined] : []) {
    if (code && !survivesCp932(code)) problems.push(`コード ${JSON.stringify(code)} はCSV（Shift_JIS）で表せない文字を含むため在庫を更新できません。`);
  }
  return problems;
}

function survivesCp932(text: string): boolean {
  return !/[\r\n]/.test(text) && iconv.decode(iconv.encode(text, CSV_ENCODING), CSV_ENCODING) === text;
}

/**
 * ASSUMPTION (unconfirmed): a blank 数量 switches the item to unlimited stock (§7.2 INFERRED), so this is
 * the only place a 数量 cell is written and it never writes a blank one.
 */
export function formatQuantityCell(quantity: number): string {
  if (!Number.isSafeInteger(quantity) || quantity < 0) {
    throw new PlatformError(`数量 must be an integer ≥ 0, got ${String(quantity)}`, {
      platform: 'makeshop',
      retryable: false,
      kind: 'validation',
    });
  }
  return String(quantity);
}

/**
 * ASSUMPTION (unconfirmed): a row that fills only the key columns and 数量 leaves every other field of
 * the product as it is (§7.2 "verify on a test shop"). 更新時間フラグ stays blank = keep 更新日.
 */
export function buildProductStockCsv(rows: readonly ProductStockRow[]): Buffer {
  const lines = rows.map((row) => {
    const cells = new Map<string, string>([[PRODUCT_COLUMN.quantity, formatQuantityCell(row.quantity)]]);
    setProductKey(cells, PRODUCT_COLUMN, row);
    return PRODUCT_CSV_COLUMNS.map((column) => cells.get(column) ?? '');
  });
  return encodeCsv([[...PRODUCT_CSV_COLUMNS], ...lines]);
}

/** The product a row names, in both CSVs: by システム商品コード when known, else by 独自商品コード. */
function setProductKey(
  cells: Map<string, string>,
  columns: { productKeyType: string; systemCode: string; customCode: string },
  row: { systemCode?: string; customCode?: string },
): void {
  if (row.systemCode) {
    cells.set(columns.productKeyType, PRODUCT_KEY_TYPE.systemCode);
    cells.set(columns.systemCode, row.systemCode);
  } else {
    cells.set(columns.productKeyType, PRODUCT_KEY_TYPE.customCode);
    cells.set(columns.customCode, row.customCode ?? '');
  }
}

/** Option rows: parent by システム商品コード (else 独自商品コード), variation by オプション独自コード. */
export function buildOptionStockCsv(rows: readonly OptionStockRow[]): Buffer {
  const lines = rows.map((row) => {
    const cells = new Map<string, string>([
      [OPTION_COLUMN.optionKeyType, OPTION_KEY_TYPE.optionCode],
      [OPTION_COLUMN.optionCode, row.optionCode],
      [OPTION_COLUMN.quantity, formatQuantityCell(row.quantity)],
    ]);
    setProductKey(cells, OPTION_COLUMN, row);
    return OPTION_CSV_COLUMNS.map((column) => cells.get(column) ?? '');
  });
  return encodeCsv([[...OPTION_CSV_COLUMNS], ...lines]);
}

/**
 * ASSUMPTION (unconfirmed): uploads are read as CP932 with CRLF line ends, like the admin downloads
 * (§7.1, §12.5–6). Quoting follows the downloads: only cells holding , " CR or LF are quoted.
 */
export function encodeCsv(records: readonly (readonly string[])[]): Buffer {
  const text = records.map((cells) => cells.map(quoteCell).join(',')).join('\r\n') + '\r\n';
  return iconv.encode(text, CSV_ENCODING);
}

function quoteCell(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

export interface UploadOutcome {
  total: number;
  succeeded: number;
  failures: StockPushFailure[];
}

/**
 * ASSUMPTION (unconfirmed): the upload reply is 5 lines of "label<TAB>value" (§6: line 2 total rows,
 * line 3 successful rows; the rest is undocumented). We read line 4 as the failed count and line 5 as
 * "<TAB>"-separated "<CSV line number>:<message>" entries, the header being line 1. When MakeShop reports
 * failures it does not attribute, every unattributed row of the upload is reported failed: stock pushes
 * are absolute, so pushing a succeeded row again is harmless, while missing a failed one is not.
 * Returns undefined when the text is not an upload report at all.
 */
export function parseUploadReply(text: string, rows: readonly StockPushRow[]): UploadOutcome | undefined {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const total = countOnLine(lines[1]);
  const succeeded = countOnLine(lines[2]);
  if (total === undefined || succeeded === undefined) return undefined;
  const failures = new Map<number, string>();
  for (const entry of (lines[4] ?? '').split('\t').slice(1)) {
    const match = /^(\d+):(.*)$/s.exec(entry);
    const rowIndex = match ? Number(match[1]) - 2 : -1;
    if (match && rowIndex >= 0 && rowIndex < rows.length) failures.set(rowIndex, match[2]!.trim());
  }
  // Rows MakeShop did not count at all are as unconfirmed as the ones it counted as failed.
  const failedCount = Math.max(total, rows.length) - succeeded;
  if (failedCount > failures.size) {
    const message = `MakeShop reported ${failedCount} failed rows without naming all of them`;
    rows.forEach((_row, index) => failures.has(index) || failures.set(index, message));
  }
  return {
    total,
    succeeded,
    failures: [...failures].sort(([a], [b]) => a - b).map(([index, message]) => ({ row: rows[index]!, message })),
  };
}

function countOnLine(line: string | undefined): number | undefined {
  const value = line?.split('\t')[1]?.trim();
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
