// The forms of set-up steps 2–4 and of 在庫連携する店舗 (stock settings).
import { api, ApiError } from './api.js';
import { formatDateTime, h, notice, replaceChildren } from './dom.js';
import { actions, errorNotice, field, onAction, onSubmit, submitButton, valuesOf } from './forms.js';
import { renderAppsPanel } from './apps.js';

const MAKESHOP_PASSWORD_MAX_LENGTH = 12;
const MAKESHOP_ORDER_SETTINGS = 'MakeShop管理画面の「注文データ連携設定」（新しい管理画面では「ショップ構築 > 設定 > API > 注文」）';

/** A body that loads its data first; while loading it says so, and a failed load shows the server's message. */
function loadingBody(load, render) {
  const container = h('div', { class: 'step-content' }, h('p', { class: 'muted', text: '読み込み中…' }));
  load().then(
    (data) => replaceChildren(container, render(data)),
    (error) => replaceChildren(container, errorNotice(error)),
  );
  return container;
}

function checkbox({ name, label, value, checked = false }) {
  return h('label', { class: 'check' }, h('input', { type: 'checkbox', name, value: value ?? 'true', checked }), h('span', { text: label }));
}

// ── step 2 ──────────────────────────────────────────────────────────────────────────────────────

export function renderApplicationStep(setup) {
  const formFields = h(
    'fieldset',
    { class: 'fieldset' },
    h('legend', { text: 'MakeShop への利用申請内容' }),
    field({ label: 'ショップ名', name: 'shopName', required: true }),
    field({ label: '利用者名', name: 'userName', required: true, hint: '会社名またはご担当者のお名前' }),
    field({ label: 'ショップID', name: 'shopId', required: true, hint: 'MakeShop のショップID（半角英数字）', attrs: { spellcheck: 'false', autocapitalize: 'off' } }),
    field({ label: 'ショップURL', name: 'shopUrl', type: 'url', required: true, hint: 'MakeShop で「適用中」のドメイン（例: https://www.example.jp/）', attrs: { placeholder: 'https://' } }),
  );
  const alreadyEnabled = checkbox({ name: 'alreadyEnabled', label: 'MakeShop の外部システム連携はすでに利用できる状態です（申請不要）' });
  const submit = submitButton('利用申請を送信');
  const form = h('form', { class: 'form', novalidate: true }, alreadyEnabled, formFields, actions(submit));
  const checkboxInput = alreadyEnabled.querySelector('input');
  const statusOf = () => setup.view.steps.find((s) => s.key === 'makeshopApplication')?.status;
  const labelButton = () => {
    if (checkboxInput.checked) submit.textContent = '有効化済みとして登録';
    else submit.textContent = statusOf() === 'waiting' ? '申請内容を修正して再送信' : '利用申請を送信';
  };
  checkboxInput.addEventListener('change', () => {
    formFields.disabled = checkboxInput.checked;
    formFields.hidden = checkboxInput.checked;
    labelButton();
  });

  onSubmit(form, async () => {
    const enabled = checkboxInput.checked;
    const body = enabled ? { alreadyEnabled: true } : valuesOf(form, ['shopName', 'userName', 'shopId', 'shopUrl']);
    await api('POST', '/onboarding/makeshop-application', body);
    await setup.refresh();
    return enabled
      ? '外部システム連携を「有効化済み」として登録しました。ステップ3に進んでください。'
      : '利用申請を送信しました。MakeShop の審査完了までお待ちください（通常数日〜1週間）。その間もステップ4・5は進められます。';
  });

  const doneNote = notice('success', 'MakeShop の外部システム連携は利用できる状態です。');
  const legacyPanel = h(
    'div',
    { class: 'legacy-panel' },
    h('p', { text: 'MakeShop の在庫更新と注文データの取得には「外部システム連携」の利用申請が必要です。MakeShop の審査には通常数日〜1週間かかります。' }),
    doneNote,
    form,
  );
  const appsPanel = renderAppsPanel(setup);
  const modeChoice = h(
    'fieldset',
    { class: 'fieldset mode-choice' },
    h('legend', { text: 'MakeShop との連携方法' }),
    h('label', { class: 'check' }, h('input', { type: 'radio', name: 'makeshopMode', value: 'apps' }), h('span', { text: 'makeshop アプリで連携（推奨）' })),
    h('label', { class: 'check' }, h('input', { type: 'radio', name: 'makeshopMode', value: 'legacy' }), h('span', { text: '外部システム連携（従来のAPI）で連携' })),
  );
  const radios = [...modeChoice.querySelectorAll('input')];
  let chosen = setup.view.makeshopMode ?? 'legacy';
  for (const radio of radios) radio.addEventListener('change', () => ((chosen = radio.value), show()));
  const container = h('div', { class: 'step-content' }, modeChoice, appsPanel, legacyPanel);
  const show = () => {
    const done = statusOf() === 'done';
    for (const radio of radios) radio.checked = radio.value === chosen;
    appsPanel.hidden = chosen !== 'apps';
    legacyPanel.hidden = chosen !== 'legacy';
    doneNote.hidden = !done || setup.view.makeshopMode !== 'legacy';
    form.hidden = done && setup.view.makeshopMode === 'legacy';
    labelButton();
  };
  setup.subscribe(show);
  show();
  return container;
}

