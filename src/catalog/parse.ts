import {
  CATALOG_FILE_LABEL,
  IssueCollector,
  type CatalogFile,
  type CatalogRowCounts,
  type OptionStockItem,
  type ProductStockItem,
  type StockItem,
} from '../domain/catalog';
import { Int32List, StringList, StringTable } from '../domain/string-table';
import { readCsvRecords, type CatalogFileSource, type CsvRecord } from './csv-records';
import { CatalogFileError } from './errors';
import { cellOf, overlongField, type HeaderLayout, type OptionLayout, type ProductLayout } from './headers';
import { checkCatalogHeaders, readHeader } from './pair-headers';

export interface CatalogProgress {
  file: CatalogFile;
  /** Data rows read so far from this file. */
  rows: number;
  /** Bytes read so far from this file. */
  bytes: number;
  /** True on the last report for this file. */
  done: boolean;
}

export interface ReadCatalogOptions {
  productCsv: CatalogFileSource;
  optionCsv: CatalogFileSource;
  /** Receives the stock items in batches; parsing waits for the returned promise. */
  onItems: (items: StockItem[]) => Promise<void> | void;
  /** Row errors are added here (parsing continues); defaults to a collector keeping 1,000. */
  issues?: IssueCollector;
  onProgress?: (progress: CatalogProgress) => void;
  batchSize?: number;
  /** A progress report every this many rows, and one at the end of each file. */
  progressEveryRows?: number;
  signal?: AbortSignal;
  limits?: CatalogLimits;
}

/** Per-tenant limits on one upload (config CATALOG_MAX_ROWS, CATALOG_MAX_FIELD_CHARS). */
export interface CatalogLimits {
  /** Data rows per file; more refuses the file. */
  maxRows: number;
  /** Characters of each field the importer reads; a longer one is a row error. */
  maxFieldChars: number;
}

/** What a product row contributes once the option file has been read. */
interface ProductRow {
  customCode: string;
  jan: string;
  name: string;
  quantityCell: string;
  hasOptionNames: boolean;
  line: number;
}

/** Strings kept of each product row, in this order, in ProductRows.texts. */
const PRODUCT_TEXTS = ['customCode', 'jan', 'name', 'quantityCell'] as const;

/**
 * The product rows by システム商品コード, held until the option file is read: in typed arrays (string-table.ts)
 * rather than one object and four strings per row, which for 100,000 products is ~24 MB of JavaScript heap
 * that every garbage collection walks and V8 grows the heap from. Rows are numbered in file order.
 */
class ProductRows {
  private readonly systemCodes = new StringTable();
  private readonly texts = new StringList();
  private readonly lines = new Int32List();
  private readonly optionNames = new Int32List();
  private readonly optionRowCounts = new Int32List();

  /** The row number of the product with this code, or -1. */
  find(systemCode: string): number {
    return this.systemCodes.indexOf(systemCode);
  }

  /** The caller has checked that the code is new. */
  add(systemCode: string, row: ProductRow): void {
    this.systemCodes.add(systemCode);
    for (const field of PRODUCT_TEXTS) this.texts.push(row[field]);
    this.lines.push(row.line);
    this.optionNames.push(row.hasOptionNames ? 1 : 0);
    this.optionRowCounts.push(0);
  }

  line(rowNo: number): number {
    return this.lines.get(rowNo);
  }

  text(rowNo: number, field: (typeof PRODUCT_TEXTS)[number]): string {
    return this.texts.at(rowNo * PRODUCT_TEXTS.length + PRODUCT_TEXTS.indexOf(field));
  }

  countOptionRow(rowNo: number): void {
    this.optionRowCounts.set(rowNo, this.optionRowCounts.get(rowNo) + 1);
  }

  /** The products no option row belongs to, in file order. */
  *withoutOptionRows(): Generator<{ systemCode: string; row: ProductRow }> {
    for (let rowNo = 0; rowNo < this.systemCodes.size; rowNo++) {
      if (this.optionRowCounts.get(rowNo) > 0) continue;
      const [customCode = '', jan = '', name = '', quantityCell = ''] = PRODUCT_TEXTS.map((field) => this.text(rowNo, field));
      const row = { customCode, jan, name, quantityCell, hasOptionNames: this.optionNames.get(rowNo) === 1, line: this.line(rowNo) };
      yield { systemCode: this.systemCodes.at(rowNo), row };
    }
  }
}

class ProgressMeter {
  private rows = 0;
  private bytes = 0;

  constructor(
    private readonly file: CatalogFile,
    private readonly everyRows: number,
    private readonly onProgress: ReadCatalogOptions['onProgress'],
    private readonly signal: AbortSignal | undefined,
  ) {}

  readonly setBytes = (bytes: number): void => {
    this.bytes = bytes;
  };

  countRow(): void {
    this.rows += 1;
    if (this.rows % this.everyRows === 0) {
      this.signal?.throwIfAborted();
      this.report(false);
    }
  }

  get rowCount(): number {
    return this.rows;
  }

  finish(): void {
    this.report(true);
  }

  private report(done: boolean): void {
    this.onProgress?.({ file: this.file, rows: this.rows, bytes: this.bytes, done });
  }
}

