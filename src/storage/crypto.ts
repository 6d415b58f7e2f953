import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for secrets at rest. The caller's context (tenant and field) is bound as associated
 * data, so a ciphertext copied into another tenant's record, or another field, does not open.
 *
 * Keys rotate: the box holds a list (APP_SECRET_KEYS, newest first). It seals with the newest and
 * records that key's id (`kid`) beside the ciphertext; it opens with the key the id names. Values
 * sealed before key ids existed (v 1) are opened by trying each key (GCM refuses a wrong one).
 */
export interface EncryptedValue {
  v: 1 | 2;
  /** The id of the key that sealed it (v 2). */
  kid?: string;
  iv: string;
  tag: string;
  data: string;
}

/** 128-bit tags only: a decipher without authTagLength would accept a truncated tag. */
const AUTH_TAG_LENGTH = 16;
const IV_LENGTH = 12;

interface Key {
  id: string;
  bytes: Buffer;
}

/** A short, stable id derived from the key: names it without revealing it. */
export function keyIdOf(bytes: Buffer): string {
  return createHash('sha256').update('zaiko-sync secret key id\0').update(bytes).digest('base64url').slice(0, 12);
}

export class UnknownKeyError extends Error {}

export class SecretBox {
  private readonly keys: Key[];

  /** One base64 key, or several, newest first. */
  constructor(base64Keys: string | readonly string[]) {
    const list = typeof base64Keys === 'string' ? [base64Keys] : base64Keys;
    if (list.length === 0) throw new Error('at least one secret key is needed (APP_SECRET_KEYS or APP_SECRET_KEY)');
    this.keys = list.map((k) => {
      const bytes = Buffer.from(k, 'base64');
      if (bytes.length !== 32) throw new Error('every secret key must be 32 bytes, base64-encoded (openssl rand -base64 32)');
      return { id: keyIdOf(bytes), bytes };
    });
  }

  /** The id of the key new values are sealed with. */
  get currentKeyId(): string {
    return this.keys[0]!.id;
  }

  seal(plaintext: string, context: string): EncryptedValue {
    const key = this.keys[0]!;
    const iv = randomBytes(IV_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', key.bytes, iv, { authTagLength: AUTH_TAG_LENGTH });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { v: 2, kid: key.id, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }

  open(value: EncryptedValue, context: string): string {
    if (value.kid !== undefined) {
      const key = this.keys.find((k) => k.id === value.kid);
      if (!key) throw new UnknownKeyError(`a secret was sealed with key ${value.kid}, which is not in APP_SECRET_KEYS`);
      return decrypt(key, value, context);
    }
    let lastError: unknown;
    for (const key of this.keys) {
      try {
        return decrypt(key, value, context);
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  /** Sealed with an older key (or before key ids): re-encryption should reseal it. */
  isStale(value: EncryptedValue): boolean {
    return value.kid !== this.currentKeyId;
  }
}

function decrypt(key: Key, value: EncryptedValue, context: string): string {
  const tag = Buffer.from(value.tag, 'base64');
  if (tag.length !== AUTH_TAG_LENGTH) throw new Error('the authentication tag of a secret has the wrong length');
  const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(value.iv, 'base64'), { authTagLength: AUTH_TAG_LENGTH });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(Buffer.from(value.data, 'base64')), decipher.final()]).toString('utf8');
}

export function isEncryptedValue(value: unknown): value is EncryptedValue {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (v.v === 1 || v.v === 2) && typeof v.iv === 'string' && typeof v.tag === 'string' && typeof v.data === 'string';
}

export function generateSecretKey(): string {
  return randomBytes(32).toString('base64');
}
