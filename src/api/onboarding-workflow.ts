import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type UpdateDefinition } from '@temporalio/common';
import { OnboardingStepKey, TenantIdKey } from '../temporal/search-attributes';
import { onboardingWorkflowId } from '../workflows/messages';
import type { OnboardingWorkflowInput } from '../workflows/onboarding';
import { nextOpenStep, initialOnboardingState, type OnboardingStatus, type OnboardingView } from '../domain/onboarding';
import { HttpError } from './errors';

export interface WorkflowCallDeps {
  temporal: Client;
  taskQueue: string;
  timeoutMs: number;
}

/** Starts the tenant's onboarding workflow; starting it again while it runs is a no-op. */
export async function startOnboardingWorkflow(deps: WorkflowCallDeps, input: OnboardingWorkflowInput): Promise<void> {
  await withDeadline(deps, () =>
    deps.temporal.workflow.start('onboardingWorkflow', {
      workflowId: onboardingWorkflowId(input.tenantId),
      taskQueue: deps.taskQueue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      typedSearchAttributes: [
        { key: TenantIdKey, value: input.tenantId },
        { key: OnboardingStepKey, value: nextOpenStep(initialOnboardingState(input.tenantId)) },
      ],
    }),
  );
}

/** Runs one onboarding Update; a validator's refusal surfaces as WorkflowUpdateFailedError (409 upstream). */
export async function updateOnboarding<Arg>(
  deps: WorkflowCallDeps,
  tenantId: string,
  update: UpdateDefinition<OnboardingStatus, [Arg]>,
  arg: Arg,
): Promise<OnboardingView> {
  const handle: WorkflowHandle = deps.temporal.workflow.getHandle(onboardingWorkflowId(tenantId));
  const status = await withDeadline(deps, () => handle.executeUpdate(update, { args: [arg] }));
  return viewOf(status);
}

export function viewOf(status: OnboardingStatus): OnboardingView {
  const { tenantId, makeshopMode, steps, requiredActions, canSetRunning, syncState } = status;
  return { tenantId, makeshopMode, steps, requiredActions, canSetRunning, syncState };
}

/** Temporal waits for a worker indefinitely; a merchant should get an answer instead. */
async function withDeadline<T>(deps: WorkflowCallDeps, call: () => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(deps.timeoutMs);
  try {
    return await deps.temporal.withAbortSignal(signal, call);
  } catch (err) {
    if (!signal.aborted) throw err;
    throw new HttpError(503, 'unavailable', '処理が混み合っています。しばらくしてから再度お試しください。');
  }
}