class ItemBatcher {
  private batch: StockItem[] = [];
  private emitted = 0;

  constructor(
    private readonly size: number,
    private readonly sink: ReadCatalogOptions['onItems'],
    private readonly signal: AbortSignal | undefined,
  ) {}

  async add(item: StockItem): Promise<void> {
    this.batch.push(item);
    this.emitted += 1;
    if (this.batch.length >= this.size) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    this.signal?.throwIfAborted();
    const batch = this.batch;
    this.batch = [];
    await this.sink(batch);
  }

  get count(): number {
    return this.emitted;
  }
}

/**
 * Row error when the row's width differs from the header's (MakeShop rejects such rows too), or when
 * a field the importer keeps is longer than the limit.
 */
function recordIssue<Field extends string>(record: CsvRecord, layout: HeaderLayout<Field>, limits: CatalogLimits | undefined): string | null {
  if (record.cells.length !== layout.columnCount) {
    return `項目数が見出し行と一致しません（見出し行${layout.columnCount}項目、この行${record.cells.length}項目）。`;
  }
  const overlong = limits && overlongField(record.cells, layout, limits.maxFieldChars);
  if (overlong) {
    return `「${overlong.column}」が長すぎます（${overlong.length}文字）。${limits.maxFieldChars}文字以内にしてからアップロードしてください。`;
  }
  return null;
}

function tooManyRows(file: CatalogFile, line: number, maxRows: number): CatalogFileError {
  return new CatalogFileError(
    'too-many-rows',
    file,
    line,
    `${CATALOG_FILE_LABEL[file]}の行数が上限（${maxRows.toLocaleString('ja-JP')}行）を超えています。` +
      '商品・オプションの数を減らすか、運営者に上限の引き上げをご相談ください。',
  );
}

const EMPTY_SYSTEM_CODE =
  'システム商品コードが空です。MakeShopからダウンロードしたCSVをそのまま使ってください。';

const QUANTITY_PATTERN = /^[0-9]+$/;

/**
 * 数量 cell → stock. Kept strict: anything but digits or an empty cell is a row error.
 * ASSUMPTION (unconfirmed): an empty 数量 means stock is not managed (unlimited), so such items are
 * never pushed (makeshop-api.md §7.2, INFERRED from the product API's stock=null).
 */
export function parseQuantity(cell: string): { valid: true; quantity: number | null } | { valid: false } {
  if (cell === '') return { valid: true, quantity: null };
  if (!QUANTITY_PATTERN.test(cell)) return { valid: false };
  const quantity = Number(cell);
  return Number.isSafeInteger(quantity) ? { valid: true, quantity } : { valid: false };
}

function quantityIssue(cell: string): string {
  return `数量「${cell}」が正しくありません。0以上の整数を入力するか、在庫管理しない場合は空欄にしてください。`;
}

class CatalogPairReader {
  private readonly issues: IssueCollector;
  private readonly batcher: ItemBatcher;
  private products = new ProductRows();
  private productRows = 0;
  private optionRows = 0;

  constructor(private readonly options: ReadCatalogOptions) {
    this.issues = options.issues ?? new IssueCollector();
    this.batcher = new ItemBatcher(options.batchSize ?? 1000, options.onItems, options.signal);
  }

  async read(): Promise<CatalogRowCounts> {
    const layouts = await checkCatalogHeaders(this.options.productCsv, this.options.optionCsv);
    await this.readProducts(layouts.product);
    await this.readOptions(layouts.option);
    await this.emitProductsWithoutOptions();
    await this.batcher.flush();
    return { productRows: this.productRows, optionRows: this.optionRows, stockItems: this.batcher.count };
  }

  private meter(file: CatalogFile): ProgressMeter {
    const { progressEveryRows = 5000, onProgress, signal } = this.options;
    return new ProgressMeter(file, progressEveryRows, onProgress, signal);
  }

  private countRow(meter: ProgressMeter, file: CatalogFile, line: number): void {
    meter.countRow();
    const maxRows = this.options.limits?.maxRows;
    if (maxRows !== undefined && meter.rowCount > maxRows) throw tooManyRows(file, line, maxRows);
  }

  private rowIssue(file: CatalogFile, line: number, message: string): void {
    this.issues.add({ file, line, message });
  }

  private async readProducts(layout: ProductLayout): Promise<void> {
    const meter = this.meter('productCsv');
    const records = readCsvRecords(this.options.productCsv, 'productCsv', meter.setBytes);
    try {
      await readHeader(records, 'productCsv');
      for await (const record of records) {
        this.countRow(meter, 'productCsv', record.line);
        this.addProductRow(record, layout);
      }
    } finally {
      await records.return(undefined);
    }
    meter.finish();
    this.productRows = meter.rowCount;
    if (this.productRows === 0) {
      throw new CatalogFileError(
        'no-data-rows',
        'productCsv',
        0,
        '商品データCSVに商品の行がありません（見出し行だけです）。商品を含むCSVをダウンロードし直してください。',
      );
    }
  }

