import type { Db } from 'mongodb';

export type SyncLogKind = 'stock-push' | 'order-import' | 'order-cancel' | 'resync' | 'error';

export interface SyncLogEntry {
  tenantId: string;
  at: Date;
  kind: SyncLogKind;
  code?: string;
  orderNumber?: string;
  from?: number | null;
  to?: number;
  ok: boolean;
  message?: string;
}

const RETENTION_DAYS = 30;

export const syncLog = (db: Db) => db.collection<SyncLogEntry>('sync_log');

export const SYNC_LOG_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['sync_log', { tenantId: 1, at: -1 }, {}],
  ['sync_log', { at: 1 }, { expireAfterSeconds: RETENTION_DAYS * 24 * 3600 }],
];

export async function writeSyncLog(db: Db, entries: SyncLogEntry[]): Promise<void> {
  if (entries.length > 0) await syncLog(db).insertMany(entries, { ordered: false });
}

export async function readSyncLog(db: Db, tenantId: string, limit: number): Promise<Omit<SyncLogEntry, 'tenantId'>[]> {
  const docs = await syncLog(db)
    .find({ tenantId }, { projection: { _id: 0, tenantId: 0 } })
    .sort({ at: -1 })
    .limit(limit)
    .toArray();
  return docs;
}
