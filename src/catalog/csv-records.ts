import { Readable, pipeline } from 'node:stream';
import { parse } from 'csv-parse';
import { CATALOG_FILE_LABEL, type CatalogFile } from '../domain/catalog';
import { decodeCatalogText } from './decode';
import { CatalogFileError } from './errors';

/** Where an uploaded file's bytes come from; `open` may be called more than once (one read per pass). */
export interface CatalogFileSource {
  open(): AsyncIterable<Uint8Array>;
}

/** One CSV record and the physical line it starts on (1-based; quoted newlines span lines). */
export interface CsvRecord {
  cells: string[];
  line: number;
}

/** A runaway quoted field would otherwise swallow the rest of the file into one record. */
const MAX_RECORD_CHARS = 4 * 1024 * 1024;

function newlinesIn(cells: readonly string[]): number {
  let count = 0;
  for (const cell of cells) {
    for (let at = cell.indexOf('\n'); at !== -1; at = cell.indexOf('\n', at + 1)) count += 1;
  }
  return count;
}

function isBlankLine(cells: readonly string[]): boolean {
  return cells.length === 1 && cells[0] === '';
}

function csvSyntaxError(error: unknown, file: CatalogFile, line: number): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const label = CATALOG_FILE_LABEL[file];
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new CatalogFileError(
        'malformed-csv',
        file,
        line,
        `${label}の${line}行目から始まる項目の引用符（"）が閉じられていません。` +
          'ファイルが途中で切れているか、引用符の数が合っていません。MakeShopからダウンロードし直したCSVを選択してください。',
      );
    case 'CSV_MAX_RECORD_SIZE':
      return new CatalogFileError(
        'malformed-csv',
        file,
        line,
        `${label}の${line}行目から始まる行が長すぎます。引用符（"）が閉じられていない可能性があります。`,
      );
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return new CatalogFileError(
        'malformed-csv',
        file,
        line,
        `${label}の${line}行目の引用符（"）の使い方が正しくありません。` +
          '項目の中の " は "" と2つ重ねて、項目全体を " で囲む必要があります。',
      );
    default:
      return error;
  }
}

/**
 * Streams the records of one uploaded CSV: decoded (decode.ts), parsed strictly (quotes must be
 * well formed; a quoted field still open at the end of the file fails it), blank lines skipped.
 * Rows of the wrong width are passed on so the caller can report them as row errors.
 */
export async function* readCsvRecords(
  source: CatalogFileSource,
  file: CatalogFile,
  onBytes?: (bytesRead: number) => void,
): AsyncGenerator<CsvRecord> {
  // on_record runs synchronously as each record completes, in order: it queues each record's
  // start line for the consumer, and when a syntax error is raised nextLine is exactly the line
  // where the broken record starts.
  let nextLine = 1;
  const startLines: number[] = [];
  const parser = parse({
    relax_column_count: true,
    max_record_size: MAX_RECORD_CHARS,
    on_record: (cells: string[]) => {
      startLines.push(nextLine);
      nextLine += 1 + newlinesIn(cells);
      return cells;
    },
  });
  const text = Readable.from(decodeCatalogText(source.open(), file, onBytes));
  // Errors of either stream reach the consumer through the parser's iterator.
  pipeline(text, parser, () => undefined);
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      const line = startLines.shift() ?? 0;
      if (!isBlankLine(cells)) yield { cells, line };
    }
  } catch (error) {
    throw csvSyntaxError(error, file, nextLine);
  }
}
