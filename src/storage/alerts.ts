import { MongoBulkWriteError, MongoServerError, type AnyBulkWriteOperation, type Db } from 'mongodb';
import {
  ALERT_DEFINITIONS,
  alertId,
  mailboxOf,
  type AlertAudience,
  type AlertEvent,
  type AlertKind,
  type PendingNotice,
} from '../domain/alerts';
import { findByIds } from './db';

/**
 * Alerts, one document per (mailbox, kind, subject) under a deterministic _id: raising an open alert
 * again, resolving it, re-opening it later are single-document writes by _id (FerretDB has no
 * transactions and scans for anything but _id). A mailbox document per tenant (and one for the
 * operators) lists the open alerts and the notices waiting for mail, so the hot paths never query.
 */
export interface AlertDoc {
  _id: string;
  mailbox: string;
  tenantId: string;
  audience: AlertAudience;
  kind: AlertKind;
  subject: string;
  message: string;
  openedAt: Date;
  resolvedAt: Date | null;
  lastSeenAt: Date;
  occurrences: number;
  read: boolean;
}

export interface MailboxDoc {
  _id: string;
  /** Ids of the open alerts. */
  open: string[];
  /** Notices not mailed yet, as `${event} ${kind} ${alertId}`. */
  pending: string[];
  /** Epoch ms of the last mail per kind. */
  lastMailAt: Partial<Record<AlertKind, number>>;
  /** Since when the sync has been unable to push (cleared by a push that succeeds). */
  pushFailingSince?: Date | null;
  /** The OpenAlerts value last written to the tenant's sync workflow. */
  openCountAt?: Date;
}

export const alerts = (db: Db) => db.collection<AlertDoc>('alerts');
export const mailboxes = (db: Db) => db.collection<MailboxDoc>('alert_mailboxes');

/** Resolved alerts stay listed ("recent") for this long, then the purge removes them. */
export const RESOLVED_ALERT_TTL_SECONDS = 30 * 24 * 3600;

export const ALERT_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['alerts', { tenantId: 1, openedAt: -1 }, {}],
  ['alerts', { audience: 1, openedAt: -1 }, {}],
  ['alerts', { resolvedAt: 1 }, { expireAfterSeconds: RESOLVED_ALERT_TTL_SECONDS }],
];

const encodeNotice = (n: PendingNotice) => `${n.event} ${n.kind} ${n.alertId}`;

export function decodeNotice(text: string): PendingNotice {
  const [event, kind] = text.split(' ', 2) as [PendingNotice['event'], AlertKind];
  return { event, kind, alertId: text.slice(event.length + kind.length + 2) };
}

export type AlertChange = 'opened' | 'reopened' | 'unchanged' | 'resolved';

/**
 * Opens the alerts, or notes them again while they are open (one mail per opening, never per
 * occurrence). Informational kinds are recorded once per subject, already resolved. Safe to repeat:
 * a retried activity changes nothing. A few round trips whatever the number of events, so a push
 * that MakeShop refused for a thousand items records a thousand alerts quickly.
 */
