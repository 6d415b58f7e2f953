/**
 * Writes a large, valid MakeShop CSV pair (CP932, CRLF, as the admin downloads it) plus the
 * Smaregi codes that match most of its items, for catalog-import benchmarks.
 *
 * Module: `generateCatalogPair({ products: 100_000, dir })`.
 * Script: `npx tsx bench/generate-catalog.ts --products 100000 --options-per-product 6 --dir /tmp/catalog`
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';
import {
  OPTION_COLUMN,
  OPTION_CSV_COLUMNS,
  PRODUCT_COLUMN,
  PRODUCT_CSV_COLUMNS,
} from '../src/platforms/makeshop/csv-columns';

export interface GenerateCatalogOptions {
  dir: string;
  /** Product rows. */
  products: number;
  /** Option rows of each product that has options (default 6). */
  optionsPerProduct?: number;
  /** Share of products that have options (default 0.5: 100k products → 300k option rows). */
  optionProductShare?: number;
  /** Share of items whose 数量 is empty, i.e. unlimited (default 0.02). */
  unlimitedShare?: number;
  /** Share of items a Smaregi code matches (default 0.9), alternating 独自コード and JAN. */
  smaregiMatchShare?: number;
}

export interface GeneratedCatalogPair {
  productCsvPath: string;
  optionCsvPath: string;
  /** Smaregi 商品コード → productId, including a few codes no item matches. */
  smaregiCodes: Map<string, string>;
  /** The same codes as UTF-8 TSV (`productCode<TAB>productId` per line), for another process. */
  smaregiCodesPath: string;
  productRows: number;
  optionRows: number;
  stockItems: number;
}

const ROWS_PER_WRITE = 2000;
const CATEGORIES = [
  'メンズ\\Tシャツ',
  'レディース\\ワンピース',
  '雑貨\\食器',
  'キッズ',
  'アウトドア\\テント',
];
const COLOURS = ['ブラック', 'ホワイト', 'グレー', 'ネイビー', 'レッド', 'ベージュ'];
const SIZES = ['S', 'M', 'L', 'XL'];

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function janCode(prefix: string, n: number): string {
  const body = `${prefix}${String(n).padStart(12 - prefix.length, '0')}`;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body[i]) * (i % 2 === 0 ? 1 : 3);
  return body + String((10 - (sum % 10)) % 10);
}

/** Writes CP932 text in blocks of rows, honouring the stream's backpressure. */
class Cp932Writer {
  private readonly stream: WriteStream;
  private lines: string[] = [];

  constructor(path: string) {
    this.stream = createWriteStream(path);
  }

  async line(cells: readonly string[]): Promise<void> {
    this.lines.push(csvLine(cells));
    if (this.lines.length >= ROWS_PER_WRITE) await this.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }

  private async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const bytes = iconv.encode(this.lines.join(''), 'cp932');
    this.lines = [];
    if (!this.stream.write(bytes)) await once(this.stream, 'drain');
  }
}

function rowTemplate(columns: readonly string[]): { cells: string[]; at: (name: string) => number } {
  const cells = columns.map(() => '');
  return {
    cells,
    at: (name) => {
      const index = columns.indexOf(name);
      if (index === -1) throw new Error(`unknown column ${name}`);
      return index;
    },
  };
}

interface ItemPlan {
  unlimitedEvery: number;
  unmatchedEvery: number;
}

function planFor(options: GenerateCatalogOptions): ItemPlan {
  const every = (share: number) =>
    share <= 0 ? Number.POSITIVE_INFINITY : Math.max(1, Math.round(1 / share));
  return {
    unlimitedEvery: every(options.unlimitedShare ?? 0.02),
    unmatchedEvery: every(1 - (options.smaregiMatchShare ?? 0.9)),
  };
}

function quantityFor(itemNumber: number, plan: ItemPlan): string {
  return itemNumber % plan.unlimitedEvery === plan.unlimitedEvery - 1 ? '' : String(itemNumber % 50);
}

class SmaregiCodes {
  readonly codes = new Map<string, string>();

  offer(itemNumber: number, code: string, jan: string, plan: ItemPlan): void {
    if (itemNumber % plan.unmatchedEvery === 0) return;
    this.codes.set(itemNumber % 2 === 0 ? code : jan, `sp${itemNumber}`);
  }
}

