import { randomBytes } from 'node:crypto';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import { applicationShopIdOf } from '../domain/onboarding';
import type { OrderImportMethod, StockSettings, SyncState } from '../domain/sync';
import type { StoredOnboardingProgress, StoredSyncConfiguration } from '../domain/workflow-records';
import { activeCatalog } from './catalog-items';
import { contractClaimant } from './contract-claims';
import {
  initialOnboardingState,
  nextOpenStep,
  readinessOf,
  stepStatuses,
  STEP_KEYS,
  type NextStep,
  type OnboardingState,
  type StepStatuses,
} from '../domain/onboarding';

/**
 * One merchant (DESIGN §7 `tenants`). `onboarding` is written only by the onboarding workflow (through
 * its activity), after the api wrote revision 0 at sign-up; the api writes the rest.
 */
export interface TenantDocument {
  _id: string;
  /** Lower-cased; unique. */
  email: string;
  passwordHash: string;
  shopName: string;
  /**
   * Set only once the contract is bound (src/storage/smaregi-contracts.ts): after スマレジID login by
   * its owner, or on tenants created before that rule. One tenant per contract (smaregi_contracts).
   */
  smaregiContractId?: string;
  /** How the binding was proven. Absent on a tenant created before the rule: it must confirm before its next 稼働. */
  smaregiContractConfirmed?: { at: Date; by: 'smaregi-id' | 'operator' };
  /** Set when a proven owner took over a contract this (unconfirmed) tenant held. */
  smaregiContractReleasedAt?: Date;
  /** Signed up with an email another account already uses: no password login (sign-up does not reveal known emails). */
  emailTaken?: boolean;
  /** false after the App Market subscription ended or was force-stopped. */
  active: boolean;
  createdAt: Date;
  /**
   * The {token} of the MakeShop 更新通知 URL. Kept in plain text (unique index) rather than hashed:
   * the merchant must be able to see the URL again to paste it, and the token only lets a caller
   * ask us to re-read an order from MakeShop, which verifies it; anyone who can read this
   * collection can already do far more.
   */
  notificationToken: string;
  stockSettings?: StockSettings & { updatedAt: Date };
  /** How orders are imported; absent = 'shipment' (the seed's method). */
  orderImportMethod?: OrderImportMethod;
  onboarding: OnboardingProgressDocument;
  /** 稼働/停止 as the merchant last set it: written by the sync workflow before it answers. */
  sync?: { state: SyncState; stoppedByLostLink?: boolean; updatedAt: Date };
  alerts?: { applicationWaitingTooLong?: { reportedAt: Date; waitingSince: string } };
}

export interface OnboardingProgressDocument {
  revision: number;
  state: OnboardingState;
  /** Derived from `state`, kept for operators' filters and the /metrics gauges. */
  steps: StepStatuses;
  nextStep: NextStep;
  updatedAt: Date;
}

/** What other features need to know about a tenant (no password hash, no tokens). */
export interface TenantSummary {
  tenantId: string;
  shopName: string;
  smaregiContractId: string | null;
  active: boolean;
  /** Step 2's shop ID, when the merchant gave it. */
  makeshopShopId: string | null;
}

/**
 * `email`, `smaregiContractId` and `notificationToken` are only ever strings: the embedded FerretDB searches an
 * equality on them through these indexes (scripts/ferretdb/zaiko_field_pushdown.go), which would miss an array.
 */
export const TENANT_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [
  ['tenants', { email: 1 }, { unique: true }],
  // Not unique: unlinked tenants have no contract; smaregi_contracts (_id = contract id) keeps one tenant per contract.
  ['tenants', { smaregiContractId: 1 }, {}],
  ['tenants', { notificationToken: 1 }, { unique: true }],
  ['tenants', { 'onboarding.nextStep': 1 }, {}],
  ['tenants', { createdAt: 1 }, {}],
];

export const tenantsCollection = (db: Db): Collection<TenantDocument> => db.collection<TenantDocument>('tenants');

const SUMMARY_PROJECTION = { shopName: 1, smaregiContractId: 1, active: 1, 'onboarding.state.application.form.shopId': 1 } as const;

function toSummary(doc: Pick<TenantDocument, '_id' | 'shopName' | 'smaregiContractId' | 'active' | 'onboarding'>): TenantSummary {
  return {
    tenantId: doc._id,
    shopName: doc.shopName,
    smaregiContractId: doc.smaregiContractId ?? null,
    active: doc.active,
    makeshopShopId: applicationShopIdOf(doc.onboarding?.state),
  };
}

export const newTenantId = () => `tn_${randomBytes(10).toString('hex')}`;
/** `{tenantId}.{random}`: the secret part is the random one; the tenant id only spares the look-up a scan (see above). */
export const newNotificationToken = (tenantId: string) => `${tenantId}.${randomBytes(24).toString('base64url')}`;
const tenantIdOfToken = (token: string): string | null => {
  const dot = token.indexOf('.');
  return dot > 0 ? token.slice(0, dot) : null;
};
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export function initialProgress(tenantId: string, now: Date): OnboardingProgressDocument {
  return progressDocument(initialOnboardingState(tenantId), now);
}

