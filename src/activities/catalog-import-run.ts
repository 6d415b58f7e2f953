import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { CatalogFileError, checkCatalogHeaders, importCatalogPair, type CatalogImportResult, type CatalogLimits } from '../catalog';
import {
  failedUploadReport,
  stockItemFile,
  stockItemKey,
  type CatalogFile,
  type CatalogUploadReport,
  type ConflictUpdate,
  type MatchedStockItem,
} from '../domain/catalog';
import type { CatalogUploadProgress } from '../domain/catalog-upload';
import type { Logger } from '../lib/logger';
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
  smaregi: Pick<SmaregiClient, 'listProducts'>;
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
 * 1. The tenant's Smaregi products, listed once per upload and kept in smaregi_products.
 * 2. Checking pass: both files parsed and matched, nothing written. Any file or row error refuses the
 *    pair, so a refused upload costs no writes and no clean-up. The pass also yields the items whose
 *    conflict only a later row reveals.
 * 3. Writing pass: the same parse again; each item is stored with its final status at once (no
 *    update after insert, which FerretDB pays with a scan of the collection), while the next batch is
 *    being parsed.
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
      const wrongFiles = await this.checkHeaders();
      if (wrongFiles) return wrongFiles;
      const smaregiProducts = await this.smaregiProducts(contractId);
      const checked = await this.checkingPass(smaregiProducts);
      if (!checked.ok) return checked;
      await this.prepareWrites(checked.itemLines);
      const written = await this.writingPass(smaregiProducts, checked.conflicts);
      this.progress.enterPhase('activating');
      return written;
    } finally {
      await this.progress.flush();
    }
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
  private async smaregiProducts(contractId: string): Promise<ReadonlyMap<string, string>> {
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
    if (upload.itemsWrittenAt !== null && upload.itemLines !== null) {
      await purgeCatalogVersion(db, upload.tenantId, upload.version);
    }
    this.progress.enterPhase('smaregi');
    this.heartbeat();
    const codes = new Map<string, string>();
    for (const product of await this.deps.smaregi.listProducts(contractId, { onPage: (n) => this.smaregiPageRead(n) })) {
      codes.set(product.productCode, product.productId);
    }
    const snapshotId = randomUUID();
    await saveSmaregiSnapshot(db, upload.tenantId, snapshotId, codes, this.deps.now());
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

  private async prepareWrites(itemLines: Record<CatalogFile, number>): Promise<void> {
    if (this.upload.itemsWrittenAt !== null) return;
    await updateCatalogUpload(this.deps.db, this.upload._id, { itemLines, itemsWrittenAt: this.deps.now() });
  }

  private async checkingPass(smaregiProducts: ReadonlyMap<string, string>): Promise<CheckedPair | RefusedPair> {
    const sink = new CheckingSink();
    const parsed = await this.parse(1, smaregiProducts, sink);
    if (!parsed.ok) return { ok: false, report: parsed.report };
    return { ok: true, report: parsed.report, conflicts: sink.conflicts, itemLines: sink.itemLines };
  }

  private async writingPass(smaregiProducts: ReadonlyMap<string, string>, conflicts: ReadonlyMap<string, ConflictUpdate>): Promise<CatalogImportOutcome> {
    const sink = new WritingSink(this.deps.db, this.upload, conflicts, this.written, (n) => this.itemsStored(n));
    const parsed = await this.parse(2, smaregiProducts, sink);
    if (!parsed.ok) throw new Error('the writing pass found errors the checking pass did not');
    return parsed;
  }

  /** One pass over both stored files; a pair with any file or row error comes back not ok. */
  private async parse(pass: 1 | 2, smaregiProducts: ReadonlyMap<string, string>, sink: PassSink): Promise<CatalogImportOutcome> {
    this.progress.enterPhase(pass === 1 ? 'checking' : 'writing', pass);
    this.heartbeat();
    let result: CatalogImportResult;
    try {
      result = await importCatalogPair({
        productCsv: this.source('productCsv'),
        optionCsv: this.source('optionCsv'),
        smaregiProducts,
        onItems: (items) => sink.add(items),
        applyConflictUpdates: (updates) => sink.conflictsFound(updates),
        onProgress: (report) => {
          this.progress.fileProgress(pass, report);
          this.heartbeat();
        },
        batchSize: this.deps.insertBatchSize,
        signal: this.deps.signal,
        limits: this.deps.limits,
      });
    } catch (err) {
      await sink.abandon();
      if (err instanceof CatalogFileError) return { ok: false, report: failedUploadReport(err.toIssue()) };
      throw err;
    }
    await sink.finish();
    return { ok: result.report.errorCount === 0, report: result.report };
  }

  private itemsStored(written: number): void {
    this.written = written;
    this.heartbeat();
  }
}

