// An uploaded file as the importer reads it back from GridFS on the real FerretDB (storedFileSource: its own
// cursor, two chunks per reply): every byte in order, and a file with a chunk gone or no file at all fails
// the read instead of importing part of a catalog.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ObjectId } from 'mongodb';
import { catalogFileBucket, storedFileSource } from '../../src/storage/catalog-uploads';
import { testDatabase } from '../support/infra';

let database: Awaited<ReturnType<typeof testDatabase>>;

before(async () => {
  database = await testDatabase('stored_files');
});

after(async () => {
  await database.drop();
});

async function store(bytes: Buffer): Promise<ObjectId> {
  const upload = catalogFileBucket(database.db).openUploadStream('products.csv');
  await pipeline(Readable.from([bytes]), upload);
  return upload.id;
}

async function readAll(fileId: ObjectId): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of storedFileSource(database.db, fileId).open()) parts.push(chunk);
  return Buffer.concat(parts);
}

describe('stored catalog files', () => {
  test('a file of several chunks is read back byte for byte, as often as a pass asks', async () => {
    const bytes = randomBytes(5 * 1024 * 1024 + 12_345);
    const fileId = await store(bytes);
    assert.ok((await readAll(fileId)).equals(bytes));
    assert.ok((await readAll(fileId)).equals(bytes), 'a second pass reads the same bytes');
  });

  test('a file missing a chunk, or missing altogether, fails the read', async () => {
    const fileId = await store(randomBytes(3 * 1024 * 1024 + 1));
    await database.db.collection('catalog_files.chunks').deleteOne({ files_id: fileId, n: 1 });
    await assert.rejects(readAll(fileId), /chunk 1 is missing/);
    const lastGone = await store(randomBytes(3 * 1024 * 1024 + 1));
    await database.db.collection('catalog_files.chunks').deleteOne({ files_id: lastGone, n: 3 });
    await assert.rejects(readAll(lastGone), /chunks, the file has more/);
    await assert.rejects(readAll(new ObjectId()), /not found/);
  });
});