// ── step 3 ──────────────────────────────────────────────────────────────────────────────────────

function credentialsSummary(summary) {
  const row = (label, value) => [h('dt', { text: label }), h('dd', { text: value })];
  return h(
    'dl',
    { class: 'summary' },
    row('主管理者ID', summary.accountId ?? '未登録'),
    row('パスワード', summary.passwordSet ? '登録済み' : '未登録'),
    row('注文データ連携認証コード', summary.orderAuthCodeSet ? '登録済み' : '未登録'),
    row('最終更新', formatDateTime(summary.updatedAt)),
  );
}

/** Counts as the merchant types, so a too-long MakeShop password is visible before saving. */
function passwordCounter(input) {
  const counter = h('p', { class: 'counter', 'aria-live': 'polite' });
  const update = () => {
    const length = input.value.length;
    const over = length > MAKESHOP_PASSWORD_MAX_LENGTH;
    counter.textContent = over
      ? `${length}文字（${MAKESHOP_PASSWORD_MAX_LENGTH}文字を超えています）`
      : `${length} / ${MAKESHOP_PASSWORD_MAX_LENGTH}文字`;
    counter.classList.toggle('counter-over', over);
  };
  input.addEventListener('input', update);
  update();
  return counter;
}

export function renderCredentialsStep(setup) {
  return loadingBody(
    () => api('GET', '/makeshop/credentials'),
    (summary) => credentialsBody(setup, summary),
  );
}

function credentialsBody(setup, initialSummary) {
  const summarySlot = h('div', {}, credentialsSummary(initialSummary));
  const passwordField = field({
    label: 'パスワード',
    name: 'password',
    type: 'password',
    required: true,
    autocomplete: 'off',
    hint: `${MAKESHOP_PASSWORD_MAX_LENGTH}文字以内（MakeShop の規則）。${MAKESHOP_PASSWORD_MAX_LENGTH + 1}文字以上の場合は、先に MakeShop の管理画面でパスワードを変更してください。`,
  });
  const passwordInput = passwordField.querySelector('input');
  passwordField.querySelector('.hint').after(passwordCounter(passwordInput));
  const reveal = checkbox({ name: 'showPassword', label: 'パスワードを表示する' });
  reveal.querySelector('input').addEventListener('change', (e) => (passwordInput.type = e.target.checked ? 'text' : 'password'));

  const form = h(
    'form',
    { class: 'form', novalidate: true, autocomplete: 'off' },
    field({
      label: 'MakeShop 主管理者ID',
      name: 'accountId',
      required: true,
      value: initialSummary.accountId ?? '',
      hint: 'MakeShop の管理画面にログインするID（サブ管理者IDは使えません）',
      attrs: { spellcheck: 'false', autocapitalize: 'off' },
    }),
    passwordField,
    reveal,
    field({
      label: '注文データ連携認証コード',
      name: 'orderAuthCode',
      required: true,
      autocomplete: 'off',
      hint: `${MAKESHOP_ORDER_SETTINGS}で発行し、保存したコードをそのまま貼り付けてください。`,
      attrs: { spellcheck: 'false', autocapitalize: 'off' },
    }),
    h('p', { class: 'muted small', text: '保存した内容は暗号化して保管し、この画面にも再表示しません。変更するときは3項目すべてを入力してください。' }),
    actions(submitButton('保存')),
  );
  onSubmit(form, async () => {
    const summary = await api('PUT', '/makeshop/credentials', valuesOf(form, ['accountId', 'password', 'orderAuthCode']));
    replaceChildren(summarySlot, credentialsSummary(summary));
    passwordInput.value = '';
    form.querySelector('[name="orderAuthCode"]').value = '';
    passwordInput.dispatchEvent(new Event('input'));
    await setup.refresh();
    return 'MakeShop の管理者情報を保存しました。「接続テスト」で接続を確認できます。';
  });

  const testStatus = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const testButton = h('button', { type: 'button', class: 'button button-secondary', text: '接続テスト' });
  onAction(testButton, testStatus, async () => {
    const result = await api('POST', '/makeshop/credentials/test');
    return notice(result.ok ? 'success' : 'error', result.message);
  });

  return h(
    'div',
    { class: 'step-content two-columns' },
    h('div', {}, form),
    h(
      'aside',
      { class: 'side-panel' },
      h('h3', { text: '登録状況' }),
      summarySlot,
      testStatus,
      h('div', { class: 'actions' }, testButton),
    ),
  );
}

