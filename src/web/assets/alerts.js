// お知らせ: the merchant's alerts (open ones first, each with its action), the unread badge in the
// menu, and where alert mails go (confirmed addresses and the kinds each receives).
import { api } from './api.js';
import { badge, formatDateTime, h, notice, replaceChildren } from './dom.js';
import { onAction } from './forms.js';

const badgeSlot = () => document.getElementById('alert-badge');

/** The unread count in the menu, on every page; refreshed after each navigation and each "read". */
export async function refreshAlertBadge() {
  const slot = badgeSlot();
  if (!slot) return;
  const alerts = await api('GET', '/alerts').catch(() => null);
  const unread = alerts ? alerts.filter((a) => !a.read).length : 0;
  slot.textContent = unread > 99 ? '99+' : String(unread);
  slot.hidden = unread === 0;
  slot.setAttribute('aria-label', `未読 ${unread}件`);
}

const isOpen = (alert) => alert.resolvedAt === undefined || alert.resolvedAt === null;

/** Open alerts first (newest first within each group): what needs doing comes before what is done. */
function ordered(alerts) {
  return [...alerts.filter(isOpen), ...alerts.filter((a) => !isOpen(a))];
}

/** One alert: state, title, message, when, its action and a "read" button while unread. */
function alertItem(alert, { onRead }) {
  const open = isOpen(alert);
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const readButton = alert.read ? null : h('button', { type: 'button', class: 'button button-quiet', text: '既読にする' });
  if (readButton) {
    onAction(readButton, status, async () => {
      await api('POST', `/alerts/${encodeURIComponent(alert.id)}/read`);
      await onRead();
      return null;
    });
  }
  const state = alert.kind === 'catalog-import-succeeded' ? badge('done', 'お知らせ') : open ? badge('error', '対応が必要') : badge('done', '解決済み');
  return h(
    'li',
    { class: `alert-item${open ? ' alert-open' : ''}${alert.read ? '' : ' alert-unread'}`, dataset: { kind: alert.kind, id: alert.id } },
    h('div', { class: 'alert-head' }, state, h('strong', { class: 'alert-title', text: alert.title }), alert.read ? null : h('span', { class: 'alert-new', text: '未読' })),
    h('p', { class: 'alert-message', text: alert.message }),
    h(
      'p',
      { class: 'small muted' },
      `発生: ${formatDateTime(alert.openedAt)}`,
      !open && alert.kind !== 'catalog-import-succeeded' ? ` ／ 解決: ${formatDateTime(alert.resolvedAt)}` : '',
    ),
    h(
      'div',
      { class: 'actions' },
      open || alert.kind === 'catalog-import-succeeded' ? h('a', { class: 'button button-primary alert-action', href: alert.link, text: alert.action }) : null,
      readButton,
    ),
    status,
  );
}

/** The list, or a calm line when there is nothing. */
export function alertList(alerts, { onRead }) {
  if (alerts.length === 0) return h('p', { class: 'empty', text: 'お知らせはありません。' });
  return h('ul', { class: 'alert-list' }, ordered(alerts).map((a) => alertItem(a, { onRead })));
}

/** For the 連携状況 page: the open alerts, above everything else; nothing when none is open. */
export async function openAlertsCard() {
  const alerts = (await api('GET', '/alerts')).filter(isOpen);
  if (alerts.length === 0) return null;
  const card = h('section', { class: 'card card-alerts', id: 'open-alerts' });
  const draw = async () => {
    const fresh = (await api('GET', '/alerts')).filter(isOpen);
    replaceChildren(card, h('h2', { text: `対応が必要なお知らせ（${fresh.length}件）` }), alertList(fresh, { onRead: redraw }));
  };
  const redraw = async () => {
    await draw();
    await refreshAlertBadge();
  };
  replaceChildren(card, h('h2', { text: `対応が必要なお知らせ（${alerts.length}件）` }), alertList(alerts, { onRead: redraw }));
  return card;
}

export async function renderAlerts(main) {
  const listCard = h('section', { class: 'card' });
  const settingsCard = h('section', { class: 'card' });
  const drawList = async () => {
    const alerts = await api('GET', '/alerts');
    replaceChildren(listCard, h('h2', { text: 'お知らせ' }), alertList(alerts, { onRead: async () => (await drawList(), await refreshAlertBadge()) }));
  };
  const verified = /[?&]verified=([01])/.exec(location.hash)?.[1];
  replaceChildren(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: 'お知らせ' }),
      h('p', { class: 'lead', text: '在庫連携が止まったとき、注文を取り込めないときなど、対応が必要なことをお知らせします。原因が解消すると自動で「解決済み」になります。' }),
    ),
    verified === '1' ? notice('success', 'メールアドレスを確認しました。このアドレスにお知らせをメールでお送りします。') : null,
    verified === '0' ? notice('error', '確認用のリンクが正しくないか、すでに使われています。下の「通知メールの設定」から確認メールを送り直してください。') : null,
    listCard,
    settingsCard,
  );
  await Promise.all([drawList(), drawRecipients(settingsCard)]);
}

/** 通知メールの設定: each address with its confirmation state and the kinds it receives; adding an address mails a link. */
async function drawRecipients(card) {
  const view = await api('GET', '/alerts/recipients');
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const rows = view.recipients.map((r) => recipientRow(r, view.kinds));
  const list = h('div', { class: 'recipient-list' }, rows.map((r) => r.element));
  const newEmail = h('input', { type: 'email', id: 'new-recipient', name: 'email', autocomplete: 'email', placeholder: 'shop@example.jp' });
  const save = h('button', { type: 'button', class: 'button button-primary', id: 'save-recipients', text: '保存する' });
  onAction(save, status, async () => {
    const recipients = rows.filter((r) => !r.removed()).map((r) => r.value());
    if (newEmail.value.trim()) recipients.push({ email: newEmail.value.trim(), kinds: view.kinds.map((k) => k.kind) });
    await api('PUT', '/alerts/recipients', { recipients });
    await drawRecipients(card);
    return null;
  });
  replaceChildren(
    card,
    h('h2', { text: '通知メールの設定' }),
    h('p', { class: 'muted', text: 'お知らせは、確認済みのアドレスにだけ送ります。新しいアドレスを追加すると確認用のメールが届くので、リンクを開いてください。' }),
    rows.length ? list : h('p', { class: 'empty', text: '通知先はまだありません。' }),
    h('div', { class: 'field' }, h('label', { for: 'new-recipient', text: '通知先を追加' }), newEmail),
    h('div', { class: 'actions' }, save),
    status,
  );
}

function recipientRow(recipient, kinds) {
  const boxes = kinds.map((k) => {
    const input = h('input', { type: 'checkbox', value: k.kind, checked: recipient.kinds.includes(k.kind) });
    return { input, label: h('label', { class: 'check' }, input, ` ${k.title}`) };
  });
  const remove = h('input', { type: 'checkbox', class: 'recipient-remove' });
  const element = h(
    'fieldset',
    { class: 'recipient', dataset: { email: recipient.email } },
    h('legend', {}, h('span', { class: 'mono', text: recipient.email }), ' ', recipient.verified ? badge('done', '確認済み') : badge('waiting', '確認待ち')),
    h('div', { class: 'kind-grid' }, boxes.map((b) => b.label)),
    h('label', { class: 'check small muted' }, remove, ' このアドレスを削除する'),
  );
  return {
    element,
    removed: () => remove.checked,
    value: () => ({ email: recipient.email, kinds: boxes.filter((b) => b.input.checked).map((b) => b.input.value) }),
  };
}
