import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from 'mongodb';
import { ALERT_DEFINITIONS, ALERT_KINDS, type AlertKind } from '../domain/alerts';

/**
 * Where a tenant's alert mails go: addresses the merchant verified (a link mailed to the address),
 * each with the alert kinds it receives. One document per tenant, read and written by _id.
 */
export interface AlertRecipient {
  email: string;
  verifiedAt: Date | null;
  /** sha256 of the verification secret; null once verified. */
  verifyTokenHash: string | null;
  kinds: AlertKind[];
}

interface AlertRecipientsDoc {
  _id: string; // tenantId
  recipients: AlertRecipient[];
}

const recipientsCollection = (db: Db) => db.collection<AlertRecipientsDoc>('alert_recipients');

/** Every kind a merchant can receive; a new address gets them all until the merchant chooses. */
export const MERCHANT_ALERT_KINDS = ALERT_KINDS.filter((k) => ALERT_DEFINITIONS[k].audience === 'merchant');

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** The link token names its tenant (a lookup by _id) and carries a secret only the mailbox saw. */
function newVerifyToken(tenantId: string): { token: string; hash: string } {
  const secret = randomBytes(24).toString('base64url');
  return { token: `${tenantId}.${secret}`, hash: sha256(secret) };
}

export async function readRecipients(db: Db, tenantId: string): Promise<AlertRecipient[]> {
  return (await recipientsCollection(db).findOne({ _id: tenantId }))?.recipients ?? [];
}

/**
 * Replaces the tenant's recipient list. Addresses already present keep their verification; new ones
 * (or ones never verified) get a fresh token, returned so the caller mails the link.
 */
export async function saveRecipients(
  db: Db,
  tenantId: string,
  wanted: { email: string; kinds: AlertKind[] }[],
): Promise<{ recipients: AlertRecipient[]; toVerify: { email: string; token: string }[] }> {
  const current = new Map((await readRecipients(db, tenantId)).map((r) => [r.email, r]));
  const toVerify: { email: string; token: string }[] = [];
  const recipients = wanted.map(({ email, kinds }) => {
    const existing = current.get(email);
    if (existing?.verifiedAt) return { ...existing, kinds };
    const { token, hash } = newVerifyToken(tenantId);
    toVerify.push({ email, token });
    return { email, verifiedAt: null, verifyTokenHash: hash, kinds };
  });
  await recipientsCollection(db).updateOne({ _id: tenantId }, { $set: { recipients } }, { upsert: true });
  return { recipients, toVerify };
}

/** Adds the sign-up address (all kinds, to verify) unless it is there already. */
export async function addSignUpRecipient(db: Db, tenantId: string, email: string): Promise<{ email: string; token: string } | null> {
  const current = await readRecipients(db, tenantId);
  if (current.some((r) => r.email === email)) return null;
  const { toVerify } = await saveRecipients(db, tenantId, [
    ...current.map((r) => ({ email: r.email, kinds: r.kinds })),
    { email, kinds: [...MERCHANT_ALERT_KINDS] },
  ]);
  return toVerify.find((v) => v.email === email) ?? null;
}

/** Confirms the address the token was mailed to; null when the token is unknown or already used. */
export async function verifyRecipient(db: Db, token: string, now = new Date()): Promise<{ tenantId: string; email: string } | null> {
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const tenantId = token.slice(0, dot);
  const hash = Buffer.from(sha256(token.slice(dot + 1)), 'hex');
  const recipients = await readRecipients(db, tenantId);
  const match = recipients.find((r) => r.verifyTokenHash !== null && timingSafeEqual(Buffer.from(r.verifyTokenHash, 'hex'), hash));
  if (!match) return null;
  // The whole list is written back (FerretDB 1.x has no positional `$` update).
  const updated = recipients.map((r) => (r === match ? { ...r, verifiedAt: now, verifyTokenHash: null } : r));
  await recipientsCollection(db).updateOne({ _id: tenantId }, { $set: { recipients: updated } });
  return { tenantId, email: match.email };
}

/** The verified addresses that chose this kind. */
export async function mailRecipientsFor(db: Db, tenantId: string, kind: AlertKind): Promise<string[]> {
  return (await readRecipients(db, tenantId)).filter((r) => r.verifiedAt && r.kinds.includes(kind)).map((r) => r.email);
}
