import { MongoServerError, type Db } from 'mongodb';
import { CATALOG_ITEM_INDEXES } from './catalog-items';
import { CATALOG_UPLOAD_INDEXES } from './catalog-uploads';
import { MAKESHOP_APP_INDEXES } from './makeshop-apps';
import { ORDER_INDEXES } from './orders';
import { PUSHED_STOCK_INDEXES } from './pushed-stock';
import { SYNC_WORK_INDEXES } from './sync-work';
import { SYNC_LOG_INDEXES } from './sync-log';
import { SESSION_INDEXES } from './sessions';
import { LOGIN_ATTEMPT_INDEXES } from './login-attempts';
import { WEBHOOK_EVENT_INDEXES } from './webhook-events';
import { SMAREGI_PRODUCT_INDEXES } from './smaregi-products';
import { SMAREGI_AUTH_REQUEST_INDEXES } from './smaregi-auth-requests';
import { SMAREGI_CONTRACT_INDEXES } from './smaregi-contracts';
import { TENANT_INDEXES } from './tenants';
import { ALERT_INDEXES } from './alerts';

type IndexSpec = [collection: string, keys: Record<string, 1 | -1>, options: Record<string, unknown>];

/**
 * Every index the service relies on, in one place. Unique indexes carry the idempotency guarantees
 * (FerretDB has no transactions); TTL indexes bound the de-duplication and log collections.
 */
const INDEXES: IndexSpec[] = [
  ...CATALOG_ITEM_INDEXES,
  ...CATALOG_UPLOAD_INDEXES,
  ...SMAREGI_PRODUCT_INDEXES,
  ...ORDER_INDEXES,
  ...PUSHED_STOCK_INDEXES,
  ...SYNC_WORK_INDEXES,
  ...SYNC_LOG_INDEXES,
  ...TENANT_INDEXES,
  ...SESSION_INDEXES,
  ...LOGIN_ATTEMPT_INDEXES,
  ...WEBHOOK_EVENT_INDEXES,
  ...MAKESHOP_APP_INDEXES,
  ...ALERT_INDEXES,
  ...SMAREGI_CONTRACT_INDEXES,
  ...SMAREGI_AUTH_REQUEST_INDEXES,
];

/** Indexes whose options changed: dropped when found in the old form, so createIndex can make the new one. */
const RETIRED_UNIQUE_INDEXES: [collection: string, name: string][] = [
  // One tenant per contract is now smaregi_contracts' _id; unlinked tenants have no contract id.
  ['tenants', 'smaregiContractId_1'],
];

export async function ensureIndexes(db: Db): Promise<void> {
  for (const [collection, name] of RETIRED_UNIQUE_INDEXES) {
    const existing = await db.collection(collection).listIndexes().toArray().catch(() => []);
    if (existing.some((index) => index.name === name && index.unique === true)) await db.collection(collection).dropIndex(name);
  }
  for (const [collection, keys, options] of INDEXES) {
    try {
      await db.collection(collection).createIndex(keys, options);
    } catch (err) {
      if (!isTtlUnsupported(err, options)) throw err;
      // FerretDB 1.x has no TTL indexes: keep the plain index; owners of TTL collections also purge and
      // ignore expired documents themselves.
      const { expireAfterSeconds: _ttl, ...plain } = options;
      await db.collection(collection).createIndex(keys, plain);
    }
  }
}

function isTtlUnsupported(err: unknown, options: Record<string, unknown>): boolean {
  return 'expireAfterSeconds' in options && err instanceof MongoServerError && err.code === 238; // NotImplemented
}

/** Deletes what the TTL indexes would have expired; harmless where real TTL indexes exist. */
export async function purgeExpired(db: Db, now = Date.now()): Promise<number> {
  let deleted = 0;
  for (const [collection, keys, options] of INDEXES) {
    const ttl = options.expireAfterSeconds;
    if (typeof ttl !== 'number') continue;
    const field = Object.keys(keys)[0]!;
    const res = await db.collection(collection).deleteMany({ [field]: { $lt: new Date(now - ttl * 1000) } });
    deleted += res.deletedCount;
  }
  return deleted;
}
