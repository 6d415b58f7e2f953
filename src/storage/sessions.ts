import { createHash, randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';

/**
 * Merchant sessions, in MongoDB so every api replica agrees. Only a SHA-256
 * of a session token is stored: a copy of the collection does not let anyone log in.
 *
 * The TTL indexes bound the collection on MongoDB. FerretDB (embedded stack) has no TTL indexes,
 * so readers also ignore expired documents and each login purges the expired ones.
 */
interface SessionDocument {
  _id: string;
  tenantId: string;
  createdAt: Date;
  expiresAt: Date;
}

export const SESSION_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['sessions', { expiresAt: 1 }, { expireAfterSeconds: 0 }],
  ['sessions', { tenantId: 1 }, {}],
];

const sessions = (db: Db) => db.collection<SessionDocument>('sessions');
const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export async function createSession(db: Db, tenantId: string, ttlMs: number, now: Date): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + ttlMs);
  await sessions(db).insertOne({ _id: hashToken(token), tenantId, createdAt: now, expiresAt });
  return { token, expiresAt };
}

/** The tenant a live session token belongs to, or null (unknown, revoked or expired). */
export async function findSessionTenant(db: Db, token: string, now: Date): Promise<string | null> {
  // By _id alone: FerretDB decodes every document for _id plus any other condition (see findByIds in db.ts).
  const session = await sessions(db).findOne({ _id: hashToken(token) });
  return session && session.expiresAt > now ? session.tenantId : null;
}

export async function revokeSession(db: Db, token: string): Promise<void> {
  await sessions(db).deleteOne({ _id: hashToken(token) });
}

export async function purgeExpiredSessions(db: Db, now: Date): Promise<void> {
  await sessions(db).deleteMany({ expiresAt: { $lte: now } });
}
