// The one place that says how the tenant's workflows are started: by function reference with typed
// arguments, with their ids, task queue, id policies and search attributes. Callers (api routes,
// activities, the operator) only choose the message they send.
import { WithStartWorkflowOperation, type Client, type WorkflowStartOptions } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type SignalDefinition, type UpdateDefinition, type Workflow } from '@temporalio/common';
import { catalogImportWorkflow, type CatalogImportInput } from '../workflows/catalog-import';
import { catalogWorkflowId, makeshopAppsRevokedSignal, onboardingWorkflowId, syncWorkflowId } from '../workflows/messages';
import { onboardingWorkflow, type OnboardingWorkflowInput } from '../workflows/onboarding';
import { syncWorkflow, type SyncWorkflowInput } from '../workflows/sync';
import { alertMailWorkflow } from '../workflows/alert-mail';
import { alertMailWorkflowId, alertNoticesQueuedSignal } from '../workflows/alert-messages';
import { initialOnboardingState, nextOpenStep } from '../domain/onboarding';
import { OnboardingStepKey, SyncStateKey, TenantIdKey } from './search-attributes';

/** Start options for an entity workflow: always says what happens when a run already has the id. */
type EntityStartOptions<W extends Workflow> = WorkflowStartOptions<W> & { workflowIdConflictPolicy: WorkflowIdConflictPolicy };

/** Test hooks a starter may pin on a new sync workflow (production passes none). */
export type SyncStartOverrides = Pick<SyncWorkflowInput, 'timing' | 'maxHistoryEvents'>;

/**
 * The tenant's sync workflow. A start finds a running one (USE_EXISTING) or starts a new run, which
 * rebuilds itself from MongoDB; the search attribute says 停止 until the run has loaded its state.
 */
export function syncWorkflowStart(taskQueue: string, tenantId: string, overrides: SyncStartOverrides = {}): EntityStartOptions<typeof syncWorkflow> {
  return {
    workflowId: syncWorkflowId(tenantId),
    taskQueue,
    args: [{ tenantId, ...overrides }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [
      { key: TenantIdKey, value: tenantId },
      { key: SyncStateKey, value: 'stopped' },
    ],
  };
}

/** The tenant's onboarding workflow; a new run (first sign-up or after a terminate) loads its progress from MongoDB. */
export function onboardingWorkflowStart(taskQueue: string, input: OnboardingWorkflowInput): EntityStartOptions<typeof onboardingWorkflow> {
  return {
    workflowId: onboardingWorkflowId(input.tenantId),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    typedSearchAttributes: [
      { key: TenantIdKey, value: input.tenantId },
      { key: OnboardingStepKey, value: nextOpenStep(initialOnboardingState(input.tenantId)) },
    ],
  };
}

export function catalogImportWorkflowStart(taskQueue: string, input: CatalogImportInput): WorkflowStartOptions<typeof catalogImportWorkflow> {
  return {
    workflowId: catalogWorkflowId(input.tenantId, input.uploadId),
    taskQueue,
    args: [input],
    typedSearchAttributes: [{ key: TenantIdKey, value: input.tenantId }],
  };
}

export async function startCatalogImportWorkflow(client: Client, taskQueue: string, input: CatalogImportInput): Promise<void> {
  await client.workflow.start(catalogImportWorkflow, catalogImportWorkflowStart(taskQueue, input));
}

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
  overrides: SyncStartOverrides = {},
): Promise<void> {
  // Every sync signal takes one argument; the caller's typing already checked it against the signal.
  const typed = { signal: signal.name, signalArgs: args as unknown as [unknown] };
  await client.workflow.signalWithStart(syncWorkflow, { ...syncWorkflowStart(taskQueue, tenantId, overrides), ...typed });
}

/** Runs an Update on the tenant's sync workflow, starting it first if it is not running. */
export async function updateSyncWorkflow<Ret, Arg>(
  client: Client,
  taskQueue: string,
  tenantId: string,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
): Promise<Ret> {
  const startWorkflowOperation = new WithStartWorkflowOperation(syncWorkflow, syncWorkflowStart(taskQueue, tenantId));
  return client.workflow.executeUpdateWithStart(update, { args: [arg], startWorkflowOperation });
}

export async function startOnboardingWorkflow(client: Client, taskQueue: string, input: OnboardingWorkflowInput): Promise<void> {
  await client.workflow.start(onboardingWorkflow, onboardingWorkflowStart(taskQueue, input));
}

/** Runs an Update on the tenant's onboarding workflow, starting it first (from its stored progress) if it is not running. */
export async function updateOnboardingWorkflow<Ret, Arg>(
  client: Client,
  taskQueue: string,
  input: OnboardingWorkflowInput,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
): Promise<Ret> {
  const startWorkflowOperation = new WithStartWorkflowOperation(onboardingWorkflow, onboardingWorkflowStart(taskQueue, input));
  return client.workflow.executeUpdateWithStart(update, { args: [arg], startWorkflowOperation });
}

/**
 * Replaces the tenant's sync and onboarding runs by new ones that rebuild from MongoDB (terminating
 * the running ones, stuck or not). Returns the new run ids.
 */
export async function restartTenantWorkflows(
  client: Client,
  taskQueue: string,
  onboarding: OnboardingWorkflowInput,
): Promise<{ syncRunId: string; onboardingRunId: string }> {
  const replace = { workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING, workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE };
  const onboardingRun = await client.workflow.start(onboardingWorkflow, { ...onboardingWorkflowStart(taskQueue, onboarding), ...replace });
  const syncRun = await client.workflow.start(syncWorkflow, { ...syncWorkflowStart(taskQueue, onboarding.tenantId), ...replace });
  return { syncRunId: syncRun.firstExecutionRunId, onboardingRunId: onboardingRun.firstExecutionRunId };
}

/** Tells the tenant's onboarding that its makeshop app installation is revoked (step 2 to do again). */
export async function signalMakeshopAppsRevoked(client: Client, tenantId: string, shopId: string): Promise<void> {
  await client.workflow.getHandle(onboardingWorkflowId(tenantId)).signal(makeshopAppsRevokedSignal, { shopId, at: new Date().toISOString() });
}

/**
 * Wakes the mailbox's alert mail workflow, starting it if it is not running (it ends when nothing waits).
 * A tenant's mailbox carries its TenantId; the shared operator mailbox has none.
 */
export async function wakeAlertMailWorkflow(client: Client, taskQueue: string, mailbox: string, tenantId: string | null): Promise<void> {
  await client.workflow.signalWithStart(alertMailWorkflow, {
    // The shared operator mailbox belongs to one deployment (one database): deployments that share a Temporal
    // namespace (staging beside production, parallel test stacks) must not wake each other's sender.
    workflowId: alertMailWorkflowId(tenantId === null ? `${mailbox}.${taskQueue}` : mailbox),
    taskQueue,
    args: [{ mailbox }],
    signal: alertNoticesQueuedSignal,
    signalArgs: [],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    ...(tenantId !== null && { typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }] }),
  });
}
