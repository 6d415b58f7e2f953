import type { Db } from 'mongodb';
import { codeAsFieldName } from './db';

/**
 * Per tenant, one document read by _id: how many pushes in a row MakeShop refused each item (by the code
 * its alert names). Only refused items are listed, so it stays small unless MakeShop refuses much.
 */
export interface ItemRefusalsDoc {
  _id: string; // tenantId
  streaks: Record<string, number>;
}

export const itemRefusals = (db: Db) => db.collection<ItemRefusalsDoc>('item_refusals');

/**
 * Records one push: each refused item's streak grows by one, each accepted item's streak ends. Returns
 * the refused items' streaks. Pushes of a tenant run one at a time (its workflow), so read-then-write holds.
 */
export async function countItemRefusals(db: Db, tenantId: string, refused: string[], accepted: string[]): Promise<Map<string, number>> {
  const streaks = (await itemRefusals(db).findOne({ _id: tenantId }))?.streaks ?? {};
  const result = new Map<string, number>();
  const set: Record<string, number> = {};
  for (const code of refused) {
    const streak = (streaks[codeAsFieldName(code)] ?? 0) + 1;
    result.set(code, streak);
    set[`streaks.${codeAsFieldName(code)}`] = streak;
  }
  const unset: Record<string, ''> = {};
  for (const code of accepted) if (streaks[codeAsFieldName(code)] !== undefined) unset[`streaks.${codeAsFieldName(code)}`] = '';
  const update = { ...(refused.length > 0 && { $set: set }), ...(Object.keys(unset).length > 0 && { $unset: unset }) };
  if (Object.keys(update).length > 0) await itemRefusals(db).updateOne({ _id: tenantId }, update, { upsert: true });
  return result;
}
