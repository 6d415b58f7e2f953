import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { GridFSBucket, ObjectId, type Binary, type Db } from 'mongodb';
import type { CatalogFileSource } from '../catalog/csv-records';
import type { CatalogFile, CatalogUploadReport } from '../domain/catalog';
import {
  catalogUploadError,
  initialUploadProgress,
  progressTotalBytes,
  type CatalogUploadError,
  type CatalogUploadErrorCode,
  type CatalogUploadProgress,
  type CatalogUploadStatus,
} from '../domain/catalog-upload';

export interface StoredCatalogFile {
  /** GridFS file id, until the import is over and the file is deleted. */
  fileId: ObjectId;
  name: string;
  bytes: number;
}

/**
 * One upload of a CSV pair (`catalog_uploads`) and everything its import learns. FerretDB has no
 * transactions: every step is one single-document update of this record, so a retried activity can
 * tell what its earlier attempt already did.
 */
export interface CatalogUploadDoc {
  _id: string; // uploadId
  tenantId: string;
  /** Allocated when the upload is received: version order is upload order. */
  version: number;
  status: CatalogUploadStatus;
  progress: CatalogUploadProgress;
  report: CatalogUploadReport | null;
  error: CatalogUploadError | null;
  files: Record<CatalogFile, StoredCatalogFile>;
  filesDeletedAt: Date | null;
  /** The Smaregi product list this import matched against (smaregi_products), so a retry matches the same. */
  smaregiSnapshotId: string | null;
  /** Highest line of an item in each file, recorded once the import has stored every item (informative). */
  itemLines: Record<CatalogFile, number> | null;
  /** Set before the first item is written: from then on this version may have items to purge. */
  itemsWrittenAt: Date | null;
  itemsPurgedAt: Date | null;
  activatedAt: Date | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export const catalogUploads = (db: Db) => db.collection<CatalogUploadDoc>('catalog_uploads');
/** Per-tenant counter: catalog versions come from one atomic $inc. */
const catalogVersionCounters = (db: Db) => db.collection<{ _id: string; lastVersion: number }>('catalog_versions');

export const CATALOG_UPLOAD_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['catalog_uploads', { tenantId: 1, version: -1 }, {}],
];

export async function allocateCatalogVersion(db: Db, tenantId: string): Promise<number> {
  const counter = await catalogVersionCounters(db).findOneAndUpdate(
    { _id: tenantId },
    { $inc: { lastVersion: 1 } },
    { upsert: true, returnDocument: 'after' },
  );
  if (!counter) throw new Error(`no catalog version counter for tenant ${tenantId}`);
  return counter.lastVersion;
}

/** A newer upload of the tenant exists (it supersedes this version, whatever became of it). */
export async function hasNewerUpload(db: Db, tenantId: string, version: number): Promise<boolean> {
  const counter = await catalogVersionCounters(db).findOne({ _id: tenantId });
  return (counter?.lastVersion ?? 0) > version;
}

/** Uploads of the tenant still being imported, older than `version`. */
export async function processingUploadsBefore(db: Db, tenantId: string, version: number): Promise<CatalogUploadDoc[]> {
  return catalogUploads(db).find({ tenantId, status: 'processing', version: { $lt: version } }).toArray();
}

export async function insertCatalogUpload(
  db: Db,
  upload: Pick<CatalogUploadDoc, '_id' | 'tenantId' | 'version' | 'files' | 'createdAt'>,
): Promise<void> {
  await catalogUploads(db).insertOne({
    ...upload,
    status: 'processing',
    progress: initialUploadProgress(upload.files.productCsv.bytes + upload.files.optionCsv.bytes),
    report: null,
    error: null,
    filesDeletedAt: null,
    smaregiSnapshotId: null,
    itemLines: null,
    itemsWrittenAt: null,
    itemsPurgedAt: null,
    activatedAt: null,
    finishedAt: null,
  });
}

