import { activityInfo, ApplicationFailure, cancellationSignal, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { CatalogLimits } from '../catalog';
import type { CatalogUploadReport } from '../domain/catalog';
import { SMAREGI_FAILURE_TYPE, type CatalogUploadErrorCode } from '../domain/catalog-upload';
import type { Logger } from '../lib/logger';
import { PlatformError } from '../platforms/http';
import type { SmaregiClient } from '../platforms/smaregi/client';
import { activateCatalogVersion, catalogActive, purgeCatalogVersion } from '../storage/catalog-items';
import {
  deleteUploadFiles,
  findCatalogUpload,
  finishCatalogUpload,
  hasNewerUpload,
  previousActivatedVersion,
  updateCatalogUpload,
  uploadsWithItems,
  type CatalogUploadDoc,
} from '../storage/catalog-uploads';
import { deleteSmaregiSnapshotsExcept } from '../storage/smaregi-products';
import { findTenantById } from '../storage/tenants';
import { signalSyncWorkflow } from '../temporal/tenant-workflows';
import { catalogActivatedSignal } from '../workflows/messages';
import type { ImportCounts, ImportUploadResult, UploadRef } from '../workflows/activity-types';
import { runCatalogImport, type ImportCheckpoint } from './catalog-import-run';
import type { AlertCenter } from '../alerts/center';
import { catalogImportFailed, catalogImportSucceeded } from '../alerts/catalog-alerts';

export interface CatalogActivityDeps {
  db: Db;
  logger: Logger;
  smaregi: Pick<SmaregiClient, 'productPages'>;
  temporal: Client;
  taskQueue: string;
  limits: CatalogLimits;
  /** Tests shorten the progress interval; the bench may tune the batch size. */
  tuning?: Partial<CatalogImportTuning>;
  now?: () => Date;
  /** Tells the merchant when an import finished (src/alerts/catalog-alerts.ts). */
  alerts?: AlertCenter;
}

export interface CatalogImportTuning {
  progressEveryMs: number;
  insertBatchSize: number;
}

const DEFAULT_TUNING: CatalogImportTuning = { progressEveryMs: 1000, insertBatchSize: 1000 };

export type { ImportCounts, ImportUploadResult, UploadRef };

/**
 * The catalog import's activities (DESIGN §3 catalogImportWorkflow). Inputs are ids: the files are
 * in GridFS and every step reads and records its state in the upload's catalog_uploads document.
 */
export function createCatalogActivities(deps: CatalogActivityDeps) {
  const { db, logger } = deps;
  const tuning = { ...DEFAULT_TUNING, ...deps.tuning };
  const now = deps.now ?? (() => new Date());
  const uploadOf = async ({ tenantId, uploadId }: UploadRef): Promise<CatalogUploadDoc> => {
    const upload = await findCatalogUpload(db, tenantId, uploadId);
    if (!upload) throw ApplicationFailure.nonRetryable(`catalog upload ${uploadId} of tenant ${tenantId} does not exist`, 'upload_missing');
    return upload;
  };

  return {
    /** Parses, checks, matches and stores one upload as a new, not yet active, catalog version. */
    async importCatalogUpload(ref: UploadRef): Promise<ImportUploadResult> {
      const upload = await uploadOf(ref);
      if (upload.status === 'failed') return { outcome: 'rejected', counts: upload.report && countsOf(upload.report) };
      // An earlier attempt finished the work but its completion was lost.
      if (upload.report !== null) return { outcome: 'ready', version: upload.version, counts: countsOf(upload.report) };
      const tenant = await findTenantById(db, ref.tenantId);
      if (!tenant) return reject(upload, 'tenant_missing');
      const contractId = tenant.smaregiContractId;
      if (contractId === undefined) return reject(upload, 'smaregi_not_linked');
      const outcome = await asActivityFailure(() =>
        runCatalogImport(
          {
            db,
            smaregi: deps.smaregi,
            logger,
            heartbeat: (checkpoint) => heartbeat(checkpoint),
            resumeFrom: checkpointOf(activityInfo().heartbeatDetails),
            signal: cancellationSignal(),
            now,
            limits: deps.limits,
            ...tuning,
          },
          upload,
          contractId,
        ),
      );
      if (!outcome.ok) return reject(upload, 'csv_errors', outcome.report);
      await updateCatalogUpload(db, upload._id, { report: outcome.report });
      logger.info({ tenantId: ref.tenantId, uploadId: ref.uploadId, version: upload.version, ...countsOf(outcome.report) }, 'catalog version stored');
      return { outcome: 'ready', version: upload.version, counts: countsOf(outcome.report) };
    },

    /** Makes the upload's version the active catalog, unless a newer one already is (then it is discarded). */
    async activateCatalog(ref: UploadRef): Promise<{ activated: boolean; version: number }> {
      const upload = await uploadOf(ref);
      const at = now();
      const result = (await isSupersededBeforeActivation(upload))
        ? 'superseded'
        : await activateCatalogVersion(db, { tenantId: ref.tenantId, version: upload.version, uploadId: upload._id, at });
      if (result === 'superseded') {
        await discardUpload(upload, 'superseded');
        return { activated: false, version: upload.version };
      }
      if (upload.activatedAt === null) await updateCatalogUpload(db, upload._id, { activatedAt: at });
      logger.info({ tenantId: ref.tenantId, uploadId: ref.uploadId, version: upload.version }, 'catalog activated');
      return { activated: true, version: upload.version };
    },

    /** The sync workflow pushes the new catalog at once when running, else at the next 稼働 (started if absent). */
    async notifySyncOfCatalog(input: UploadRef & { version: number }): Promise<void> {
      await signalSyncWorkflow(deps.temporal, deps.taskQueue, input.tenantId, catalogActivatedSignal, [
        { version: input.version, uploadId: input.uploadId },
      ]);
    },

    async completeCatalogUpload(ref: UploadRef): Promise<void> {
      const upload = await uploadOf(ref);
      await finishCatalogUpload(db, upload._id, { status: 'succeeded' }, now());
      await deleteUploadFiles(db, upload, now());
      await catalogImportSucceeded(deps.alerts, logger, { tenantId: ref.tenantId, uploadId: ref.uploadId, report: upload.report });
    },

    /** The import could not finish: the upload fails, its items and files go, the active catalog stays. */
    async failCatalogUpload(ref: UploadRef & { error: CatalogUploadErrorCode }): Promise<void> {
      await discardUpload(await uploadOf(ref), ref.error);
    },

    /**
     * Deletes the items of versions no longer needed: all but the active one and the one active
     * before it (kept so the sync engine can finish reading it). Slow on FerretDB, hence its own activity.
     */
    async pruneCatalogVersions(input: { tenantId: string }): Promise<{ purgedVersions: number[] }> {
      const active = await catalogActive(db).findOne({ _id: input.tenantId });
      if (!active) return { purgedVersions: [] };
      const previous = await previousActivatedVersion(db, input.tenantId, active.version);
      const uploads = await uploadsWithItems(db, input.tenantId);
      const stale = uploads.filter((u) => u.version !== active.version && u.version !== previous && (u.status !== 'processing' || u.version < active.version));
      for (const upload of stale) await purgeUploadItems(upload);
      const inUse = uploads.filter((u) => u.status === 'processing' || u.version === active.version).map((u) => u.smaregiSnapshotId);
      await deleteSmaregiSnapshotsExcept(db, input.tenantId, inUse.filter((id): id is string => id !== null));
      return { purgedVersions: stale.map((u) => u.version) };
    },
  };

  /** One import at a time per tenant: a newer upload supersedes this one even before it is active. */
  async function isSupersededBeforeActivation(upload: CatalogUploadDoc): Promise<boolean> {
    if (!(await hasNewerUpload(db, upload.tenantId, upload.version))) return false;
    // An earlier attempt of this activity may have activated it already.
    const active = await catalogActive(db).findOne({ _id: upload.tenantId });
    return active?.uploadId !== upload._id;
  }

  async function reject(upload: CatalogUploadDoc, error: CatalogUploadErrorCode, report?: CatalogUploadReport): Promise<ImportUploadResult> {
    await finishCatalogUpload(db, upload._id, { status: 'failed', error, report }, now());
    await deleteUploadFiles(db, upload, now());
    await catalogImportFailed(deps.alerts, logger, { tenantId: upload.tenantId, uploadId: upload._id, error, report });
    logger.info({ tenantId: upload.tenantId, uploadId: upload._id, error, errorCount: report?.errorCount }, 'catalog upload refused');
    return { outcome: 'rejected', counts: report ? countsOf(report) : null };
  }

  async function discardUpload(upload: CatalogUploadDoc, error: CatalogUploadErrorCode): Promise<void> {
    await finishCatalogUpload(db, upload._id, { status: 'failed', error }, now());
    await catalogImportFailed(deps.alerts, logger, { tenantId: upload.tenantId, uploadId: upload._id, error, report: upload.report });
    const active = await catalogActive(db).findOne({ _id: upload.tenantId });
    if (active?.version !== upload.version) await purgeUploadItems(upload);
    await deleteUploadFiles(db, upload, now());
  }

  async function purgeUploadItems(upload: CatalogUploadDoc): Promise<void> {
    // itemsWrittenAt is recorded before the first pack is stored (itemLines only once all are).
    if (upload.itemsWrittenAt === null) return;
    heartbeat({ purging: upload.version });
    const deleted = await purgeCatalogVersion(db, upload.tenantId, upload.version);
    await updateCatalogUpload(db, upload._id, { itemsPurgedAt: now() });
    logger.info({ tenantId: upload.tenantId, version: upload.version, deleted }, 'catalog version purged');
  }
}

export type CatalogActivities = ReturnType<typeof createCatalogActivities>;

function countsOf(report: CatalogUploadReport): ImportCounts {
  const { stockItems, matched, unmatched, conflicts, unlimited, errorCount } = report;
  return { stockItems, matched, unmatched, conflicts, unlimited, errorCount };
}

function checkpointOf(details: unknown): ImportCheckpoint | undefined {
  const checkpoint = details as Partial<ImportCheckpoint> | undefined;
  return typeof checkpoint?.uploadId === 'string' && typeof checkpoint.written === 'number' ? (checkpoint as ImportCheckpoint) : undefined;
}

/** Smaregi failures get their own type (the merchant's message says what failed); the rest is retried as is. */
async function asActivityFailure<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof PlatformError) {
      throw ApplicationFailure.create({
        message: err.message,
        type: SMAREGI_FAILURE_TYPE,
        nonRetryable: !err.retryable,
        nextRetryDelay: err.details.retryAfterMs,
      });
    }
    throw err;
  }
}
