import { createHash, randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import type { EncryptedValue, SecretBox } from './crypto';

/**
 * スマレジID logins in flight (link or login), between our redirect to /authorize and the callback.
 * Kept in MongoDB so any api replica can take the callback. The `state` is stored only as a hash; the
 * PKCE verifier is encrypted. `binding` is the hash of what the browser must still hold at the
 * callback: the session token that started a link, or the pre-login cookie of a login (login CSRF).
 * Single use (the callback deletes it before acting) and short-lived (TTL index; FerretDB has none,
 * so each new request purges the expired ones and readers ignore them).
 */
export type SmaregiAuthPurpose = 'link' | 'login';

interface AuthRequestDocument {
  _id: string;
  purpose: SmaregiAuthPurpose;
  /** The tenant that started a link; absent for a login. */
  tenantId?: string;
  binding: string;
  verifier: EncryptedValue;
  expiresAt: Date;
}

export interface PendingSmaregiAuth {
  purpose: SmaregiAuthPurpose;
  tenantId: string | null;
  codeVerifier: string;
}

export const SMAREGI_AUTH_REQUEST_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['smaregi_auth_requests', { expiresAt: 1 }, { expireAfterSeconds: 0 }],
];

/** Long enough to type a password at スマレジID, short enough that a leaked state is soon worthless. */
export const SMAREGI_AUTH_REQUEST_TTL_MS = 10 * 60 * 1000;

const requests = (db: Db) => db.collection<AuthRequestDocument>('smaregi_auth_requests');
export const hashOf = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const VERIFIER_CONTEXT = 'smaregi-auth-request';

export async function saveSmaregiAuthRequest(
  db: Db,
  secretBox: SecretBox,
  request: { purpose: SmaregiAuthPurpose; tenantId?: string; binding: string; codeVerifier: string },
  now: Date,
): Promise<{ state: string }> {
  await requests(db).deleteMany({ expiresAt: { $lte: now } });
  const state = randomBytes(32).toString('base64url');
  await requests(db).insertOne({
    _id: hashOf(state),
    purpose: request.purpose,
    ...(request.tenantId !== undefined && { tenantId: request.tenantId }),
    binding: hashOf(request.binding),
    verifier: secretBox.seal(request.codeVerifier, VERIFIER_CONTEXT),
    expiresAt: new Date(now.getTime() + SMAREGI_AUTH_REQUEST_TTL_MS),
  });
  return { state };
}

/**
 * Takes the request of `state` out of the store, once: null when it is unknown, expired, already
 * used, or `binding` is not what started it. A mismatched binding consumes the state too, so a
 * forged callback cannot be retried against it.
 */
export async function takeSmaregiAuthRequest(
  db: Db,
  secretBox: SecretBox,
  state: string,
  now: Date,
  bindingOf: (purpose: SmaregiAuthPurpose) => string | null,
): Promise<PendingSmaregiAuth | null> {
  const id = hashOf(state);
  const found = await requests(db).findOne({ _id: id });
  if (!found) return null;
  const { deletedCount } = await requests(db).deleteOne({ _id: id });
  const binding = bindingOf(found.purpose);
  if (deletedCount !== 1 || found.expiresAt <= now || binding === null || hashOf(binding) !== found.binding) return null;
  return { purpose: found.purpose, tenantId: found.tenantId ?? null, codeVerifier: secretBox.open(found.verifier, VERIFIER_CONTEXT) };
}