// ── step 4 ──────────────────────────────────────────────────────────────────────────────────────

export function renderOrderImportStep(setup) {
  return loadingBody(
    () => Promise.all([api('GET', '/order-import'), api('GET', '/smaregi/stores').catch((error) => ({ error }))]),
    ([settings, stores]) => orderImportBody(setup, settings, stores),
  );
}

function storeOptions(stores, selectedId) {
  return [
    h('option', { value: '', text: '店舗を選んでください', disabled: true, selected: !selectedId }),
    ...stores.map((s) => h('option', { value: s.storeId, text: `${s.storeName}（店舗ID ${s.storeId}）`, selected: s.storeId === selectedId })),
  ];
}

function orderImportBody(setup, settings, stores) {
  const urlInput = h('input', { type: 'text', readonly: true, value: settings.notificationUrl, class: 'mono', id: 'notification-url', 'aria-label': '更新通知APIのURL' });
  const copyStatus = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const copyButton = h('button', { type: 'button', class: 'button button-secondary', text: 'URLをコピー' });
  onAction(copyButton, copyStatus, async () => {
    await copyText(urlInput);
    return 'コピーしました。MakeShop の管理画面に貼り付けてください。';
  });
  const rotateButton = h('button', { type: 'button', class: 'button button-quiet', text: 'URLを再発行' });
  onAction(rotateButton, copyStatus, async () => {
    if (!window.confirm('今のURLはすぐに使えなくなります。再発行したURLを MakeShop に貼り直す必要があります。再発行しますか？')) return null;
    const next = await api('POST', '/order-import/rotate-token');
    urlInput.value = next.notificationUrl;
    return 'URLを再発行しました。新しいURLを MakeShop に貼り直してください。';
  });

  const storeForm = shipmentStoreForm(setup, settings, stores);
  return h(
    'div',
    { class: 'step-content' },
    h('h3', { text: '① 更新通知APIのURLを MakeShop に設定' }),
    h('p', { text: `下のURLを${MAKESHOP_ORDER_SETTINGS}の「更新通知APIのURL」に貼り付けて保存してください。注文が入ると MakeShop からこのURLに通知が届きます。` }),
    h('div', { class: 'copy-row' }, urlInput, copyButton),
    copyStatus,
    h('div', { class: 'actions actions-end' }, rotateButton),
    h('h3', { text: '② 出荷元のスマレジ店舗' }),
    h('p', { text: 'MakeShop の注文は、選んだ店舗からの「出荷」としてスマレジに登録されます（取り込み方法: 出荷のみ）。' }),
    storeForm,
  );
}

function shipmentStoreForm(setup, settings, stores) {
  if (stores.error) return errorNotice(stores.error);
  const selectId = 'shipment-store';
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    h(
      'div',
      { class: 'field', dataset: { field: 'shipmentStoreId' } },
      h('label', { for: selectId, text: '出荷元店舗' }),
      h('select', { id: selectId, name: 'shipmentStoreId', required: true }, storeOptions(stores, settings.shipmentStoreId)),
      h('p', { class: 'field-error', hidden: true }),
    ),
    actions(submitButton('出荷元店舗を保存')),
  );
  onSubmit(form, async () => {
    const { shipmentStoreId } = valuesOf(form, ['shipmentStoreId']);
    await api('PUT', '/order-import', { shipmentStoreId });
    await setup.refresh();
    return '出荷元店舗を保存しました。';
  });
  return form;
}

