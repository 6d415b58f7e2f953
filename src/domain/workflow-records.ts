// What the tenant's entity workflows read back from MongoDB when they start without carried state
// (after a terminate, or the operator's restart): pure types, shared by storage and the workflows.
import type { OnboardingState } from './onboarding';
import type { Readiness, SyncState } from './sync';

/** What a freshly started sync workflow needs to carry on where a terminated one stopped. */
export interface StoredSyncConfiguration {
  state: SyncState;
  /** 停止 came from a lost MakeShop link (apps uninstalled), not from the merchant: a relink resumes it. */
  stoppedByLostLink: boolean;
  active: boolean;
  readiness: Readiness;
  catalogVersion: number | null;
}

/** What a freshly started onboarding workflow needs: its last saved state and what others recorded since. */
export interface StoredOnboardingProgress {
  state: OnboardingState;
  syncState: SyncState | null;
  catalog: { version: number; uploadId: string } | null;
}
