// catalogImportWorkflow (`catalog-{tenantId}-{uploadId}`): parse, validate and match one uploaded CSV
// pair, then switch the active catalog atomically and tell the onboarding and sync workflows. A failed
// or rejected pair leaves the previous catalog active.
import { getExternalWorkflowHandle, log, proxyActivities } from '@temporalio/workflow';
import type { CatalogActivities, ImportUploadResult } from '../activities/catalog';
import { catalogActivatedSignal, onboardingWorkflowId } from './messages';

const { importCatalogUpload } = proxyActivities<CatalogActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
});
const { activateCatalog, notifySyncOfCatalog, discardUploadFiles } = proxyActivities<CatalogActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});

export interface CatalogImportResult extends ImportUploadResult {
  activated: boolean;
}

export async function catalogImportWorkflow(input: { tenantId: string; uploadId: string }): Promise<CatalogImportResult> {
  const { tenantId, uploadId } = input;
  let imported: ImportUploadResult;
  try {
    imported = await importCatalogUpload(input);
  } catch (err) {
    await discardUploadFiles({ uploadId });
    throw err;
  }
  if (!imported.ok || imported.version === null) {
    await discardUploadFiles({ uploadId });
    return { ...imported, activated: false };
  }
  const version = imported.version;
  const { activated } = await activateCatalog({ tenantId, uploadId, version });
  if (activated) {
    await notifySyncOfCatalog({ tenantId, uploadId, version });
    try {
      await getExternalWorkflowHandle(onboardingWorkflowId(tenantId)).signal(catalogActivatedSignal, { version, uploadId });
    } catch (err) {
      log.warn('could not record the catalog in the onboarding workflow', { tenantId, error: String(err) });
    }
  }
  return { ...imported, activated };
}
