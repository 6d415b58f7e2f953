import { MongoServerError, type Db } from 'mongodb';

/**
 * Login attempts counted in fixed windows, one small document per key and window (`<key>@<window
 * start>`), in MongoDB so every api replica agrees. An attempt is counted with one atomic
 * upsert-and-increment BEFORE the password is checked, so parallel attempts each see their own count
 * and a burst gets no more guesses than a serial run. A new window is a new document: no reset race.
 * FerretDB has no TTL indexes, so readers only ever touch the current window and logins purge old ones.
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

/** Counts one attempt and returns the count including it. */
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
    if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
    doc = await increment();
  }
  return doc?.attempts ?? 1;
}

/** Takes one attempt back (a successful login is not a failure). */
export async function uncountAttempt(db: Db, window: AttemptWindow): Promise<void> {
  await attemptsCollection(db).updateOne({ _id: window.id, attempts: { $gt: 0 } }, { $inc: { attempts: -1 } });
}

export async function forgetAttempts(db: Db, window: AttemptWindow): Promise<void> {
  await attemptsCollection(db).deleteOne({ _id: window.id });
}

export async function purgeExpiredAttempts(db: Db, now: Date): Promise<void> {
  await attemptsCollection(db).deleteMany({ windowEndsAt: { $lte: now } });
}
