import { applicationShopIdOf } from '../domain/onboarding';
import type { Collection, Db } from 'mongodb';
import type { LegacyConnection } from '../platforms/makeshop/gateway';
import { isEncryptedValue, type EncryptedValue, type SecretBox } from './crypto';
import { tenantsCollection } from './tenants';

/**
 * MakeShop credentials at rest (DESIGN §7 `secrets`): the password and the 注文データ連携認証コード are
 * sealed with AES-256-GCM. The associated data names the tenant and the field, so a ciphertext
 * copied to another tenant, or into the other field, does not open.
 */
interface MakeshopSecretDocument {
  _id: string;
  tenantId: string;
  kind: 'makeshop';
  /** The 主管理者 ID: a login name, shown back to the merchant, not a secret. */
  accountId: string;
  password: EncryptedValue;
  orderAuthCode: EncryptedValue;
  updatedAt: Date;
}

export interface MakeshopCredentialsInput {
  accountId: string;
  password: string;
  orderAuthCode: string;
}

/** What the api may show: whether each secret is set, never the secret. */
export interface MakeshopCredentialsSummary {
  accountId: string | null;
  passwordSet: boolean;
  orderAuthCodeSet: boolean;
  updatedAt: string | null;
}

const secretsCollection = (db: Db): Collection<MakeshopSecretDocument> => db.collection<MakeshopSecretDocument>('secrets');
const makeshopSecretId = (tenantId: string) => `${tenantId}:makeshop`;
/**
 * Every sealed value in `secrets` is bound to `<document id>:<field>`: one rule, so the re-encryption
 * below can reseal any document's fields without knowing its kind.
 */
export const sealContext = (documentId: string, field: string) => `${documentId}:${field}`;
const associatedData = (tenantId: string, field: 'password' | 'orderAuthCode') => sealContext(makeshopSecretId(tenantId), field);

export async function saveMakeshopCredentials(
  db: Db,
  secretBox: SecretBox,
  tenantId: string,
  input: MakeshopCredentialsInput,
  now: Date,
): Promise<MakeshopCredentialsSummary> {
  const doc: MakeshopSecretDocument = {
    _id: makeshopSecretId(tenantId),
    tenantId,
    kind: 'makeshop',
    accountId: input.accountId,
    password: secretBox.seal(input.password, associatedData(tenantId, 'password')),
    orderAuthCode: secretBox.seal(input.orderAuthCode, associatedData(tenantId, 'orderAuthCode')),
    updatedAt: now,
  };
  await secretsCollection(db).replaceOne({ _id: doc._id }, doc, { upsert: true });
  return summarize(doc);
}

export async function getMakeshopCredentialsSummary(db: Db, tenantId: string): Promise<MakeshopCredentialsSummary> {
  const doc = await secretsCollection(db).findOne({ _id: makeshopSecretId(tenantId) });
  return doc ? summarize(doc) : { accountId: null, passwordSet: false, orderAuthCodeSet: false, updatedAt: null };
}

function summarize(doc: MakeshopSecretDocument): MakeshopCredentialsSummary {
  return { accountId: doc.accountId, passwordSet: true, orderAuthCodeSet: true, updatedAt: doc.updatedAt.toISOString() };
}

/**
 * For the sync engine's activities: the decrypted credentials, or null when step 3 is not done.
 * The shop ID is step 2's; a merchant who ticked "already enabled" gave none, and then the 主管理者 ID
 * stands in for it.
 * ASSUMPTION (unconfirmed): the MakeShop 主管理者 ID equals the shop ID (makeshop-api.md §6: "id = the
 * shop's 主管理者 ID (main administrator ID, i.e. the shop ID)" [S]). Verify by logging into a real shop.
 */
export async function loadMakeshopCredentials(db: Db, secretBox: SecretBox, tenantId: string): Promise<LegacyConnection | null> {
  const doc = await secretsCollection(db).findOne({ _id: makeshopSecretId(tenantId) });
  if (!doc) return null;
  const tenant = await tenantsCollection(db).findOne({ _id: tenantId }, { projection: { 'onboarding.state.application.form.shopId': 1 } });
  return {
    mode: 'legacy',
    shopId: applicationShopIdOf(tenant?.onboarding?.state) ?? doc.accountId,
    accountId: doc.accountId,
    password: secretBox.open(doc.password, associatedData(tenantId, 'password')),
    orderAuthCode: secretBox.open(doc.orderAuthCode, associatedData(tenantId, 'orderAuthCode')),
  };
}

export interface ReencryptionProgress {
  scanned: number;
  total: number;
  resealed: number;
}

/**
 * Reseals every value in `secrets` that an older key sealed with the newest key (key rotation: put
 * the new key first in APP_SECRET_KEYS, run this, then drop the old key). Each document is replaced
 * only if it is unchanged since it was read, so a merchant saving new credentials meanwhile wins;
 * running it again finishes what an interrupted run left.
 */
export async function reencryptSecrets(db: Db, secretBox: SecretBox, onProgress: (p: ReencryptionProgress) => void): Promise<ReencryptionProgress> {
  const collection = db.collection<Record<string, unknown> & { _id: string }>('secrets');
  const progress: ReencryptionProgress = { scanned: 0, total: await collection.countDocuments({}), resealed: 0 };
  for await (const doc of collection.find({}).sort({ _id: 1 })) {
    const stale = Object.entries(doc).filter(([, value]) => isEncryptedValue(value) && secretBox.isStale(value));
    if (stale.length > 0) {
      const update: Record<string, EncryptedValue> = {};
      const unchanged: Record<string, unknown> = { _id: doc._id };
      for (const [field, value] of stale as [string, EncryptedValue][]) {
        const context = sealContext(doc._id, field);
        update[field] = secretBox.seal(secretBox.open(value, context), context);
        unchanged[`${field}.iv`] = value.iv;
      }
      const result = await collection.updateOne(unchanged, { $set: update });
      progress.resealed += result.modifiedCount;
    }
    progress.scanned += 1;
    onProgress({ ...progress });
  }
  return progress;
}
