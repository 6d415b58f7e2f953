import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { CatalogFileError, checkCatalogHeaders, importCatalogPair, type CatalogImportResult, type CatalogLimits } from '../catalog';
import { SmaregiCodeTable, failedUploadReport, stockItemFile, type CatalogFile, type CatalogUploadReport, type ConflictUpdate, type MatchedStockItem } from '../domain/catalog';
import type { CatalogUploadProgress } from '../domain/catalog-upload';
import type { Logger } from '../lib/logger';
import { processMemory } from '../lib/process-memory';
import type { SmaregiClient } from '../platforms/smaregi/client';
import { insertCatalogPack, markItemsConflicting, purgeCatalogVersion } from '../storage/catalog-items';
import { saveUploadProgress, storedFileSource, updateCatalogUpload, type CatalogUploadDoc } from '../storage/catalog-uploads';
import { loadSmaregiSnapshot, saveSmaregiSnapshot } from '../storage/smaregi-products';
import { UploadProgressReporter } from './catalog-progress';

/**
 * What an attempt heartbeats, and a retry resumes from: the items of `version` up to `written` (in
 * the order the parser hands them on) are stored; they were matched against Smaregi snapshot
 * `snapshotId`, so a retry that reuses that snapshot writes the very same documents.
 */
export interface ImportCheckpoint {
  uploadId: string;
  version: number;
  snapshotId: string | null;
  written: number;
  progress: CatalogUploadProgress;
}

export interface CatalogImportRunDeps {
  db: Db;
  smaregi: Pick<SmaregiClient, 'productPages'>;
  logger: Logger;
  heartbeat(checkpoint: ImportCheckpoint): void;
  /** The last heartbeat of the previous attempt, when this is a retry. */
  resumeFrom: ImportCheckpoint | undefined;
  signal?: AbortSignal;
  now(): Date;
  progressEveryMs: number;
  insertBatchSize: number;
  limits?: CatalogLimits;
}

/** Refused: the report lists the file or row errors the merchant must fix. */
export type CatalogImportOutcome = { ok: true; report: CatalogUploadReport } | RefusedPair;
type RefusedPair = { ok: false; report: CatalogUploadReport };

/**
 * Imports one stored upload into catalog_items under the upload's version (not activated here).
 *
 * 0. The header rows: a wrong, swapped or unreadable file is refused before Smaregi is asked anything.
 * 1. The tenant's Smaregi products, listed once per upload (page by page, only code → id kept) and
 *    saved in smaregi_products.
 * 2. One pass: both files parsed and matched, each batch stored as one pack while the next is parsed.
 *    - A file or row error refuses the pair: writing stops at the first one (the pass reads on to
 *      report every error) and the packs already stored are deleted, a few hundred documents at most.
 *    - Items whose conflict only a later row reveals are rewritten in their packs at the end (rare:
 *      one update per pack concerned).
 *    Parsing 43 MiB of CP932 is the import's largest cost; reading it once instead of checking first
 *    and writing in a second pass halves it.
 */
export async function runCatalogImport(deps: CatalogImportRunDeps, upload: CatalogUploadDoc, contractId: string): Promise<CatalogImportOutcome> {
  const run = new ImportRun(deps, upload);
  return run.execute(contractId);
}

class ImportRun {
  private readonly progress: UploadProgressReporter;
  private snapshotId: string | null = null;
  private written = 0;

  constructor(
    private readonly deps: CatalogImportRunDeps,
    private readonly upload: CatalogUploadDoc,
  ) {
    const { db } = deps;
    this.progress = new UploadProgressReporter({
      initial: upload.progress,
      fileBytes: { productCsv: upload.files.productCsv.bytes, optionCsv: upload.files.optionCsv.bytes },
      save: (progress) => saveUploadProgress(db, upload._id, progress),
      now: () => deps.now().getTime(),
      everyMs: deps.progressEveryMs,
      onSaveError: (err) => deps.logger.warn({ err, uploadId: upload._id }, 'could not save catalog import progress'),
    });
  }

