// The activities the sync, catalog-import and alert-mail workflows call, as those workflows see them.
// The workflows own these contracts (their inputs and results are in every recorded history);
// src/activities implements them and checks that it does (`satisfies`). Types only, from src/domain
// alone: workflow code depends on nothing that depends on it (no import cycle through the activities).
// The onboarding workflow's contract is OnboardingActivities (./onboarding.ts).
import type { CatalogUploadReport } from '../domain/catalog';
import type { CatalogUploadErrorCode } from '../domain/catalog-upload';
import type { SyncState } from '../domain/sync';
import type { PendingOrder, SyncTiming } from '../domain/sync-workflow-state';
import type { StoredSyncConfiguration } from '../domain/workflow-records';

interface TenantRef {
  tenantId: string;
}

/** What the sync engine did with one order. */
export type OrderOutcome = 'imported' | 'edited' | 'already-imported' | 'cancelled' | 'already-cancelled' | 'held' | 'reserved' | 'not-found' | 'given-up';

/** An order waiting in MongoDB; `stamp` changes with every new notification of the order. */
export interface QueuedOrderRef extends PendingOrder {
  stamp: string;
}

export interface PushStockRequest extends TenantRef {
  /** Push every matched item, changed or not (稼働, catalog activation, 再同期). */
  full: boolean;
  /** Recompute every item but push only changed targets (stock settings changed). */
  allItems?: boolean;
}

export interface PushStockOutcome {
  catalogVersion: number | null;
  pushed: number;
  unchanged: number;
  failed: number;
  makeshopCalls: number;
  /** Products whose rows MakeShop refused: retried at the next reconciliation. */
  retryProductIds: string[];
}

export interface ReconcileRequest extends TenantRef {
  /** ISO time of the last reconciliation's read; null on the first run. */
  stockCursor: string | null;
}

export interface SyncWorkflowActivities {
  /** The worker's configured timing (SYNC_* variables), read once per run as a local activity. */
  syncTiming(): Promise<SyncTiming>;
  loadSyncConfiguration(input: TenantRef): Promise<StoredSyncConfiguration | null>;
  saveSyncState(input: TenantRef & { state: SyncState; stoppedByLostLink: boolean }): Promise<void>;

  // Runs that carry their work sets in the workflow (before patch 'bounded-sync-state').
  pushStock(input: PushStockRequest & { productIds?: string[] }): Promise<PushStockOutcome>;
  processOrder(input: TenantRef & PendingOrder): Promise<{ outcome: OrderOutcome; affectedProductIds: string[] }>;
  discoverOrders(input: TenantRef): Promise<{ orders: PendingOrder[] }>;
  reconcile(input: ReconcileRequest): Promise<{ stockCursor: string; productIds: string[]; orders: PendingOrder[] }>;

  // Runs that keep their work sets in MongoDB: counts in, counts out.
  recordSyncWork(input: TenantRef & { productIds: string[]; orders: PendingOrder[] }): Promise<void>;
  pushQueuedStock(input: PushStockRequest): Promise<PushStockOutcome>;
  nextQueuedOrders(input: TenantRef & { limit: number }): Promise<{ orders: QueuedOrderRef[]; queued: number }>;
  processQueuedOrder(input: TenantRef & QueuedOrderRef): Promise<{ outcome: OrderOutcome; affectedProducts: number }>;
  deferQueuedOrder(input: TenantRef & QueuedOrderRef): Promise<void>;
  /** `products`: absent in results recorded before it was added. */
  discoverIntoQueue(input: TenantRef): Promise<{ orders: []; queued: number; products?: number }>;
  reconcileIntoQueue(input: ReconcileRequest): Promise<{ stockCursor: string; productIds: []; orders: []; queued: { products: number; orders: number } }>;
}

export interface UploadRef extends TenantRef {
  uploadId: string;
}

export type ImportCounts = Pick<CatalogUploadReport, 'stockItems' | 'matched' | 'unmatched' | 'conflicts' | 'unlimited' | 'errorCount'>;

/** Counts only: the report with its row errors stays in MongoDB, out of workflow history. */
export type ImportUploadResult = { outcome: 'ready'; version: number; counts: ImportCounts } | { outcome: 'rejected'; counts: ImportCounts | null };

export interface CatalogImportActivities {
  /** Apps mode: the catalog read from MakeShop into the upload's two files. */
  fetchMakeshopCatalog(ref: UploadRef): Promise<{ products: number; variations: number }>;
  importCatalogUpload(ref: UploadRef): Promise<ImportUploadResult>;
  activateCatalog(ref: UploadRef): Promise<{ activated: boolean; version: number }>;
  notifySyncOfCatalog(input: UploadRef & { version: number }): Promise<void>;
  completeCatalogUpload(ref: UploadRef): Promise<void>;
  failCatalogUpload(ref: UploadRef & { error: CatalogUploadErrorCode }): Promise<void>;
  pruneCatalogVersions(input: TenantRef): Promise<{ purgedVersions: number[] }>;
}

export interface AlertMailActivities {
  /** Mails what may go now; when the next kind's window opens (null: nothing waits). */
  deliverAlertMails(input: { mailbox: string }): Promise<{ nextDueAt: number | null }>;
}
