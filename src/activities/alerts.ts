import type { Db } from 'mongodb';
import type { Config } from '../config';
import { createAlertCenter, type AlertCenter, type AlertCenterDeps } from '../alerts/center';
import type { Mailer } from '../alerts/mailer';
import { composeAlertMail, type MailAlert } from '../domain/alert-mail';
import { OPERATOR_MAILBOX, planAlertMails, type AlertEvent, type AlertKind } from '../domain/alerts';
import { mailRecipientsFor } from '../storage/alert-recipients';
import { alertsById, decodeNotice, dropNotices, readMailbox, recordMailed } from '../storage/alerts';
import { findTenantById } from '../storage/tenants';

export interface AlertActivityDeps extends AlertCenterDeps {
  config: Pick<Config, 'PUBLIC_BASE_URL' | 'ALERT_MAIL_INTERVAL_MS' | 'OPERATOR_ALERT_EMAIL'>;
  mailer: Mailer;
}

/** Alert activities: the mail workflow's delivery, and raise/resolve for workflows that detect a condition themselves. */
export function createAlertActivities(deps: AlertActivityDeps) {
  const center = createAlertCenter(deps);
  return {
    async deliverAlertMails({ mailbox }: { mailbox: string }): Promise<{ nextDueAt: number | null }> {
      return deliverAlertMails(deps, mailbox);
    },
    async raiseAlert({ tenantId, event }: { tenantId: string; event: AlertEvent }): Promise<void> {
      await center.raise(tenantId, event);
    },
    async resolveAlert({ tenantId, kind, subject }: { tenantId: string; kind: AlertKind; subject: string }): Promise<void> {
      await center.resolve(tenantId, kind, subject);
    },
  };
}

export type AlertActivities = ReturnType<typeof createAlertActivities>;
export type { AlertCenter };

/**
 * Mails what the grouping rule lets go now and says when the next kind's window opens. A mail is
 * recorded after the SMTP server accepted it: a crash in between sends it again (at least once).
 */
async function deliverAlertMails(deps: AlertActivityDeps, mailbox: string): Promise<{ nextDueAt: number | null }> {
  const box = await readMailbox(deps.db, mailbox);
  if (!box || box.pending.length === 0) return { nextDueAt: null };
  const now = Date.now();
  const plan = planAlertMails(box.pending.map(decodeNotice), box.lastMailAt ?? {}, now, deps.config.ALERT_MAIL_INTERVAL_MS);
  if (plan.send.length === 0) return { nextDueAt: plan.nextDueAt };

  const alerts = await mailAlerts(deps.db, mailbox, plan.send.flatMap((s) => s.notices.map((n) => n.alertId)));
  const sent: typeof plan.send = [];
  const unreachable: typeof plan.send = [];
  for (const group of plan.send) {
    const to = await recipientsOf(deps, mailbox, group.kind);
    const mail = composeAlertMail(group.kind, group.notices, alerts, deps.config.PUBLIC_BASE_URL);
    if (to.length === 0 || !mail) {
      unreachable.push(group);
      continue;
    }
    await deps.mailer.send({ to, ...mail });
    deps.logger.info({ mailbox, kind: group.kind, notices: group.notices.length, recipients: to.length }, 'alert mail sent');
    await recordMailed(deps.db, mailbox, [group], now);
    sent.push(group);
  }
  await dropNotices(deps.db, mailbox, unreachable.flatMap((g) => g.notices));
  // The windows just opened close at now + interval: wake then if anything else is still queued.
  const stillQueued = plan.nextDueAt !== null;
  return { nextDueAt: stillQueued ? plan.nextDueAt : null };
}

async function mailAlerts(db: Db, mailbox: string, ids: string[]): Promise<Map<string, MailAlert>> {
  const docs = await alertsById(db, [...new Set(ids)]);
  const shopName = mailbox === OPERATOR_MAILBOX ? undefined : (await findTenantById(db, mailbox))?.shopName;
  return new Map(
    docs.map((d) => [
      d._id,
      { id: d._id, kind: d.kind, subject: d.subject, message: mailbox === OPERATOR_MAILBOX ? `[${d.tenantId}] ${d.message}` : d.message, shopName },
    ]),
  );
}

async function recipientsOf(deps: AlertActivityDeps, mailbox: string, kind: AlertKind): Promise<string[]> {
  if (mailbox === OPERATOR_MAILBOX) return deps.config.OPERATOR_ALERT_EMAIL ? [deps.config.OPERATOR_ALERT_EMAIL] : [];
  return mailRecipientsFor(deps.db, mailbox, kind);
}