export async function raiseAlerts(
  db: Db,
  tenantId: string,
  events: AlertEvent[],
  now = new Date(),
): Promise<{ id: string; kind: AlertKind; change: AlertChange }[]> {
  const wanted = new Map(events.map((e) => [alertId(mailboxOf(e.kind, tenantId), e.kind, e.subject), e]));
  if (wanted.size === 0) return [];
  const existing = new Map((await findByIds(alerts(db), wanted.keys())).map((d) => [d._id, d]));
  const opening = (message: string, kind: AlertKind) => ({
    message,
    openedAt: now,
    resolvedAt: ALERT_DEFINITIONS[kind].informational ? now : null,
    lastSeenAt: now,
    occurrences: 1,
    read: false,
  });
  const results: { id: string; kind: AlertKind; change: AlertChange }[] = [];
  const writes: AnyBulkWriteOperation<AlertDoc>[] = [];
  // The write that opened each result (an unchanged informational alert has none): the bulk write's
  // error indexes are positions in `writes`, not in `results`.
  const openingWrite = new Map<number, number>();
  for (const [id, { kind, subject, message }] of wanted) {
    const doc = existing.get(id);
    const informational = ALERT_DEFINITIONS[kind].informational === true;
    if (!doc) {
      const mailbox = mailboxOf(kind, tenantId);
      const audience = ALERT_DEFINITIONS[kind].audience;
      openingWrite.set(results.length, writes.length);
      writes.push({ insertOne: { document: { _id: id, mailbox, tenantId, audience, kind, subject, ...opening(message, kind) } } });
      results.push({ id, kind, change: 'opened' });
    } else if (doc.resolvedAt !== null && !informational) {
      // Guarded by resolvedAt: of two concurrent re-raises only one re-opens.
      openingWrite.set(results.length, writes.length);
      writes.push({ updateOne: { filter: { _id: id, resolvedAt: doc.resolvedAt }, update: { $set: opening(message, kind) } } });
      results.push({ id, kind, change: 'reopened' });
    } else {
      if (!informational) writes.push({ updateOne: { filter: { _id: id, resolvedAt: null }, update: { $set: { message, lastSeenAt: now }, $inc: { occurrences: 1 } } } });
      results.push({ id, kind, change: 'unchanged' });
    }
  }
  const failedIndexes = await bulkWriteIgnoringDuplicates(db, writes);
  const changed = results.filter((r, i) => r.change !== 'unchanged' && !failedIndexes.has(openingWrite.get(i)!));
  for (const r of results) if (!changed.includes(r)) r.change = 'unchanged';

  const byMailbox = new Map<string, { open: string[]; pending: string[] }>();
  for (const [id, { kind }] of wanted) {
    const entry = byMailbox.get(mailboxOf(kind, tenantId)) ?? { open: [], pending: [] };
    // Open ids are (re-)added even when unchanged: a retry after a crash between the writes repairs the list.
    if (!ALERT_DEFINITIONS[kind].informational) entry.open.push(id);
    byMailbox.set(mailboxOf(kind, tenantId), entry);
  }
  for (const r of changed) byMailbox.get(mailboxOf(r.kind, tenantId))!.pending.push(encodeNotice({ alertId: r.id, kind: r.kind, event: 'opened' }));
  for (const [mailbox, { open, pending }] of byMailbox) {
    await mailboxes(db).updateOne(
      { _id: mailbox },
      { $addToSet: { open: { $each: open }, pending: { $each: pending } }, $setOnInsert: { lastMailAt: {} } },
      { upsert: true },
    );
  }
  return results;
}

/** Indexes of the writes that lost to a concurrent insert of the same alert (that writer queues its mail). */
async function bulkWriteIgnoringDuplicates(db: Db, writes: AnyBulkWriteOperation<AlertDoc>[]): Promise<Set<number>> {
  if (writes.length === 0) return new Set();
  try {
    await alerts(db).bulkWrite(writes, { ordered: false });
    return new Set();
  } catch (err) {
    if (!(err instanceof MongoBulkWriteError)) throw err;
    const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    if (errors.some((e) => e.code !== 11000)) throw err;
    return new Set(errors.map((e) => e.index));
  }
}

/** Resolves those of the alerts that are open and queues their short "resolved" notices; returns the ids resolved. */
export async function resolveAlerts(db: Db, ids: string[], now = new Date()): Promise<string[]> {
  if (ids.length === 0) return [];
  const open = (await findByIds(alerts(db), ids, { projection: { mailbox: 1, kind: 1, resolvedAt: 1 } })).filter((d) => d.resolvedAt === null);
  const resolved: AlertDoc[] = [];
  for (const doc of open) {
    // One by one, guarded: of two concurrent resolutions only one queues the notice.
    const res = await alerts(db).updateOne({ _id: doc._id, resolvedAt: null }, { $set: { resolvedAt: now } });
    if (res.modifiedCount === 1) resolved.push(doc);
  }
  const mailboxIds = new Set([...resolved.map((d) => d.mailbox)]);
  for (const mailbox of mailboxIds) {
    const mine = resolved.filter((d) => d.mailbox === mailbox);
    await mailboxes(db).updateOne(
      { _id: mailbox },
      {
        // $pullAll, not $pull with $in: FerretDB 1.24 ignores the latter.
        $pullAll: { open: mine.map((d) => d._id) },
        $addToSet: { pending: { $each: mine.map((d) => encodeNotice({ alertId: d._id, kind: d.kind, event: 'resolved' })) } },
      },
    );
  }
  return resolved.map((d) => d._id);
}

export async function readMailbox(db: Db, mailbox: string): Promise<MailboxDoc | null> {
  return mailboxes(db).findOne({ _id: mailbox });
}

