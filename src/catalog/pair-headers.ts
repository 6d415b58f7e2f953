import { CATALOG_FILE_LABEL, type CatalogFile } from '../domain/catalog';
import { readCsvRecords, type CatalogFileSource, type CsvRecord } from './csv-records';
import { CatalogFileError } from './errors';
import {
  classifyHeader,
  optionLayout,
  productLayout,
  type CsvKind,
  type OptionLayout,
  type ProductLayout,
} from './headers';

/** The first record of a file, which must be its header row. */
export async function readHeader(records: AsyncGenerator<CsvRecord>, file: CatalogFile): Promise<CsvRecord> {
  const first = await records.next();
  if (first.done) {
    throw new CatalogFileError(
      'empty-file',
      file,
      0,
      `${CATALOG_FILE_LABEL[file]}が空です。見出し行もありません。`,
    );
  }
  return first.value;
}

/** The header record of a file, which is closed right after. */
async function peekHeader(source: CatalogFileSource, file: CatalogFile): Promise<CsvRecord> {
  const records = readCsvRecords(source, file);
  try {
    return await readHeader(records, file);
  } finally {
    await records.return(undefined);
  }
}

/** Only words the error about the other file: that file's own problems do not matter then. */
async function kindOrNull(source: CatalogFileSource, file: CatalogFile): Promise<CsvKind | null> {
  try {
    return classifyHeader((await peekHeader(source, file)).cells);
  } catch {
    return null;
  }
}

function unrecognisedHeader(header: CsvRecord, file: CatalogFile): CatalogFileError {
  const label = CATALOG_FILE_LABEL[file];
  return new CatalogFileError(
    'unrecognised-header',
    file,
    header.line,
    `${label}の見出し行（${header.line}行目）がMakeShopの${label}の形式ではありません。` +
      'MakeShopの管理画面（商品一括登録／オプション一括登録）からダウンロードしたCSVを、Shift_JISまたはUTF-8のまま選択してください。',
  );
}

function wrongFile(slot: CatalogFile, found: CatalogFile): CatalogFileError {
  const label = CATALOG_FILE_LABEL[slot];
  return new CatalogFileError(
    'wrong-file',
    slot,
    0,
    `${label}の欄に${CATALOG_FILE_LABEL[found]}が選択されています。${label}を選択してください。`,
  );
}

function filesSwapped(): CatalogFileError {
  return new CatalogFileError(
    'files-swapped',
    'productCsv',
    0,
    '商品データCSVとオプションデータCSVが逆に選択されています。2つのファイルを入れ替えてアップロードしてください。',
  );
}

export interface CatalogLayouts {
  product: ProductLayout;
  option: OptionLayout;
}

/**
 * Reads only the two header rows: a wrong, swapped or incomplete pair fails before any of the
 * (possibly 100k) rows are read.
 */
export async function checkCatalogHeaders(
  productCsv: CatalogFileSource,
  optionCsv: CatalogFileSource,
): Promise<CatalogLayouts> {
  const productHeader = await peekHeader(productCsv, 'productCsv');
  const productKind = classifyHeader(productHeader.cells);
  if (productKind === null) throw unrecognisedHeader(productHeader, 'productCsv');
  if (productKind === 'option') {
    throw (await kindOrNull(optionCsv, 'optionCsv')) === 'product'
      ? filesSwapped()
      : wrongFile('productCsv', 'optionCsv');
  }
  const optionHeader = await peekHeader(optionCsv, 'optionCsv');
  const optionKind = classifyHeader(optionHeader.cells);
  if (optionKind === null) throw unrecognisedHeader(optionHeader, 'optionCsv');
  if (optionKind === 'product') throw wrongFile('optionCsv', 'productCsv');
  return { product: productLayout(productHeader.cells), option: optionLayout(optionHeader.cells) };
}