function progressDocument(state: OnboardingState, now: Date): OnboardingProgressDocument {
  return { revision: state.revision, state, steps: stepStatuses(state), nextStep: nextOpenStep(state), updatedAt: now };
}

/** Inserts the tenant; false when the email is taken (the unique index decides races). */
export async function insertTenant(db: Db, tenant: TenantDocument): Promise<boolean> {
  try {
    await tenantsCollection(db).insertOne(tenant);
    return true;
  } catch (err) {
    if (err instanceof MongoServerError && err.code === 11000) return false;
    throw err;
  }
}

/** The email slot of an account whose requested email was taken: unique, and no address anyone can log in with. */
export const unusableEmailOf = (tenantId: string) => `${tenantId}@email-taken.invalid`;

export async function deleteTenant(db: Db, tenantId: string): Promise<void> {
  await tenantsCollection(db).deleteOne({ _id: tenantId });
}

export async function findTenantById(db: Db, tenantId: string): Promise<TenantDocument | null> {
  return tenantsCollection(db).findOne({ _id: tenantId });
}

export async function findTenantByEmail(db: Db, email: string): Promise<TenantDocument | null> {
  return tenantsCollection(db).findOne({ email: normalizeEmail(email) });
}

/*
 * The webhook routes find a tenant by its Smaregi contract or its notification token on every cache miss.
 * Both start from an _id, the cheapest look-up on every server: the contract's claim (smaregi_contracts,
 * _id = contract id) names its tenant, and a notification token carries its tenant's id; the tenant's own
 * document then confirms the field. Only what these cannot answer (tenants bound before claims existed,
 * tokens issued before this format) falls back to the field look-up. (On the embedded FerretDB that look-up
 * decoded every tenant, ~0.25 s at 1,000 tenants, until its patch searched these fields by their indexes.)
 */

/** For the Smaregi webhook route: the tenant of a contract, or null. */
export async function findTenantByContractId(db: Db, contractId: string): Promise<TenantSummary | null> {
  const claimed = await contractClaimant(db, contractId);
  const holder = claimed === null ? null : await tenantsCollection(db).findOne({ _id: claimed }, { projection: SUMMARY_PROJECTION });
  if (holder?.smaregiContractId === contractId) return toSummary(holder);
  const doc = await tenantsCollection(db).findOne({ smaregiContractId: contractId }, { projection: SUMMARY_PROJECTION });
  return doc ? toSummary(doc) : null;
}

/** For the MakeShop 更新通知 route: the tenant whose URL carries this token, or null. */
export async function findTenantByNotificationToken(db: Db, token: string): Promise<TenantSummary | null> {
  if (token.length === 0) return null;
  const tenantId = tenantIdOfToken(token);
  if (tenantId !== null) {
    const doc = await tenantsCollection(db).findOne({ _id: tenantId }, { projection: { ...SUMMARY_PROJECTION, notificationToken: 1 } });
    return doc && doc.notificationToken === token ? toSummary(doc) : null;
  }
  const doc = await tenantsCollection(db).findOne({ notificationToken: token }, { projection: SUMMARY_PROJECTION });
  return doc ? toSummary(doc) : null;
}

export async function rotateNotificationToken(db: Db, tenantId: string): Promise<string> {
  const token = newNotificationToken(tenantId);
  await tenantsCollection(db).updateOne({ _id: tenantId }, { $set: { notificationToken: token } });
  return token;
}

/** The Smaregi store MakeShop orders are shipped (出荷) from, once the merchant chose it (step 4). */
export async function getShipmentStoreId(db: Db, tenantId: string): Promise<string | null> {
  const doc = await tenantsCollection(db).findOne({ _id: tenantId }, { projection: { 'onboarding.state.shipmentStoreId': 1 } });
  return doc?.onboarding?.state?.shipmentStoreId ?? null;
}

export async function getOrderImportMethod(db: Db, tenantId: string): Promise<OrderImportMethod> {
  const doc = await tenantsCollection(db).findOne({ _id: tenantId }, { projection: { orderImportMethod: 1 } });
  return doc?.orderImportMethod ?? 'shipment';
}

export async function saveOrderImportMethod(db: Db, tenantId: string, method: OrderImportMethod): Promise<void> {
  await tenantsCollection(db).updateOne({ _id: tenantId }, { $set: { orderImportMethod: method } });
}

/** The stores whose total is synced, the default buffer and per-code overrides; null until saved. */
export async function getStockSettings(db: Db, tenantId: string): Promise<StockSettings | null> {
  const doc = await tenantsCollection(db).findOne({ _id: tenantId }, { projection: { stockSettings: 1 } });
  if (!doc?.stockSettings) return null;
  const { storeIds, buffer, overrides } = doc.stockSettings;
  return { storeIds, buffer, overrides };
}

export async function saveStockSettings(db: Db, tenantId: string, settings: StockSettings, now: Date): Promise<void> {
  await tenantsCollection(db).updateOne({ _id: tenantId }, { $set: { stockSettings: { ...settings, updatedAt: now } } });
}

