import type { IncomingMessage } from 'node:http';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { HttpError } from './errors';

/** Where one received file goes (e.g. a GridFS upload stream) and how to take it back. */
export interface FileSink {
  stream: Writable;
  /** Removes whatever was written, finished or not; must tolerate being called more than once. */
  discard(): Promise<void>;
}

export interface ReceivedFile<Sink extends FileSink = FileSink> {
  filename: string;
  bytes: number;
  /** The size limit cut the file short. */
  truncated: boolean;
  sink: Sink;
}

export interface ReceiveFilesOptions<Field extends string, Sink extends FileSink> {
  fields: readonly Field[];
  maxFileBytes: number;
  openSink(field: Field, filename: string): Sink;
  /** The answer when a file is over `maxFileBytes` (413, naming the file). */
  tooLarge(field: Field): HttpError;
}

/** Multipart overhead allowed beyond the files themselves (boundaries, part headers, small fields). */
const ENVELOPE_BYTES = 1024 * 1024;

/**
 * Streams the named file fields of a multipart/form-data request into their sinks, never holding a
 * file in memory; other fields and unknown files are read past and dropped. Whatever goes wrong — a
 * file over `maxFileBytes`, a malformed body, a client that disconnects, a sink that fails — every
 * sink already opened is discarded before the error propagates, so nothing half-written stays behind.
 */
export async function receiveFiles<Field extends string, Sink extends FileSink>(
  req: IncomingMessage,
  opts: ReceiveFilesOptions<Field, Sink>,
): Promise<Partial<Record<Field, ReceivedFile<Sink>>>> {
  const parser = openParser(req, opts);
  const received: Partial<Record<Field, ReceivedFile<Sink>>> = {};
  const writes: Promise<void>[] = [];

  parser.on('file', (name: string, stream: Readable, info: busboy.FileInfo) => {
    const field = opts.fields.find((f) => f === name);
    if (field === undefined || received[field] !== undefined) {
      stream.resume();
      return;
    }
    const filename = info.filename ?? `${field}.csv`;
    const file: ReceivedFile<Sink> = { filename, bytes: 0, truncated: false, sink: opts.openSink(field, filename) };
    received[field] = file;
    stream.on('data', (chunk: Buffer) => (file.bytes += chunk.length));
    stream.on('limit', () => (file.truncated = true));
    writes.push(pipeline(stream, file.sink.stream));
  });

  const maxRequestBytes = opts.fields.length * opts.maxFileBytes + ENVELOPE_BYTES;
  let failure: unknown = null;
  try {
    await pipeline(req, requestSizeGuard(maxRequestBytes), parser);
    await Promise.all(writes);
  } catch (err) {
    failure = err;
    await Promise.allSettled(writes);
  }
  const tooLarge = opts.fields.find((field) => received[field]?.truncated);
  if (failure === null && tooLarge === undefined) return received;
  await discardAll(received);
  if (tooLarge !== undefined) throw opts.tooLarge(tooLarge);
  if (failure instanceof HttpError) throw failure;
  throw new HttpError(400, 'upload_interrupted', 'ファイルを最後まで受け取れませんでした。通信環境を確認して、もう一度アップロードしてください。');
}

export async function discardAll(files: Partial<Record<string, ReceivedFile>>): Promise<void> {
  await Promise.all(Object.values(files).map((file) => file?.sink.discard()));
}

function openParser(req: IncomingMessage, opts: { maxFileBytes: number }): busboy.Busboy {
  if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
    throw new HttpError(415, 'multipart_required', 'ファイルは multipart/form-data 形式で送信してください。');
  }
  try {
    return busboy({ headers: req.headers, limits: { fileSize: opts.maxFileBytes, fieldSize: 64 * 1024, fields: 20, parts: 40 } });
  } catch {
    throw new HttpError(400, 'invalid_multipart', 'アップロードの形式が正しくありません（multipart/form-data の区切りがありません）。');
  }
}

/** Files beyond their limit are read past, not stored: this bounds how much a client can make us read. */
function requestSizeGuard(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > maxBytes) {
        done(new HttpError(413, 'request_too_large', 'アップロードが大きすぎます。'));
        return;
      }
      done(null, chunk);
    },
  });
}
