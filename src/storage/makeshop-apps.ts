import type { Collection, Db } from 'mongodb';
import type { AppsConnection } from '../platforms/makeshop/gateway';
import type { EncryptedValue, SecretBox } from './crypto';

/**
 * One makeshop app installation per shop (`makeshop_app_installations`, _id = shop ID). The install webhook
 * stores the shop's 永続トークン here, sealed (AES-256-GCM, bound to the shop), as `pending`; a launch by a
 * logged-in merchant links it to that tenant; the uninstall webhook revokes it. Every change is one
 * single-document update guarded by the status it expects (FerretDB has no transactions).
 */
export interface AppInstallationDoc {
  _id: string;
  status: 'pending' | 'linked' | 'revoked';
  /** The tenant it is (or was, when revoked) linked to. */
  tenantId: string | null;
  token: EncryptedValue | null;
  appId: string;
  planId: string;
  installedAt: Date;
  linkedAt: Date | null;
  revokedAt: Date | null;
  updatedAt: Date;
}

/** What a merchant may see about an installation: never the token. */
export interface AppInstallationView {
  shopId: string;
  status: AppInstallationDoc['status'];
  installedAt: string;
  linkedAt: string | null;
  revokedAt: string | null;
}

export const MAKESHOP_APP_INDEXES: [string, Record<string, 1 | -1>, Record<string, unknown>][] = [['makeshop_app_installations', { tenantId: 1 }, {}]];

const installations = (db: Db): Collection<AppInstallationDoc> => db.collection<AppInstallationDoc>('makeshop_app_installations');
const tokenContext = (shopId: string) => `makeshop-app:${shopId}:token`;

export interface InstallInput {
  shopId: string;
  token: string;
  appId: string;
  planId: string;
}

/**
 * Stores a (verified) install. A shop already linked keeps its tenant and gets the new token (a reinstall
 * MakeShop did not announce by uninstalling first); any other shop waits, pending, for a launch.
 */
export async function saveInstallation(db: Db, box: SecretBox, input: InstallInput, now: Date): Promise<AppInstallationDoc['status']> {
  const token = box.seal(input.token, tokenContext(input.shopId));
  const fresh = { token, appId: input.appId, planId: input.planId, installedAt: now, updatedAt: now };
  const relinked = await installations(db).updateOne({ _id: input.shopId, status: 'linked' }, { $set: fresh });
  if (relinked.matchedCount > 0) return 'linked';
  await installations(db).updateOne(
    { _id: input.shopId },
    { $set: { ...fresh, status: 'pending' }, $setOnInsert: { tenantId: null, linkedAt: null, revokedAt: null } },
    { upsert: true },
  );
  return 'pending';
}

export type LinkOutcome = 'linked' | 'already-linked' | 'not-installed' | 'linked-elsewhere';

/** Links the shop's pending installation to the tenant (the launch); idempotent for the same tenant. */
export async function linkInstallation(db: Db, shopId: string, tenantId: string, now: Date): Promise<LinkOutcome> {
  const result = await installations(db).updateOne(
    { _id: shopId, status: 'pending' },
    { $set: { status: 'linked', tenantId, linkedAt: now, revokedAt: null, updatedAt: now } },
  );
  if (result.matchedCount > 0) return 'linked';
  const doc = await installations(db).findOne({ _id: shopId });
  if (doc?.status !== 'linked') return 'not-installed';
  return doc.tenantId === tenantId ? 'already-linked' : 'linked-elsewhere';
}

/** The app was uninstalled: the token is dropped. Answers the tenant it was linked to, if any. */
export async function revokeInstallation(db: Db, shopId: string, now: Date): Promise<{ tenantId: string | null } | null> {
  const doc = await installations(db).findOne({ _id: shopId });
  if (!doc || doc.status === 'revoked') return null;
  await installations(db).updateOne({ _id: shopId, status: doc.status }, { $set: { status: 'revoked', token: null, revokedAt: now, updatedAt: now } });
  return { tenantId: doc.status === 'linked' ? doc.tenantId : null };
}

/**
 * The sync found MakeShop refusing the tenant's token (the uninstall webhook was lost): the installation is
 * revoked only while it still holds that very token for that tenant, so a reinstall's fresh token is kept.
 * Answers whether it was revoked now.
 */
export async function revokeRefusedToken(db: Db, box: SecretBox, tenantId: string, refused: AppsConnection, now: Date): Promise<boolean> {
  const doc = await installations(db).findOne({ _id: refused.shopId });
  if (doc?.status !== 'linked' || doc.tenantId !== tenantId || !doc.token) return false;
  if (box.open(doc.token, tokenContext(refused.shopId)) !== refused.token) return false;
  const res = await installations(db).updateOne(
    { _id: refused.shopId, status: 'linked', token: doc.token },
    { $set: { status: 'revoked', token: null, revokedAt: now, updatedAt: now } },
  );
  return res.modifiedCount === 1;
}

/** The token of an installation as stored, for checking it against MakeShop (uninstall webhook). */
export async function installationToken(db: Db, box: SecretBox, shopId: string): Promise<string | null> {
  const doc = await installations(db).findOne({ _id: shopId });
  return doc?.token ? box.open(doc.token, tokenContext(shopId)) : null;
}

/** The tenant whose linked installation this shop is, for the 注文更新通知 webhook. */
export async function linkedTenantOf(db: Db, shopId: string): Promise<string | null> {
  const doc = await installations(db).findOne({ _id: shopId }, { projection: { status: 1, tenantId: 1 } });
  return doc?.status === 'linked' ? doc.tenantId : null;
}

/** The tenant's apps connection for this shop, decrypted (inside an activity or a request only), or null. */
export async function loadAppsConnection(db: Db, box: SecretBox, tenantId: string, shopId: string): Promise<AppsConnection | null> {
  const doc = await installations(db).findOne({ _id: shopId });
  if (doc?.status !== 'linked' || doc.tenantId !== tenantId || !doc.token) return null;
  return { mode: 'apps', shopId, token: box.open(doc.token, tokenContext(shopId)) };
}

/** The installation of the shop as the tenant may see it: only when it is not linked to someone else. */
export async function installationView(db: Db, tenantId: string, shopId: string): Promise<AppInstallationView | null> {
  const doc = await installations(db).findOne({ _id: shopId });
  // `?? null`: a pending install may lack the field (FerretDB and $setOnInsert).
  if (!doc || ((doc.tenantId ?? null) !== null && doc.tenantId !== tenantId)) return null;
  return {
    shopId,
    status: doc.status,
    installedAt: doc.installedAt.toISOString(),
    linkedAt: doc.linkedAt?.toISOString() ?? null,
    revokedAt: doc.revokedAt?.toISOString() ?? null,
  };
}
