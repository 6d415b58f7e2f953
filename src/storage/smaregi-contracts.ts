import { MongoServerError, type Db } from 'mongodb';
import { contractClaims as claims } from './contract-claims';
import { tenantsCollection } from './tenants';

/**
 * One tenant per Smaregi contract. `smaregi_contracts` (_id = contract id, so the unique index is the
 * primary key on MongoDB and FerretDB alike) is the lock; the tenant's `smaregiContractId` is written
 * only by its holder, after the claim, and is what the rest of the service reads. No transactions:
 * every step is one conditional single-document write and the whole sequence can be retried.
 */
export const SMAREGI_CONTRACT_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [['smaregi_contracts', { tenantId: 1 }, {}]];

export type ContractProof = 'smaregi-id' | 'operator';

export type BindOutcome =
  | { kind: 'bound'; alreadyBound: boolean; releasedFrom: string | null }
  /** Another tenant holds the contract with a proven binding. */
  | { kind: 'held-by-other' }
  /** This tenant is already bound to a different contract. */
  | { kind: 'tenant-has-other-contract' };

/**
 * Binds `contractId` to `tenantId` after its ownership was proven (スマレジID login by the owner, or an
 * operator who checked). A proven owner takes the contract from a tenant that held it without proof
 * (created before the rule); a proven holder is never displaced.
 */
export async function bindContract(db: Db, tenantId: string, contractId: string, proof: ContractProof, now: Date): Promise<BindOutcome> {
  const tenants = tenantsCollection(db);
  const tenant = await tenants.findOne({ _id: tenantId }, { projection: { smaregiContractId: 1, smaregiContractConfirmed: 1 } });
  if (!tenant) throw new Error(`unknown tenant ${tenantId}`);
  if (tenant.smaregiContractId !== undefined && tenant.smaregiContractId !== contractId) return { kind: 'tenant-has-other-contract' };

  let releasedFrom: string | null = null;
  const holder = await tenants.findOne({ smaregiContractId: contractId, _id: { $ne: tenantId } }, { projection: { smaregiContractConfirmed: 1 } });
  if (holder) {
    if (holder.smaregiContractConfirmed || proof !== 'smaregi-id') return { kind: 'held-by-other' };
    const released = await tenants.updateOne(
      { _id: holder._id, smaregiContractId: contractId, smaregiContractConfirmed: { $exists: false } },
      { $unset: { smaregiContractId: '' }, $set: { smaregiContractReleasedAt: now, active: false } },
    );
    if (released.modifiedCount === 0) return { kind: 'held-by-other' };
    releasedFrom = holder._id;
  }
  if (!(await claim(db, tenantId, contractId, now))) return { kind: 'held-by-other' };

  const bound = await tenants.updateOne(
    { _id: tenantId, $or: [{ smaregiContractId: { $exists: false } }, { smaregiContractId: contractId }] },
    { $set: { smaregiContractId: contractId, smaregiContractConfirmed: { at: now, by: proof } }, $unset: { smaregiContractReleasedAt: '' } },
  );
  if (bound.matchedCount === 0) return { kind: 'tenant-has-other-contract' };
  return { kind: 'bound', alreadyBound: tenant.smaregiContractConfirmed !== undefined && tenant.smaregiContractId === contractId, releasedFrom };
}

/** Takes the claim; a claim whose tenant no longer holds the contract (released, or a bind cut short) is taken over. */
async function claim(db: Db, tenantId: string, contractId: string, now: Date): Promise<boolean> {
  try {
    await claims(db).insertOne({ _id: contractId, tenantId, claimedAt: now });
    return true;
  } catch (err) {
    if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
  }
  const current = await claims(db).findOne({ _id: contractId });
  if (!current) return false;
  if (current.tenantId === tenantId) return true;
  const stillHeld = await tenantsCollection(db).findOne({ _id: current.tenantId, smaregiContractId: contractId }, { projection: { _id: 1 } });
  if (stillHeld) return false;
  const taken = await claims(db).updateOne({ _id: contractId, tenantId: current.tenantId }, { $set: { tenantId, claimedAt: now } });
  return taken.modifiedCount === 1;
}

/** The tenant whose contract this is, bound or not yet proven; null when none. */
export async function contractHolder(db: Db, contractId: string): Promise<{ tenantId: string; confirmed: boolean } | null> {
  const holder = await tenantsCollection(db).findOne({ smaregiContractId: contractId }, { projection: { smaregiContractConfirmed: 1 } });
  return holder && { tenantId: holder._id, confirmed: holder.smaregiContractConfirmed !== undefined };
}