  async execute(contractId: string): Promise<CatalogImportOutcome> {
    try {
      this.logMemory('start');
      const wrongFiles = await this.checkHeaders();
      if (wrongFiles) return wrongFiles;
      const smaregiProducts = await this.smaregiProducts(contractId);
      this.logMemory('smaregi');
      await this.prepareWrites();
      const outcome = await this.importPass(smaregiProducts);
      this.logMemory('pass');
      if (outcome.ok) this.progress.enterPhase('activating');
      return outcome;
    } finally {
      await this.progress.flush();
    }
  }

  /** The worker's memory at the end of each phase (peakRss: the highest so far), for sizing workers. */
  private logMemory(after: 'start' | 'smaregi' | 'pass'): void {
    this.deps.logger.info({ uploadId: this.upload._id, after, memoryMiB: processMemory() }, 'catalog import memory');
  }

  /** Also where a cancelled import (superseded by a newer upload) stops, whatever phase it is in. */
  private heartbeat(): void {
    this.deps.signal?.throwIfAborted();
    this.deps.heartbeat({
      uploadId: this.upload._id,
      version: this.upload.version,
      snapshotId: this.snapshotId,
      written: this.written,
      progress: this.progress.current,
    });
  }

  /** Wrong, swapped or unreadable files are refused from their header rows, before Smaregi is read. */
  private async checkHeaders(): Promise<RefusedPair | null> {
    try {
      await checkCatalogHeaders(this.source('productCsv'), this.source('optionCsv'));
      return null;
    } catch (err) {
      if (err instanceof CatalogFileError) return { ok: false, report: failedUploadReport(err.toIssue()) };
      throw err;
    }
  }

  private source(file: CatalogFile) {
    return storedFileSource(this.deps.db, this.upload.files[file].fileId);
  }

  /** A retry matches against the snapshot the earlier attempt used; otherwise the list is read afresh. */
  private async smaregiProducts(contractId: string): Promise<SmaregiCodeTable> {
    const { db } = this.deps;
    const { upload } = this;
    if (upload.smaregiSnapshotId !== null) {
      const cached = await loadSmaregiSnapshot(db, upload.tenantId, upload.smaregiSnapshotId);
      if (cached) {
        this.snapshotId = upload.smaregiSnapshotId;
        this.resumeWrittenCount();
        return cached;
      }
    }
    // Items matched against another list may already be stored: start this version from empty.
    if (upload.itemsWrittenAt !== null) await purgeCatalogVersion(db, upload.tenantId, upload.version);
    this.progress.enterPhase('smaregi');
    this.heartbeat();
    const codes = new SmaregiCodeTable();
    let read = 0;
    for await (const page of this.deps.smaregi.productPages(contractId)) {
      for (const product of page) codes.set(product.productCode, product.productId);
      read += page.length;
      this.smaregiPageRead(read);
    }
    const snapshotId = randomUUID();
    await saveSmaregiSnapshot(db, upload.tenantId, snapshotId, codes, this.deps.now());
    // No progress save in flight while the upload's own fields are written (FerretDB has no transactions).
    await this.progress.flush();
    await updateCatalogUpload(db, upload._id, { smaregiSnapshotId: snapshotId });
    this.snapshotId = snapshotId;
    return codes;
  }

  private smaregiPageRead(count: number): void {
    this.progress.smaregiProductsRead(count);
    this.heartbeat();
  }

  private resumeWrittenCount(): void {
    const last = this.deps.resumeFrom;
    if (last && last.uploadId === this.upload._id && last.version === this.upload.version && last.snapshotId === this.snapshotId) {
      this.written = last.written;
    }
  }

