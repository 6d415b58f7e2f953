import type { Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { SignalDefinition } from '@temporalio/common';
import { syncWorkflowId } from '../workflows/messages';
import type { SyncTiming } from '../domain/sync-workflow-state';
import { TenantIdKey, SyncStateKey } from './search-attributes';

/**
 * Signals the tenant's sync workflow, starting it first if it is not running (signal-with-start), so
 * a webhook or a readiness change is never lost because the entity workflow was not there yet.
 */
export async function signalSyncWorkflow<Args extends unknown[]>(
  client: Client,
  taskQueue: string,
  tenantId: string,
  signal: SignalDefinition<Args>,
  args: Args,
  options: { timing?: Partial<SyncTiming>; maxHistoryEvents?: number } = {},
): Promise<void> {
  await client.workflow.signalWithStart('syncWorkflow', {
    workflowId: syncWorkflowId(tenantId),
    taskQueue,
    args: [{ tenantId, ...options }],
    signal: signal.name,
    signalArgs: args as unknown[],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [
      { key: TenantIdKey, value: tenantId },
      { key: SyncStateKey, value: 'stopped' },
    ],
  });
}
