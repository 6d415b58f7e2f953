// How the api calls Temporal: every call has a deadline (Temporal waits for a worker indefinitely; a
// merchant gets a 503 instead), and the tenant's workflows are started through src/temporal.
import type { Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { startOnboardingWorkflow, updateOnboardingWorkflow, updateSyncWorkflow } from '../temporal/tenant-workflows';
import type { OnboardingWorkflowInput } from '../workflows/onboarding';
import type { OnboardingStatus, OnboardingView } from '../domain/onboarding';
import { HttpError } from './errors';

export interface WorkflowCallDeps {
  temporal: Client;
  taskQueue: string;
  /** An answer from Temporal slower than this becomes a 503 (e.g. no worker is running). */
  timeoutMs: number;
  /** Passed to an onboarding workflow this call starts (tests shorten it). */
  applicationReportAfterMs?: number;
}

/** Runs one api → Temporal call within the deadline; past it, the caller answers 503 and can retry. */
export async function withTemporalDeadline<T>(deps: Pick<WorkflowCallDeps, 'temporal' | 'timeoutMs'>, call: () => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(deps.timeoutMs);
  try {
    return await deps.temporal.withAbortSignal(signal, call);
  } catch (err) {
    if (!signal.aborted) throw err;
    throw new HttpError(503, 'unavailable', '処理が混み合っています。しばらくしてから再度お試しください。');
  }
}

const onboardingInput = (deps: WorkflowCallDeps, tenantId: string): OnboardingWorkflowInput => ({
  tenantId,
  ...(deps.applicationReportAfterMs === undefined ? {} : { applicationReportAfterMs: deps.applicationReportAfterMs }),
});

/** Starts the tenant's onboarding workflow; starting it again while it runs is a no-op. */
export async function startOnboarding(deps: WorkflowCallDeps, tenantId: string): Promise<void> {
  await withTemporalDeadline(deps, () => startOnboardingWorkflow(deps.temporal, deps.taskQueue, onboardingInput(deps, tenantId)));
}

/**
 * Runs one onboarding Update (starting the workflow from its stored progress if it was terminated);
 * a validator's refusal surfaces as WorkflowUpdateFailedError (409 upstream).
 */
export async function updateOnboarding<Arg>(
  deps: WorkflowCallDeps,
  tenantId: string,
  update: UpdateDefinition<OnboardingStatus, [Arg]>,
  arg: Arg,
): Promise<OnboardingView> {
  const status = await withTemporalDeadline(deps, () =>
    updateOnboardingWorkflow(deps.temporal, deps.taskQueue, onboardingInput(deps, tenantId), update, arg),
  );
  return viewOf(status);
}

/** Runs one sync Update (starting the workflow from its stored configuration if it is not running). */
export async function updateSync<Ret, Arg>(deps: WorkflowCallDeps, tenantId: string, update: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> {
  return withTemporalDeadline(deps, () => updateSyncWorkflow(deps.temporal, deps.taskQueue, tenantId, update, arg));
}

export function viewOf(status: OnboardingStatus): OnboardingView {
  const { tenantId, makeshopMode, steps, requiredActions, canSetRunning, syncState } = status;
  return { tenantId, makeshopMode, steps, requiredActions, canSetRunning, syncState };
}
