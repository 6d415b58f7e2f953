import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applicationReportDueAt,
  approveApplication,
  chooseShipmentStore,
  describeOnboarding,
  initialOnboardingState,
  linkRejection,
  malformedPayload,
  nextOpenStep,
  readinessOf,
  recordApplicationOverdue,
  recordCatalogActivated,
  recordCredentialsSaved,
  recordSmaregiContractLinked,
  recordStockSettingsSaved,
  recordSyncState,
  rejectionFor,
  stepStatuses,
  submitApplication,
  type OnboardingState,
} from '../../src/domain/onboarding';

const T0 = '2026-01-05T00:00:00.000Z';
const FORM = { shopName: 'テスト商店', userName: '山田太郎', shopId: 'testshop', shopUrl: 'https://www.example.jp/' };
const LINK = { contractId: 'sb_1', linkedAt: T0, linkedBy: 'smaregi-id' as const };
/** A new account whose contract is linked (step 1 done). */
const fresh = () => recordSmaregiContractLinked(initialOnboardingState('tn_1'), LINK);
const approved = () => approveApplication(submitApplication(fresh(), FORM, T0), 'operator-api', T0);
/** Everything 稼働 needs. */
function ready(): OnboardingState {
  let s = approved();
  s = recordCredentialsSaved(s, T0);
  s = chooseShipmentStore(s, '1');
  s = recordCatalogActivated(s, { version: 1, uploadId: 'u1' }, T0);
  return recordStockSettingsSaved(s, T0);
}

describe('step statuses and the OnboardingStep search attribute', () => {
  test('a new account has step 1 open until its contract is linked by スマレジID login', () => {
    const signedUp = initialOnboardingState('tn_1');
    assert.equal(stepStatuses(signedUp).account, 'todo');
    assert.equal(nextOpenStep(signedUp), 'account');
    assert.match(describeOnboarding(signedUp).steps[0]?.detail ?? '', /スマレジIDでログイン/);
    // A state from before contract linking existed has no such field: its contract is not proven either.
    const { smaregiContract: _absent, ...legacy } = signedUp;
    assert.equal(stepStatuses(legacy).account, 'todo');
    assert.deepEqual(stepStatuses(fresh()), {
      account: 'done',
      makeshopApplication: 'todo',
      makeshopCredentials: 'todo',
      orderImport: 'todo',
      catalog: 'todo',
      syncState: 'todo',
    });
    assert.equal(nextOpenStep(fresh()), 'makeshopApplication');
  });

  test('a submitted application waits for the operator; approval completes it', () => {
    const waiting = submitApplication(fresh(), FORM, T0);
    assert.equal(stepStatuses(waiting).makeshopApplication, 'waiting');
    assert.equal(nextOpenStep(waiting), 'makeshopApplication');
    assert.equal(stepStatuses(approveApplication(waiting, 'temporal-ui', T0)).makeshopApplication, 'done');
  });

  test('"already enabled" completes step 2 at once', () => {
    const s = submitApplication(fresh(), { alreadyEnabled: true }, T0);
    assert.equal(stepStatuses(s).makeshopApplication, 'done');
    assert.equal(s.application.alreadyEnabled, true);
  });

  test('the next open step is the first one not done, even when later steps are done', () => {
    let s = chooseShipmentStore(submitApplication(fresh(), FORM, T0), '1');
    s = recordCatalogActivated(s, { version: 1, uploadId: 'u1' }, T0);
    assert.equal(nextOpenStep(s), 'makeshopApplication');
    assert.equal(nextOpenStep(recordCredentialsSaved(approveApplication(s, 'operator-api', T0), T0)), 'syncState');
  });

  test('step 6 is done once 稼働 was set, and stays done when the merchant stops later', () => {
    const running = recordSyncState(ready(), 'running', T0);
    assert.equal(nextOpenStep(running), 'done');
    const stopped = recordSyncState(running, 'stopped', T0);
    assert.equal(stepStatuses(stopped).syncState, 'done');
    assert.equal(stopped.syncState, 'stopped');
  });
});

