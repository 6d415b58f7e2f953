import { codeAsFieldName } from './db';

/**
 * Per-tenant bucket documents: a set of keys (item codes, product ids, order numbers) spread over a fixed
 * number of documents addressed by _id, so a tenant's set of any size is a few dozen single-document
 * reads and writes, and FerretDB (which cannot use secondary indexes) never scans a large collection.
 */

/** FNV-1a: a stable bucket for a key. */
export function bucketOf(key: string, buckets: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % buckets;
}

/** Keys become field names: escape what MongoDB reads as path syntax. */
export const fieldOf = codeAsFieldName;

const UNESCAPED: Record<string, string> = { '%25': '%', '%2E': '.', '%24': '$' };
/** The key a field name was made from (inverse of fieldOf). */
export const keyOf = (field: string) => field.replace(/%(25|2E|24)/g, (escaped) => UNESCAPED[escaped]!);

export const bucketId = (tenantId: string, bucket: number) => `${tenantId}:${bucket}`;

/** Every bucket _id of a tenant. */
export const bucketIds = (tenantId: string, buckets: number) => Array.from({ length: buckets }, (_, b) => bucketId(tenantId, b));

/** Keys grouped by their bucket _id. */
export function byBucket(tenantId: string, keys: Iterable<string>, buckets: number): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const key of keys) {
    const id = bucketId(tenantId, bucketOf(key, buckets));
    const group = grouped.get(id);
    if (group) group.push(key);
    else grouped.set(id, [key]);
  }
  return grouped;
}
