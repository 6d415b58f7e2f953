// The sync engine's alerts, decided at its failure points: the activity wrapper reports each failure
// and success here, push and order import report the items and orders MakeShop or the catalog refused.
import { keepsRejecting, type AlertEvent } from '../domain/alerts';
import type { Logger } from '../lib/logger';
import { PlatformError } from '../platforms/http';
import type { Db } from 'mongodb';
import { clearPushFailing, notePushFailing } from '../storage/alerts';
import { countItemRefusals } from '../storage/item-refusals';
import { createAlertCenter, recordSafely, type AlertCenter, type AlertCenterDeps } from './center';

export type SyncActivityName = 'pushStock' | 'processOrder' | 'reconcile';

/** What the sync engine tells the alerts about; optional so the engine runs without it (benches, unit tests). */
export interface SyncAlertPort {
  failed(tenantId: string, activity: SyncActivityName, err: unknown, context: { orderNumber?: string; attempt: number; mode?: 'legacy' | 'apps' }): Promise<void>;
  succeeded(tenantId: string, activity: SyncActivityName, context: { orderNumber?: string; makeshopCalled: boolean }): Promise<void>;
  /**
   * Rows refused in one push (code, message; `unwritable`: the row can never be sent as it is, so it is not
   * retried), and the codes MakeShop accepted.
   */
  itemsPushed(tenantId: string, outcome: { rejected: { code: string; message: string; unwritable?: boolean }[]; accepted: string[] }): Promise<void>;
  /** An order (partly) held because lines have no Smaregi product in the catalog; null when nothing was held. */
  orderHeld(tenantId: string, orderNumber: string, heldCodes: string[] | null): Promise<void>;
}

/** Retryable failures of one order raise its alert from this attempt on (the workflow allows 8). */
const ORDER_ALERT_ATTEMPT = 3;

export function createSyncAlerts(deps: { db: Db; center: AlertCenter; logger: Logger; stallMs: number }): SyncAlertPort {
  const { center } = deps;
  const safely = (what: string, run: () => Promise<unknown>) => recordSafely(deps.logger, what, run);
  return {
    failed: (tenantId, activity, err, context) =>
      safely('failure', async () => {
        const platform = platformRefusal(err, context.mode);
        if (platform) await center.raise(tenantId, platform);
        if (activity === 'processOrder' && context.orderNumber && (isFinal(err) || context.attempt >= ORDER_ALERT_ATTEMPT)) {
          await center.raise(tenantId, orderFailed(context.orderNumber, err));
        }
        if (activity !== 'processOrder') {
          const since = await notePushFailing(deps.db, tenantId);
          if (Date.now() - since.getTime() >= deps.stallMs) await center.raise(tenantId, syncStalled(since, err));
        }
      }),
    succeeded: (tenantId, activity, context) =>
      safely('success', async () => {
        await center.resolve(tenantId, 'smaregi-auth', 'smaregi');
        if (context.makeshopCalled) {
          await center.resolve(tenantId, 'makeshop-auth', 'makeshop');
          await center.resolve(tenantId, 'makeshop-app-revoked', 'makeshop');
        }
        if (activity === 'processOrder' && context.orderNumber) await center.resolve(tenantId, 'order-failed', context.orderNumber);
        if (activity === 'pushStock') {
          await clearPushFailing(deps.db, tenantId);
          await center.resolve(tenantId, 'sync-stalled', 'sync');
        }
      }),
    itemsPushed: (tenantId, { rejected, accepted }) =>
      safely('items', async () => {
        const streaks = await countItemRefusals(deps.db, tenantId, rejected.map((r) => r.code), accepted);
        const kept = rejected.filter(({ code, unwritable }) => unwritable === true || keepsRejecting(streaks.get(code) ?? 0));
        await center.raiseMany(tenantId, kept.map(({ code, message }) => itemRejected(code, streaks.get(code)!, message)));
        const acceptedCodes = new Set(accepted);
        await center.resolveKind(tenantId, 'item-push-rejected', (code) => acceptedCodes.has(code));
      }),
    orderHeld: (tenantId, orderNumber, heldCodes) =>
      safely('held', async () => {
        if (heldCodes?.length) await center.raise(tenantId, orderHeld(orderNumber, heldCodes));
        else await center.resolve(tenantId, 'order-held', orderNumber);
      }),
  };
}

