import type { Db } from 'mongodb';

/** Per tenant, one small document read by _id: when MakeShop's stock was last checked for drift. */
export interface DriftRepairDoc {
  _id: string; // tenantId
  repairedAt: Date;
}

export const driftRepairs = (db: Db) => db.collection<DriftRepairDoc>('drift_repairs');

/**
 * True when the last drift repair is at least `intervalMs` old. A tenant never checked starts its clock
 * now instead: 稼働 and catalog activation have just pushed everything.
 */
export async function driftRepairDue(db: Db, tenantId: string, intervalMs: number, now: Date): Promise<boolean> {
  const doc = await driftRepairs(db).findOne({ _id: tenantId });
  if (!doc) {
    await recordDriftRepair(db, tenantId, now);
    return false;
  }
  return now.getTime() - doc.repairedAt.getTime() >= intervalMs;
}

export async function recordDriftRepair(db: Db, tenantId: string, at: Date): Promise<void> {
  await driftRepairs(db).updateOne({ _id: tenantId }, { $set: { repairedAt: at } }, { upsert: true });
}
