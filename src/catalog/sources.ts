import { createReadStream } from 'node:fs';
import type { CatalogFileSource } from './csv-records';

/** A file on disk, read in 64 KiB chunks. */
export function fileSource(path: string): CatalogFileSource {
  return { open: () => createReadStream(path, { highWaterMark: 64 * 1024 }) };
}

/** Bytes already in memory, delivered in chunks of `chunkSize` (small sizes exercise chunk boundaries). */
export function bytesSource(bytes: Uint8Array, chunkSize = 64 * 1024): CatalogFileSource {
  return {
    async *open() {
      for (let start = 0; start < bytes.length; start += chunkSize)
        yield bytes.subarray(start, start + chunkSize);
    },
  };
}
