// Tiny DOM helpers. Text always goes in through textContent, never innerHTML, so nothing the API
// answers (shop names, CSV cells, error messages) can inject markup.

/**
 * h('p', { class: 'muted' }, 'text', child) → element. Props: `class`, `text`, `dataset`, `on<Event>`
 * handlers, booleans (set when true) and plain attributes; null/undefined/false children are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the element's children. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const dateTimeFormat = new Intl.DateTimeFormat('ja-JP', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** An ISO timestamp in Japan time, e.g. 2025/11/27 09:41:03; '—' when absent. */
export function formatDateTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dateTimeFormat.format(date);
}

const numberFormat = new Intl.NumberFormat('ja-JP');

export function formatNumber(value) {
  return typeof value === 'number' && Number.isFinite(value) ? numberFormat.format(value) : '—';
}

/** A table with a header row; `rows` are arrays of cells (strings, numbers or nodes). */
export function table(headers, rows, { caption, className = 'table' } = {}) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: className },
      caption ? h('caption', { class: 'visually-hidden', text: caption }) : null,
      h('thead', {}, h('tr', {}, headers.map((label) => h('th', { scope: 'col', text: label })))),
      h(
        'tbody',
        {},
        rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell ?? '—')))),
      ),
    ),
  );
}

/** A coloured status label: kind is one of done, waiting, todo, error, running, stopped. */
export function badge(kind, label) {
  return h('span', { class: `badge badge-${kind}`, text: label });
}

/** A notice box near a form: kind is error, success, info or warning. Errors are announced. */
export function notice(kind, ...children) {
  const role = kind === 'error' ? 'alert' : 'status';
  return h('div', { class: `notice notice-${kind}`, role }, children);
}