  /** Recorded before the first pack is stored, so whatever fails later knows this version may hold items. */
  private async prepareWrites(): Promise<void> {
    if (this.upload.itemsWrittenAt !== null) return;
    await this.progress.flush();
    await updateCatalogUpload(this.deps.db, this.upload._id, { itemsWrittenAt: this.deps.now() });
  }

  /** The one pass over both stored files; a pair with any file or row error comes back not ok, its items deleted. */
  private async importPass(smaregiProducts: SmaregiCodeTable): Promise<CatalogImportOutcome> {
    this.progress.enterPhase('writing', 1);
    this.heartbeat();
    const sink = new PackWriter(this.deps.db, this.upload, this.written, (n) => this.itemsStored(n));
    let result: CatalogImportResult;
    let conflicts: ConflictUpdate[] = [];
    try {
      result = await importCatalogPair({
        productCsv: this.source('productCsv'),
        optionCsv: this.source('optionCsv'),
        smaregiProducts,
        onItems: (items, errorsSoFar) => sink.add(items, errorsSoFar),
        applyConflictUpdates: (updates) => {
          conflicts = updates;
        },
        onProgress: (report) => {
          this.progress.fileProgress(report);
          this.heartbeat();
        },
        batchSize: this.deps.insertBatchSize,
        signal: this.deps.signal,
        limits: this.deps.limits,
      });
    } catch (err) {
      await sink.abandon();
      if (err instanceof CatalogFileError) return this.refuse(failedUploadReport(err.toIssue()));
      throw err;
    }
    await sink.finish();
    if (result.report.errorCount > 0) return this.refuse(result.report);
    await markItemsConflicting(this.deps.db, this.upload.tenantId, this.upload.version, conflicts);
    await updateCatalogUpload(this.deps.db, this.upload._id, { itemLines: sink.itemLines });
    return { ok: true, report: result.report };
  }

  /** A refused pair leaves no item behind: the upload is as if nothing had been written. */
  private async refuse(report: CatalogUploadReport): Promise<RefusedPair> {
    const { db } = this.deps;
    const { upload } = this;
    await purgeCatalogVersion(db, upload.tenantId, upload.version);
    await updateCatalogUpload(db, upload._id, { itemsWrittenAt: null, itemLines: null });
    return { ok: false, report };
  }

  private itemsStored(written: number): void {
    this.written = written;
    this.heartbeat();
  }
}

/**
 * Stores each batch the parser hands on as one pack, one pack in flight while the parser prepares the
 * next. Batches are cut identically on every attempt, so the packs a retried attempt already stored
 * (the first `skip` items) are not sent again. Once a row error is found the pair will be refused:
 * nothing more is stored.
 */
class PackWriter {
  /** How far each file's item lines go (recorded with the version). */
  readonly itemLines: Record<CatalogFile, number> = { productCsv: 0, optionCsv: 0 };
  private seen = 0;
  private packs = 0;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly upload: CatalogUploadDoc,
    private readonly skip: number,
    private readonly onStored: (itemsStoredSoFar: number) => void,
  ) {}

  async add(items: MatchedStockItem[], errorsSoFar: number): Promise<void> {
    const seq = this.packs;
    this.packs += 1;
    this.seen += items.length;
    for (const item of items) {
      const file = stockItemFile(item);
      if (item.line > this.itemLines[file]) this.itemLines[file] = item.line;
    }
    if (this.seen <= this.skip || errorsSoFar > 0) return;
    await this.inFlight;
    const storedSoFar = this.seen;
    // Not awaited: the parser reads on while this pack is stored; a failure surfaces at the next await.
    this.inFlight = insertCatalogPack(this.db, this.upload.tenantId, this.upload.version, seq, items).then(() => this.onStored(storedSoFar));
    this.inFlight.catch(() => undefined);
  }

  async finish(): Promise<void> {
    await this.inFlight;
  }

  async abandon(): Promise<void> {
    await this.inFlight.catch(() => undefined);
  }
}