describe('contract linking (step 1)', () => {
  test('linking records the contract once; the same contract again changes nothing; another one is refused', () => {
    const linked = fresh();
    assert.equal(linked.smaregiContract?.contractId, 'sb_1');
    assert.equal(recordSmaregiContractLinked(linked, { ...LINK, linkedAt: '2026-02-01T00:00:00.000Z' }), linked);
    assert.equal(linkRejection(linked, 'sb_1'), null);
    assert.equal(linkRejection(linked, 'sb_other')?.code, 'smaregi_contract_already_linked');
    assert.equal(linkRejection(initialOnboardingState('tn_1'), 'sb_other'), null);
    assert.match(describeOnboarding(linked).steps[0]?.detail ?? '', /sb_1/);
  });

  test('a malformed link (sent outside the api) is refused', () => {
    assert.equal(malformedPayload('linkSmaregiContract', LINK), null);
    assert.equal(malformedPayload('linkSmaregiContract', { ...LINK, contractId: '' })?.code, 'invalid_request');
    assert.equal(malformedPayload('linkSmaregiContract', { ...LINK, linkedBy: 'anyone' })?.code, 'invalid_request');
    assert.equal(malformedPayload('linkSmaregiContract', { ...LINK, linkedAt: 'now' })?.code, 'invalid_request');
  });
});

describe('ordering rules', () => {
  test('the application can be corrected while waiting but not after approval', () => {
    assert.equal(rejectionFor('submitMakeshopApplication', stepStatuses(fresh())), null);
    assert.equal(rejectionFor('submitMakeshopApplication', stepStatuses(submitApplication(fresh(), FORM, T0))), null);
    assert.equal(rejectionFor('submitMakeshopApplication', stepStatuses(approved()))?.code, 'application_already_approved');
  });

  test('only a waiting application can be approved', () => {
    assert.equal(rejectionFor('approveMakeshopApplication', stepStatuses(fresh()))?.code, 'application_not_submitted');
    assert.equal(rejectionFor('approveMakeshopApplication', stepStatuses(submitApplication(fresh(), FORM, T0))), null);
    assert.equal(rejectionFor('approveMakeshopApplication', stepStatuses(approved()))?.code, 'application_already_approved');
  });

  test('credentials wait for the approval (MakeShop issues the auth code only then), with a Japanese reason', () => {
    assert.equal(rejectionFor('saveMakeshopCredentials', stepStatuses(fresh()))?.code, 'application_not_submitted');
    const waiting = rejectionFor('saveMakeshopCredentials', stepStatuses(submitApplication(fresh(), FORM, T0)));
    assert.equal(waiting?.code, 'application_not_approved');
    assert.match(waiting?.message ?? '', /審査が完了してから/);
    assert.equal(rejectionFor('saveMakeshopCredentials', stepStatuses(approved())), null);
  });

  test('the shipment store and the stock settings need nothing from MakeShop', () => {
    for (const state of [fresh(), submitApplication(fresh(), FORM, T0), approved()]) {
      assert.equal(rejectionFor('chooseShipmentStore', stepStatuses(state)), null);
      assert.equal(rejectionFor('saveStockSettings', stepStatuses(state)), null);
    }
  });
});

describe('payload checks for updates sent outside the api', () => {
  test('incomplete forms, empty store ids and bad timestamps are refused', () => {
    assert.equal(malformedPayload('submitMakeshopApplication', FORM), null);
    assert.equal(malformedPayload('submitMakeshopApplication', { alreadyEnabled: true }), null);
    assert.equal(malformedPayload('submitMakeshopApplication', { ...FORM, shopUrl: '' })?.code, 'invalid_request');
    assert.equal(malformedPayload('submitMakeshopApplication', null)?.code, 'invalid_request');
    assert.equal(malformedPayload('chooseShipmentStore', { shipmentStoreId: '1' }), null);
    assert.equal(malformedPayload('chooseShipmentStore', { shipmentStoreId: 1 })?.code, 'invalid_request');
    assert.equal(malformedPayload('saveMakeshopCredentials', { savedAt: T0 }), null);
    assert.equal(malformedPayload('saveStockSettings', { savedAt: 'yesterday' })?.code, 'invalid_request');
  });
});

