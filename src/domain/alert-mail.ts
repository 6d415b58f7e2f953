// The text of alert mails, in Japanese: one alert → its message and the link of its action; several
// notices of one kind (the rest of the hour) → a digest listing them, with the same link.
import { ALERT_DEFINITIONS, alertUrl, type AlertKind, type PendingNotice } from './alerts';

export interface MailAlert {
  id: string;
  kind: AlertKind;
  subject: string;
  message: string;
  shopName?: string;
}

const SIGNATURE = ['', '--', '在庫連携（スマレジ → MakeShop）', 'このメールは送信専用です。通知の受け取り設定は管理画面の「お知らせ」から変更できます。'];

function noticeLine(notice: PendingNotice, alert: MailAlert): string {
  return notice.event === 'resolved' ? `【解決】${ALERT_DEFINITIONS[alert.kind].title}（${alert.subject}）` : `・${alert.message}`;
}

/** One mail for the pending notices of one kind; `alerts` holds the alerts the notices name. */
export function composeAlertMail(
  kind: AlertKind,
  notices: PendingNotice[],
  alerts: Map<string, MailAlert>,
  publicBaseUrl: string,
): { subject: string; text: string } | null {
  const lines = notices.flatMap((n) => {
    const alert = alerts.get(n.alertId);
    return alert ? [{ notice: n, alert }] : [];
  });
  if (lines.length === 0) return null;
  const def = ALERT_DEFINITIONS[kind];
  const link = alertUrl(publicBaseUrl, kind);
  const shop = lines[0]!.alert.shopName ? `${lines[0]!.alert.shopName} 様\n\n` : '';
  if (lines.length === 1) {
    const { notice, alert } = lines[0]!;
    if (notice.event === 'resolved') {
      return {
        subject: `【在庫連携】解決しました: ${def.title}`,
        text: [`${shop}次のお知らせは解決しました。対応は不要です。`, '', `${def.title}（${alert.subject}）`, '', `管理画面: ${link}`, ...SIGNATURE].join('\n'),
      };
    }
    return {
      subject: `【在庫連携】${def.title}`,
      text: [`${shop}${alert.message}`, '', `対応: ${def.action}`, link, ...SIGNATURE].join('\n'),
    };
  }
  const opened = lines.filter((l) => l.notice.event === 'opened').length;
  return {
    subject: `【在庫連携】まとめ: ${def.title}（${lines.length}件）`,
    text: [
      `${shop}前回のお知らせ以降に、次の${lines.length}件がありました（新規 ${opened}件、解決 ${lines.length - opened}件）。`,
      '',
      ...lines.map((l) => noticeLine(l.notice, l.alert)),
      '',
      `対応: ${def.action}`,
      link,
      ...SIGNATURE,
    ].join('\n'),
  };
}

/** The mail that confirms an address for alert mails. */
export function composeVerificationMail(verifyUrl: string, shopName: string): { subject: string; text: string } {
  return {
    subject: '【在庫連携】通知用メールアドレスの確認',
    text: [
      `${shopName} 様`,
      '',
      '在庫連携からのお知らせ（連携が止まったとき、注文を取り込めないときなど）をこのアドレスで受け取るには、',
      '次のリンクを開いてメールアドレスを確認してください。',
      '',
      verifyUrl,
      '',
      '心当たりがない場合は、このメールを破棄してください。',
      ...SIGNATURE,
    ].join('\n'),
  };
}
