// Step 5: upload the MakeShop 商品データCSV and オプションデータCSV together, follow the import's
// progress, read its report, and browse the active catalog's items by match status.
import { api, ApiError } from './api.js';
import { formatDateTime, formatNumber, h, notice, replaceChildren, table } from './dom.js';
import { actions, errorNotice, field, onSubmit, submitButton } from './forms.js';
import { makeshopImportForm } from './apps.js';

const FILE_LABELS = { productCsv: '商品データCSV', optionCsv: 'オプションデータCSV' };
const ITEM_TABS = [
  { status: 'matched', label: '一致' },
  { status: 'unmatched', label: '不一致' },
  { status: 'conflict', label: '競合' },
  { status: 'unlimited', label: '在庫無制限' },
];
const CONFLICT_REASONS = {
  'codes-match-different-products': 'JANコードと独自商品コードが別々のスマレジ商品に一致',
  'shared-smaregi-product': '同じスマレジ商品に複数の MakeShop 商品が一致',
  'duplicate-code': 'CSV内で独自商品コード／オプション独自コードが重複',
};
const PAGE_SIZE = 50;
const POLL_MS = { first: 300, max: 2000 };

export function renderCatalogStep(setup) {
  const progressSlot = h('div', { class: 'upload-progress', 'aria-live': 'polite' });
  const reportSlot = h('div');
  const summarySlot = h('div', { class: 'catalog-summary' });
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    h('p', {
      text: 'MakeShop 管理画面でダウンロードした「商品データCSV」と「オプションデータCSV」を、編集せずにそのまま2つ一緒に選んでください。オプションを使っていない場合も、オプションデータCSVが必要です。',
    }),
    h(
      'div',
      { class: 'file-pair' },
      field({ label: FILE_LABELS.productCsv, name: 'productCsv', type: 'file', required: true, attrs: { accept: '.csv,text/csv' } }),
      field({ label: FILE_LABELS.optionCsv, name: 'optionCsv', type: 'file', required: true, attrs: { accept: '.csv,text/csv' } }),
    ),
    h('p', { class: 'muted small', text: '取り込みに失敗した場合は、前の商品データがそのまま使われます。' }),
    actions(submitButton('アップロードして照合')),
  );

  /** An upload or a MakeShop import: the same progress, report and activation. */
  const follow = async (uploadId) => {
    replaceChildren(reportSlot);
    const upload = await followUpload(uploadId, progressSlot);
    replaceChildren(reportSlot, uploadReport(upload));
    const catalogDone = (view) => view.steps.find((s) => s.key === 'catalog')?.status === 'done';
    await Promise.all([upload.status === 'succeeded' ? setup.refreshUntil(catalogDone) : setup.refresh(), loadSummary(summarySlot)]);
    if (upload.status === 'succeeded') return '商品データを取り込み、有効にしました。';
    return notice('error', failureMessage(upload));
  };
  onSubmit(form, async () => {
    replaceChildren(reportSlot);
    return follow((await api('POST', '/catalog/uploads', chosenFiles(form))).uploadId);
  });

  void loadSummary(summarySlot);
  return h('div', { class: 'step-content' }, makeshopImportForm(setup, follow), form, progressSlot, reportSlot, summarySlot);
}

/** Only files actually chosen, so a missing one is reported by the server by name. */
function chosenFiles(form) {
  const data = new FormData();
  for (const name of Object.keys(FILE_LABELS)) {
    const file = form.querySelector(`input[name="${name}"]`).files?.[0];
    if (file) data.append(name, file, file.name);
  }
  return data;
}

/** Polls GET /catalog/uploads/{id} until the import ends, drawing its progress; resolves with the final answer. */
async function followUpload(uploadId, slot) {
  let delay = POLL_MS.first;
  for (;;) {
    const upload = await api('GET', `/catalog/uploads/${encodeURIComponent(uploadId)}`);
    if (upload.status !== 'processing') {
      replaceChildren(slot, progressView({ ...upload.progress, percent: 100 }, upload.status === 'succeeded' ? '取り込み完了' : '取り込み終了'));
      return upload;
    }
    replaceChildren(slot, progressView(upload.progress, '取り込み中…'));
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(POLL_MS.max, Math.round(delay * 1.5));
  }
}

function progressView(progress = {}, label) {
  const percent = typeof progress?.percent === 'number' ? Math.max(0, Math.min(100, Math.round(progress.percent))) : null;
  const rows = typeof progress?.rows === 'number' ? `${formatNumber(progress.rows)} 行` : null;
  const file = progress?.file ? FILE_LABELS[progress.file] ?? progress.file : null;
  const text = [label, percent !== null ? `${percent}%` : null, file, rows].filter(Boolean).join('　');
  return h(
    'div',
    { class: 'progress-block' },
    h('progress', { max: 100, value: percent ?? undefined, 'aria-label': '取り込みの進み具合' }),
    h('p', { class: 'muted', text }),
  );
}

function failureMessage(upload) {
  const message = upload.error?.message ?? upload.message;
  return message ?? '商品データを取り込めませんでした。下のエラーを確認し、CSVを修正してから再度アップロードしてください。前の商品データはそのまま有効です。';
}

