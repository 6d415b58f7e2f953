import type { Db } from 'mongodb';

type IndexSpec = [collection: string, keys: Record<string, 1 | -1>, options: Record<string, unknown>];

/**
 * Every index the service relies on, in one place. Unique indexes carry the idempotency guarantees
 * (FerretDB has no transactions); TTL indexes bound the de-duplication and log collections.
 */
const INDEXES: IndexSpec[] = [];

export async function ensureIndexes(db: Db): Promise<void> {
  for (const [collection, keys, options] of INDEXES) {
    await db.collection(collection).createIndex(keys, options);
  }
}
