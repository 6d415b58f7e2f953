// The webhook routes' tenant look-ups start from an _id (the cheap look-up on FerretDB, see findByIds): the contract's
// claim, and the tenant id a notification token carries. Tenants from before either existed are still found.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureIndexes } from '../../src/storage/indexes';
import { bindContract } from '../../src/storage/smaregi-contracts';
import {
  findTenantByContractId,
  findTenantByNotificationToken,
  initialProgress,
  insertTenant,
  newNotificationToken,
  newTenantId,
  rotateNotificationToken,
  tenantsCollection,
  type TenantDocument,
} from '../../src/storage/tenants';
import { testDatabase } from '../support/infra';

let database: Awaited<ReturnType<typeof testDatabase>>;

before(async () => {
  database = await testDatabase('tenant_lookups');
  await ensureIndexes(database.db);
});
after(async () => database.drop());

async function tenant(overrides: Partial<TenantDocument> = {}): Promise<TenantDocument> {
  const tenantId = newTenantId();
  const now = new Date();
  const doc: TenantDocument = {
    _id: tenantId,
    email: `${tenantId}@example.jp`,
    passwordHash: 'unused',
    shopName: tenantId,
    active: true,
    createdAt: now,
    notificationToken: newNotificationToken(tenantId),
    onboarding: initialProgress(tenantId, now),
    ...overrides,
  };
  assert.ok(await insertTenant(database.db, doc));
  return doc;
}

describe('tenant by notification token', () => {
  test('a token finds its tenant; the same tenant id with another secret part, or another tenant’s id, finds none', async () => {
    const a = await tenant();
    const b = await tenant();
    assert.equal((await findTenantByNotificationToken(database.db, a.notificationToken))?.tenantId, a._id);
    const secretOf = (token: string) => token.slice(token.indexOf('.') + 1);
    assert.equal(await findTenantByNotificationToken(database.db, `${a._id}.guessed-secret`), null);
    assert.equal(await findTenantByNotificationToken(database.db, `${b._id}.${secretOf(a.notificationToken)}`), null);
    assert.equal(await findTenantByNotificationToken(database.db, `tn_unknown.${secretOf(a.notificationToken)}`), null);
  });

  test('a rotated token stops working at once; a token issued before tokens carried the tenant id still works', async () => {
    const a = await tenant();
    const rotated = await rotateNotificationToken(database.db, a._id);
    assert.equal(await findTenantByNotificationToken(database.db, a.notificationToken), null);
    assert.equal((await findTenantByNotificationToken(database.db, rotated))?.tenantId, a._id);
    const old = await tenant({ notificationToken: 'an-old-style-token-without-the-tenant-id' });
    assert.equal((await findTenantByNotificationToken(database.db, old.notificationToken))?.tenantId, old._id);
  });
});

describe('tenant by Smaregi contract', () => {
  test('a bound contract is found through its claim; a contract set before claims existed is found too', async () => {
    const a = await tenant();
    assert.equal((await bindContract(database.db, a._id, 'sb_lookup_a', 'smaregi-id', new Date())).kind, 'bound');
    assert.equal((await findTenantByContractId(database.db, 'sb_lookup_a'))?.tenantId, a._id);

    const old = await tenant();
    await tenantsCollection(database.db).updateOne({ _id: old._id }, { $set: { smaregiContractId: 'sb_lookup_old' } });
    assert.equal((await findTenantByContractId(database.db, 'sb_lookup_old'))?.tenantId, old._id);
    assert.equal(await findTenantByContractId(database.db, 'sb_lookup_nobody'), null);
  });

  test('a claim whose tenant no longer holds the contract does not route to it', async () => {
    const a = await tenant();
    await bindContract(database.db, a._id, 'sb_lookup_released', 'smaregi-id', new Date());
    await tenantsCollection(database.db).updateOne({ _id: a._id }, { $unset: { smaregiContractId: '' } });
    assert.equal(await findTenantByContractId(database.db, 'sb_lookup_released'), null);
  });
});
