// The tenant's six set-up steps as one durable entity (DESIGN §1, §3). Handlers change the state only
// through the pure reducers of src/domain/onboarding.ts; the main loop is the single writer that
// persists each new revision to MongoDB, tells the sync workflow when readiness changes, and reports
// an application the operator left waiting too long.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { Readiness } from '../domain/sync';
import type { StoredOnboardingProgress } from '../domain/workflow-records';
import {
  APPLICATION_REPORT_AFTER_MS,
  applicationReportDueAt,
  approveApplication,
  chooseMakeshopApps,
  chooseShipmentStore,
  makeshopModeOf,
  recordAppsLinked,
  recordAppsRevoked,
  initialOnboardingState,
  linkRejection,
  malformedPayload,
  nextOpenStep,
  onboardingStatus,
  readinessOf,
  recordApplicationOverdue,
  recordCatalogActivated,
  recordCredentialsSaved,
  recordStockSettingsSaved,
  recordSmaregiContractLinked,
  recordSyncState,
  rejectionFor,
  stepStatuses,
  submitApplication,
  type NextStep,
  type OnboardingAction,
  type OnboardingStatus,
  type OnboardingState,
  type Rejection,
} from '../domain/onboarding';
import { OnboardingStepKey } from '../temporal/search-attributes';
import {
  approveMakeshopApplicationUpdate,
  catalogActivatedSignal,
  chooseMakeshopAppsUpdate,
  makeshopAppsRevokedSignal,
  recordMakeshopAppsLinkedUpdate,
  chooseShipmentStoreUpdate,
  linkSmaregiContractUpdate,
  makeshopApplicationApprovedSignal,
  onboardingStatusQuery,
  recordMakeshopCredentialsSavedUpdate,
  recordStockSettingsSavedUpdate,
  submitMakeshopApplicationUpdate,
  syncStateChangedSignal,
} from './messages';

/** Implemented by src/activities/onboarding.ts. Inputs carry state and ids only, never secrets. */
export interface OnboardingActivities {
  /** The last saved state, plus what the sync and catalog workflows recorded since (null: no such tenant). */
  loadOnboardingProgress(input: { tenantId: string }): Promise<StoredOnboardingProgress | null>;
  saveOnboardingProgress(input: { state: OnboardingState }): Promise<void>;
  publishReadiness(input: { tenantId: string; readiness: Readiness }): Promise<void>;
  reportApplicationWaitingTooLong(input: { tenantId: string; waitingSince: string; waitedMs: number }): Promise<void>;
}

export interface OnboardingWorkflowInput {
  tenantId: string;
  /** How long an application may wait for the operator before it is reported (default 7 days). */
  applicationReportAfterMs?: number;
  /** Carried over continue-as-new. */
  carried?: { state: OnboardingState; publishedReadiness: string | null; persistedRevision: number };
}

