import { MongoServerError, type Db } from 'mongodb';

/**
 * Login (and sign-up) attempts in fixed windows, in MongoDB so every api replica agrees; a new window
 * is a new set of documents, so there is no reset race. FerretDB has no TTL indexes: readers only ever
 * touch the current window and logins purge old ones.
 *
 * Limits are enforced with slots: an attempt must insert the document `<key>@<window>#<n>` for some
 * n ≤ limit, and the unique _id makes each insert atomic even on FerretDB, whose read-modify-write
 * updates ($inc) can lose increments under concurrency (measured: 15 of a 12-attempt budget got
 * through a 30-request burst). So a parallel burst gets exactly as many attempts as a serial one. A
 * `#top` document remembers the highest slot taken, as a hint where to start (a stale hint only costs
 * a few refused inserts).
 */
interface LoginAttemptDocument {
  _id: string;
  attempts: number;
  windowEndsAt: Date;
}

export const LOGIN_ATTEMPT_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['login_attempts', { windowEndsAt: 1 }, { expireAfterSeconds: 0 }],
];

const attemptsCollection = (db: Db) => db.collection<LoginAttemptDocument>('login_attempts');

export interface AttemptWindow {
  id: string;
  windowEndsAt: Date;
}

export function attemptWindow(key: string, windowMs: number, now: Date): AttemptWindow {
  const start = Math.floor(now.getTime() / windowMs) * windowMs;
  return { id: `${key}@${start}`, windowEndsAt: new Date(start + windowMs) };
}

const isDuplicateKey = (err: unknown) => err instanceof MongoServerError && err.code === 11000;

/** Takes one of the window's `limit` slots; false when all are taken (the attempt is refused, not counted). */
export async function takeAttemptSlot(db: Db, window: AttemptWindow, limit: number): Promise<boolean> {
  const attempts = attemptsCollection(db);
  const top = `${window.id}#top`;
  const hint = (await attempts.findOne({ _id: top }))?.attempts ?? 0;
  for (let slot = hint + 1; slot <= limit; slot++) {
    try {
      await attempts.insertOne({ _id: `${window.id}#${slot}`, attempts: slot, windowEndsAt: window.windowEndsAt });
    } catch (err) {
      if (isDuplicateKey(err)) continue;
      throw err;
    }
    await attempts
      .updateOne({ _id: top }, { $max: { attempts: slot }, $setOnInsert: { windowEndsAt: window.windowEndsAt } }, { upsert: true })
      .catch((err: unknown) => {
        if (!isDuplicateKey(err)) throw err;
      });
    return true;
  }
  return false;
}

/** Frees every slot of the window (the account's owner logged in from this address). */
export async function freeAttemptSlots(db: Db, window: AttemptWindow, limit: number): Promise<void> {
  const ids = [`${window.id}#top`, ...Array.from({ length: limit }, (_, i) => `${window.id}#${i + 1}`)];
  await attemptsCollection(db).deleteMany({ _id: { $in: ids } });
}

/**
 * Counts one attempt and returns the count including it. Approximate on FerretDB (concurrent
 * increments may be lost): use it only where an undercount is harmless (the per-account delay).
 */
export async function countAttempt(db: Db, window: AttemptWindow): Promise<number> {
  const increment = () =>
    attemptsCollection(db).findOneAndUpdate(
      { _id: window.id },
      { $inc: { attempts: 1 }, $setOnInsert: { windowEndsAt: window.windowEndsAt } },
      { upsert: true, returnDocument: 'after' },
    );
  let doc;
  try {
    doc = await increment();
  } catch (err) {
    // Two requests inserting the same window at once: the loser's increment now finds the document.
    if (!isDuplicateKey(err)) throw err;
    doc = await increment();
  }
  return doc?.attempts ?? 1;
}

/** Takes one attempt back (a successful login is not a failure). */
export async function uncountAttempt(db: Db, window: AttemptWindow): Promise<void> {
  await attemptsCollection(db).updateOne({ _id: window.id, attempts: { $gt: 0 } }, { $inc: { attempts: -1 } });
}

export async function purgeExpiredAttempts(db: Db, now: Date): Promise<void> {
  await attemptsCollection(db).deleteMany({ windowEndsAt: { $lte: now } });
}
