// Step 2 on the makeshop apps path: name the shop, install the app in MakeShop, open it from the MakeShop
// admin while logged in here (that links the installation). Shows the installation's state.
import { api } from './api.js';
import { formatDateTime, h, notice, replaceChildren } from './dom.js';
import { actions, field, onAction, onSubmit, submitButton, valuesOf } from './forms.js';

const INSTALLATION_STATES = {
  none: 'アプリはまだインストールされていません。MakeShop の管理画面でアプリをインストールしてください。',
  pending: 'アプリはインストール済みです。このページにログインしたまま、MakeShop の管理画面からアプリを開くと連携が完了します。',
  linked: 'makeshop アプリで連携済みです。',
  revoked: 'アプリがアンインストールされたか、MakeShop がアクセスを拒否しました。在庫連携は停止しています。アプリを再インストールし、MakeShop の管理画面からアプリを開くと再開します。',
};

export function renderAppsPanel(setup) {
  const stateSlot = h('div', { class: 'apps-state', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    field({ label: 'アプリで連携するショップのID', name: 'shopId', required: true, hint: 'MakeShop のショップID（半角英数字）', attrs: { spellcheck: 'false', autocapitalize: 'off' } }),
    actions(submitButton('makeshop アプリで連携する')),
  );
  onSubmit(form, async () => {
    await api('POST', '/onboarding/makeshop-application', { mode: 'apps', ...valuesOf(form, ['shopId']) });
    await setup.refresh();
    await showInstallation();
    return 'ショップIDを登録しました。次の手順でアプリをインストールし、管理画面から開いてください。';
  });
  const refresh = h('button', { type: 'button', class: 'button', text: '連携状態を更新' });
  const refreshStatus = h('div', { 'aria-live': 'polite' });
  onAction(refresh, refreshStatus, async () => {
    await Promise.all([showInstallation(), setup.refresh()]);
  });

  async function showInstallation() {
    const installation = await api('GET', '/makeshop/apps');
    if (installation.makeshopMode !== 'apps' || !installation.shopId) return replaceChildren(stateSlot);
    const when = installation.linkedAt ?? installation.installedAt;
    replaceChildren(
      stateSlot,
      notice(installation.status === 'linked' ? 'success' : installation.status === 'revoked' ? 'error' : 'info', h('span', { class: 'apps-status', dataset: { status: installation.status }, text: INSTALLATION_STATES[installation.status] })),
      h('p', { class: 'muted small', text: `ショップID: ${installation.shopId}${when ? `（${formatDateTime(when)}）` : ''}` }),
    );
  }
  void showInstallation();

  return h(
    'div',
    { class: 'apps-panel' },
    h('p', { text: 'makeshop アプリで連携すると、外部システム連携の申請・管理者パスワード・認証コード・更新通知URLの設定は不要です。' }),
    form,
    h(
      'ol',
      { class: 'apps-instructions' },
      h('li', { text: '上でショップIDを登録します。' }),
      h('li', { text: 'MakeShop の管理画面（アプリストア）で在庫連携アプリをインストールします。' }),
      h('li', { text: 'このページにログインしたまま、MakeShop の管理画面からアプリを開きます。開くと連携が完了し、この画面に戻ります。' }),
    ),
    stateSlot,
    h('div', { class: 'actions' }, refresh),
    refreshStatus,
  );
}

/** Step 5 on the apps path: read the catalog from MakeShop instead of uploading the CSV pair. */
export function makeshopImportForm(setup, follow) {
  const form = h(
    'form',
    { class: 'form makeshop-import', novalidate: true },
    h('p', { text: 'makeshop アプリで連携している場合は、CSVの代わりに MakeShop から商品データを直接取り込めます。' }),
    actions(submitButton('MakeShop から商品を取り込む')),
  );
  onSubmit(form, async () => follow((await api('POST', '/catalog/imports', { source: 'makeshop' })).uploadId));
  const show = () => {
    form.hidden = setup.view.makeshopMode !== 'apps';
  };
  setup.subscribe(show);
  show();
  return form;
}
