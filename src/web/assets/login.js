// ログイン / 新規登録. Both answer with the session cookie; the app then opens 初期設定.
import { api } from './api.js';
import { h, replaceChildren } from './dom.js';
import { actions, field, onSubmit, submitButton, valuesOf } from './forms.js';

export function renderLogin(main, { onLoggedIn, initialTab = 'login' }) {
  const panels = { login: loginForm(onLoggedIn), signup: signupForm(onLoggedIn) };
  const tabs = {
    login: tabButton('ログイン', 'login'),
    signup: tabButton('新規登録', 'signup'),
  };
  const body = h('div', { class: 'auth-body' });

  function show(key) {
    for (const [k, tab] of Object.entries(tabs)) {
      tab.setAttribute('aria-selected', String(k === key));
      tab.tabIndex = k === key ? 0 : -1;
    }
    replaceChildren(body, panels[key]);
  }
  for (const [key, tab] of Object.entries(tabs)) tab.addEventListener('click', () => show(key));

  replaceChildren(
    main,
    h(
      'section',
      { class: 'auth card' },
      h('h1', { text: '在庫連携 管理画面' }),
      h('p', { class: 'lead', text: 'スマレジの店舗在庫を MakeShop に自動で反映し、MakeShop の注文をスマレジの出荷として取り込みます。' }),
      h('div', { class: 'tabs', role: 'tablist' }, tabs.login, tabs.signup),
      body,
    ),
  );
  show(initialTab);
}

function tabButton(label, key) {
  return h('button', { type: 'button', class: 'tab', role: 'tab', id: `tab-${key}`, text: label });
}

function loginForm(onLoggedIn) {
  const form = h(
    'form',
    { class: 'form', 'aria-labelledby': 'tab-login', novalidate: true },
    field({ label: 'メールアドレス', name: 'email', type: 'email', autocomplete: 'username', required: true }),
    field({ label: 'パスワード', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    actions(submitButton('ログイン')),
  );
  onSubmit(form, async () => {
    await api('POST', '/sessions', valuesOf(form, ['email', 'password']), { expectUnauthorized: true });
    await onLoggedIn();
  });
  const smaregi = h(
    'div',
    { class: 'alt-login' },
    h('p', { class: 'muted', text: 'スマレジの契約を連携済みの方は、スマレジIDでもログインできます。' }),
    h('a', { class: 'button button-secondary', href: '/api/v1/auth/smaregi/login', text: 'スマレジIDでログイン' }),
  );
  return h('div', {}, form, smaregi);
}

function signupForm(onLoggedIn) {
  const form = h(
    'form',
    { class: 'form', 'aria-labelledby': 'tab-signup', novalidate: true },
    h('p', { class: 'muted', text: 'はじめてご利用の方は、アプリ利用登録（初期設定のステップ1）を行ってください。登録後、スマレジの契約をスマレジIDで連携します。' }),
    field({ label: 'メールアドレス', name: 'email', type: 'email', autocomplete: 'username', required: true }),
    field({ label: 'パスワード', name: 'password', type: 'password', autocomplete: 'new-password', required: true, hint: '8文字以上。この管理画面へのログインに使います。' }),
    field({ label: 'ショップ名', name: 'shopName', autocomplete: 'organization', required: true }),
    actions(submitButton('登録してはじめる')),
  );
  onSubmit(form, async () => {
    await api('POST', '/accounts', valuesOf(form, ['email', 'password', 'shopName']));
    await onLoggedIn();
  });
  return form;
}
