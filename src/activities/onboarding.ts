import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Logger } from '../lib/logger';
import { recordApplicationWaitingTooLong, saveOnboardingProgress } from '../storage/tenants';
import { signalSyncWorkflow } from '../temporal/tenant-workflows';
import { readinessChangedSignal } from '../workflows/messages';
import type { OnboardingActivities } from '../workflows/onboarding';
import { createWorkflowRecordActivities } from './workflow-records';
import type { AlertCenter } from '../alerts/center';

export interface OnboardingActivityDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  alerts?: AlertCenter;
}

/** The onboarding workflow's side effects: its MongoDB record, readiness for the sync workflow, alerts. */
export function createOnboardingActivities(deps: OnboardingActivityDeps): OnboardingActivities {
  return {
    loadOnboardingProgress: createWorkflowRecordActivities(deps.db).loadOnboardingProgress,
    async saveOnboardingProgress({ state }) {
      await saveOnboardingProgress(deps.db, state, new Date());
      if (state.application.status !== 'waiting') await deps.alerts?.resolve(state.tenantId, 'application-waiting', state.tenantId);
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
      await deps.alerts?.raise(tenantId, {
        kind: 'application-waiting',
        subject: tenantId,
        message: `テナント ${tenantId} の MakeShop 外部システム連携の利用申請が ${waitingSince} から${Math.floor(waitedMs / 86_400_000)}日間、承認待ちです。MakeShop の審査状況を確認し、承認されていれば運用者APIで承認してください。`,
      });
    },
  };
}