/** The Clipboard API needs a secure context and permission; the old copy command is the fallback. */
async function copyText(input) {
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    if (!document.execCommand('copy')) throw new ApiError(0, 'copy_failed', 'コピーできませんでした。URLを選択して手動でコピーしてください。');
  }
}

// ── 在庫連携する店舗 (stock settings) ────────────────────────────────────────────────────────────

export function renderStockSettingsStep(setup) {
  return loadingBody(
    () => Promise.all([api('GET', '/stock-settings'), api('GET', '/smaregi/stores').catch((error) => ({ error }))]),
    ([settings, stores]) => (stores.error ? errorNotice(stores.error) : stockSettingsForm(setup, settings, stores)),
  );
}

/** '' → undefined (the server then asks for the value); text that is no number goes as-is, so the server names it. */
function numberOrRaw(text) {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : text;
}

function overrideRow(override = { code: '', buffer: '' }) {
  const row = h(
    'tr',
    { class: 'override-row' },
    h('td', {}, h('input', { type: 'text', name: 'overrideCode', value: override.code, 'aria-label': '商品コード', class: 'mono', spellcheck: 'false' })),
    h('td', {}, h('input', { type: 'number', name: 'overrideBuffer', value: String(override.buffer), min: 0, step: 1, inputmode: 'numeric', 'aria-label': 'バッファ' })),
    h('td', {}, h('button', { type: 'button', class: 'button button-quiet', text: '削除', onclick: () => row.remove() })),
  );
  return row;
}

function stockSettingsForm(setup, settings, stores) {
  const selected = new Set(settings.storeIds);
  const overridesBody = h('tbody', {}, settings.overrides.map((o) => overrideRow(o)));
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    h('p', { text: '選んだ店舗のスマレジ在庫の合計から、バッファを差し引いた数（0未満にはなりません）を MakeShop の在庫にします。' }),
    h(
      'fieldset',
      { class: 'fieldset', dataset: { field: 'storeIds' } },
      h('legend', { text: '在庫を合計する店舗' }),
      h('div', { class: 'check-grid' }, stores.map((s) => checkbox({ name: 'storeIds', value: s.storeId, label: `${s.storeName}（店舗ID ${s.storeId}）`, checked: selected.has(s.storeId) }))),
      h('p', { class: 'field-error', hidden: true }),
    ),
    field({
      label: '在庫バッファ（全商品）',
      name: 'buffer',
      type: 'number',
      value: String(settings.buffer),
      inputmode: 'numeric',
      hint: '売り越しを防ぐため、合計在庫からこの数を差し引いて MakeShop に反映します。0 なら合計在庫そのままです。',
      attrs: { min: 0, step: 1 },
    }),
    h(
      'div',
      { class: 'field', dataset: { field: 'overrides' } },
      h('span', { class: 'label', text: '商品ごとのバッファ（任意）' }),
      h('p', { class: 'hint', text: 'スマレジの商品コードごとに、全商品のバッファとは別の数を指定できます。商品コードは前後の空白や大文字・小文字も区別します。' }),
      h('div', { class: 'table-wrap' }, h('table', { class: 'table table-compact' }, h('thead', {}, h('tr', {}, h('th', { text: '商品コード' }), h('th', { text: 'バッファ' }), h('th', { text: '' }))), overridesBody)),
      h('button', { type: 'button', class: 'button button-quiet', text: '＋ 商品ごとのバッファを追加', onclick: () => overridesBody.append(overrideRow()) }),
      h('p', { class: 'field-error', hidden: true }),
    ),
    actions(submitButton('在庫連携の店舗を保存')),
  );
  onSubmit(form, async () => {
    const data = new FormData(form);
    const overrides = [...overridesBody.querySelectorAll('.override-row')].map((row) => ({
      code: row.querySelector('[name="overrideCode"]').value,
      buffer: numberOrRaw(row.querySelector('[name="overrideBuffer"]').value),
    }));
    const body = { storeIds: data.getAll('storeIds').map(String), buffer: numberOrRaw(String(data.get('buffer') ?? '')), overrides };
    await api('PUT', '/stock-settings', body);
    await setup.refresh();
    return '在庫連携の店舗を保存しました。';
  });
  return form;
}
