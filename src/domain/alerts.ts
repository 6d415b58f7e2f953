// Alerts: what needs the merchant (or the operator), said in Japanese with the one thing to do and a
// link into the admin. Pure: the storage, the mailer and the routes all read these definitions.

export const ALERT_KINDS = [
  'makeshop-auth',
  'makeshop-app-revoked',
  'smaregi-subscription-ended',
  'smaregi-auth',
  'order-held',
  'order-failed',
  'item-push-rejected',
  'sync-stalled',
  'catalog-import-succeeded',
  'catalog-import-failed',
  'application-waiting',
  'workflow-task-failing',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Who the alert is for: the merchant sees it in the admin and by mail; operators in their API, metrics and mail. */
export type AlertAudience = 'merchant' | 'operator';

/** Where an alert's action is done: a screen of the admin UI (hash route), or the operator's tools. */
export type AlertLink = '#/setup' | '#/status' | '#/alerts' | 'operator';

export interface AlertKindDefinition {
  audience: AlertAudience;
  /** Short Japanese title: the mail subject and the list heading. */
  title: string;
  /** Where the action is done. */
  link: AlertLink;
  /** The action, as a button label. */
  action: string;
  /** Informational: recorded already resolved (nothing to clear), e.g. a catalog import that succeeded. */
  informational?: boolean;
}

export const ALERT_DEFINITIONS: Record<AlertKind, AlertKindDefinition> = {
  'makeshop-auth': { audience: 'merchant', title: 'MakeShop にログインできません', link: '#/setup', action: 'MakeShop の接続情報を直す' },
  'makeshop-app-revoked': { audience: 'merchant', title: 'MakeShop アプリとの接続が切れました', link: '#/setup', action: 'MakeShop にアプリを入れ直す' },
  'smaregi-subscription-ended': { audience: 'merchant', title: 'スマレジアプリの契約が終了しています', link: '#/status', action: '契約状況を確認する' },
  'smaregi-auth': { audience: 'merchant', title: 'スマレジに接続できません', link: '#/status', action: 'スマレジの利用状況を確認する' },
  'order-held': { audience: 'merchant', title: '注文の取り込みを保留しました', link: '#/setup', action: 'カタログを更新する' },
  'order-failed': { audience: 'merchant', title: '注文をスマレジに取り込めません', link: '#/status', action: '連携ログを確認する' },
  'item-push-rejected': { audience: 'merchant', title: 'MakeShop が在庫の更新を受け付けない商品があります', link: '#/status', action: '連携ログを確認する' },
  'sync-stalled': { audience: 'merchant', title: '在庫を MakeShop に送信できない状態が続いています', link: '#/status', action: '連携状況を確認する' },
  'catalog-import-succeeded': { audience: 'merchant', title: 'カタログの取り込みが完了しました', link: '#/setup', action: '照合結果を確認する', informational: true },
  'catalog-import-failed': { audience: 'merchant', title: 'カタログの取り込みに失敗しました', link: '#/setup', action: 'CSV を直して再アップロードする' },
  'application-waiting': { audience: 'operator', title: 'MakeShop 利用申請が7日以上承認待ちです', link: 'operator', action: 'MakeShop の審査状況を確認して承認する' },
  'workflow-task-failing': { audience: 'operator', title: 'ワークフローのタスクが失敗し続けています', link: 'operator', action: 'Temporal UI でワークフローを確認する' },
};

/**
 * "An item whose push MakeShop keeps rejecting" opens once MakeShop refused the item's row in this many
 * consecutive pushes that sent it. Every push counts: the one a Smaregi change triggers, its retry at each
 * reconciliation, a full push (稼働, 再同期) and drift repair's. A push MakeShop accepts for the item ends the
 * streak and resolves the alert. A single refusal (an item being re-created in the MakeShop admin) mails nobody.
 * A row that can never be sent as it is (an option without オプション独自コード) is not retried, so its alert
 * opens at the first refusal.
 */
export const ITEM_REJECTION_ALERT_STREAK = 3;

export function keepsRejecting(consecutiveRefusals: number): boolean {
  return consecutiveRefusals >= ITEM_REJECTION_ALERT_STREAK;
}

/** An event that raises (or re-raises) an alert. `subject` tells apart alerts of one kind (an order number, a code). */
export interface AlertEvent {
  kind: AlertKind;
  subject: string;
  /** What happened and what to do, in Japanese. */
  message: string;
}

/** At most one open alert per (mailbox, kind, subject): the id is that key, so raising twice is one write to one document. */
export function alertId(mailbox: string, kind: AlertKind, subject: string): string {
  return `${mailbox}:${kind}:${subject}`;
}

/** Operator alerts share one mailbox, whatever tenant they concern. */
export const OPERATOR_MAILBOX = 'operator';

export function mailboxOf(kind: AlertKind, tenantId: string): string {
  return ALERT_DEFINITIONS[kind].audience === 'operator' ? OPERATOR_MAILBOX : tenantId;
}

/** The absolute link of an alert's action (merchant alerts open the admin UI; operator alerts the alert list of the operator API). */
export function alertUrl(publicBaseUrl: string, kind: AlertKind): string {
  const base = publicBaseUrl.replace(/\/+$/, '');
  const link = ALERT_DEFINITIONS[kind].link;
  return link === 'operator' ? `${base}/api/v1/operator/alerts` : `${base}/${link}`;
}

/** One pending mail line: an alert that opened, or one that was resolved (the short "resolved" notice). */
export interface PendingNotice {
  alertId: string;
  kind: AlertKind;
  event: 'opened' | 'resolved';
}

/**
 * Which pending notices may be mailed now: at most one mail per kind per interval per mailbox. A kind
 * whose last mail is older than the interval gets one mail now carrying every pending notice of that
 * kind (one notice: the alert itself; several: a digest); the other kinds wait until `nextDueAt`.
 */
export function planAlertMails(
  pending: PendingNotice[],
  lastMailAt: Partial<Record<AlertKind, number>>,
  now: number,
  intervalMs: number,
): { send: { kind: AlertKind; notices: PendingNotice[] }[]; nextDueAt: number | null } {
  const byKind = new Map<AlertKind, PendingNotice[]>();
  for (const notice of pending) byKind.set(notice.kind, [...(byKind.get(notice.kind) ?? []), notice]);
  const send: { kind: AlertKind; notices: PendingNotice[] }[] = [];
  let nextDueAt: number | null = null;
  for (const [kind, notices] of byKind) {
    const dueAt = (lastMailAt[kind] ?? -Infinity) + intervalMs;
    if (dueAt <= now) send.push({ kind, notices });
    else nextDueAt = Math.min(nextDueAt ?? dueAt, dueAt);
  }
  return { send, nextDueAt };
}
