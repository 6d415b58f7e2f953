import type { Db } from 'mongodb';

/**
 * The `smaregi_contracts` collection: one claim per Smaregi contract (_id = contract id), naming the
 * tenant that holds it. Binding is src/storage/smaregi-contracts.ts; the tenant look-ups of
 * src/storage/tenants.ts start from a claim. A module of its own, so that tenants.ts need not import
 * smaregi-contracts.ts, which imports it (no import cycle).
 */
export interface ContractClaim {
  _id: string;
  tenantId: string;
  claimedAt: Date;
}

export const contractClaims = (db: Db) => db.collection<ContractClaim>('smaregi_contracts');

/** The tenant holding the contract's claim (a plain _id look-up, the cheap kind on FerretDB); the tenant's own field confirms it. */
export async function contractClaimant(db: Db, contractId: string): Promise<string | null> {
  return (await contractClaims(db).findOne({ _id: contractId }))?.tenantId ?? null;
}
