import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { CatalogTextDecoder, decodeCatalogText } from '../../src/catalog/decode';
import { CatalogFileError } from '../../src/catalog/errors';
import { bytesSource } from '../../src/catalog/sources';

const TEXT =
  '商品特定コード指定,独自商品コード,商品名\r\n0,TS-001,ベーシックTシャツ ①㈱髙\r\n0,CAP-01,メンズ\\キャップ\r\n';

async function decodeAll(bytes: Uint8Array, chunkSize?: number): Promise<string> {
  let text = '';
  for await (const part of decodeCatalogText(bytesSource(bytes, chunkSize).open(), 'productCsv'))
    text += part;
  return text;
}

function encodingOf(bytes: Uint8Array): string | null {
  const decoder = new CatalogTextDecoder('productCsv');
  decoder.write(bytes);
  decoder.end();
  return decoder.encoding;
}

function utf8(text: string, bom = false): Buffer {
  return Buffer.concat([Buffer.from(bom ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text, 'utf8')]);
}

async function decodeError(bytes: Uint8Array, chunkSize?: number): Promise<CatalogFileError> {
  try {
    await decodeAll(bytes, chunkSize);
  } catch (error) {
    assert.ok(error instanceof CatalogFileError, `expected CatalogFileError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the file to be rejected');
}

describe('catalog text decoding', () => {
  test('CP932 (MakeShop download) is the default, including NEC/IBM extension characters', async () => {
    const bytes = iconv.encode(TEXT, 'cp932');
    assert.equal(await decodeAll(bytes), TEXT);
    assert.equal(encodingOf(bytes), 'cp932');
  });

  test('UTF-8 with BOM: the BOM is dropped', async () => {
    assert.equal(await decodeAll(utf8(TEXT, true)), TEXT);
    assert.equal(encodingOf(utf8(TEXT, true)), 'utf-8');
  });

  test('UTF-8 without BOM is recognised', async () => {
    assert.equal(await decodeAll(utf8(TEXT)), TEXT);
    assert.equal(encodingOf(utf8(TEXT)), 'utf-8');
  });

  test('characters split across chunk boundaries decode intact in both encodings', async () => {
    assert.equal(await decodeAll(iconv.encode(TEXT, 'cp932'), 1), TEXT);
    assert.equal(await decodeAll(utf8(TEXT, true), 1), TEXT);
    assert.equal(await decodeAll(utf8(TEXT), 3), TEXT);
  });

  test('a long ASCII prefix does not force a guess before the first Japanese character', async () => {
    const text = `${'a,b,c\r\n'.repeat(20_000)}0,商品,テスト\r\n`;
    assert.equal(await decodeAll(utf8(text), 4096), text);
    assert.equal(await decodeAll(iconv.encode(text, 'cp932'), 4096), text);
  });

  test('bytes that are not valid CP932 fail the file with their line', async () => {
    const bytes = Buffer.concat([
      iconv.encode('見出し\r\n1行\r\n', 'cp932'),
      Buffer.from([0x41, 0x85, 0x40, 0x0d, 0x0a]),
    ]);
    const error = await decodeError(bytes);
    assert.equal(error.code, 'encoding');
    assert.equal(error.line, 3);
    assert.match(error.message, /商品データCSVの3行目に読み取れない文字/);
  });

  test('invalid UTF-8 after a valid UTF-8 start fails the file with its line', async () => {
    const head = utf8(`見出し\n${'x\n'.repeat(5000)}`);
    const error = await decodeError(Buffer.concat([head, Buffer.from([0xe3, 0x81, 0x0a])]), 1000);
    assert.equal(error.code, 'encoding');
    assert.equal(error.line, 5002);
  });

  test('UTF-16 and Excel workbooks are rejected with what to do', async () => {
    const utf16 = await decodeError(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('見出し', 'utf16le')]),
    );
    assert.equal(utf16.code, 'encoding');
    assert.match(utf16.message, /UTF-16/);
    const xlsx = await decodeError(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]));
    assert.equal(xlsx.code, 'not-csv');
    assert.match(xlsx.message, /CSV形式で保存/);
  });

  test('an empty file decodes to nothing', async () => {
    assert.equal(await decodeAll(new Uint8Array(0)), '');
  });
});