const isFinal = (err: unknown) => (err as { nonRetryable?: boolean }).nonRetryable === true || (err instanceof PlatformError && !err.retryable);

/** Credentials or a token the platform refuses: nothing will work until the merchant acts. */
function platformRefusal(err: unknown, mode: 'legacy' | 'apps' | undefined): AlertEvent | null {
  if (!(err instanceof PlatformError) || !['auth', 'forbidden', 'revoked'].includes(err.kind)) return null;
  if (err.details.platform === 'smaregi') {
    return {
      kind: 'smaregi-auth',
      subject: 'smaregi',
      message:
        'スマレジがこのアプリのアクセスを拒否したため、在庫を読めず注文も取り込めません。スマレジ・アプリマーケットでアプリの利用が続いているか（解約・利用停止になっていないか）を確認してください。',
    };
  }
  if (mode === 'apps' || err.kind === 'revoked') return makeshopAppRevoked();
  return {
    kind: 'makeshop-auth',
    subject: 'makeshop',
    message:
      'MakeShop がログインを拒否したため、在庫の更新も注文の取り込みも止まっています。MakeShop の管理者パスワードや注文データ連携認証コードを変更した場合は、管理画面の「MakeShop の接続情報」に新しい値を保存してください。',
  };
}

/**
 * For the makeshop apps mode: the uninstall webhook or a revoked token calls this with `connected:
 * false` (raises the alert and mails the merchant); a new installation linked to the tenant calls it
 * with `connected: true` (resolves it). Safe to repeat.
 */
export async function makeshopAppConnectionAlert(deps: AlertCenterDeps, tenantId: string, connected: boolean): Promise<void> {
  const center = createAlertCenter(deps);
  await recordSafely(deps.logger, 'makeshop app connection', () =>
    connected ? center.resolve(tenantId, 'makeshop-app-revoked', 'makeshop') : center.raise(tenantId, makeshopAppRevoked()),
  );
}

function makeshopAppRevoked(): AlertEvent {
  return {
    kind: 'makeshop-app-revoked',
    subject: 'makeshop',
    message:
      'MakeShop のアプリがアンインストールされたか、アクセス権が取り消されたため、在庫の更新も注文の取り込みも止まっています。MakeShop の管理画面でアプリを入れ直し、管理画面から接続し直してください。',
  };
}

function orderFailed(orderNumber: string, err: unknown): AlertEvent {
  const cause = (err as { message?: string }).message ?? String(err);
  return {
    kind: 'order-failed',
    subject: orderNumber,
    message: `MakeShop の注文 ${orderNumber} をスマレジに取り込めません（${cause}）。自動で再試行しますが、解決しない場合は連携ログで原因を確認し、必要ならスマレジで出荷を手入力してください。`,
  };
}

function orderHeld(orderNumber: string, codes: string[]): AlertEvent {
  const listed = codes.slice(0, 10).map((c) => `「${c}」`).join('、') + (codes.length > 10 ? ` ほか${codes.length - 10}件` : '');
  return {
    kind: 'order-held',
    subject: orderNumber,
    message: `注文 ${orderNumber} の商品 ${listed} はカタログで対応するスマレジ商品がないため、スマレジへの取り込みを保留しました。スマレジの商品コードと MakeShop の商品コードを揃えてカタログを再アップロードし、この注文の出荷はスマレジで手入力してください。`,
  };
}

function itemRejected(code: string, times: number, reason: string): AlertEvent {
  return {
    kind: 'item-push-rejected',
    subject: code,
    message: `MakeShop が商品「${code}」の在庫の更新を${times > 1 ? `${times}回続けて` : ''}受け付けませんでした（${reason}）。MakeShop の管理画面でこの商品が削除・変更されていないか確認し、変わっていればカタログを再アップロードしてください。`,
  };
}

function syncStalled(since: Date, err: unknown): AlertEvent {
  const cause = (err as { message?: string }).message ?? String(err);
  const minutes = Math.max(1, Math.round((Date.now() - since.getTime()) / 60_000));
  return {
    kind: 'sync-stalled',
    subject: 'sync',
    message: `在庫連携は稼働中ですが、${minutes}分以上 MakeShop に在庫を送信できていません（${cause}）。このままでは MakeShop で売り越しが起きます。連携状況で原因を確認してください。`,
  };
}
