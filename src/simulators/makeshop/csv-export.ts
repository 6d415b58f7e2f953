import iconv from 'iconv-lite';
import { OPTION_COLUMN, OPTION_CSV_COLUMNS, PRODUCT_COLUMN, PRODUCT_CSV_COLUMNS } from '../../platforms/makeshop/csv-columns';
import type { SimShop } from './shop';

/**
 * The admin screen's 商品データCSV / オプションデータCSV downloads, reproducing the sample downloads of test/fixtures/makeshop-samples:
 * CP932, CRLF after every line, header first, only cells holding , " CR or LF quoted.
 */
export function productCsv(shop: SimShop): Buffer {
  const rows = shop.products.map((product) => {
    const cells = new Map<string, string>([
      [PRODUCT_COLUMN.productKeyType, '0'],
      [PRODUCT_COLUMN.updateTimestampFlag, '0'],
      [PRODUCT_COLUMN.systemCode, product.systemCode],
      [PRODUCT_COLUMN.customCode, product.customCode],
      [PRODUCT_COLUMN.categoryPath, product.categoryPath],
      [PRODUCT_COLUMN.name, product.name],
      [PRODUCT_COLUMN.price, String(product.price)],
      ['定価', '0'],
      [PRODUCT_COLUMN.quantity, product.quantity === null ? '' : String(product.quantity)],
      [PRODUCT_COLUMN.option1Name, product.optionNames[0] ?? ''],
      [PRODUCT_COLUMN.option2Name, product.optionNames[1] ?? ''],
      [PRODUCT_COLUMN.jan, product.jan],
      [PRODUCT_COLUMN.visible, 'Y'],
      ['消費税率', '10'],
    ]);
    return PRODUCT_CSV_COLUMNS.map((column) => cells.get(column) ?? '');
  });
  return encodeAdminCsv([[...PRODUCT_CSV_COLUMNS], ...rows]);
}

export function optionCsv(shop: SimShop): Buffer {
  const rows = shop.options.map((option) => {
    const product = shop.productBySystemCode(option.systemCode);
    const cells = new Map<string, string>([
      [OPTION_COLUMN.productKeyType, '0'],
      [OPTION_COLUMN.optionKeyType, '0'],
      [OPTION_COLUMN.systemCode, option.systemCode],
      [OPTION_COLUMN.customCode, product?.customCode ?? ''],
      [OPTION_COLUMN.productName, product?.name ?? ''],
      [OPTION_COLUMN.categoryPath, product?.categoryPath ?? ''],
      [OPTION_COLUMN.optionCode, option.optionCode],
      [OPTION_COLUMN.option1, option.option1],
      [OPTION_COLUMN.option2, option.option2],
      [OPTION_COLUMN.price, String(option.price || product?.price || 0)],
      [OPTION_COLUMN.quantity, option.quantity === null ? '' : String(option.quantity)],
      [OPTION_COLUMN.jan, option.jan],
    ]);
    return OPTION_CSV_COLUMNS.map((column) => cells.get(column) ?? '');
  });
  return encodeAdminCsv([[...OPTION_CSV_COLUMNS], ...rows]);
}

/** The admin download's file name, e.g. upload_20240501123456.csv / option_20240501123456.csv (§7). */
export function downloadFileName(kind: 'products' | 'options', jstTimestamp: string): string {
  return `${kind === 'products' ? 'upload' : 'option'}_${jstTimestamp}.csv`;
}

function encodeAdminCsv(records: string[][]): Buffer {
  const quote = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
  return iconv.encode(records.map((cells) => cells.map(quote).join(',')).join('\r\n') + '\r\n', 'cp932');
}
