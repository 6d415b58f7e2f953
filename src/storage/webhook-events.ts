import { MongoBulkWriteError, type Db } from 'mongodb';

/**
 * De-duplication of platform webhooks (DESIGN §7 `webhook_events`). A delivery claims its event id
 * (unique _id) before handing the event to Temporal. A claim is a lease: repeats within it are
 * duplicates; if the api died between claim and signal, or could not release the claim after a failed
 * signal, a redelivery after the lease takes the event over instead of being answered "duplicate" and
 * lost. A claim whose signal went through is not marked afterwards: that write was a second FerretDB
 * round trip (a scan of the whole collection there, `_id: {$in}`) on every webhook's path, and what it bought is small — a
 * redelivery later than the lease (Smaregi redelivers only what was not answered 200) signals again,
 * the workflow drops event ids it remembers, and at worst its products' targets are pushed once more.
 * Old claims marked `settled` (written before this change) stay duplicates for good.
 */
interface WebhookEventDocument {
  _id: string;
  at: Date;
  settled?: boolean;
  leaseUntil?: Date;
}

export type ClaimOutcome = 'accepted' | 'duplicate';

/** Longer than any signal may take (the sender's timeout is ~3 s). */
export const CLAIM_LEASE_MS = 30_000;

export const WEBHOOK_EVENT_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['webhook_events', { at: 1 }, { expireAfterSeconds: 7 * 24 * 3600 }],
];

const events = (db: Db) => db.collection<WebhookEventDocument>('webhook_events');

/** First delivery of an event id wins; later ones, and repeats within the batch, are duplicates unless the first one's lease ran out. */
export async function claimEvents(db: Db, ids: string[], now = new Date()): Promise<ClaimOutcome[]> {
  const leaseUntil = new Date(now.getTime() + CLAIM_LEASE_MS);
  const taken = new Set<number>();
  try {
    await events(db).insertMany(
      ids.map((_id) => ({ _id, at: now, settled: false, leaseUntil })),
      { ordered: false },
    );
  } catch (err) {
    if (!(err instanceof MongoBulkWriteError)) throw err;
    const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    for (const e of writeErrors) {
      if (e.code !== 11000) throw err;
      taken.add(e.index);
    }
  }
  const outcomes: ClaimOutcome[] = [];
  const claimedHere = new Set<string>();
  for (const [i, id] of ids.entries()) {
    if (!taken.has(i)) {
      outcomes.push(claimedHere.has(id) ? 'duplicate' : 'accepted');
      claimedHere.add(id);
      continue;
    }
    const expired = claimedHere.has(id)
      ? null
      : await events(db).updateOne({ _id: id, settled: false, leaseUntil: { $lte: now } }, { $set: { at: now, leaseUntil } });
    const won = (expired?.modifiedCount ?? 0) === 1;
    if (won) claimedHere.add(id);
    outcomes.push(won ? 'accepted' : 'duplicate');
  }
  return outcomes;
}

/** The signal failed: the senders' retries must be accepted (if this fails too, the lease expires). */
export async function releaseClaims(db: Db, ids: string[]): Promise<void> {
  if (ids.length > 0) await events(db).deleteMany({ _id: { $in: ids }, settled: false });
}
