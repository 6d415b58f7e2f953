// Signals of the alerts feature (kept apart from messages.ts so the sync and onboarding files stay small).
import { defineSignal } from '@temporalio/workflow';

export const alertMailWorkflowId = (mailbox: string) => `alert-mail-${mailbox}`;

/** New notices wait in the mailbox: the mail workflow looks at it now. */
export const alertNoticesQueuedSignal = defineSignal('alertNoticesQueued');

/** The tenant's open merchant alerts changed; `at` orders signals sent concurrently. */
export const openAlertsChangedSignal = defineSignal<[{ count: number; at: number }]>('openAlertsChanged');
