import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { importCatalogPair, CatalogFileError } from '../catalog';
import { failedUploadReport, identityCode, type CatalogUploadReport, type MatchedStockItem } from '../domain/catalog';
import type { Logger } from '../lib/logger';
import type { SmaregiClient } from '../platforms/smaregi/client';
import { catalogActive, catalogItems, type CatalogItemDoc } from '../storage/catalog-items';
import { allocateCatalogVersion, catalogUploads, deleteUploadFiles, gridFsSource } from '../storage/catalog-uploads';
import { findTenantById } from '../storage/tenants';
import { signalSyncWorkflow } from '../temporal/tenant-workflows';
import { catalogActivatedSignal } from '../workflows/messages';

export interface CatalogActivityDeps {
  db: Db;
  logger: Logger;
  smaregi: SmaregiClient;
  temporal: Client;
  taskQueue: string;
}

export interface ImportUploadResult {
  ok: boolean;
  version: number | null;
  /** Counts only: the full report (with row errors) is in MongoDB, not in workflow history. */
  counts: Pick<CatalogUploadReport, 'stockItems' | 'matched' | 'unmatched' | 'conflicts' | 'unlimited' | 'errorCount'>;
}

const PROGRESS_EVERY_MS = 1000;
const INSERT_BATCH = 2000;

export function createCatalogActivities(deps: CatalogActivityDeps) {
  const { db } = deps;
  return {
    /**
     * Parses, validates and matches one uploaded pair into a new catalog version (not yet active).
     * Retry-safe: a new attempt takes a new version number, so no half-written version is reused.
     */
    async importCatalogUpload(input: { tenantId: string; uploadId: string }): Promise<ImportUploadResult> {
      const { tenantId, uploadId } = input;
      const upload = await catalogUploads(db).findOne({ _id: uploadId, tenantId });
      if (!upload) throw ApplicationFailure.nonRetryable(`upload ${uploadId} does not exist`, 'not-found');
      const tenant = await findTenantById(db, tenantId);
      if (!tenant) throw ApplicationFailure.nonRetryable(`tenant ${tenantId} does not exist`, 'not-found');

      const smaregiProducts = new Map<string, string>();
      for (const p of await deps.smaregi.listProducts(tenant.smaregiContractId, { onPage: (n) => heartbeat({ step: 'smaregi-products', n }) })) {
        smaregiProducts.set(p.productCode, p.productId);
      }
      const version = await allocateCatalogVersion(db, tenantId);
      const totalBytes = upload.files.productCsv.bytes + upload.files.optionCsv.bytes;
      const done = { productCsv: 0, optionCsv: 0 };
      let lastProgressAt = 0;
      let rows = 0;
      const reportProgress = async (file: 'productCsv' | 'optionCsv', fileRows: number, bytes: number, force = false) => {
        done[file] = bytes;
        rows = fileRows;
        heartbeat({ file, rows: fileRows, bytes });
        if (!force && Date.now() - lastProgressAt < PROGRESS_EVERY_MS) return;
        lastProgressAt = Date.now();
        const read = done.productCsv + done.optionCsv;
        await catalogUploads(db).updateOne(
          { _id: uploadId },
          { $set: { progress: { file, rows, bytes: read, totalBytes, percent: Math.min(99, Math.floor((read / Math.max(1, totalBytes)) * 100)) } } },
        );
      };
      let pendingProgress: Promise<void> = Promise.resolve();
      try {
        const { report } = await importCatalogPair({
          productCsv: gridFsSource(db, uploadId, 'productCsv'),
          optionCsv: gridFsSource(db, uploadId, 'optionCsv'),
          smaregiProducts,
          batchSize: INSERT_BATCH,
          onProgress: (p) => {
            pendingProgress = pendingProgress.then(() => reportProgress(p.file, p.rows, p.bytes, p.done));
          },
          onItems: async (items) => {
            await catalogItems(db).insertMany(items.map((item) => itemDoc(tenantId, version, item)), { ordered: false });
          },
          applyConflictUpdates: async (updates) => {
            for (const u of updates) {
              await catalogItems(db).updateOne(
                { tenantId, version, source: u.file === 'optionCsv' ? 'option' : 'product', line: u.line },
                { $set: { status: 'conflict', conflictReasons: [...u.conflictReasons] } },
              );
            }
          },
        });
        await pendingProgress;
        const ok = report.errorCount === 0;
        await finishUpload(db, uploadId, ok ? 'processing' : 'failed', report, version);
        if (!ok) await catalogItems(db).deleteMany({ tenantId, version });
        return { ok, version: ok ? version : null, counts: countsOf(report) };
      } catch (err) {
        await catalogItems(db).deleteMany({ tenantId, version });
        if (err instanceof CatalogFileError) {
          const report = failedUploadReport(err.toIssue());
          await finishUpload(db, uploadId, 'failed', report, null);
          return { ok: false, version: null, counts: countsOf(report) };
        }
        throw err;
      }
    },

    /**
     * The one atomic switch: catalog_active points at the new version, unless a newer version is
     * already active (an older upload finishing late never replaces it). Keeps one previous version.
     */
    async activateCatalog(input: { tenantId: string; uploadId: string; version: number }): Promise<{ activated: boolean }> {
      const { tenantId, uploadId, version } = input;
      const previous = await catalogActive(db).findOne({ _id: tenantId });
      let activated = false;
      if (!previous || previous.version < version) {
        const res = await catalogActive(db).updateOne(
          { _id: tenantId, ...(previous ? { version: previous.version } : {}) },
          { $set: { version, uploadId, activatedAt: new Date() } },
          { upsert: !previous },
        );
        activated = res.modifiedCount + res.upsertedCount === 1;
      }
      if (activated && previous) await catalogItems(db).deleteMany({ tenantId, version: { $lt: previous.version } });
      await catalogUploads(db).updateOne({ _id: uploadId }, { $set: { status: activated ? 'succeeded' : 'failed', finishedAt: new Date(), 'progress.percent': 100 } });
      await deleteUploadFiles(db, uploadId);
      return { activated };
    },

    async discardUploadFiles(input: { uploadId: string }): Promise<void> {
      await deleteUploadFiles(db, input.uploadId);
    },

    /** Tells the sync workflow (starting it if needed) that a new catalog is active. */
    async notifySyncOfCatalog(input: { tenantId: string; uploadId: string; version: number }): Promise<void> {
      await signalSyncWorkflow(deps.temporal, deps.taskQueue, input.tenantId, catalogActivatedSignal, [
        { version: input.version, uploadId: input.uploadId },
      ]);
    },
  };
}

export type CatalogActivities = ReturnType<typeof createCatalogActivities>;

function itemDoc(tenantId: string, version: number, item: MatchedStockItem): CatalogItemDoc {
  const smaregiProductCode = item.smaregiProductId === null ? null : item.matchedBy === 'jan' ? item.jan : identityCode(item);
  return { ...item, tenantId, version, smaregiProductCode } as CatalogItemDoc;
}

async function finishUpload(db: Db, uploadId: string, status: 'processing' | 'failed', report: CatalogUploadReport, version: number | null): Promise<void> {
  await catalogUploads(db).updateOne(
    { _id: uploadId },
    { $set: { status, report, version, ...(status === 'failed' && { finishedAt: new Date() }) } },
  );
}

function countsOf(report: CatalogUploadReport): ImportUploadResult['counts'] {
  const { stockItems, matched, unmatched, conflicts, unlimited, errorCount } = report;
  return { stockItems, matched, unmatched, conflicts, unlimited, errorCount };
}
