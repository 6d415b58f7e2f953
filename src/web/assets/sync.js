// 在庫連携の状態 (稼働/停止, step 6) and the 連携状況 screen: status, dry run, log and full resync.
import { api, ApiError } from './api.js';
import { badge, formatDateTime, formatNumber, h, notice, replaceChildren, table } from './dom.js';
import { errorNotice, onAction } from './forms.js';
import { loadOnboarding } from './onboarding.js';
import { openAlertsCard } from './alerts.js';

const STATE_LABELS = { running: '稼働中', stopped: '停止中' };
const LOG_KINDS = { 'stock-push': '在庫送信', 'order-import': '注文取込', 'order-cancel': '注文取消', resync: '再同期', error: 'エラー' };

/** 「稼働には下記の設定が必要です」 and the list, or nothing when 稼働 is possible. */
function requiredActionsList(view) {
  if (view.canSetRunning || view.requiredActions.length === 0) return null;
  return h(
    'div',
    { class: 'required-actions' },
    h('p', { class: 'required-actions-title', text: '稼働には下記の設定が必要です' }),
    h('ul', {}, view.requiredActions.map((a) => h('li', { dataset: { key: a.key }, text: a.message }))),
  );
}

/**
 * The 稼働/停止 switch. The answer of PUT /sync/state is the truth; the checklist (GET /onboarding)
 * learns of the change a moment later, so until it does the switch shows the confirmed state and
 * re-reads the checklist. A 409 (e.g. no catalog yet) shows the server's message, then the checklist
 * re-read so the list matches what the server now requires.
 */
export function syncStateControl(source, { onChanged } = {}) {
  const stateSlot = h('div', { class: 'sync-state' });
  const button = h('button', { type: 'button', class: 'button button-primary' });
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const required = h('div');
  let confirmed = null;
  const currentState = () => confirmed ?? source.view.syncState;

  const show = (view) => {
    if (confirmed === view.syncState) confirmed = null;
    const state = currentState();
    const running = state === 'running';
    replaceChildren(
      stateSlot,
      h('span', { class: 'label', text: '現在の状態' }),
      badge(running ? 'running' : 'stopped', STATE_LABELS[state] ?? state),
    );
    button.textContent = running ? '停止する' : '稼働する';
    button.className = `button ${running ? 'button-secondary' : 'button-primary'}`;
    replaceChildren(required, running ? null : requiredActionsList(view));
  };
  source.subscribe(show);
  show(source.view);

  onAction(button, status, async () => {
    const next = currentState() === 'running' ? 'stopped' : 'running';
    let answer;
    try {
      answer = await api('PUT', '/sync/state', { state: next });
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) await source.refresh().catch(() => undefined);
      throw error;
    }
    const target = answer?.state ?? next;
    confirmed = target;
    show(source.view);
    await source.refreshUntil((view) => view.syncState === target);
    await onChanged?.();
    return next === 'running'
      ? '在庫連携を稼働しました。スマレジの在庫変動と MakeShop の注文が反映されます。'
      : '在庫連携を停止しました。再開するまで MakeShop の在庫は更新されません。';
  });

  return h('div', { class: 'sync-control' }, h('div', { class: 'sync-control-row' }, stateSlot, button), status, required);
}

export function renderSyncStateStep(setup) {
  return h(
    'div',
    { class: 'step-content' },
    h('p', { text: '「稼働」にすると、選んだ店舗のスマレジ在庫の合計が MakeShop に反映され、MakeShop の注文がスマレジに出荷として取り込まれます。最初は「停止」です。' }),
    syncStateControl(setup),
  );
}

// ── 連携状況 ──────────────────────────────────────────────────────────────────────────────────────

export async function renderStatus(main) {
  const source = await loadOnboarding();
  const openAlerts = await openAlertsCard().catch(() => null);
  const overview = h('section', { class: 'card' }, h('p', { class: 'muted', text: '読み込み中…' }));
  const preview = h('section', { class: 'card' });
  const log = h('section', { class: 'card' });
  const reloadStatus = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const reload = h('button', { type: 'button', class: 'button button-secondary', text: '最新の情報に更新' });

  const load = async () => {
    await Promise.all([source.refresh(), loadOverview(overview), loadPreview(preview), loadLog(log)]);
    return null;
  };
  onAction(reload, reloadStatus, load);

  replaceChildren(
    main,
    h(
      'div',
      { class: 'page-head page-head-row' },
      h('div', {}, h('h1', { text: '連携状況' }), h('p', { class: 'lead', text: '在庫連携の状態、次に送る在庫、これまでの送信と注文取込の記録です。' })),
      h('div', {}, h('div', { class: 'actions' }, reload), reloadStatus),
    ),
    openAlerts,
    h('section', { class: 'card' }, h('h2', { text: '在庫連携の状態' }), syncStateControl(source, { onChanged: () => loadOverview(overview) })),
    overview,
    preview,
    log,
  );
  await load().catch((error) => replaceChildren(reloadStatus, errorNotice(error)));
}