export async function findCatalogUpload(db: Db, tenantId: string, uploadId: string): Promise<CatalogUploadDoc | null> {
  const upload = await catalogUploads(db).findOne({ _id: uploadId });
  return upload?.tenantId === tenantId ? upload : null;
}

/** Only while processing: a late progress write never overwrites the final state. */
export async function saveUploadProgress(db: Db, uploadId: string, progress: CatalogUploadProgress): Promise<void> {
  await catalogUploads(db).updateOne({ _id: uploadId, status: 'processing' }, { $set: { progress } });
}

export async function updateCatalogUpload(
  db: Db,
  uploadId: string,
  fields: Partial<Pick<CatalogUploadDoc, 'report' | 'smaregiSnapshotId' | 'itemLines' | 'itemsWrittenAt' | 'itemsPurgedAt' | 'activatedAt'>>,
): Promise<void> {
  await catalogUploads(db).updateOne({ _id: uploadId }, { $set: fields });
}

export async function finishCatalogUpload(
  db: Db,
  uploadId: string,
  outcome: { status: 'succeeded' } | { status: 'failed'; error: CatalogUploadErrorCode; report?: CatalogUploadReport },
  now: Date,
): Promise<void> {
  const upload = await catalogUploads(db).findOne({ _id: uploadId });
  if (!upload || upload.status !== 'processing') return;
  const fields: Partial<CatalogUploadDoc> = {
    status: outcome.status,
    finishedAt: now,
    progress: { ...upload.progress, phase: 'done', percent: 100 },
  };
  if (outcome.status === 'failed') {
    fields.error = catalogUploadError(outcome.error);
    if (outcome.report) fields.report = outcome.report;
  }
  await catalogUploads(db).updateOne({ _id: uploadId, status: 'processing' }, { $set: fields });
}

/** Uploads of the tenant whose items may still be in catalog_items (written, not yet purged). */
export async function uploadsWithItems(db: Db, tenantId: string): Promise<CatalogUploadDoc[]> {
  const uploads = await catalogUploads(db).find({ tenantId }).toArray();
  return uploads.filter((u) => u.itemsWrittenAt !== null && u.itemsPurgedAt === null);
}

/** The version that was active just before `version` (the one kept for rollback), if any. */
export async function previousActivatedVersion(db: Db, tenantId: string, version: number): Promise<number | null> {
  const uploads = await catalogUploads(db).find({ tenantId }).toArray();
  const older = uploads.filter((u) => u.activatedAt !== null && u.version < version).map((u) => u.version);
  return older.length > 0 ? Math.max(...older) : null;
}

// ── the uploaded files (GridFS) ──────────────────────────────────────────────────────────────────

const BUCKET = 'catalog_files';
/** Fewer, larger chunks: FerretDB sorts a file's chunks in memory when it is read. */
const CHUNK_BYTES = 1024 * 1024;

export const catalogFileBucket = (db: Db) => new GridFSBucket(db, { bucketName: BUCKET, chunkSizeBytes: CHUNK_BYTES });

/** At most this many chunks (MiB) of a stored file are in the worker's memory while it is read. */
const CHUNKS_PER_READ = 2;

interface StoredFileDoc {
  _id: ObjectId;
  length: number;
  chunkSize: number;
}

interface StoredChunkDoc {
  files_id: ObjectId;
  n: number;
  data: Binary;
}

/**
 * A stored file as the importer reads it: chunk by chunk, once per pass, CHUNKS_PER_READ chunks per reply.
 * GridFS's download stream reads the chunks with the driver's default batch, whose first reply may carry
 * 16 MiB of chunks that all stay in memory until the parser has moved past them.
 */
