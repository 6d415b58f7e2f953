import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Logger } from '../lib/logger';
import { recordApplicationWaitingTooLong, saveOnboardingProgress } from '../storage/tenants';
import { signalSyncWorkflow } from '../temporal/tenant-workflows';
import { readinessChangedSignal } from '../workflows/messages';
import type { OnboardingActivities } from '../workflows/onboarding';
import { createWorkflowRecordActivities } from './workflow-records';

export interface OnboardingActivityDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
}

/** The onboarding workflow's side effects: its MongoDB record, readiness for the sync workflow, alerts. */
export function createOnboardingActivities(deps: OnboardingActivityDeps): OnboardingActivities {
  return {
    loadOnboardingProgress: createWorkflowRecordActivities(deps.db).loadOnboardingProgress,
    async saveOnboardingProgress({ state }) {
      await saveOnboardingProgress(deps.db, state, new Date());
    },
    async publishReadiness({ tenantId, readiness }) {
      await signalSyncWorkflow(deps.temporal, deps.taskQueue, tenantId, readinessChangedSignal, [readiness]);
    },
    async reportApplicationWaitingTooLong({ tenantId, waitingSince, waitedMs }) {
      deps.logger.warn(
        { tenantId, waitingSince, waitedDays: Math.floor(waitedMs / 86_400_000) },
        'MakeShop application still waiting for operator approval: check MakeShop review and approve it',
      );
      await recordApplicationWaitingTooLong(deps.db, tenantId, waitingSince, new Date());
    },
  };
}