describe('reducers', () => {
  test('every change bumps the revision; a no-op returns the same state', () => {
    const s = chooseShipmentStore(initialOnboardingState('tn_1'), '1');
    assert.equal(s.revision, 1);
    assert.equal(chooseShipmentStore(s, '1'), s);
    const f = fresh();
    assert.equal(approveApplication(f, 'operator-api', T0), f);
    assert.equal(recordSyncState(f, 'stopped', T0), f);
  });

  test('a correction while waiting does not restart the 7-day clock', () => {
    const first = submitApplication(fresh(), FORM, T0);
    const corrected = submitApplication(first, { ...FORM, shopUrl: 'https://shop.example.jp/' }, '2026-01-07T00:00:00.000Z');
    assert.equal(corrected.application.waitingSince, T0);
    assert.equal(corrected.application.form?.shopUrl, 'https://shop.example.jp/');
  });

  test('catalog activations only move forward', () => {
    const v2 = recordCatalogActivated(fresh(), { version: 2, uploadId: 'u2' }, T0);
    assert.equal(recordCatalogActivated(v2, { version: 1, uploadId: 'u1' }, T0), v2);
    assert.equal(recordCatalogActivated(v2, { version: 2, uploadId: 'u2' }, T0), v2);
    assert.equal(recordCatalogActivated(v2, { version: 3, uploadId: 'u3' }, T0).catalog?.version, 3);
  });

  test('an application is due for the report 7 days after it started waiting, once', () => {
    const sevenDays = 7 * 24 * 3600 * 1000;
    assert.equal(applicationReportDueAt(fresh(), sevenDays), null);
    const waiting = submitApplication(fresh(), FORM, T0);
    assert.equal(applicationReportDueAt(waiting, sevenDays), Date.parse(T0) + sevenDays);
    assert.equal(applicationReportDueAt(recordApplicationOverdue(waiting, T0), sevenDays), null);
    assert.equal(applicationReportDueAt(approveApplication(waiting, 'operator-api', T0), sevenDays), null);
  });
});

describe('readiness and the merchant checklist', () => {
  test('稼働 needs steps 1–5 and the stock settings; each missing item has a Japanese message', () => {
    const r = readinessOf(initialOnboardingState('tn_1'));
    assert.equal(r.ready, false);
    assert.deepEqual(
      r.missing.map((m) => m.key),
      ['account', 'makeshopApplication', 'makeshopCredentials', 'orderImport', 'catalog', 'stockSettings'],
    );
    for (const m of r.missing) assert.match(m.message, /[ぁ-んァ-ン一-龥]/);
    assert.deepEqual(readinessOf(ready()), { ready: true, missing: [] });
  });

  test('a waiting application tells the merchant to wait rather than to apply', () => {
    const missing = readinessOf(submitApplication(fresh(), FORM, T0)).missing.find((m) => m.key === 'makeshopApplication');
    assert.match(missing?.message ?? '', /お待ちください/);
  });

  test('without stock settings the rest is not enough', () => {
    let s = approved();
    s = recordCatalogActivated(chooseShipmentStore(recordCredentialsSaved(s, T0), '1'), { version: 1, uploadId: 'u' }, T0);
    assert.deepEqual(readinessOf(s).missing.map((m) => m.key), ['stockSettings']);
  });

  test('the view lists the six steps in order with details, and the checklist', () => {
    const view = describeOnboarding(recordSyncState(ready(), 'running', T0));
    assert.deepEqual(
      view.steps.map((s) => [s.key, s.status]),
      [
        ['account', 'done'],
        ['makeshopApplication', 'done'],
        ['makeshopCredentials', 'done'],
        ['orderImport', 'done'],
        ['catalog', 'done'],
        ['syncState', 'done'],
      ],
    );
    assert.equal(view.canSetRunning, true);
    assert.equal(view.syncState, 'running');
    assert.equal(view.steps.find((s) => s.key === 'syncState')?.detail, '稼働中');
    assert.deepEqual(view.requiredActions, []);
  });
});
