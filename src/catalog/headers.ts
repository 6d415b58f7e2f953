import { CATALOG_FILE_LABEL, type CatalogFile } from '../domain/catalog';
import {
  OPTION_COLUMN,
  OPTION_CSV_COLUMNS,
  OPTION_CSV_COLUMNS_13,
  PRODUCT_COLUMN,
  PRODUCT_CSV_COLUMNS,
  PRODUCT_CSV_COLUMNS_76,
} from '../platforms/makeshop/csv-columns';
import { CatalogFileError } from './errors';

/**
 * Header names differ by era and character width (オプション１名称 / オプション1項目, メタタグ：Description),
 * so both sides are compared after NFKC and trimming. Only header names are normalised: data
 * cells are codes and must stay exactly as written.
 */
export function normaliseHeaderName(name: string): string {
  return name.normalize('NFKC').trim();
}

export type CsvKind = 'product' | 'option';

const PRODUCT_FIELDS = {
  systemCode: PRODUCT_COLUMN.systemCode,
  customCode: PRODUCT_COLUMN.customCode,
  name: PRODUCT_COLUMN.name,
  quantity: PRODUCT_COLUMN.quantity,
  jan: PRODUCT_COLUMN.jan,
  option1Name: PRODUCT_COLUMN.option1Name,
  option2Name: PRODUCT_COLUMN.option2Name,
} as const;

const OPTION_FIELDS = {
  systemCode: OPTION_COLUMN.systemCode,
  optionCode: OPTION_COLUMN.optionCode,
  option1: OPTION_COLUMN.option1,
  option2: OPTION_COLUMN.option2,
  quantity: OPTION_COLUMN.quantity,
  jan: OPTION_COLUMN.jan,
} as const;

export type ProductField = keyof typeof PRODUCT_FIELDS;
export type OptionField = keyof typeof OPTION_FIELDS;

const REQUIRED_PRODUCT_FIELDS: readonly ProductField[] = [
  'systemCode',
  'customCode',
  'name',
  'quantity',
  'jan',
];
const REQUIRED_OPTION_FIELDS: readonly OptionField[] = ['systemCode', 'optionCode', 'quantity', 'jan'];

/** Column positions of the fields the importer reads; optional fields may be absent. */
export interface HeaderLayout<Field extends string> {
  columnCount: number;
  index: Record<Field, number | undefined>;
  /** Each field's column name, for messages. */
  columns: Record<Field, string>;
}

export type ProductLayout = HeaderLayout<ProductField>;
export type OptionLayout = HeaderLayout<OptionField>;

function normalisedSet(...lists: readonly (readonly string[])[]): Set<string> {
  return new Set(lists.flat().map(normaliseHeaderName));
}

const PRODUCT_HEADERS = normalisedSet(PRODUCT_CSV_COLUMNS, PRODUCT_CSV_COLUMNS_76);
const OPTION_HEADERS = normalisedSet(OPTION_CSV_COLUMNS, OPTION_CSV_COLUMNS_13);
/** Headers found in only one of the two formats tell the files apart. */
const PRODUCT_ONLY_HEADERS = new Set([...PRODUCT_HEADERS].filter((name) => !OPTION_HEADERS.has(name)));
const OPTION_ONLY_HEADERS = new Set([...OPTION_HEADERS].filter((name) => !PRODUCT_HEADERS.has(name)));

/** Which MakeShop CSV a header row belongs to, or null when it looks like neither. */
export function classifyHeader(header: readonly string[]): CsvKind | null {
  const names = header.map(normaliseHeaderName);
  const productScore = names.filter((name) => PRODUCT_ONLY_HEADERS.has(name)).length;
  const optionScore = names.filter((name) => OPTION_ONLY_HEADERS.has(name)).length;
  if (productScore === 0 && optionScore === 0) return null;
  return optionScore > productScore ? 'option' : 'product';
}

function buildLayout<Field extends string>(
  header: readonly string[],
  fields: Record<Field, string>,
  required: readonly Field[],
  file: CatalogFile,
): HeaderLayout<Field> {
  const positions = new Map<string, number>();
  header.forEach((name, position) => {
    const normalised = normaliseHeaderName(name);
    if (!positions.has(normalised)) positions.set(normalised, position);
  });
  const index = {} as Record<Field, number | undefined>;
  for (const field of Object.keys(fields) as Field[]) {
    index[field] = positions.get(normaliseHeaderName(fields[field]));
  }
  const missing = required
    .filter((field) => index[field] === undefined)
    .map((field) => `「${fields[field]}」`);
  if (missing.length > 0) {
    throw new CatalogFileError(
      'missing-column',
      file,
      1,
      `${CATALOG_FILE_LABEL[file]}に必須列${missing.join('')}がありません。` +
        'MakeShopの管理画面からダウンロードしたCSVの見出し行（1行目）を変更せずにアップロードしてください。',
    );
  }
  return { columnCount: header.length, index, columns: fields };
}

export function productLayout(header: readonly string[]): ProductLayout {
  return buildLayout(header, PRODUCT_FIELDS, REQUIRED_PRODUCT_FIELDS, 'productCsv');
}

export function optionLayout(header: readonly string[]): OptionLayout {
  return buildLayout(header, OPTION_FIELDS, REQUIRED_OPTION_FIELDS, 'optionCsv');
}

/** The first field the importer reads whose cell is longer than `maxChars`, or null. */
export function overlongField<Field extends string>(
  cells: readonly string[],
  layout: HeaderLayout<Field>,
  maxChars: number,
): { column: string; length: number } | null {
  for (const field of Object.keys(layout.index) as Field[]) {
    const { length } = cellOf(cells, layout, field);
    if (length > maxChars) return { column: layout.columns[field], length };
  }
  return null;
}

/** The cell of an optional field, '' when the column is absent. */
export function cellOf<Field extends string>(
  cells: readonly string[],
  layout: HeaderLayout<Field>,
  field: Field,
): string {
  const position = layout.index[field];
  return position === undefined ? '' : (cells[position] ?? '');
}
