// Entry point: decides between the login screen and the logged-in screens (#/setup, #/status, #/alerts).
// The session is an HttpOnly cookie, so "logged in" is whatever the server says.
import { api, ApiError, onSessionExpired } from './api.js';
import { h, replaceChildren } from './dom.js';
import { errorNotice } from './forms.js';
import { renderLogin } from './login.js';
import { renderSetup } from './setup.js';
import { renderStatus } from './sync.js';
import { refreshAlertBadge, renderAlerts } from './alerts.js';

const ROUTES = {
  setup: { title: '初期設定', render: renderSetup },
  status: { title: '連携状況', render: renderStatus },
  alerts: { title: 'お知らせ', render: renderAlerts },
};

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const logoutButton = document.getElementById('logout');
let loggedIn = false;
let renderSequence = 0;

function currentRoute() {
  const match = /^#\/([a-z]+)/.exec(location.hash);
  return match && ROUTES[match[1]] ? match[1] : 'setup';
}

/** A merchant who finished set-up lands on 連携状況; everyone else on 初期設定. */
function landingRoute(onboarding) {
  return onboarding.steps.every((s) => s.status === 'done') ? 'status' : 'setup';
}

function go(route) {
  if (location.hash === `#/${route}`) void show({ focus: true });
  else location.hash = `#/${route}`;
}

function setChrome(route) {
  nav.hidden = !loggedIn;
  logoutButton.hidden = !loggedIn;
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.route === route) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${route ? ROUTES[route].title : 'ログイン'} | 在庫連携`;
}

/** Draws into a fresh element and swaps it in only if no newer navigation started meanwhile. */
async function show({ focus = false } = {}) {
  const sequence = ++renderSequence;
  if (!loggedIn) {
    setChrome(null);
    renderLogin(main, { onLoggedIn: afterLogin });
    return;
  }
  const route = currentRoute();
  setChrome(route);
  const page = h('div', { class: 'page-body' });
  try {
    await ROUTES[route].render(page);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    replaceChildren(page, errorNotice(error));
  }
  if (sequence !== renderSequence) return;
  replaceChildren(main, page);
  if (focus) main.focus();
  void refreshAlertBadge();
}

async function afterLogin() {
  loggedIn = true;
  const onboarding = await api('GET', '/onboarding').catch(() => null);
  go(onboarding ? landingRoute(onboarding) : 'setup');
}

onSessionExpired(() => {
  if (!loggedIn) return;
  loggedIn = false;
  void show();
});

logoutButton.addEventListener('click', async () => {
  logoutButton.disabled = true;
  try {
    await api('DELETE', '/sessions', undefined, { expectUnauthorized: true });
  } catch {
    // Logged out either way: the cookie is gone or the session already was.
  } finally {
    logoutButton.disabled = false;
  }
  loggedIn = false;
  history.replaceState(null, '', location.pathname);
  void show();
});

window.addEventListener('hashchange', () => void show({ focus: true }));

async function start() {
  try {
    const onboarding = await api('GET', '/onboarding', undefined, { expectUnauthorized: true });
    loggedIn = true;
    if (!location.hash) history.replaceState(null, '', `#/${landingRoute(onboarding)}`);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) {
      replaceChildren(main, errorNotice(error));
      return;
    }
  }
  await show();
}

void start();
