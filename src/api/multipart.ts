import type { IncomingMessage } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { HttpError } from './errors';

export interface ReceivedFile {
  filename: string;
  bytes: number;
}

/**
 * Streams the named file fields of a multipart request into sinks (GridFS), never holding a file in
 * memory, and enforces a per-file size limit. Other fields are ignored. Throws HttpError 413 when a
 * file is too large (after `discard` cleaned up what was written) and 400 when the body is not multipart.
 */
export async function receiveFiles<Field extends string>(
  req: IncomingMessage,
  opts: {
    fields: readonly Field[];
    maxFileBytes: number;
    labels: Record<Field, string>;
    sink(field: Field, filename: string): Writable;
    discard(): Promise<void>;
  },
): Promise<Partial<Record<Field, ReceivedFile>>> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { fileSize: opts.maxFileBytes, files: opts.fields.length + 2, fields: 20 } });
  } catch {
    throw new HttpError(400, 'invalid_request', 'multipart/form-data 形式でファイルを送信してください。');
  }
  const received: Partial<Record<Field, ReceivedFile>> = {};
  const writes: Promise<void>[] = [];
  let tooLarge: Field | null = null;

  parser.on('file', (name: string, stream: Readable, info: { filename: string }) => {
    const field = opts.fields.find((f) => f === name);
    if (!field || received[field]) {
      stream.resume();
      return;
    }
    const file: ReceivedFile = { filename: info.filename, bytes: 0 };
    received[field] = file;
    stream.on('data', (chunk: Buffer) => (file.bytes += chunk.length));
    stream.on('limit', () => (tooLarge ??= field));
    writes.push(pipeline(stream, opts.sink(field, info.filename)));
  });
  try {
    await pipeline(req, parser);
    await Promise.all(writes);
  } catch (err) {
    await opts.discard();
    throw new HttpError(400, 'invalid_request', `アップロードを読み取れませんでした。もう一度お試しください。(${(err as Error).message})`);
  }
  if (tooLarge) {
    await opts.discard();
    const mb = Math.floor(opts.maxFileBytes / (1024 * 1024));
    throw new HttpError(413, 'file_too_large', `${opts.labels[tooLarge as Field]}が大きすぎます。1ファイル${mb}MBまでアップロードできます。`);
  }
  return received;
}