/** Ids of the mailbox's open alerts of one kind (from the mailbox document: no query over alerts). */
export async function openAlertIds(db: Db, mailbox: string, kind: AlertKind): Promise<string[]> {
  const prefix = alertId(mailbox, kind, '');
  return ((await readMailbox(db, mailbox))?.open ?? []).filter((id) => id.startsWith(prefix));
}

export async function alertsById(db: Db, ids: string[]): Promise<AlertDoc[]> {
  if (ids.length === 0) return [];
  return findByIds(alerts(db), ids);
}

/** After the mail went out: the notices leave the queue and the kinds' windows start now. */
export async function recordMailed(db: Db, mailbox: string, sent: { kind: AlertKind; notices: PendingNotice[] }[], now: number): Promise<void> {
  if (sent.length === 0) return;
  const lastMailAt = Object.fromEntries(sent.map((s) => [`lastMailAt.${s.kind}`, now]));
  await mailboxes(db).updateOne(
    { _id: mailbox },
    { $pullAll: { pending: sent.flatMap((s) => s.notices.map(encodeNotice)) }, $set: lastMailAt },
  );
}

/** Drops notices nobody can receive (no verified address chose the kind), so they do not wait forever. */
export async function dropNotices(db: Db, mailbox: string, notices: PendingNotice[]): Promise<void> {
  if (notices.length === 0) return;
  await mailboxes(db).updateOne({ _id: mailbox }, { $pullAll: { pending: notices.map(encodeNotice) } });
}

/** Open and recent (resolved within `recentMs`) alerts of one audience, newest first. */
export async function listAlerts(
  db: Db,
  filter: { tenantId?: string; audience: AlertAudience; openOnly?: boolean },
  opts: { recentMs: number; limit: number; now?: number },
): Promise<AlertDoc[]> {
  const since = new Date((opts.now ?? Date.now()) - opts.recentMs);
  return alerts(db)
    .find({
      audience: filter.audience,
      ...(filter.tenantId !== undefined && { tenantId: filter.tenantId }),
      ...(filter.openOnly ? { resolvedAt: null } : { $or: [{ resolvedAt: null }, { resolvedAt: { $gte: since } }] }),
    })
    .sort({ openedAt: -1, _id: 1 })
    .limit(opts.limit)
    .toArray();
}

/** Marks a merchant's alert read; false when it is not this tenant's (the caller answers 404). */
export async function markAlertRead(db: Db, tenantId: string, id: string): Promise<boolean> {
  const res = await alerts(db).updateOne({ _id: id, tenantId, audience: 'merchant' }, { $set: { read: true } });
  return res.matchedCount === 1;
}

/** Notes the first failed push of a streak; returns since when pushes have been failing. */
export async function notePushFailing(db: Db, tenantId: string, now = new Date()): Promise<Date> {
  await mailboxes(db).updateOne(
    { _id: tenantId, pushFailingSince: { $in: [null] } },
    { $set: { pushFailingSince: now } },
  );
  const doc = await mailboxes(db).findOne({ _id: tenantId }, { projection: { pushFailingSince: 1 } });
  if (doc?.pushFailingSince) return doc.pushFailingSince;
  // No mailbox yet: create it with the streak starting now.
  await mailboxes(db)
    .insertOne({ _id: tenantId, open: [], pending: [], lastMailAt: {}, pushFailingSince: now })
    .catch((err: unknown) => {
      if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
    });
  return (await mailboxes(db).findOne({ _id: tenantId }, { projection: { pushFailingSince: 1 } }))?.pushFailingSince ?? now;
}

export async function clearPushFailing(db: Db, tenantId: string): Promise<void> {
  await mailboxes(db).updateOne({ _id: tenantId, pushFailingSince: { $ne: null } }, { $set: { pushFailingSince: null } });
}

/** Open alerts per audience and kind, for the metrics (one scan per scrape). */
export async function countOpenAlerts(db: Db): Promise<{ audience: AlertAudience; kind: AlertKind; count: number }[]> {
  const rows = await alerts(db)
    .aggregate<{ _id: { audience: AlertAudience; kind: AlertKind }; count: number }>([
      { $match: { resolvedAt: null } },
      { $group: { _id: { audience: '$audience', kind: '$kind' }, count: { $sum: 1 } } },
    ])
    .toArray();
  return rows.map((r) => ({ audience: r._id.audience, kind: r._id.kind, count: r.count }));
}