  private addProductRow(record: CsvRecord, layout: ProductLayout): void {
    const problem = recordIssue(record, layout, this.options.limits);
    if (problem) return this.rowIssue('productCsv', record.line, problem);
    const { cells, line } = record;
    const systemCode = cellOf(cells, layout, 'systemCode');
    if (systemCode === '') {
      return this.rowIssue('productCsv', line, EMPTY_SYSTEM_CODE);
    }
    const earlier = this.products.find(systemCode);
    if (earlier !== -1) {
      return this.rowIssue(
        'productCsv',
        line,
        `システム商品コード「${systemCode}」が${this.products.line(earlier)}行目と重複しています。この行は取り込みません。`,
      );
    }
    this.products.add(systemCode, {
      customCode: cellOf(cells, layout, 'customCode'),
      jan: cellOf(cells, layout, 'jan'),
      name: cellOf(cells, layout, 'name'),
      quantityCell: cellOf(cells, layout, 'quantity'),
      hasOptionNames:
        cellOf(cells, layout, 'option1Name') !== '' || cellOf(cells, layout, 'option2Name') !== '',
      line,
    });
  }

  private async readOptions(layout: OptionLayout): Promise<void> {
    const meter = this.meter('optionCsv');
    const records = readCsvRecords(this.options.optionCsv, 'optionCsv', meter.setBytes);
    try {
      await readHeader(records, 'optionCsv');
      for await (const record of records) {
        this.countRow(meter, 'optionCsv', record.line);
        const item = this.optionItem(record, layout);
        if (item) await this.batcher.add(item);
      }
    } finally {
      await records.return(undefined);
    }
    meter.finish();
    this.optionRows = meter.rowCount;
  }

  private optionItem(record: CsvRecord, layout: OptionLayout): OptionStockItem | null {
    const { cells, line } = record;
    const problem = recordIssue(record, layout, this.options.limits);
    if (problem) return this.optionIssue(line, problem);
    const systemCode = cellOf(cells, layout, 'systemCode');
    if (systemCode === '') return this.optionIssue(line, EMPTY_SYSTEM_CODE);
    const parent = this.products.find(systemCode);
    if (parent === -1) {
      return this.optionIssue(
        line,
        `システム商品コード「${systemCode}」の商品が商品データCSVにありません。` +
          '同じ時点でダウンロードした商品データCSVとオプションデータCSVを一緒にアップロードしてください。',
      );
    }
    this.products.countOptionRow(parent);
    const quantityCell = cellOf(cells, layout, 'quantity');
    const quantity = parseQuantity(quantityCell);
    if (!quantity.valid) return this.optionIssue(line, quantityIssue(quantityCell));
    const optionValues = [cellOf(cells, layout, 'option1'), cellOf(cells, layout, 'option2')].filter(
      (v) => v !== '',
    );
    const parentName = this.products.text(parent, 'name');
    return {
      source: 'option',
      systemCode,
      customCode: this.products.text(parent, 'customCode'),
      optionCode: cellOf(cells, layout, 'optionCode'),
      jan: cellOf(cells, layout, 'jan'),
      name: optionValues.length > 0 ? `${parentName} ${optionValues.join(' / ')}` : parentName,
      quantity: quantity.quantity,
      line,
    };
  }

  private optionIssue(line: number, message: string): null {
    this.rowIssue('optionCsv', line, message);
    return null;
  }

  /**
   * Products whose stock lives in option rows were emitted as those rows; the rest are items themselves.
   * ASSUMPTION (unconfirmed): a product that has option rows keeps its stock only in them, so its own
   * 数量 is ignored (makeshop-api.md §7.2 "presumably ignored", §12.5).
   */
  private async emitProductsWithoutOptions(): Promise<void> {
    for (const { systemCode, row } of this.products.withoutOptionRows()) {
      const item = this.productItem(systemCode, row);
      if (item) await this.batcher.add(item);
    }
    this.products = new ProductRows();
  }

  private productItem(systemCode: string, row: ProductRow): ProductStockItem | null {
    if (row.hasOptionNames) {
      this.rowIssue(
        'productCsv',
        row.line,
        'オプション（オプション１名称／オプション２名称）が設定された商品ですが、オプションデータCSVにこの商品の行がありません。' +
          'この商品は在庫連携しません。',
      );
      return null;
    }
    const quantity = parseQuantity(row.quantityCell);
    if (!quantity.valid) {
      this.rowIssue('productCsv', row.line, quantityIssue(row.quantityCell));
      return null;
    }
    const { customCode, jan, name, line } = row;
    return { source: 'product', systemCode, customCode, jan, name, quantity: quantity.quantity, line };
  }
}

/**
 * Reads a MakeShop 商品データCSV + オプションデータCSV pair into stock items, streamed to
 * `onItems` in batches. Products are read first into compact rows keyed by システム商品コード
 * (ProductRows: typed arrays, no object per product); option rows are then streamed and joined to it, and finally
 * products that have no option rows are emitted. Whole-file problems throw CatalogFileError;
 * row problems go to `issues` and the row is skipped.
 */
export async function readCatalogPair(options: ReadCatalogOptions): Promise<CatalogRowCounts> {
  return new CatalogPairReader(options).read();
}
