import { createHash, randomBytes } from 'node:crypto';
import { MongoServerError, type Db } from 'mongodb';

/**
 * Merchant sessions and login throttling, both in MongoDB so every api replica agrees. Only a SHA-256
 * of a session token is stored: a copy of the collection does not let anyone log in.
 *
 * The TTL indexes bound both collections on MongoDB. FerretDB (embedded stack) has no TTL indexes,
 * so readers also ignore expired documents and each login purges the expired ones.
 */
interface SessionDocument {
  _id: string;
  tenantId: string;
  createdAt: Date;
  expiresAt: Date;
}

interface LoginFailureDocument {
  _id: string;
  failures: number;
  windowEndsAt: Date;
}

export const SESSION_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['sessions', { expiresAt: 1 }, { expireAfterSeconds: 0 }],
  ['sessions', { tenantId: 1 }, {}],
  ['login_failures', { windowEndsAt: 1 }, { expireAfterSeconds: 0 }],
];

const sessions = (db: Db) => db.collection<SessionDocument>('sessions');
const loginFailures = (db: Db) => db.collection<LoginFailureDocument>('login_failures');
const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export async function createSession(db: Db, tenantId: string, ttlMs: number, now: Date): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + ttlMs);
  await sessions(db).insertOne({ _id: hashToken(token), tenantId, createdAt: now, expiresAt });
  return { token, expiresAt };
}

/** The tenant a live session token belongs to, or null (unknown, revoked or expired). */
export async function findSessionTenant(db: Db, token: string, now: Date): Promise<string | null> {
  const session = await sessions(db).findOne({ _id: hashToken(token), expiresAt: { $gt: now } });
  return session?.tenantId ?? null;
}

export async function revokeSession(db: Db, token: string): Promise<void> {
  await sessions(db).deleteOne({ _id: hashToken(token) });
}

export async function purgeExpiredSessions(db: Db, now: Date): Promise<void> {
  await sessions(db).deleteMany({ expiresAt: { $lte: now } });
}

export interface ThrottleRule {
  key: string;
  maxFailures: number;
}

/** How long until the first of these keys is allowed again, or null when none is locked. */
export async function throttledFor(db: Db, rules: ThrottleRule[], now: Date): Promise<number | null> {
  const docs = await loginFailures(db)
    .find({ _id: { $in: rules.map((r) => r.key) }, windowEndsAt: { $gt: now } })
    .toArray();
  const waits = docs
    .filter((doc) => doc.failures >= (rules.find((r) => r.key === doc._id)?.maxFailures ?? Infinity))
    .map((doc) => doc.windowEndsAt.getTime() - now.getTime());
  return waits.length > 0 ? Math.max(...waits) : null;
}

/** Counts one failure in a fixed window per key; the window starts at the first failure. */
export async function recordLoginFailure(db: Db, key: string, windowMs: number, now: Date): Promise<void> {
  const failures = loginFailures(db);
  await failures.deleteOne({ _id: key, windowEndsAt: { $lte: now } });
  const increment = () =>
    failures.updateOne(
      { _id: key },
      { $inc: { failures: 1 }, $setOnInsert: { windowEndsAt: new Date(now.getTime() + windowMs) } },
      { upsert: true },
    );
  try {
    await increment();
  } catch (err) {
    // Two replicas inserting the same key at once: the loser's increment now finds the document.
    if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
    await increment();
  }
}

export async function clearLoginFailures(db: Db, key: string, now: Date): Promise<void> {
  await loginFailures(db).deleteMany({ $or: [{ _id: key }, { windowEndsAt: { $lte: now } }] });
}
