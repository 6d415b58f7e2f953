// Message definitions shared by the workflows and their callers (api, activities). Types and define*
// calls only: this module is imported into the deterministic workflow bundle.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SyncState, SyncStatus, Readiness } from '../domain/sync';
import type { MakeshopApplicationSubmission, OnboardingStatus, SmaregiContractLink } from '../domain/onboarding';
import type { CatalogImportState } from '../domain/catalog-upload';

export const onboardingWorkflowId = (tenantId: string) => `onboarding-${tenantId}`;
export const syncWorkflowId = (tenantId: string) => `sync-${tenantId}`;
export const catalogWorkflowId = (tenantId: string, uploadId: string) => `catalog-${tenantId}-${uploadId}`;

// ── syncWorkflow ────────────────────────────────────────────────────────────────────────────────
/** 稼働/停止. Validator refuses 稼働 while the tenant is not ready (the reason lists what is missing). */
export const setSyncStateUpdate = defineUpdate<{ state: SyncState }, [{ state: SyncState }]>('setSyncState');
export const syncStatusQuery = defineQuery<SyncStatus>('status');
/** From the Smaregi webhooks of an older api, grouped (now syncWorkRecorded): ids only (Smaregi sends no quantities; the workflow re-reads stock). */
export const stockChangedSignal = defineSignal<[{ events: { eventId: string; productIds: string[] }[] }]>('stockChanged');
/** From the MakeShop 更新通知 of an older api (now syncWorkRecorded): the order number and command only; the order is fetched in an activity. */
export const orderNotifiedSignal = defineSignal<[{ orderNumber: string; cmd: number }]>('orderNotified');
/**
 * Work recorded in MongoDB by the api (src/storage/sync-work.ts) before it signals: changed products, order
 * notifications. Counts only — a hint that a push or an import is due; the ids never enter the history.
 */
export const syncWorkRecordedSignal = defineSignal<[{ products: number; orders: number }]>('syncWorkRecorded');
/** A full push of every matched item (merchant's 再同期 button, operator). */
export const resyncRequestedSignal = defineSignal<[{ reason: string }]>('resyncRequested');
/** The merchant saved stock settings (stores, buffer, overrides): every item's target is recomputed and the changed ones pushed. */
export const stockSettingsChangedSignal = defineSignal<[{ savedAt: string }]>('stockSettingsChanged');
/** From the onboarding workflow whenever what 稼働 needs changes. */
export const readinessChangedSignal = defineSignal<[Readiness]>('readinessChanged');
/**
 * The tenant's MakeShop link in apps mode: lost (app uninstalled, token revoked) stops the sync with the
 * reason, keeping all pending work; restored (reinstall + launch) resumes a sync the loss had stopped.
 */
export const makeshopLinkChangedSignal = defineSignal<[{ linked: boolean; reason?: string }]>('makeshopLinkChanged');
/** App Market subscription `end` makes the tenant inactive (sync stops); `start` reactivates it. */
export const tenantActiveChangedSignal = defineSignal<[{ active: boolean }]>('tenantActiveChanged');

// ── shared between workflows ────────────────────────────────────────────────────────────────────
/** Sent by catalogImportWorkflow to both the onboarding and the sync workflow after activation. */
export const catalogActivatedSignal = defineSignal<[{ version: number; uploadId: string }]>('catalogActivated');
/** Sent by syncWorkflow to the onboarding workflow: records step 6. */
export const syncStateChangedSignal = defineSignal<[{ state: SyncState }]>('syncStateChanged');

// ── onboardingWorkflow ──────────────────────────────────────────────────────────────────────────
// One Update per merchant/operator action; each validator refuses out-of-order actions (rules in
// src/domain/onboarding.ts) with an ApplicationFailure whose `type` is the code. Payloads carry no
// secrets: MakeShop credentials are stored by the api, the update only records that they were saved.
export const onboardingStatusQuery = defineQuery<OnboardingStatus>('status');
/** Step 1: the api bound the contract after スマレジID login (or an operator confirmed it); refused for another contract. */
export const linkSmaregiContractUpdate = defineUpdate<OnboardingStatus, [SmaregiContractLink]>('linkSmaregiContract');
/** Step 2: the application form, or "already enabled". Refused once the application is approved. */
export const submitMakeshopApplicationUpdate = defineUpdate<OnboardingStatus, [MakeshopApplicationSubmission]>('submitMakeshopApplication');
/** Step 2, apps path: the shop that will install the makeshop app (then install + launch link it). */
export const chooseMakeshopAppsUpdate = defineUpdate<OnboardingStatus, [{ shopId: string }]>('chooseMakeshopApps');
/** Step 2, apps path: the api linked the shop's installation to this tenant (launch while logged in). */
export const recordMakeshopAppsLinkedUpdate = defineUpdate<OnboardingStatus, [{ shopId: string; linkedAt: string }]>('recordMakeshopAppsLinked');
/** The app was uninstalled from the shop (install webhook side): step 2 waits for a reinstall + launch. */
export const makeshopAppsRevokedSignal = defineSignal<[{ shopId: string; at: string }]>('makeshopAppsRevoked');
/** Step 2, operator API: approve a waiting application (refused when none is waiting). */
export const approveMakeshopApplicationUpdate = defineUpdate<OnboardingStatus, [{ approvedBy: 'operator-api' }]>('approveMakeshopApplication');
/** Step 2, straight from the Temporal UI (no arguments needed); ignored unless an application is waiting. */
export const makeshopApplicationApprovedSignal = defineSignal<[approval?: Record<string, unknown>]>('makeshopApplicationApproved');
/** Step 3: the api saved the (encrypted) credentials; refused until the application is approved. */
export const recordMakeshopCredentialsSavedUpdate = defineUpdate<OnboardingStatus, [{ savedAt: string }]>('recordMakeshopCredentialsSaved');
/** Step 4: the Smaregi store shipments are made from (already checked against the contract's stores). */
export const chooseShipmentStoreUpdate = defineUpdate<OnboardingStatus, [{ shipmentStoreId: string }]>('chooseShipmentStore');
/** Stock settings saved by the api (part of what 稼働 needs). */
export const recordStockSettingsSavedUpdate = defineUpdate<OnboardingStatus, [{ savedAt: string }]>('recordStockSettingsSaved');

// ── catalogImportWorkflow ───────────────────────────────────────────────────────────────────────
// Started by the api with ids only ({tenantId, uploadId}); the files wait in GridFS. Row-level progress
// is in catalog_uploads (GET /catalog/uploads/{id}); the query answers the workflow's own stage.
export const catalogImportProgressQuery = defineQuery<CatalogImportState>('progress');
