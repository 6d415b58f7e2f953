import { GridFSBucket, type Db } from 'mongodb';
import type { CatalogFile, CatalogUploadReport } from '../domain/catalog';
import type { CatalogFileSource } from '../catalog/csv-records';

/** One upload of a CSV pair and how its import went (what GET /catalog/uploads/{id} answers). */
export interface CatalogUploadDoc {
  _id: string; // uploadId
  tenantId: string;
  status: 'processing' | 'succeeded' | 'failed';
  files: Record<CatalogFile, { name: string; bytes: number }>;
  progress: { file: CatalogFile | null; rows: number; bytes: number; totalBytes: number; percent: number };
  report: CatalogUploadReport | null;
  version: number | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export const catalogUploads = (db: Db) => db.collection<CatalogUploadDoc>('catalog_uploads');
/** Per-tenant counter: catalog versions are allocated by one atomic $inc. */
const catalogVersions = (db: Db) => db.collection<{ _id: string; last: number }>('catalog_versions');

export const CATALOG_UPLOAD_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['catalog_uploads', { tenantId: 1, createdAt: -1 }, {}],
];

export async function allocateCatalogVersion(db: Db, tenantId: string): Promise<number> {
  const doc = await catalogVersions(db).findOneAndUpdate({ _id: tenantId }, { $inc: { last: 1 } }, { upsert: true, returnDocument: 'after' });
  return doc!.last;
}

/** Uploaded files live in GridFS (chunked, never whole in memory) until their import is over. */
export const uploadBucket = (db: Db) => new GridFSBucket(db, { bucketName: 'catalog_files' });
export const uploadFileName = (uploadId: string, file: CatalogFile) => `${uploadId}/${file}`;

export function gridFsSource(db: Db, uploadId: string, file: CatalogFile): CatalogFileSource {
  return { open: () => uploadBucket(db).openDownloadStreamByName(uploadFileName(uploadId, file)) };
}

export async function deleteUploadFiles(db: Db, uploadId: string): Promise<void> {
  const bucket = uploadBucket(db);
  for (const file of ['productCsv', 'optionCsv'] as const) {
    for (const f of await bucket.find({ filename: uploadFileName(uploadId, file) }).toArray()) await bucket.delete(f._id);
  }
}