interface CheckedPair {
  ok: true;
  report: CatalogUploadReport;
  conflicts: ReadonlyMap<string, ConflictUpdate>;
  itemLines: Record<CatalogFile, number>;
}

interface PassSink {
  add(items: MatchedStockItem[]): Promise<void> | void;
  conflictsFound(updates: ConflictUpdate[]): Promise<void> | void;
  finish(): Promise<void>;
  abandon(): Promise<void>;
}

/** Pass 1: remembers only what pass 2 needs — late conflicts, and how far each file's item lines go. */
class CheckingSink implements PassSink {
  readonly itemLines: Record<CatalogFile, number> = { productCsv: 0, optionCsv: 0 };
  conflicts: ReadonlyMap<string, ConflictUpdate> = new Map();

  add(items: MatchedStockItem[]): void {
    for (const item of items) {
      const file = stockItemFile(item);
      if (item.line > this.itemLines[file]) this.itemLines[file] = item.line;
    }
  }

  conflictsFound(updates: ConflictUpdate[]): void {
    this.conflicts = new Map(updates.map((u) => [u.key, u]));
  }

  async finish(): Promise<void> {}
  async abandon(): Promise<void> {}
}

/**
 * Pass 2: stores each batch the parser hands on as one pack, one pack in flight while the parser
 * prepares the next. Batches are cut identically on every attempt, so the packs a retried attempt
 * already stored (the first `skip` items) are not sent again.
 */
class WritingSink implements PassSink {
  private seen = 0;
  private packs = 0;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly upload: CatalogUploadDoc,
    private readonly knownConflicts: ReadonlyMap<string, ConflictUpdate>,
    private readonly skip: number,
    private readonly onStored: (itemsStoredSoFar: number) => void,
  ) {}

  async add(items: MatchedStockItem[]): Promise<void> {
    const seq = this.packs;
    this.packs += 1;
    this.seen += items.length;
    if (this.seen <= this.skip) return;
    const pack = items.map((item) => this.withKnownConflict(item));
    await this.inFlight;
    const storedSoFar = this.seen;
    // Not awaited: the parser reads on while this pack is stored; a failure surfaces at the next await.
    this.inFlight = insertCatalogPack(this.db, this.upload.tenantId, this.upload.version, seq, pack).then(() => this.onStored(storedSoFar));
    this.inFlight.catch(() => undefined);
  }

  /** Pass 1 saw the same rows, so these are already applied, unless the two passes differed. */
  async conflictsFound(updates: ConflictUpdate[]): Promise<void> {
    await this.inFlight;
    const missed = updates.filter((u) => !sameReasons(this.knownConflicts.get(u.key)?.conflictReasons, u.conflictReasons));
    await markItemsConflicting(this.db, this.upload.tenantId, this.upload.version, missed);
  }

  async finish(): Promise<void> {
    await this.inFlight;
  }

  async abandon(): Promise<void> {
    await this.inFlight.catch(() => undefined);
  }

  private withKnownConflict(item: MatchedStockItem): MatchedStockItem {
    const update = this.knownConflicts.get(stockItemKey(item));
    return update ? { ...item, status: update.status, conflictReasons: update.conflictReasons } : item;
  }
}

function sameReasons(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((reason) => b.includes(reason));
}
