// alertMailWorkflow (`alert-mail-{mailbox}`): the one sender of a mailbox's alert mails, so grouping is
// decided in one place: it mails what may go now (at most one mail per kind per interval) and sleeps
// until the next kind's window opens; new notices wake it. It ends when nothing waits.
import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { AlertMailActivities } from './activity-types';
import { alertNoticesQueuedSignal } from './alert-messages';

const activities = proxyActivities<AlertMailActivities>({
  startToCloseTimeout: '1 minute',
  // An SMTP server that is down is waited for; the notices stay queued in MongoDB meanwhile.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export async function alertMailWorkflow(input: { mailbox: string }): Promise<void> {
  let queued = true;
  setHandler(alertNoticesQueuedSignal, () => void (queued = true));
  while (!workflowInfo().continueAsNewSuggested) {
    queued = false;
    const { nextDueAt } = await activities.deliverAlertMails({ mailbox: input.mailbox });
    if (nextDueAt === null) {
      if (!queued) return;
      continue;
    }
    await condition(() => queued, Math.max(1, nextDueAt - Date.now()));
  }
  await continueAsNew<typeof alertMailWorkflow>(input);
}