export function storedFileSource(db: Db, fileId: ObjectId): CatalogFileSource {
  return {
    async *open() {
      const file = await db.collection<StoredFileDoc>(`${BUCKET}.files`).findOne({ _id: fileId });
      if (!file) throw new Error(`catalog file ${fileId.toHexString()} not found`);
      const chunks = db.collection<StoredChunkDoc>(`${BUCKET}.chunks`).find({ files_id: fileId }).sort({ n: 1 }).batchSize(CHUNKS_PER_READ);
      let next = 0;
      for await (const chunk of chunks) {
        if (chunk.n !== next) throw new Error(`catalog file ${fileId.toHexString()}: chunk ${next} is missing`);
        next += 1;
        yield chunk.data.buffer;
        // Parsing a chunk already in memory runs on microtasks only: let progress saves and other I/O in.
        await yieldToEventLoop();
      }
      if (next !== Math.ceil(file.length / file.chunkSize)) throw new Error(`catalog file ${fileId.toHexString()}: ${next} chunks, the file has more`);
    },
  };
}

export async function deleteStoredFiles(db: Db, fileIds: readonly ObjectId[]): Promise<void> {
  const bucket = catalogFileBucket(db);
  for (const fileId of fileIds) {
    await bucket.delete(fileId).catch((err: unknown) => {
      // Already deleted by an earlier attempt: nothing left to do.
      if (!(err instanceof Error && /not found|FileNotFound/i.test(err.message))) throw err;
    });
  }
}

/** Deletes both uploaded files once the import is over, either way; safe to repeat. */
export async function deleteUploadFiles(db: Db, upload: CatalogUploadDoc, now: Date): Promise<void> {
  if (upload.filesDeletedAt !== null) return;
  await deleteStoredFiles(db, [upload.files.productCsv.fileId, upload.files.optionCsv.fileId]);
  await catalogUploads(db).updateOne({ _id: upload._id }, { $set: { filesDeletedAt: now } });
}

/** Longer than any upload request takes: files younger than this may still be arriving. */
const ABANDONED_AFTER_MS = 60 * 60 * 1000;

/**
 * Deletes what interrupted uploads left in GridFS (an api that died mid-upload, a failed clean-up):
 * chunks whose file never got its files document, and files no upload still being imported refers
 * to. Only what is older than an hour, so an upload in progress is never touched. Safe to repeat.
 */
export async function sweepAbandonedUploadFiles(db: Db, now = new Date()): Promise<number> {
  const bucket = catalogFileBucket(db);
  const before = new Date(now.getTime() - ABANDONED_AFTER_MS);
  let deleted = 0;
  for (const file of await bucket.find({ uploadDate: { $lt: before } }).toArray()) {
    const uploadId = (file.metadata as { uploadId?: unknown } | undefined)?.uploadId;
    const upload = typeof uploadId === 'string' ? await catalogUploads(db).findOne({ _id: uploadId }) : null;
    if (upload?.status === 'processing') continue;
    await deleteStoredFiles(db, [file._id]);
    deleted += 1;
  }
  // A file's id is an ObjectId made when its upload began: it dates chunks that have no files document.
  const chunks = db.collection<{ files_id: ObjectId }>(`${BUCKET}.chunks`);
  const oldFileIds = (await chunks.distinct('files_id', { files_id: { $lt: ObjectId.createFromTime(Math.floor(before.getTime() / 1000)) } })) as ObjectId[];
  if (oldFileIds.length > 0) {
    const withFile = new Set((await bucket.find({ _id: { $in: oldFileIds } }).toArray()).map((f) => f._id.toHexString()));
    const orphans = oldFileIds.filter((id) => !withFile.has(id.toHexString()));
    if (orphans.length > 0) await chunks.deleteMany({ files_id: { $in: orphans } });
    deleted += orphans.length;
  }
  return deleted;
}

/**
 * A catalog read from MakeShop is written into the upload's pre-allocated files: their sizes become known
 * only then, and with them the progress total.
 */
export async function setUploadFileSizes(db: Db, uploadId: string, bytes: Record<CatalogFile, number>): Promise<void> {
  await catalogUploads(db).updateOne(
    { _id: uploadId, status: 'processing' },
    { $set: { 'files.productCsv.bytes': bytes.productCsv, 'files.optionCsv.bytes': bytes.optionCsv, 'progress.totalBytes': progressTotalBytes(bytes.productCsv + bytes.optionCsv) } },
  );
}
