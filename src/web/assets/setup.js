// 初期設定: the six steps of GET /onboarding as a checklist. Each step opens to its form; after any
// form succeeds the checklist is re-read, so statuses always come from the server.
import { renderCatalogStep } from './catalog.js';
import { badge, formatDateTime, h, replaceChildren } from './dom.js';
import { loadOnboarding } from './onboarding.js';
import { renderApplicationStep, renderCredentialsStep, renderOrderImportStep, renderStockSettingsStep } from './steps.js';
import { renderSyncStateStep } from './sync.js';

const STATUS_LABELS = { todo: '未完了', waiting: '審査待ち', done: '完了' };

/** The checklist rows, in order. `stockSettings` is no numbered step, but 稼働 needs it (DESIGN §1). */
const ITEMS = [
  { key: 'account', number: '1', title: 'アプリ利用登録', render: renderAccountStep },
  { key: 'makeshopApplication', number: '2', title: 'MakeShop との連携（makeshop アプリ／外部システム連携）', render: renderApplicationStep },
  { key: 'makeshopCredentials', number: '3', title: 'MakeShop の管理者情報と認証コード', render: renderCredentialsStep },
  { key: 'orderImport', number: '4', title: '受注の取り込み（更新通知APIと出荷元店舗）', render: renderOrderImportStep },
  { key: 'stockSettings', number: '＋', title: '在庫連携する店舗', render: renderStockSettingsStep },
  { key: 'catalog', number: '5', title: '商品データの取り込み（CSV／MakeShop から）', render: renderCatalogStep },
  { key: 'syncState', number: '6', title: '在庫連携の状態（稼働／停止）', render: renderSyncStateStep },
];

/** The status of a checklist row; stock settings count as done once 稼働 no longer asks for them. */
function statusOf(view, key) {
  if (key === 'stockSettings') return view.requiredActions.some((a) => a.key === 'stockSettings') ? 'todo' : 'done';
  return view.steps.find((s) => s.key === key)?.status ?? 'todo';
}

function detailOf(view, key) {
  if (key === 'stockSettings') return statusOf(view, key) === 'done' ? '保存済み' : '稼働の前に、在庫を合計するスマレジの店舗を選んでください';
  return withJapanTimes(view.steps.find((s) => s.key === key)?.detail ?? '');
}

/** The server writes ISO timestamps into details; a merchant reads Japan time. */
function withJapanTimes(text) {
  return text.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g, (iso) => formatDateTime(iso));
}

export async function renderSetup(main) {
  const setup = await loadOnboarding();
  const progress = h('div', { class: 'progress-summary' });
  const list = h('ol', { class: 'steps' });
  const rows = ITEMS.map((item) => stepRow(item, setup));
  list.append(...rows.map((r) => r.element));

  function update(view) {
    const done = view.steps.filter((s) => s.status === 'done').length;
    replaceChildren(
      progress,
      h('span', { text: `6ステップ中 ${done} ステップ完了` }),
      h('progress', { max: 6, value: done, 'aria-label': '初期設定の進み具合' }),
    );
    for (const row of rows) row.update(view);
  }
  setup.subscribe(update);
  update(setup.view);
  rows.find((row) => row.status() === 'todo')?.open();

  replaceChildren(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: '初期設定' }),
      h('p', { class: 'lead', text: '上から順に設定してください。MakeShop の審査を待つ間も、受注の取り込み・店舗・商品データの設定は進められます。' }),
      progress,
    ),
    list,
  );
}

function stepRow(item, setup) {
  const bodyId = `step-body-${item.key}`;
  const badgeSlot = h('span', { class: 'step-badge' });
  const detail = h('span', { class: 'step-detail' });
  const toggle = h(
    'button',
    { type: 'button', class: 'step-toggle', 'aria-expanded': 'false', 'aria-controls': bodyId },
    h('span', { class: 'step-number', 'aria-hidden': 'true', text: item.number }),
    h('span', { class: 'step-text' }, h('span', { class: 'step-title', text: item.title }), detail),
    badgeSlot,
    h('span', { class: 'chevron', 'aria-hidden': 'true' }),
  );
  const body = h('div', { class: 'step-body', id: bodyId, hidden: true });
  const element = h('li', { class: 'step', dataset: { step: item.key } }, h('h2', { class: 'step-head' }, toggle), body);
  let rendered = false;
  let status = 'todo';

  function open() {
    if (!rendered) {
      body.append(item.render(setup));
      rendered = true;
    }
    body.hidden = false;
    toggle.setAttribute('aria-expanded', 'true');
  }
  toggle.addEventListener('click', () => {
    if (body.hidden) open();
    else {
      body.hidden = true;
      toggle.setAttribute('aria-expanded', 'false');
    }
  });

  return {
    key: item.key,
    element,
    open,
    status: () => status,
    update(view) {
      status = statusOf(view, item.key);
      element.className = `step step-${status}`;
      replaceChildren(badgeSlot, badge(status, STATUS_LABELS[status]));
      detail.textContent = detailOf(view, item.key);
    },
  };
}

/** Step 1: the account exists; its Smaregi contract is linked only through スマレジID login (owner). */
function renderAccountStep(setup) {
  const linked = h(
    'div',
    { class: 'notice notice-success' },
    h('p', { class: 'linked-contract' }),
    h('p', { class: 'muted', text: '連携先の契約やショップ名の変更はサポートまでご連絡ください。' }),
  );
  const unlinked = h(
    'div',
    { class: 'link-smaregi' },
    h('p', { text: 'スマレジの契約を連携してください。スマレジの契約のオーナー（契約者）のスマレジIDでログインすると、その契約がこのアカウントに連携されます。' }),
    h('p', { class: 'muted', text: 'スマレジ・アプリマーケットで、このアプリの利用を開始しておいてください。' }),
    h('div', { class: 'actions' }, h('a', { class: 'button button-primary', href: '/api/v1/auth/smaregi/link', text: 'スマレジIDで連携する' })),
  );
  const show = () => {
    const step = setup.view.steps.find((s) => s.key === 'account');
    const done = step?.status === 'done';
    linked.hidden = !done;
    unlinked.hidden = done;
    linked.querySelector('.linked-contract').textContent = done ? `連携済みの契約: ${step.detail ?? ''}` : '';
  };
  setup.subscribe(show);
  show();
  return h('div', { class: 'step-content' }, linked, unlinked);
}
