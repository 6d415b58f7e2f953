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
import type { Readiness } from '../domain/sync';
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
  type MakeshopApplicationSubmission,
  type NextStep,
  type OnboardingAction,
  type OnboardingState,
  type Rejection,
  type SmaregiContractLink,
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

  setHandler(onboardingStatusQuery, () => onboardingStatus(state));
  setHandler(linkSmaregiContractUpdate, (link) => change(recordSmaregiContractLinked(state, link)), {
    validator: (link: SmaregiContractLink) => {
      refuse(malformedPayload('linkSmaregiContract', link));
      refuse(linkRejection(state, link.contractId));
    },
  });
  setHandler(submitMakeshopApplicationUpdate, (submission) => change(submitApplication(state, submission, nowIso())), {
    validator: (submission: MakeshopApplicationSubmission) => {
      refuseUnlessAllowed('submitMakeshopApplication');
      refuse(malformedPayload('submitMakeshopApplication', submission));
    },
  });
  setHandler(chooseMakeshopAppsUpdate, ({ shopId }) => change(chooseMakeshopApps(state, shopId)), {
    validator: (choice: { shopId: string }) => {
      refuseUnlessAllowed('chooseMakeshopApps');
      refuse(malformedPayload('chooseMakeshopApps', choice));
    },
  });
  setHandler(recordMakeshopAppsLinkedUpdate, ({ shopId, linkedAt }) => change(recordAppsLinked(state, shopId, linkedAt)));
  setHandler(makeshopAppsRevokedSignal, ({ shopId, at }) => void (state = recordAppsRevoked(state, shopId, at)));
  setHandler(approveMakeshopApplicationUpdate, ({ approvedBy }) => change(approveApplication(state, approvedBy, nowIso())), {
    validator: (_approval: { approvedBy: 'operator-api' }) => refuseUnlessAllowed('approveMakeshopApplication'),
  });
  setHandler(recordMakeshopCredentialsSavedUpdate, ({ savedAt }) => change(recordCredentialsSaved(state, savedAt)), {
    validator: (saved: { savedAt: string }) => {
      refuseUnlessAllowed('saveMakeshopCredentials');
      refuse(malformedPayload('saveMakeshopCredentials', saved));
    },
  });
  setHandler(chooseShipmentStoreUpdate, ({ shipmentStoreId }) => change(chooseShipmentStore(state, shipmentStoreId)), {
    validator: (choice: { shipmentStoreId: string }) => {
      refuseUnlessAllowed('chooseShipmentStore');
      refuse(malformedPayload('chooseShipmentStore', choice));
    },
  });
  setHandler(recordStockSettingsSavedUpdate, ({ savedAt }) => change(recordStockSettingsSaved(state, savedAt)), {
    validator: (saved: { savedAt: string }) => {
      refuseUnlessAllowed('saveStockSettings');
      refuse(malformedPayload('saveStockSettings', saved));
    },
  });
  setHandler(makeshopApplicationApprovedSignal, () => {
    if (state.application.status !== 'waiting') {
      log.warn('makeshopApplicationApproved ignored: no application is waiting', { status: state.application.status });
      return;
    }
    state = approveApplication(state, 'temporal-ui', nowIso());
  });
  setHandler(catalogActivatedSignal, (activation) => void (state = recordCatalogActivated(state, activation, nowIso())));
  setHandler(syncStateChangedSignal, ({ state: syncState }) => void (state = recordSyncState(state, syncState, nowIso())));

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
