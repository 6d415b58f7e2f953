// catalogImportWorkflow (`catalog-{tenantId}-{uploadId}`): imports one uploaded CSV pair as a new catalog
// version, switches the active catalog to it atomically, then tells the sync and onboarding workflows.
// A refused or failed pair leaves the previous catalog active.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { CatalogImportActivities } from './activity-types';
import { MAKESHOP_CATALOG_FAILURE_TYPE, SMAREGI_FAILURE_TYPE, type CatalogImportState, type CatalogUploadErrorCode } from '../domain/catalog-upload';
import { catalogActivatedSignal, catalogImportProgressQuery, onboardingWorkflowId } from './messages';

export interface CatalogImportInput {
  tenantId: string;
  uploadId: string;
  /** makeshop: the pair is first read from MakeShop (apps mode) into the upload's files. */
  source?: 'makeshop';
}

/**
 * Long, heartbeating: resumes from its last heartbeat after a worker crash. When a newer upload
 * cancels this import, the workflow waits until the activity has stopped writing before it purges.
 */
const importing = proxyActivities<CatalogImportActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', backoffCoefficient: 2, maximumAttempts: 5 },
});
const steps = proxyActivities<CatalogImportActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2, maximumAttempts: 10 },
});
/** Discarding a version deletes its items window by window: minutes on FerretDB for a large catalog. */
const purging = proxyActivities<CatalogImportActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes', backoffCoefficient: 2, maximumAttempts: 5 },
});

export async function catalogImportWorkflow(input: CatalogImportInput): Promise<CatalogImportState> {
  const state: CatalogImportState = { uploadId: input.uploadId, phase: 'importing', outcome: null, version: null };
  setHandler(catalogImportProgressQuery, () => state);
  let version: number;
  try {
    if (input.source === 'makeshop') await importing.fetchMakeshopCatalog({ tenantId: input.tenantId, uploadId: input.uploadId });
    const imported = await importing.importCatalogUpload({ tenantId: input.tenantId, uploadId: input.uploadId });
    if (imported.outcome === 'rejected') return finish(state, 'rejected');
    version = state.version = imported.version;
    state.phase = 'activating';
    const { activated } = await purging.activateCatalog(input);
    if (!activated) return finish(state, 'superseded');
  } catch (err) {
    // The api cancels a tenant's running import when a newer upload arrives (one import at a time).
    const code = isCancellation(err) ? 'superseded' : failureCode(err);
    // The upload must end as failed whatever happened, even when this workflow is being cancelled.
    await CancellationScope.nonCancellable(() => purging.failCatalogUpload({ ...input, error: code }));
    if (isCancellation(err)) throw err;
    (code === 'internal' ? log.error : log.warn)('catalog import failed', { ...input, code, error: String(err) });
    return finish(state, 'failed');
  }
  state.phase = 'notifying';
  await announceActivation(input, version);
  await steps.completeCatalogUpload(input);
  finish(state, 'activated');
  try {
    await purging.pruneCatalogVersions({ tenantId: input.tenantId });
  } catch (err) {
    // Only storage is at stake: the next activation prunes again.
    log.warn('could not prune old catalog versions', { tenantId: input.tenantId, error: String(err) });
  }
  return state;
}

function finish(state: CatalogImportState, outcome: NonNullable<CatalogImportState['outcome']>): CatalogImportState {
  state.phase = 'done';
  state.outcome = outcome;
  return state;
}

/**
 * The catalog is active whatever happens here: the sync workflow reads the active version on every
 * push, so a lost signal only delays the full push until its next reconciliation.
 */
async function announceActivation(input: CatalogImportInput, version: number): Promise<void> {
  const activation = { version, uploadId: input.uploadId };
  try {
    await steps.notifySyncOfCatalog({ ...input, version });
  } catch (err) {
    log.warn('could not tell the sync workflow about the new catalog', { ...input, error: String(err) });
  }
  try {
    await getExternalWorkflowHandle(onboardingWorkflowId(input.tenantId)).signal(catalogActivatedSignal, activation);
  } catch (err) {
    // No onboarding workflow (e.g. an operator-created tenant): nothing to record.
    log.warn('could not record the catalog in the onboarding workflow', { ...input, error: String(err) });
  }
}

function failureCode(err: unknown): CatalogUploadErrorCode {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure)) return 'internal';
  if (cause.type === SMAREGI_FAILURE_TYPE) return 'smaregi_unavailable';
  return cause.type === MAKESHOP_CATALOG_FAILURE_TYPE ? 'makeshop_unavailable' : 'internal';
}