export async function generateCatalogPair(options: GenerateCatalogOptions): Promise<GeneratedCatalogPair> {
  await mkdir(options.dir, { recursive: true });
  const productCsvPath = join(options.dir, 'products.csv');
  const optionCsvPath = join(options.dir, 'options.csv');
  const optionsPerProduct = options.optionsPerProduct ?? 6;
  const optionEvery = Math.max(1, Math.round(1 / (options.optionProductShare ?? 0.5)));
  const plan = planFor(options);
  const smaregi = new SmaregiCodes();
  const productFile = new Cp932Writer(productCsvPath);
  const optionFile = new Cp932Writer(optionCsvPath);
  await productFile.line(PRODUCT_CSV_COLUMNS);
  await optionFile.line(OPTION_CSV_COLUMNS);

  const product = rowTemplate(PRODUCT_CSV_COLUMNS);
  const option = rowTemplate(OPTION_CSV_COLUMNS);
  const p = (name: string, value: string) => (product.cells[product.at(name)] = value);
  const o = (name: string, value: string) => (option.cells[option.at(name)] = value);
  p(PRODUCT_COLUMN.productKeyType, '0');
  p(PRODUCT_COLUMN.updateTimestampFlag, '0');
  p(PRODUCT_COLUMN.visible, 'Y');
  p('消費税率', '10');
  o(OPTION_COLUMN.productKeyType, '0');
  o(OPTION_COLUMN.optionKeyType, '0');

  let itemNumber = 0;
  let optionRows = 0;
  for (let i = 0; i < options.products; i++) {
    const systemCode = String(i + 1).padStart(12, '0');
    const customCode = `MS-${i}`;
    const name = i % 7 === 0 ? `商品 ${i}, 限定カラー` : `商品 ${i}`;
    const category = CATEGORIES[i % CATEGORIES.length] ?? '';
    const hasOptions = i % optionEvery === 0 && optionsPerProduct > 0;
    p(PRODUCT_COLUMN.systemCode, systemCode);
    p(PRODUCT_COLUMN.customCode, customCode);
    p(PRODUCT_COLUMN.name, name);
    p(PRODUCT_COLUMN.categoryPath, category);
    p(PRODUCT_COLUMN.price, String(1000 + (i % 90) * 100));
    p(PRODUCT_COLUMN.option1Name, hasOptions ? 'カラー' : '');
    p(PRODUCT_COLUMN.option2Name, hasOptions ? 'サイズ' : '');
    p('PC用メイン商品説明文', i % 11 === 0 ? `綿100%、"定番"の一枚。\r\n洗濯機で洗えます。` : '');
    const jan = hasOptions ? '' : janCode('45', i);
    p(PRODUCT_COLUMN.jan, jan);
    p(PRODUCT_COLUMN.quantity, hasOptions ? '' : quantityFor(itemNumber, plan));
    await productFile.line(product.cells);
    if (!hasOptions) {
      smaregi.offer(itemNumber++, customCode, jan, plan);
      continue;
    }
    o(OPTION_COLUMN.systemCode, systemCode);
    o(OPTION_COLUMN.customCode, customCode);
    o(OPTION_COLUMN.productName, name);
    o(OPTION_COLUMN.categoryPath, category);
    for (let k = 0; k < optionsPerProduct; k++) {
      const colour = COLOURS[Math.floor(k / SIZES.length) % COLOURS.length] ?? '';
      const size = SIZES[k % SIZES.length] ?? '';
      const optionCode = `${customCode}-${k}`;
      const optionJan = janCode('49', optionRows);
      o(OPTION_COLUMN.optionCode, optionCode);
      o(OPTION_COLUMN.option1, colour);
      o(OPTION_COLUMN.option2, size);
      o(OPTION_COLUMN.price, String(1000 + (i % 90) * 100));
      o(OPTION_COLUMN.quantity, quantityFor(itemNumber, plan));
      o(OPTION_COLUMN.jan, optionJan);
      await optionFile.line(option.cells);
      smaregi.offer(itemNumber++, optionCode, optionJan, plan);
      optionRows += 1;
    }
  }
  for (let extra = 0; extra < Math.ceil(options.products / 100); extra++) {
    smaregi.codes.set(`POS-ONLY-${extra}`, `sp-pos-${extra}`);
  }
  await Promise.all([productFile.close(), optionFile.close()]);
  const smaregiCodesPath = join(options.dir, 'smaregi-codes.tsv');
  await writeFile(smaregiCodesPath, [...smaregi.codes].map(([code, id]) => `${code}\t${id}\n`).join(''));
  return {
    productCsvPath,
    optionCsvPath,
    smaregiCodes: smaregi.codes,
    smaregiCodesPath,
    productRows: options.products,
    optionRows,
    stockItems: itemNumber,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      products: { type: 'string', default: '100000' },
      'options-per-product': { type: 'string', default: '6' },
      'option-product-share': { type: 'string', default: '0.5' },
      dir: { type: 'string', default: join(process.cwd(), '.data', 'bench-catalog') },
    },
  });
  const started = Date.now();
  const pair = await generateCatalogPair({
    dir: values.dir,
    products: Number(values.products),
    optionsPerProduct: Number(values['options-per-product']),
    optionProductShare: Number(values['option-product-share']),
  });
  const { smaregiCodes, ...summary } = pair;
  console.log(JSON.stringify({ ...summary, smaregiCodes: smaregiCodes.size, ms: Date.now() - started }));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