function uploadReport(upload) {
  const report = upload.report;
  if (!report) return null;
  const count = (label, value) => h('div', { class: 'stat' }, h('dt', { text: label }), h('dd', { text: formatNumber(value) }));
  const errors = Array.isArray(report.errors) ? report.errors : [];
  const more = typeof report.errorCount === 'number' && report.errorCount > errors.length ? report.errorCount - errors.length : 0;
  return h(
    'section',
    { class: 'report' },
    h('h3', { text: '取り込み結果' }),
    h(
      'dl',
      { class: 'stats' },
      count('商品データの行数', report.productRows),
      count('オプションデータの行数', report.optionRows),
      count('在庫連携の対象', report.stockItems),
      count('一致', report.matched),
      count('不一致', report.unmatched),
      count('競合', report.conflicts),
      count('在庫無制限', report.unlimited),
    ),
    errors.length === 0
      ? h('p', { class: 'muted', text: 'CSVのエラーはありません。' })
      : [
          h('h4', { text: `エラー（${formatNumber(report.errorCount ?? errors.length)} 件）` }),
          table(
            ['ファイル', '行', '内容'],
            errors.map((e) => [FILE_LABELS[e.file] ?? e.file, formatNumber(e.line), e.message]),
            { caption: 'CSVのエラー' },
          ),
          more > 0 ? h('p', { class: 'muted', text: `ほか ${formatNumber(more)} 件のエラーがあります。上のエラーを直して再度アップロードしてください。` }) : null,
        ],
  );
}

// ── the active catalog ────────────────────────────────────────────────────────────────────────

async function loadSummary(slot) {
  let catalog;
  try {
    catalog = await api('GET', '/catalog');
  } catch (error) {
    const none = error instanceof ApiError && error.status === 404 && error.code !== 'feature_unavailable';
    replaceChildren(slot, none ? h('p', { class: 'muted', text: 'まだ有効な商品データはありません。' }) : errorNotice(error));
    return;
  }
  if (!catalog || catalog.version === undefined || catalog.version === null) {
    replaceChildren(slot, h('p', { class: 'muted', text: 'まだ有効な商品データはありません。' }));
    return;
  }
  const counts = catalog.counts ?? {};
  replaceChildren(
    slot,
    h('h3', { text: `有効な商品データ（バージョン ${catalog.version}、${formatDateTime(catalog.activatedAt)} に有効化）` }),
    itemsBrowser(counts),
  );
}

function countOf(counts, status) {
  return counts[status] ?? counts[status === 'conflict' ? 'conflicts' : status];
}

function itemsBrowser(counts) {
  const panel = h('div', { class: 'tab-panel', role: 'tabpanel' });
  const tabs = ITEM_TABS.map(({ status, label }) => {
    const n = countOf(counts, status);
    return h('button', { type: 'button', class: 'tab', role: 'tab', dataset: { status }, text: typeof n === 'number' ? `${label}（${formatNumber(n)}）` : label });
  });
  const select = async (status, page = 1) => {
    for (const tab of tabs) tab.setAttribute('aria-selected', String(tab.dataset.status === status));
    replaceChildren(panel, h('p', { class: 'muted', text: '読み込み中…' }));
    try {
      const answer = await api('GET', `/catalog/items?status=${status}&page=${page}&limit=${PAGE_SIZE}`);
      replaceChildren(panel, itemsPage(answer, status, page, select));
    } catch (error) {
      replaceChildren(panel, errorNotice(error));
    }
  };
  tabs.forEach((tab) => tab.addEventListener('click', () => select(tab.dataset.status)));
  void select('matched');
  return h('div', { class: 'items-browser' }, h('div', { class: 'tabs', role: 'tablist', 'aria-label': '照合結果' }, tabs), panel);
}

/** Accepts a plain array or a page object ({items, total?, page?, pageSize?/limit?, hasMore?}). */
function itemsPage(answer, status, page, select) {
  const items = Array.isArray(answer) ? answer : (answer?.items ?? []);
  const total = Array.isArray(answer) ? null : (answer?.total ?? null);
  const pageSize = (!Array.isArray(answer) && (answer?.pageSize ?? answer?.limit)) || PAGE_SIZE;
  const hasMore = total !== null ? page * pageSize < total : (answer?.hasMore ?? items.length === pageSize);
  if (items.length === 0 && page === 1) return h('p', { class: 'empty', text: '該当する商品はありません。' });
  const pager = h(
    'div',
    { class: 'pager' },
    h('button', { type: 'button', class: 'button button-quiet', text: '← 前へ', disabled: page <= 1, onclick: () => select(status, page - 1) }),
    h('span', { class: 'muted', text: total !== null ? `${formatNumber(total)} 件中 ${formatNumber((page - 1) * pageSize + 1)}〜${formatNumber((page - 1) * pageSize + items.length)} 件` : `${page} ページ目` }),
    h('button', { type: 'button', class: 'button button-quiet', text: '次へ →', disabled: !hasMore, onclick: () => select(status, page + 1) }),
  );
  return h(
    'div',
    {},
    table(
      ['種類', '独自商品コード', 'オプション独自コード', 'JANコード', '商品名', '数量', 'スマレジ商品コード', '備考'],
      items.map((item) => [
        item.source === 'option' ? 'オプション' : '商品',
        h('span', { class: 'mono', text: visibleSpaces(item.customCode) }),
        h('span', { class: 'mono', text: visibleSpaces(item.optionCode ?? '') }),
        h('span', { class: 'mono', text: item.jan ?? '' }),
        item.name ?? '',
        item.quantity === null || item.quantity === undefined ? '管理なし' : formatNumber(item.quantity),
        h('span', { class: 'mono', text: item.smaregiProductCode ?? '' }),
        (item.conflictReasons ?? []).map((r) => CONFLICT_REASONS[r] ?? r).join('／'),
      ]),
      { caption: '商品の照合結果' },
    ),
    pager,
  );
}

/** Codes match exactly, so a trailing space matters: show it (␣) instead of hiding it. */
function visibleSpaces(code) {
  return String(code ?? '').replace(/^ +| +$/g, (spaces) => '␣'.repeat(spaces.length));
}
