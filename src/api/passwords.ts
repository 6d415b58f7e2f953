import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { PRODUCTION_PASSWORD_HASH_LOG2N } from '../config';

/**
 * Merchant account passwords: salted scrypt, stored as `scrypt$N$r$p$salt$hash` so the cost can grow;
 * a login with a hash of another cost rehashes it (needsRehash). N = 2^17 (128 MiB, ~0.2–2 s on a
 * busy 2-core machine); the test suite lowers it through PASSWORD_HASH_LOG2N, production refuses that.
 */
const R = 8;
const P = 1;
const KEY_LENGTH = 64;
let log2N = PRODUCTION_PASSWORD_HASH_LOG2N;

/** Set once from the configuration (createApp). */
export function setPasswordHashCost(cost: number): void {
  log2N = cost;
}

function derive(password: string, salt: Buffer, params: Required<Pick<ScryptOptions, 'N' | 'r' | 'p'>>): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; the default maxmem (32 MiB) would refuse N = 2^17.
  const maxmem = 2 * 128 * params.N * params.r;
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { ...params, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const N = 2 ** log2N;
  const hash = await derive(password, salt, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash made with other parameters than today's: rehash it at the next successful login. */
export function needsRehash(stored: string): boolean {
  const [scheme, n, r, p] = stored.split('$');
  return scheme !== 'scrypt' || Number(n) !== 2 ** log2N || Number(r) !== R || Number(p) !== P;
}

/** Spends the same time as a real check, so a login for an unknown email is not faster. */
const dummyHashes = new Map<number, Promise<string>>();
export async function verifyAgainstDummy(password: string): Promise<false> {
  let dummy = dummyHashes.get(log2N);
  if (!dummy) dummyHashes.set(log2N, (dummy = hashPassword(randomBytes(16).toString('hex'))));
  await verifyPassword(password, await dummy);
  return false;
}
