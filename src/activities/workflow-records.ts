import type { Db } from 'mongodb';
import type { SyncState } from '../domain/sync';
import type { StoredOnboardingProgress, StoredSyncConfiguration } from '../domain/workflow-records';
import { loadOnboardingProgress, loadSyncConfiguration, saveSyncState } from '../storage/tenants';

/**
 * What the tenant's entity workflows keep in MongoDB so that a terminated one, started again by the
 * next event or by the operator, carries on where it stopped (docs/operations.md).
 */
export function createWorkflowRecordActivities(db: Db) {
  return {
    async loadSyncConfiguration({ tenantId }: { tenantId: string }): Promise<StoredSyncConfiguration | null> {
      return loadSyncConfiguration(db, tenantId);
    },
    async saveSyncState({ tenantId, ...record }: { tenantId: string; state: SyncState; stoppedByLostLink: boolean }): Promise<void> {
      await saveSyncState(db, tenantId, record, new Date());
    },
    async loadOnboardingProgress({ tenantId }: { tenantId: string }): Promise<StoredOnboardingProgress | null> {
      return loadOnboardingProgress(db, tenantId);
    },
  };
}

export type WorkflowRecordActivities = ReturnType<typeof createWorkflowRecordActivities>;
