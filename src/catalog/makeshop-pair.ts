import type { Writable } from 'node:stream';
import { OPTION_COLUMN, PRODUCT_COLUMN } from '../platforms/makeshop/csv-columns';
import type { MakeshopCatalogProduct } from '../platforms/makeshop/apps-client';

/**
 * A catalog read from MakeShop (apps mode) written as the 商品データCSV + オプションデータCSV pair, in the
 * columns the importer reads. The import then parses it exactly like an uploaded pair: the same stock
 * items, the same matching, the same report — one mapping from MakeShop data to stock items, not two.
 * UTF-8 with a BOM (the importer's rule: a BOM means UTF-8), CRLF, every cell quoted.
 */
const PRODUCT_HEADER = [
  PRODUCT_COLUMN.systemCode,
  PRODUCT_COLUMN.customCode,
  PRODUCT_COLUMN.name,
  PRODUCT_COLUMN.quantity,
  PRODUCT_COLUMN.option1Name,
  PRODUCT_COLUMN.option2Name,
  PRODUCT_COLUMN.jan,
];
const OPTION_HEADER = [OPTION_COLUMN.systemCode, OPTION_COLUMN.optionCode, OPTION_COLUMN.option1, OPTION_COLUMN.option2, OPTION_COLUMN.quantity, OPTION_COLUMN.jan];
/** Any non-empty name marks a product whose stock lives in its variations (searchProduct gives no names). */
const VARIATION_NAME = 'バリエーション';

export interface PairSinks {
  productCsv: Writable;
  optionCsv: Writable;
}

export interface PairCounts {
  products: number;
  variations: number;
}

/** Streams every page into the two sinks (awaiting back-pressure), then ends both. */
export async function writeMakeshopCatalogPair(pages: AsyncIterable<MakeshopCatalogProduct[]>, sinks: PairSinks, onPage?: (counts: PairCounts) => void): Promise<PairCounts> {
  const counts: PairCounts = { products: 0, variations: 0 };
  await write(sinks.productCsv, `\uFEFF${csvLine(PRODUCT_HEADER)}`);
  await write(sinks.optionCsv, `\uFEFF${csvLine(OPTION_HEADER)}`);
  for await (const page of pages) {
    const products = page.map((p) => csvLine([p.systemCode, p.customCode, p.name, quantityCell(p.variations.length > 0 ? null : p.quantity), p.variations.length > 0 ? VARIATION_NAME : '', '', p.jan]));
    const options = page.flatMap((p) => p.variations.map((v) => csvLine([p.systemCode, v.optionCode, v.option1, v.option2, quantityCell(v.quantity), v.jan])));
    await write(sinks.productCsv, products.join(''));
    if (options.length > 0) await write(sinks.optionCsv, options.join(''));
    counts.products += products.length;
    counts.variations += options.length;
    onPage?.(counts);
  }
  await Promise.all([end(sinks.productCsv), end(sinks.optionCsv)]);
  return counts;
}

/** null (stock not managed) is the empty 数量 cell, as in MakeShop's own download. */
function quantityCell(quantity: number | null): string {
  return quantity === null ? '' : String(quantity);
}

function csvLine(cells: readonly string[]): string {
  return `${cells.map((cell) => `"${cell.replaceAll('"', '""')}"`).join(',')}\r\n`;
}

function write(sink: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    sink.write(text, 'utf8', (error) => (error ? reject(error) : resolve()));
  });
}

function end(sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    sink.once('error', reject);
    sink.end(() => resolve());
  });
}
