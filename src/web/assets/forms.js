// Form building and the one submit/action behaviour every form shares: the button is disabled while
// the request runs, and the server's Japanese message is shown right next to it.
import { ApiError } from './api.js';
import { h, notice, replaceChildren } from './dom.js';

let fieldSequence = 0;

/**
 * A labelled input with an optional hint and a slot for the field's own error. `name` is the API
 * field name, so errors the server reports for that path land under this input.
 */
export function field({ label, name, type = 'text', hint, value, required = false, autocomplete, inputmode, extra, attrs = {} }) {
  const id = `f-${name}-${++fieldSequence}`;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const input = h('input', {
    id,
    name,
    type,
    value: value ?? undefined,
    required,
    autocomplete,
    inputmode,
    'aria-describedby': [hintId, errorId].filter(Boolean).join(' '),
    ...attrs,
  });
  return h(
    'div',
    { class: 'field', dataset: { field: name } },
    h('label', { for: id, text: label }),
    input,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    extra ?? null,
    h('p', { class: 'field-error', id: errorId, hidden: true }),
  );
}

/** The row holding a form's buttons and, above them, where its messages appear. */
export function actions(...buttons) {
  return [h('div', { class: 'form-status', 'aria-live': 'polite' }), h('div', { class: 'actions' }, buttons)];
}

export function submitButton(label, { kind = 'primary' } = {}) {
  return h('button', { type: 'submit', class: `button button-${kind}`, text: label });
}

/**
 * Wires a form: `submit(form)` runs the request; its resolved value (a string or node) is shown
 * as a success message. Errors show the server's message and mark the fields it named.
 */
export function onSubmit(form, submit) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const submitter = event.submitter ?? form.querySelector('button[type="submit"]');
    const buttons = [submitter, ...[...form.querySelectorAll('button')].filter((b) => b !== submitter)].filter(Boolean);
    clearFieldErrors(form);
    await runBusy(buttons, statusSlotOf(form), () => submit(form), (error) => formErrorNotice(form, error));
  });
}

/** For a button outside a form (接続テスト, 再同期, …): same busy state and messages. */
export function onAction(button, statusSlot, action) {
  button.addEventListener('click', () => runBusy([button], statusSlot, action, errorNotice));
}

async function runBusy(buttons, slot, work, describeError) {
  const wasDisabled = buttons.map((b) => b.disabled);
  for (const b of buttons) b.disabled = true;
  buttons[0]?.setAttribute('aria-busy', 'true');
  if (slot) replaceChildren(slot);
  try {
    const result = await work();
    if (slot && result) replaceChildren(slot, result instanceof Node ? result : notice('success', result));
  } catch (error) {
    const described = describeError(error);
    if (slot) replaceChildren(slot, described);
    if (!(error instanceof ApiError)) console.error(error);
  } finally {
    buttons.forEach((b, i) => (b.disabled = wasDisabled[i]));
    buttons[0]?.removeAttribute('aria-busy');
  }
}

/** The server's message as-is; anything else (a bug, a lost connection) as a calm generic line. */
export function errorNotice(error) {
  const message = error instanceof ApiError ? error.message : '処理中に問題が発生しました。画面を再読み込みして、もう一度お試しください。';
  return notice('error', message);
}

function statusSlotOf(form) {
  return form.querySelector('.form-status');
}

function clearFieldErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) {
    el.hidden = true;
    el.textContent = '';
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/**
 * Marks the fields the server named and returns the notice for the form. When a validation error's
 * every message already stands under its field, the notice only points there instead of repeating it.
 */
function formErrorNotice(form, error) {
  const placedAll = markFieldErrors(form, error);
  if (placedAll && error.code === 'invalid_request') return notice('error', '入力内容を確認してください。赤く表示された項目の下に理由があります。');
  return errorNotice(error);
}

/** A detail's path like `storeIds` or `overrides.2.code` goes to the field named by its first segment. True if every detail found its field. */
function markFieldErrors(form, error) {
  if (!(error instanceof ApiError) || error.fieldErrors.length === 0) return false;
  let placedAll = true;
  for (const { path, message } of error.fieldErrors) {
    const name = path.split('.')[0];
    const wrapper = name ? form.querySelector(`[data-field="${CSS.escape(name)}"]`) : null;
    if (!wrapper) {
      placedAll = false;
      continue;
    }
    const slot = wrapper.querySelector('.field-error');
    if (slot) {
      slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
      slot.hidden = false;
    }
    for (const input of wrapper.querySelectorAll('input, select, textarea')) input.setAttribute('aria-invalid', 'true');
  }
  return placedAll;
}

/** A form's text inputs as {name: value}, untrimmed: codes are compared exactly (DESIGN §1). */
export function valuesOf(form, names) {
  const data = new FormData(form);
  return Object.fromEntries(names.map((name) => [name, String(data.get(name) ?? '')]));
}