/**
 * The onboarding workflow's record of its state. A write never replaces a newer revision, so an
 * activity attempt that outlived its timeout cannot undo a later step.
 */
export async function saveOnboardingProgress(db: Db, state: OnboardingState, now: Date): Promise<void> {
  await tenantsCollection(db).updateOne(
    { _id: state.tenantId, 'onboarding.revision': { $not: { $gt: state.revision } } },
    { $set: { onboarding: progressDocument(state, now) } },
  );
}

export async function recordApplicationWaitingTooLong(db: Db, tenantId: string, waitingSince: string, now: Date): Promise<void> {
  await tenantsCollection(db).updateOne({ _id: tenantId }, { $set: { 'alerts.applicationWaitingTooLong': { reportedAt: now, waitingSince } } });
}

/** App Market subscription: returns the tenant, or null when no tenant has this contract. */
export async function setTenantActive(db: Db, contractId: string, active: boolean): Promise<TenantSummary | null> {
  // updateOne then read: FerretDB does not implement findAndModify with a projection.
  const { matchedCount } = await tenantsCollection(db).updateOne({ smaregiContractId: contractId }, { $set: { active } });
  return matchedCount === 0 ? null : findTenantByContractId(db, contractId);
}

export type OperatorTenantRow = Pick<
  TenantDocument,
  '_id' | 'email' | 'shopName' | 'smaregiContractId' | 'smaregiContractConfirmed' | 'active' | 'createdAt' | 'onboarding' | 'alerts'
>;

export async function listTenantsForOperator(db: Db, filter: { nextStep?: NextStep; limit: number }): Promise<OperatorTenantRow[]> {
  return tenantsCollection(db)
    .find(filter.nextStep ? { 'onboarding.nextStep': filter.nextStep } : {}, {
      projection: { email: 1, shopName: 1, smaregiContractId: 1, smaregiContractConfirmed: 1, active: 1, createdAt: 1, onboarding: 1, alerts: 1 },
    })
    .sort({ createdAt: 1 })
    .limit(filter.limit)
    .toArray();
}

/** Computed from MongoDB at scrape time (indexed counts), so every api replica reports the same numbers. */
export async function countOnboardingGauges(db: Db): Promise<{ waiting: number; waitingTooLong: number; byNextStep: Record<NextStep, number> }> {
  const tenants = tenantsCollection(db);
  const waitingFilter = { 'onboarding.steps.makeshopApplication': 'waiting' as const };
  const steps: NextStep[] = [...STEP_KEYS, 'done'];
  const [waiting, waitingTooLong, ...perStep] = await Promise.all([
    tenants.countDocuments(waitingFilter),
    tenants.countDocuments({ ...waitingFilter, 'alerts.applicationWaitingTooLong': { $exists: true } }),
    ...steps.map((step) => tenants.countDocuments({ 'onboarding.nextStep': step })),
  ]);
  const byNextStep = Object.fromEntries(steps.map((step, i) => [step, perStep[i] ?? 0])) as Record<NextStep, number>;
  return { waiting: waiting ?? 0, waitingTooLong: waitingTooLong ?? 0, byNextStep };
}

/** After a login with an outdated password hash; a concurrent password change wins. */
export async function replacePasswordHash(db: Db, tenantId: string, previous: string, next: string): Promise<void> {
  await tenantsCollection(db).updateOne({ _id: tenantId, passwordHash: previous }, { $set: { passwordHash: next } });
}

/** The sync workflow's record of 稼働/停止, read back when the workflow is rebuilt (DESIGN §7). */
export async function saveSyncState(db: Db, tenantId: string, record: { state: SyncState; stoppedByLostLink: boolean }, now: Date): Promise<void> {
  await tenantsCollection(db).updateOne({ _id: tenantId }, { $set: { sync: { ...record, updatedAt: now } } });
}

export async function loadSyncConfiguration(db: Db, tenantId: string): Promise<StoredSyncConfiguration | null> {
  const [doc, catalog] = await Promise.all([
    tenantsCollection(db).findOne({ _id: tenantId }, { projection: { active: 1, sync: 1, onboarding: 1 } }),
    activeCatalog(db, tenantId),
  ]);
  if (!doc) return null;
  return {
    state: doc.sync?.state ?? 'stopped',
    stoppedByLostLink: doc.sync?.stoppedByLostLink ?? false,
    active: doc.active,
    readiness: readinessOf(doc.onboarding.state),
    catalogVersion: catalog?.version ?? null,
  };
}

export async function loadOnboardingProgress(db: Db, tenantId: string): Promise<StoredOnboardingProgress | null> {
  const [doc, catalog] = await Promise.all([
    tenantsCollection(db).findOne({ _id: tenantId }, { projection: { sync: 1, onboarding: 1 } }),
    activeCatalog(db, tenantId),
  ]);
  if (!doc) return null;
  return {
    state: doc.onboarding.state,
    syncState: doc.sync?.state ?? null,
    catalog: catalog ? { version: catalog.version, uploadId: catalog.uploadId } : null,
  };
}