const activities = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '30 seconds',
  // MongoDB and Temporal writes: keep trying until they are back, never lose a step.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function onboardingWorkflow(input: OnboardingWorkflowInput): Promise<void> {
  const reportAfterMs = input.applicationReportAfterMs ?? APPLICATION_REPORT_AFTER_MS;
  let state = input.carried?.state ?? initialOnboardingState(input.tenantId);
  // The api wrote revision 0 when it created the account; later revisions are this loop's to write.
  let persistedRevision = input.carried?.persistedRevision ?? 0;
  let publishedReadiness = input.carried?.publishedReadiness ?? null;
  let searchAttributeStep: NextStep | undefined = workflowInfo().typedSearchAttributes.get(OnboardingStepKey) as NextStep | undefined;

  const nowIso = () => new Date().toISOString();
  const persisted = (revision: number) => condition(() => persistedRevision >= revision);
  const refuse = (rejection: Rejection | null) => {
    if (rejection) throw ApplicationFailure.create({ type: rejection.code, message: rejection.message, nonRetryable: true });
  };
  const refuseUnlessAllowed = (action: OnboardingAction) => refuse(rejectionFor(action, stepStatuses(state), makeshopModeOf(state)));
  /** Applies one change and answers once it is in MongoDB, so the caller can read it back at once. */
  const change = async (next: OnboardingState) => {
    state = next;
    await persisted(state.revision);
    return onboardingStatus(state);
  };
  // Until the stored progress is loaded (a rebuilt workflow), validators cannot judge: they let the
  // update through and its handler checks it once loaded. A refusal then fails only that update.
  let loaded = input.carried !== undefined;
  /** Refuses a step out of order or with a malformed payload (rules in src/domain/onboarding.ts). */
  const stepCheck = (action: OnboardingAction) => (arg: unknown) => {
    refuseUnlessAllowed(action);
    refuse(malformedPayload(action, arg));
  };
  const handleUpdate = <Arg>(
    update: UpdateDefinition<OnboardingStatus, [Arg]>,
    check: (arg: Arg) => void,
    apply: (arg: Arg) => OnboardingState,
  ) =>
    setHandler(
      update,
      async (arg: Arg) => {
        if (!loaded) {
          await condition(() => loaded);
          check(arg);
        }
        return change(apply(arg));
      },
      {
        validator: (arg: Arg) => {
          if (loaded) check(arg);
        },
      },
    );

  setHandler(onboardingStatusQuery, () => onboardingStatus(state));
  handleUpdate(linkSmaregiContractUpdate, (link) => {
    refuse(malformedPayload('linkSmaregiContract', link));
    refuse(linkRejection(state, link.contractId));
  }, (link) => recordSmaregiContractLinked(state, link));
  handleUpdate(submitMakeshopApplicationUpdate, stepCheck('submitMakeshopApplication'), (submission) => submitApplication(state, submission, nowIso()));
  handleUpdate(chooseMakeshopAppsUpdate, stepCheck('chooseMakeshopApps'), ({ shopId }) => chooseMakeshopApps(state, shopId));
  handleUpdate(recordMakeshopAppsLinkedUpdate, () => undefined, ({ shopId, linkedAt }) => recordAppsLinked(state, shopId, linkedAt));
  setHandler(makeshopAppsRevokedSignal, async ({ shopId, at }) => {
    await condition(() => loaded);
    state = recordAppsRevoked(state, shopId, at);
  });
  handleUpdate(approveMakeshopApplicationUpdate, stepCheck('approveMakeshopApplication'), ({ approvedBy }) => approveApplication(state, approvedBy, nowIso()));
  handleUpdate(recordMakeshopCredentialsSavedUpdate, stepCheck('saveMakeshopCredentials'), ({ savedAt }) => recordCredentialsSaved(state, savedAt));
  handleUpdate(chooseShipmentStoreUpdate, stepCheck('chooseShipmentStore'), ({ shipmentStoreId }) => chooseShipmentStore(state, shipmentStoreId));
  handleUpdate(recordStockSettingsSavedUpdate, stepCheck('saveStockSettings'), ({ savedAt }) => recordStockSettingsSaved(state, savedAt));
  setHandler(makeshopApplicationApprovedSignal, async () => {
    await condition(() => loaded);
    if (state.application.status !== 'waiting') {
      log.warn('makeshopApplicationApproved ignored: no application is waiting', { status: state.application.status });
      return;
    }
    state = approveApplication(state, 'temporal-ui', nowIso());
  });
  setHandler(catalogActivatedSignal, async (activation) => {
    await condition(() => loaded);
    state = recordCatalogActivated(state, activation, nowIso());
  });
  setHandler(syncStateChangedSignal, async ({ state: syncState }) => {
    await condition(() => loaded);
    state = recordSyncState(state, syncState, nowIso());
  });

  if (!loaded) {
    const stored = await activities.loadOnboardingProgress({ tenantId: input.tenantId });
    if (stored) {
      state = stored.state;
      persistedRevision = stored.state.revision;
      // What the sync and catalog workflows told a predecessor that had no time to save it.
      if (stored.syncState) state = recordSyncState(state, stored.syncState, nowIso());
      if (stored.catalog) state = recordCatalogActivated(state, stored.catalog, nowIso());
    }
    loaded = true;
  }

  const readinessKey = () => JSON.stringify(readinessOf(state));
  const hasWork = () => state.revision > persistedRevision || readinessKey() !== publishedReadiness;
  const mayContinueAsNew = () => workflowInfo().continueAsNewSuggested && allHandlersFinished();

  for (;;) {
    const step = nextOpenStep(state);
    if (step !== searchAttributeStep) {
      upsertSearchAttributes([{ key: OnboardingStepKey, value: step }]);
      searchAttributeStep = step;
    }
    const reportDueAt = applicationReportDueAt(state, reportAfterMs);
    const wake = () => hasWork() || mayContinueAsNew();
    const woke = reportDueAt === null ? (await condition(wake), true) : await condition(wake, Math.max(1, reportDueAt - Date.now()));

    if (!woke) {
      const waitingSince = state.application.waitingSince ?? nowIso();
      await activities.reportApplicationWaitingTooLong({
        tenantId: state.tenantId,
        waitingSince,
        waitedMs: Date.now() - Date.parse(waitingSince),
      });
      state = recordApplicationOverdue(state, nowIso());
    } else if (state.revision > persistedRevision) {
      const snapshot = state;
      await activities.saveOnboardingProgress({ state: snapshot });
      persistedRevision = snapshot.revision;
    } else if (readinessKey() !== publishedReadiness) {
      const readiness = readinessOf(state);
      await activities.publishReadiness({ tenantId: state.tenantId, readiness });
      publishedReadiness = JSON.stringify(readiness);
    } else {
      // Onboarding histories stay short; this only guards an entity that lives for years.
      await continueAsNew<typeof onboardingWorkflow>({ ...input, carried: { state, publishedReadiness, persistedRevision } });
    }
  }
}