async function loadOverview(section) {
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const resync = h('button', { type: 'button', class: 'button button-secondary', text: '再同期（全商品の在庫を送り直す）' });
  let state = 'stopped';
  onAction(resync, status, async () => {
    await api('POST', '/sync/resync');
    return state === 'running'
      ? '再同期を受け付けました。まもなく全商品の在庫を MakeShop に送り直します。'
      : '再同期を受け付けました。停止中のため、稼働にしたときに全商品の在庫を MakeShop に送ります。';
  });
  try {
    const sync = await api('GET', '/sync');
    state = sync.state;
    const stat = (label, value) => h('div', { class: 'stat' }, h('dt', { text: label }), h('dd', {}, value));
    replaceChildren(
      section,
      h('h2', { text: '概要' }),
      h(
        'dl',
        { class: 'stats' },
        stat('状態', badge(sync.state === 'running' ? 'running' : 'stopped', STATE_LABELS[sync.state] ?? sync.state)),
        stat('最終の在庫送信', formatDateTime(sync.lastPushAt)),
        stat('未処理の注文', `${formatNumber(sync.pending?.orders ?? 0)} 件`),
        stat('送信待ちの商品', `${formatNumber(sync.pending?.items ?? 0)} 件`),
      ),
      sync.lastError ? notice('error', h('strong', { text: '直近のエラー: ' }), lastErrorText(sync.lastError)) : null,
      status,
      h('div', { class: 'actions' }, resync),
    );
  } catch (error) {
    replaceChildren(section, h('h2', { text: '概要' }), errorNotice(error));
  }
}

function lastErrorText(lastError) {
  if (typeof lastError === 'string') return lastError;
  const at = lastError.at ? `（${formatDateTime(lastError.at)}）` : '';
  return `${lastError.message ?? JSON.stringify(lastError)}${at}`;
}

async function loadPreview(section) {
  const head = [
    h('h2', { text: '次に送る在庫（試算）' }),
    h('p', { class: 'muted', text: '稼働中なら今 MakeShop に送られる在庫です。送信在庫 ＝ スマレジ在庫合計 − バッファ − 取込前の注文数（0未満は0）。「MakeShop の現在庫」はアプリ連携のときだけ表示します。' }),
  ];
  try {
    const rows = await api('GET', '/sync/preview');
    replaceChildren(
      section,
      head,
      rows.length === 0
        ? h('p', { class: 'empty', text: '対象の商品はまだありません（商品データCSVのアップロードと在庫連携する店舗の設定が必要です）。' })
        : table(
            ['商品コード', 'スマレジ在庫合計', 'バッファ', '取込前の注文', '送信在庫', '前回送信', 'MakeShop の現在庫', ''],
            rows.map((r) => [
              h('span', { class: 'mono', text: r.code }),
              formatNumber(r.smaregiTotal),
              formatNumber(r.buffer),
              formatNumber(r.reserved),
              h('strong', { text: formatNumber(r.target) }),
              r.lastPushed === null || r.lastPushed === undefined ? '未送信' : formatNumber(r.lastPushed),
              makeshopNowCell(r.makeshopNow),
              r.lastPushed === r.target ? '' : badge('waiting', '変更あり'),
            ]),
            { caption: '次に送る在庫' },
          ),
    );
  } catch (error) {
    replaceChildren(section, head, errorNotice(error));
  }
}

/** MakeShop's own quantity: read in apps mode only (the legacy API cannot read stock). */
function makeshopNowCell(quantity) {
  if (typeof quantity === 'number') return formatNumber(quantity);
  return h('span', { class: 'muted', title: '旧API連携では MakeShop の在庫を読めません（アプリ連携では在庫管理なしの商品も空欄です）', text: '—' });
}

async function loadLog(section) {
  const head = h('h2', { text: '連携の記録（新しい順）' });
  try {
    const entries = await api('GET', '/sync/log?limit=100');
    replaceChildren(
      section,
      head,
      entries.length === 0
        ? h('p', { class: 'empty', text: 'まだ記録はありません。' })
        : table(
            ['日時', '種類', '商品コード', '注文番号', '在庫', '結果', '内容'],
            entries.map((e) => [
              formatDateTime(e.at),
              LOG_KINDS[e.kind] ?? e.kind,
              e.code ? h('span', { class: 'mono', text: e.code }) : '',
              e.orderNumber ?? '',
              stockChange(e),
              e.ok ? badge('done', '成功') : badge('error', '失敗'),
              e.message ?? '',
            ]),
            { caption: '連携の記録' },
          ),
    );
  } catch (error) {
    replaceChildren(section, head, errorNotice(error));
  }
}

function stockChange(entry) {
  if (entry.to === undefined || entry.to === null) return '';
  const from = entry.from === undefined || entry.from === null ? '—' : formatNumber(entry.from);
  return `${from} → ${formatNumber(entry.to)}`;
}
