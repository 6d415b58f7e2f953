// What one CSV-pair upload looks like to the merchant (GET /catalog/uploads/{id}) and to the workflow's
// `progress` query. Types and pure functions only: imported by the workflow bundle.
import type { CatalogFile } from './catalog';

export type CatalogUploadStatus = 'processing' | 'succeeded' | 'failed';

/**
 * Where an import is. `writing` is the one pass that reads both files, checks and matches them and
 * stores the items under the upload's version (a pair with any error is refused and its items deleted).
 * `checking` was a first, read-only pass of imports before 2026-12; it is kept so their records stay valid.
 */
export type CatalogImportPhase = 'queued' | 'smaregi' | 'checking' | 'writing' | 'activating' | 'done';

export interface CatalogUploadProgress {
  phase: CatalogImportPhase;
  /** 1 = the pass over the files (2 only in records of the former two-pass import), 0 before it. */
  pass: 0 | 1 | 2;
  file: CatalogFile | null;
  /** Data rows read so far from `file` in this pass. */
  rows: number;
  /** Bytes of the pair read so far. */
  bytes: number;
  /** Bytes the import reads in all: the size of the pair (progressTotalBytes). */
  totalBytes: number;
  percent: number;
  /** Smaregi products read so far (phase `smaregi`). */
  smaregiProducts: number;
}

/** Why an upload failed when the CSV report alone does not say it. */
export type CatalogUploadErrorCode = 'csv_errors' | 'superseded' | 'smaregi_unavailable' | 'makeshop_unavailable' | 'tenant_missing' | 'smaregi_not_linked' | 'internal';

export interface CatalogUploadError {
  code: CatalogUploadErrorCode;
  message: string;
}

const UPLOAD_ERROR_MESSAGE: Record<CatalogUploadErrorCode, string> = {
  csv_errors:
    'CSVにエラーがあるため、この商品データは反映していません（前の商品データがそのまま有効です）。下のエラーを修正して、もう一度アップロードしてください。',
  superseded: 'このアップロードより後にアップロードされた商品データがあるため、このアップロードは反映していません（新しいアップロードの結果をご確認ください）。',
  smaregi_unavailable:
    'スマレジの商品情報を読み込めなかったため、この商品データは反映していません（前の商品データがそのまま有効です）。しばらくしてから、もう一度アップロードしてください。',
  makeshop_unavailable:
    'MakeShopから商品情報を読み込めなかったため、この商品データは反映していません（前の商品データがそのまま有効です）。MakeShopアプリの連携状態を確認してから、もう一度取り込んでください。',
  tenant_missing: 'アカウントが見つからないため、この商品データは反映していません。',
  smaregi_not_linked: 'スマレジの契約が連携されていないため、この商品データは反映していません。スマレジIDで連携してから、もう一度アップロードしてください。',
  internal: 'サーバーでエラーが発生したため、この商品データは反映していません（前の商品データがそのまま有効です）。もう一度アップロードしてください。',
};

/** The ApplicationFailure type of an import that could not read the tenant's Smaregi products. */
export const SMAREGI_FAILURE_TYPE = 'smaregi_unavailable';
/** The ApplicationFailure type of an import that could not read the catalog from MakeShop (apps mode). */
export const MAKESHOP_CATALOG_FAILURE_TYPE = 'makeshop_unavailable';

export function catalogUploadError(code: CatalogUploadErrorCode): CatalogUploadError {
  return { code, message: UPLOAD_ERROR_MESSAGE[code] };
}

export function initialUploadProgress(pairBytes: number): CatalogUploadProgress {
  return { phase: 'queued', pass: 0, file: null, rows: 0, bytes: 0, totalBytes: progressTotalBytes(pairBytes), percent: 0, smaregiProducts: 0 };
}

/** The import reads the pair once. */
export function progressTotalBytes(pairBytes: number): number {
  return pairBytes;
}

/** 0–99 while running: 100 is only ever shown once the upload has finished. */
export function progressPercent(bytes: number, totalBytes: number): number {
  if (totalBytes <= 0) return 0;
  return Math.min(99, Math.floor((100 * bytes) / totalBytes));
}

/** What the workflow's `progress` query answers: the coarse state it knows without asking MongoDB. */
export interface CatalogImportState {
  uploadId: string;
  phase: 'importing' | 'activating' | 'notifying' | 'done';
  outcome: 'activated' | 'rejected' | 'superseded' | 'failed' | null;
  version: number | null;
}
