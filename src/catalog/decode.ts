import iconv from 'iconv-lite';
import { CATALOG_FILE_LABEL, type CatalogFile } from '../domain/catalog';
import { CatalogFileError } from './errors';

export type CatalogEncoding = 'utf-8' | 'cp932';

/** Bytes after the first non-ASCII byte that must be seen before choosing UTF-8 or CP932. */
const SNIFF_WINDOW_BYTES = 4096;
/** An ASCII-only prefix longer than this is passed through undecided (both encodings agree on ASCII). */
const MAX_UNDECIDED_ASCII_BYTES = 64 * 1024;

const REPLACEMENT_CHARACTER = '\uFFFD';

/**
 * Bytes decoded at a time. Keeps each decoded string below V8's large-object size, so the text
 * dies young instead of piling up in old space until a full GC (measured: ~115 MB less peak RSS
 * on a 400k-row pair than with 256 KiB chunks).
 */
const DECODE_SLICE_BYTES = 32 * 1024;

interface IncrementalDecoder {
  write(chunk: Buffer): string;
  end(): string;
}

function utf8Decoder(): IncrementalDecoder {
  // Non-fatal on purpose: invalid bytes become U+FFFD, which `checked` reports with its line.
  const decoder = new TextDecoder('utf-8');
  return {
    write: (chunk) => decoder.decode(chunk, { stream: true }),
    end: () => decoder.decode(),
  };
}

function cp932Decoder(): IncrementalDecoder {
  const decoder = iconv.getDecoder('cp932');
  return { write: (chunk) => decoder.write(chunk), end: () => decoder.end() ?? '' };
}

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    // stream: true tolerates a character cut off at the end of the sample.
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return signature.every((byte, i) => bytes[i] === byte);
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const UTF16_BOMS = [
  [0xff, 0xfe],
  [0xfe, 0xff],
];
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];

/** Rejects files that are clearly not a text CSV, with a message saying what they are. */
function checkFileStart(start: Uint8Array, file: CatalogFile): void {
  const label = CATALOG_FILE_LABEL[file];
  if (UTF16_BOMS.some((bom) => startsWith(start, bom))) {
    throw new CatalogFileError(
      'encoding',
      file,
      1,
      `${label}がUTF-16（Unicodeテキスト）で保存されています。Shift_JISまたはUTF-8のCSVとして保存し直してください。`,
    );
  }
  if (startsWith(start, ZIP_SIGNATURE) || start.includes(0)) {
    throw new CatalogFileError(
      'not-csv',
      file,
      0,
      `${label}がCSVファイルではありません（Excelブック形式などのファイルです）。CSV形式で保存したファイルを選択してください。`,
    );
  }
}

function countNewlines(text: string, end = text.length): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < end; at = text.indexOf('\n', at + 1)) count += 1;
  return count;
}

/**
 * Incremental decoder for an uploaded MakeShop CSV. Encoding rule: a UTF-8 BOM means UTF-8;
 * otherwise the bytes from the first non-ASCII byte (at least 4 KiB of them, or the whole file)
 * decide: strictly valid UTF-8 means UTF-8, anything else CP932 (MakeShop's download encoding).
 * Bytes that decode to U+FFFD in the chosen encoding fail the file with the line they are on,
 * so a wrong encoding never turns into silently garbled codes.
 */
export class CatalogTextDecoder {
  private pending: Buffer[] = [];
  private decoder: IncrementalDecoder | null = null;
  private startChecked = false;
  private line = 1;
  private chosen: CatalogEncoding | null = null;

  constructor(private readonly file: CatalogFile) {}

  /** The encoding chosen, once enough bytes were seen. */
  get encoding(): CatalogEncoding | null {
    return this.chosen;
  }

  write(chunk: Uint8Array): string {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.decoder) return this.checked(this.decoder.write(bytes));
    this.pending.push(bytes);
    return this.sniff(false);
  }

  end(): string {
    const head = this.decoder ? '' : this.sniff(true);
    return head + this.checked(this.decoder?.end() ?? '');
  }

  private sniff(atEnd: boolean): string {
    const sample = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    this.pending = [sample];
    if (!this.startChecked) {
      if (sample.length < ZIP_SIGNATURE.length && !atEnd) return '';
      checkFileStart(sample.subarray(0, SNIFF_WINDOW_BYTES), this.file);
      this.startChecked = true;
      if (startsWith(sample, UTF8_BOM)) return this.decideAndDecode('utf-8', sample);
    }
    const firstNonAscii = sample.findIndex((byte) => byte >= 0x80);
    if (firstNonAscii === -1) {
      if (atEnd) return this.decideAndDecode('cp932', sample);
      return sample.length > MAX_UNDECIDED_ASCII_BYTES ? this.passThroughAscii(sample) : '';
    }
    if (!atEnd && sample.length - firstNonAscii < SNIFF_WINDOW_BYTES) return '';
    const encoding = isValidUtf8(sample.subarray(firstNonAscii)) ? 'utf-8' : 'cp932';
    return this.decideAndDecode(encoding, sample);
  }

  private passThroughAscii(sample: Buffer): string {
    this.pending = [];
    return this.checked(sample.toString('latin1'));
  }

  private decideAndDecode(encoding: CatalogEncoding, sample: Buffer): string {
    this.chosen = encoding;
    this.decoder = encoding === 'utf-8' ? utf8Decoder() : cp932Decoder();
    this.pending = [];
    return this.checked(this.decoder.write(sample));
  }

  private checked(text: string): string {
    const bad = text.indexOf(REPLACEMENT_CHARACTER);
    if (bad !== -1) {
      const line = this.line + countNewlines(text, bad);
      throw new CatalogFileError(
        'encoding',
        this.file,
        line,
        `${CATALOG_FILE_LABEL[this.file]}の${line}行目に読み取れない文字（文字化け）があります。` +
          'MakeShopの管理画面からダウンロードしたCSV（Shift_JIS）をそのまま、またはUTF-8で保存したCSVを選択してください。',
      );
    }
    this.line += countNewlines(text);
    return text;
  }
}

/**
 * Decodes a file's byte stream into text chunks. `onBytes` receives the running total of bytes
 * read, for progress reports.
 */
export async function* decodeCatalogText(
  source: AsyncIterable<Uint8Array>,
  file: CatalogFile,
  onBytes?: (bytesRead: number) => void,
): AsyncGenerator<string> {
  const decoder = new CatalogTextDecoder(file);
  let bytesRead = 0;
  for await (const chunk of source) {
    for (let start = 0; start < chunk.byteLength; start += DECODE_SLICE_BYTES) {
      const slice = chunk.subarray(start, start + DECODE_SLICE_BYTES);
      bytesRead += slice.byteLength;
      onBytes?.(bytesRead);
      const text = decoder.write(slice);
      if (text !== '') yield text;
    }
  }
  const rest = decoder.end();
  if (rest !== '') yield rest;
}
