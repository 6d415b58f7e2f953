import type { Db } from 'mongodb';
import type { Logger } from '../lib/logger';
import { sweepAbandonedUploadFiles } from '../storage/catalog-uploads';
import { purgeExpired } from '../storage/indexes';

export const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * The worker's hourly clean-up: FerretDB has no TTL indexes, so expired de-duplication records and old
 * sync log entries go here; and so do the GridFS files of uploads that were interrupted.
 */
export async function periodicPurge(db: Db, logger: Logger, now = new Date()): Promise<void> {
  const expired = await purgeExpired(db, now.getTime());
  const abandonedFiles = await sweepAbandonedUploadFiles(db, now);
  if (expired + abandonedFiles > 0) logger.info({ expired, abandonedFiles }, 'periodic purge');
}
