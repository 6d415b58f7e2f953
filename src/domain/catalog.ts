/**
 * Catalog matching: which MakeShop stock item (商品 or オプション) receives the stock of which
 * Smaregi product. Pure and deterministic (no Node imports): workflow code may import it.
 *
 * 照合ルール (matching rules)
 * - スマレジの「商品コード」が、MakeShop商品の「JANコード」または「独自商品コード」
 *   （オプションの場合はオプションの「JANコード」または「オプション独自コード」）と完全に一致すると対応づけます。
 *   前後の空白も大文字・小文字も区別します（"ABC " と "ABC" は別のコード）。空のコードは対応づけません。
 *   A Smaregi 商品コード matches an item when it is exactly equal (no trimming, no case folding) to
 *   the item's JANコード or 独自商品コード (option rows: the option's JANコード or オプション独自コード).
 *   Empty codes never match.
 * - 数量が空の商品（在庫管理なし）は「在庫無制限」として記録し、在庫を送信しません。
 *   Items whose 数量 is empty (stock not managed) get status `unlimited`; stock is never pushed to them.
 *
 * 競合 (conflicts): 競合した商品には在庫を送信しません。 Conflicting items are never synced.
 * (a) 1つのMakeShop商品のJANコードと独自商品コードが、それぞれ別のスマレジ商品に一致した。
 *     One MakeShop item whose JAN and code match two different Smaregi products.
 * (b) 在庫を連携する2つ以上のMakeShop商品が、同じスマレジ商品に一致した（同じ在庫を2か所に送ると売り越しになるため）。
 *     在庫無制限の商品は在庫を送信しないので数えません。
 *     Two or more stock-managed MakeShop items match the same Smaregi product: pushing one stock
 *     to two listings would oversell. Unlimited items are never pushed, so they do not count.
 * (c) アップロードしたCSVの中で、独自商品コード／オプション独自コードが重複している（該当する行はすべて競合、行エラーも記録）。
 *     Two or more items share a 独自商品コード / オプション独自コード within the upload: all of them
 *     conflict, and each repeated row is also reported as a row error.
 * 競合は在庫無制限より優先されます。 A conflict outranks `unlimited`.
 *
 * Streaming for large catalogs (400k items): `CatalogMatcher.add` classifies each item as it
 * streams past, keeping only small per-item state in typed arrays: identity code → first item with
 * that code, and Smaregi product → first stock-managed item matching it (string-table.ts). When a later item
 * collides with an earlier one, the later item is a conflict at once and the earlier item, already
 * handed on, is recorded as a `ConflictUpdate`; `finish()` returns those updates (a second, short
 * pass over the few earlier items concerned) and the final counts.
 */

import { Int32List, StringTable } from './string-table';

export type CatalogFile = 'productCsv' | 'optionCsv';

/** A problem the merchant must fix, at a physical line of one uploaded file (1 = header). */
export interface CatalogIssue {
  file: CatalogFile;
  line: number;
  message: string;
}

interface StockItemFields {
  /** システム商品コード (of the parent product for an option row), exactly as written. */
  systemCode: string;
  /** 独自商品コード (of the parent product for an option row), exactly as written. */
  customCode: string;
  /** JANコード of the product, or of the option for an option row. */
  jan: string;
  name: string;
  /** null = 数量 empty = stock not managed (unlimited). */
  quantity: number | null;
  /** Physical line where the row starts in its file. */
  line: number;
}

export interface ProductStockItem extends StockItemFields {
  source: 'product';
}

export interface OptionStockItem extends StockItemFields {
  source: 'option';
  /** オプション独自コード, exactly as written. */
  optionCode: string;
}

/** One thing MakeShop keeps stock for: a product without options, or one option row. */
export type StockItem = ProductStockItem | OptionStockItem;

export type MatchStatus = 'matched' | 'unmatched' | 'conflict' | 'unlimited';

export type ConflictReason = 'codes-match-different-products' | 'shared-smaregi-product' | 'duplicate-code';

export type MatchedBy = 'jan' | 'code' | 'jan-and-code';

export interface MatchResult {
  status: MatchStatus;
  /** The Smaregi product the item matches, when exactly one does (also for unlimited items). */
  smaregiProductId: string | null;
  matchedBy: MatchedBy | null;
  /** Empty unless status is `conflict`. */
  conflictReasons: readonly ConflictReason[];
}

export type MatchedStockItem = StockItem & MatchResult;

/**
 * The tenant's Smaregi 商品コード → productId list as the matcher reads it: codes and productIds in
 * string tables (string-table.ts), each code pointing at its product's number. A 316,000-product list
 * is ~12 MB of typed arrays here against ~37 MB of JavaScript objects as a Map.
 */
export class SmaregiCodeTable {
  private readonly codes = new StringTable();
  private readonly productIds = new StringTable();
  /** Per code number: its product's number in `productIds`. */
  private readonly productOfCode = new Int32List();

  static from(entries: Iterable<readonly [string, string]>): SmaregiCodeTable {
    const table = new SmaregiCodeTable();
    for (const [code, productId] of entries) table.set(code, productId);
    return table;
  }

  /** A later pair for the same code replaces the earlier one, as in a Map. */
  set(code: string, productId: string): void {
    const product = this.productIds.add(productId);
    const codeNo = this.codes.add(code);
    if (codeNo === this.productOfCode.size) this.productOfCode.push(product);
    else this.productOfCode.set(codeNo, product);
  }

  /** Codes listed. */
  get size(): number {
    return this.codes.size;
  }

  /** Distinct products; product numbers run from 0 to this − 1. */
  get productCount(): number {
    return this.productIds.size;
  }

  /** The number of the product with this exact code, or -1. An empty code matches nothing. */
  productOf(code: string): number {
    if (code === '') return -1;
    const codeNo = this.codes.indexOf(code);
    return codeNo === -1 ? -1 : this.productOfCode.get(codeNo);
  }

  productId(product: number): string {
    return this.productIds.at(product);
  }

  /** Code number `codeNo` (codes are numbered in the order they were first set) and its product's number. */
  codeAt(codeNo: number): { productCode: string; product: number } {
    return { productCode: this.codes.at(codeNo), product: this.productOfCode.get(codeNo) };
  }

  /** Every code → productId, in the order the codes were first set. */
  *entries(): Generator<[string, string]> {
    for (let codeNo = 0; codeNo < this.size; codeNo++) {
      const { productCode, product } = this.codeAt(codeNo);
      yield [productCode, this.productId(product)];
    }
  }
}

/** Smaregi 商品コード → productId: the compact table, or a Map (small lists, tests). */
export type SmaregiCodeLookup = SmaregiCodeTable | ReadonlyMap<string, string>;

function smaregiCodeTable(lookup: SmaregiCodeLookup): SmaregiCodeTable {
  return lookup instanceof SmaregiCodeTable ? lookup : SmaregiCodeTable.from(lookup);
}

export interface UnmatchedSmaregiProduct {
  productCode: string;
  productId: string;
}

/** The upload report of DESIGN §5, plus totals the capped error list cannot show. */
export interface CatalogUploadReport {
  productRows: number;
  optionRows: number;
  stockItems: number;
  matched: number;
  unmatched: number;
  conflicts: number;
  unlimited: number;
  errors: CatalogIssue[];
  /** All errors found, including those beyond the kept `errors`. */
  errorCount: number;
  /** Smaregi products that no MakeShop item matches. */
  unmatchedSmaregiProducts: number;
}

export interface MatchCounts {
  matched: number;
  unmatched: number;
  conflicts: number;
  unlimited: number;
}

export const CATALOG_FILE_LABEL: Record<CatalogFile, string> = {
  productCsv: '商品データCSV',
  optionCsv: 'オプションデータCSV',
};

const CONFLICT_MESSAGE: Record<ConflictReason, string> = {
  'codes-match-different-products': 'JANコードと独自商品コードが、それぞれ別のスマレジ商品に一致しています。',
  'shared-smaregi-product': '同じスマレジ商品に、在庫を連携する別のMakeShop商品も一致しています。',
  'duplicate-code': '独自商品コード（オプション独自コード）が、アップロードしたCSVの中で重複しています。',
};

/** Japanese explanation of a conflict, for the merchant's item list. */
export function describeConflict(reason: ConflictReason): string {
  return CONFLICT_MESSAGE[reason];
}

/** The code that identifies the item within the upload: 独自商品コード, or オプション独自コード for an option. */
export function identityCode(item: StockItem): string {
  return item.source === 'option' ? item.optionCode : item.customCode;
}

function identityCodeLabel(item: StockItem): string {
  return item.source === 'option' ? 'オプション独自コード' : '独自商品コード';
}

export function stockItemFile(item: StockItem): CatalogFile {
  return item.source === 'option' ? 'optionCsv' : 'productCsv';
}

/** Unique key of an item within one upload (its file and line). */
export function stockItemKey(item: StockItem): string {
  return `${stockItemFile(item)}:${item.line}`;
}

interface CodeMatches {
  /** Product numbers in the SmaregiCodeTable. */
  products: number[];
  matchedBy: MatchedBy | null;
}

/** Smaregi products whose 商品コード exactly equals the item's JAN or identity code. */
function findCodeMatches(item: StockItem, smaregi: SmaregiCodeTable): CodeMatches {
  const byJan = smaregi.productOf(item.jan);
  const byCode = smaregi.productOf(identityCode(item));
  if (byJan !== -1 && byCode !== -1) {
    return byJan === byCode ? { products: [byJan], matchedBy: 'jan-and-code' } : { products: [byJan, byCode], matchedBy: null };
  }
  if (byJan !== -1) return { products: [byJan], matchedBy: 'jan' };
  if (byCode !== -1) return { products: [byCode], matchedBy: 'code' };
  return { products: [], matchedBy: null };
}

/** An item handed on earlier whose status must become `conflict` with these reasons. */
export interface ConflictUpdate {
  key: string;
  file: CatalogFile;
  line: number;
  status: 'conflict';
  conflictReasons: readonly ConflictReason[];
}

export interface ClassifiedItem {
  result: MatchResult;
  /** Row error when the item's identity code repeats an earlier item's. */
  issue: CatalogIssue | null;
}

export interface MatcherSummary {
  counts: MatchCounts;
  conflictUpdates: ConflictUpdate[];
  unmatchedSmaregiProducts: UnmatchedSmaregiProduct[];
}

const CONFLICT_REASONS: readonly ConflictReason[] = [
  'codes-match-different-products',
  'shared-smaregi-product',
  'duplicate-code',
];

/** A set of conflict reasons as bits, in the order of CONFLICT_REASONS. */
type ReasonSet = number;

/** One frozen list per set of reasons, shared by every item with that set (most share the empty one). */
const REASON_LISTS: readonly (readonly ConflictReason[])[] = Array.from(
  { length: 1 << CONFLICT_REASONS.length },
  (_, set) => Object.freeze(CONFLICT_REASONS.filter((_, bit) => (set & (1 << bit)) !== 0)),
);

function reasonBit(reason: ConflictReason): ReasonSet {
  return 1 << CONFLICT_REASONS.indexOf(reason);
}

function reasonList(set: ReasonSet): readonly ConflictReason[] {
  return REASON_LISTS[set] ?? [];
}

const STATUSES: readonly MatchStatus[] = ['matched', 'unmatched', 'conflict', 'unlimited'];

function statusOf(item: StockItem, reasons: ReasonSet, smaregiProductId: string | null): MatchStatus {
  if (reasons !== 0) return 'conflict';
  if (item.quantity === null) return 'unlimited';
  return smaregiProductId === null ? 'unmatched' : 'matched';
}

/**
 * What the matcher remembers of every item, since a later one may still turn it into a conflict:
 * file, line, status and reasons, in typed arrays indexed by arrival order (5 bytes an item
 * rather than an object each, which matters to the garbage collector at 400k items).
 */
class ItemStates {
  private lines = new Uint32Array(1024);
  /** bit 0: option file; bits 1-2: status; bits 3-5: conflict reasons. */
  private flags = new Uint8Array(1024);
  private size = 0;

  /** Reserves the next index for an item whose status is not known yet. */
  add(file: CatalogFile, line: number): number {
    if (this.size === this.lines.length) this.grow();
    this.lines[this.size] = line;
    this.flags[this.size] = file === 'optionCsv' ? 1 : 0;
    return this.size++;
  }

  set(index: number, status: MatchStatus, reasons: ReasonSet): void {
    this.flags[index] = (this.flag(index) & 1) | (STATUSES.indexOf(status) << 1) | (reasons << 3);
  }

  file(index: number): CatalogFile {
    return (this.flag(index) & 1) === 1 ? 'optionCsv' : 'productCsv';
  }

  line(index: number): number {
    return this.lines[index] ?? 0;
  }

  status(index: number): MatchStatus {
    return STATUSES[(this.flag(index) >> 1) & 0b11] ?? 'unmatched';
  }

  reasons(index: number): ReasonSet {
    return this.flag(index) >> 3;
  }

  private flag(index: number): number {
    return this.flags[index] ?? 0;
  }

  private grow(): void {
    const lines = new Uint32Array(this.lines.length * 2);
    lines.set(this.lines);
    this.lines = lines;
    const flags = new Uint8Array(this.flags.length * 2);
    flags.set(this.flags);
    this.flags = flags;
  }
}

/** A product matched so far only by unlimited items: matched, but no item claims its stock. */
const NO_MANAGED_ITEM = -1;
/** A product no item matched. */
const UNCLAIMED = -2;

/** Single-pass matcher: see "Streaming for large catalogs" above. */
export class CatalogMatcher {
  private readonly states = new ItemStates();
  private readonly smaregi: SmaregiCodeTable;
  /** Identity codes seen, numbered in order of first appearance … */
  private readonly identityCodes = new StringTable();
  /** … and, per code number, the index of the first item with it. */
  private readonly firstItemByCode = new Int32List();
  /** Per Smaregi product number: the index of the first stock-managed item matching it, NO_MANAGED_ITEM or UNCLAIMED. */
  private readonly firstManagedItemByProduct: Int32Array;
  /** Indexes of items handed on before a later item made them conflict. */
  private readonly updated = new Set<number>();
  private readonly counts = emptyMatchCounts();

  constructor(smaregi: SmaregiCodeLookup) {
    this.smaregi = smaregiCodeTable(smaregi);
    this.firstManagedItemByProduct = new Int32Array(this.smaregi.productCount).fill(UNCLAIMED);
  }

  add(item: StockItem): ClassifiedItem {
    const { products, matchedBy } = findCodeMatches(item, this.smaregi);
    const index = this.states.add(stockItemFile(item), item.line);
    let reasons: ReasonSet = products.length > 1 ? reasonBit('codes-match-different-products') : 0;
    for (const product of products) {
      if (this.claimProduct(product, index, item.quantity !== null))
        reasons |= reasonBit('shared-smaregi-product');
    }
    const code = identityCode(item);
    const firstWithCode = this.claimIdentityCode(code, index);
    if (firstWithCode !== null) reasons |= reasonBit('duplicate-code');
    const smaregiProductId = products.length === 1 ? this.smaregi.productId(products[0] ?? -1) : null;
    const status = statusOf(item, reasons, smaregiProductId);
    this.states.set(index, status, reasons);
    countMatch(this.counts, status);
    return {
      result: {
        status,
        smaregiProductId,
        matchedBy: smaregiProductId === null ? null : matchedBy,
        conflictReasons: reasonList(reasons),
      },
      issue: firstWithCode === null ? null : this.duplicateIssue(item, code, firstWithCode),
    };
  }

  /** Final counts, the updates for items handed on before their conflict was known, and the unmatched Smaregi side. */
  finish(): MatcherSummary {
    const conflictUpdates = [...this.updated].map((index): ConflictUpdate => {
      const file = this.states.file(index);
      const line = this.states.line(index);
      const conflictReasons = reasonList(this.states.reasons(index));
      return { key: `${file}:${line}`, file, line, status: 'conflict', conflictReasons };
    });
    return {
      counts: { ...this.counts },
      conflictUpdates,
      unmatchedSmaregiProducts: this.unmatchedSmaregiProducts(),
    };
  }

  private unmatchedSmaregiProducts(): UnmatchedSmaregiProduct[] {
    const unmatched: UnmatchedSmaregiProduct[] = [];
    for (let codeNo = 0; codeNo < this.smaregi.size; codeNo++) {
      const { productCode, product } = this.smaregi.codeAt(codeNo);
      if (this.firstManagedItemByProduct[product] === UNCLAIMED) unmatched.push({ productCode, productId: this.smaregi.productId(product) });
    }
    return unmatched;
  }

  /** Records that the item matches the product; true when another managed item already claimed it. */
  private claimProduct(product: number, index: number, managed: boolean): boolean {
    const first = this.firstManagedItemByProduct[product] ?? UNCLAIMED;
    if (first === UNCLAIMED || first === NO_MANAGED_ITEM) {
      this.firstManagedItemByProduct[product] = managed ? index : NO_MANAGED_ITEM;
      return false;
    }
    if (!managed) return false;
    this.markEarlierItem(first, 'shared-smaregi-product');
    return true;
  }

  /** Records the item's identity code; returns the index of an earlier item with the same code. */
  private claimIdentityCode(code: string, index: number): number | null {
    if (code === '') return null;
    const codeNo = this.identityCodes.add(code);
    if (codeNo === this.firstItemByCode.size) {
      this.firstItemByCode.push(index);
      return null;
    }
    const first = this.firstItemByCode.get(codeNo);
    this.markEarlierItem(first, 'duplicate-code');
    return first;
  }

  private duplicateIssue(item: StockItem, code: string, first: number): CatalogIssue {
    return {
      file: stockItemFile(item),
      line: item.line,
      message:
        `${identityCodeLabel(item)}「${code}」が${CATALOG_FILE_LABEL[this.states.file(first)]}の${this.states.line(first)}行目と重複しています。` +
        'コードを重複しないように修正してください（重複した商品は在庫連携しません）。',
    };
  }

  private markEarlierItem(index: number, reason: ConflictReason): void {
    const reasons = this.states.reasons(index);
    if ((reasons & reasonBit(reason)) !== 0) return;
    const before = this.states.status(index);
    this.states.set(index, 'conflict', reasons | reasonBit(reason));
    if (before !== 'conflict') {
      uncountMatch(this.counts, before);
      countMatch(this.counts, 'conflict');
    }
    this.updated.add(index);
  }
}

export function emptyMatchCounts(): MatchCounts {
  return { matched: 0, unmatched: 0, conflicts: 0, unlimited: 0 };
}

const COUNT_FIELD: Record<MatchStatus, keyof MatchCounts> = {
  matched: 'matched',
  unmatched: 'unmatched',
  conflict: 'conflicts',
  unlimited: 'unlimited',
};

export function countMatch(counts: MatchCounts, status: MatchStatus): void {
  counts[COUNT_FIELD[status]] += 1;
}

function uncountMatch(counts: MatchCounts, status: MatchStatus): void {
  counts[COUNT_FIELD[status]] -= 1;
}

export interface MatchStockItemsResult {
  items: MatchedStockItem[];
  counts: MatchCounts;
  /** Row errors for repeated identity codes. */
  issues: CatalogIssue[];
  unmatchedSmaregiProducts: UnmatchedSmaregiProduct[];
}

/**
 * The item with its match result. Built field by field on purpose: object spread here made V8
 * keep ~200 MB more heap on a 400k-item import (measured with bench/generate-catalog.ts).
 */
export function withMatchResult(item: StockItem, result: MatchResult): MatchedStockItem {
  const { status, smaregiProductId, matchedBy, conflictReasons } = result;
  const { systemCode, customCode, jan, name, quantity, line } = item;
  const common = {
    systemCode,
    customCode,
    jan,
    name,
    quantity,
    line,
    status,
    smaregiProductId,
    matchedBy,
    conflictReasons,
  };
  return item.source === 'option'
    ? { source: 'option', optionCode: item.optionCode, ...common }
    : { source: 'product', ...common };
}

/** Matches items already in memory (small catalogs, tests, previews), conflict updates applied. */
export function matchStockItems(
  items: readonly StockItem[],
  smaregi: SmaregiCodeLookup,
): MatchStockItemsResult {
  const matcher = new CatalogMatcher(smaregi);
  const issues: CatalogIssue[] = [];
  const matched = items.map((item): MatchedStockItem => {
    const { result, issue } = matcher.add(item);
    if (issue) issues.push(issue);
    return withMatchResult(item, result);
  });
  const { counts, conflictUpdates, unmatchedSmaregiProducts } = matcher.finish();
  const byKey = new Map(matched.map((item) => [stockItemKey(item), item]));
  for (const update of conflictUpdates) {
    const item = byKey.get(update.key);
    if (item) Object.assign(item, { status: update.status, conflictReasons: update.conflictReasons });
  }
  return { items: matched, counts, issues, unmatchedSmaregiProducts };
}

/**
 * Keeps the first `limit` issues (what the merchant is shown) while counting all of them, so one
 * broken 400k-row file cannot fill memory with error objects.
 */
export class IssueCollector {
  private readonly kept: CatalogIssue[] = [];
  private total = 0;

  constructor(readonly limit = 1000) {}

  add(issue: CatalogIssue): void {
    this.total += 1;
    if (this.kept.length < this.limit) this.kept.push(issue);
  }

  get count(): number {
    return this.total;
  }

  /** The kept issues, product file first, then by line. */
  list(): CatalogIssue[] {
    return [...this.kept].sort((a, b) => fileOrder(a.file) - fileOrder(b.file) || a.line - b.line);
  }
}

function fileOrder(file: CatalogFile): number {
  return file === 'productCsv' ? 0 : 1;
}

export interface CatalogRowCounts {
  productRows: number;
  optionRows: number;
  stockItems: number;
}

/** The report of an upload whose file was unusable: nothing imported, one whole-file error. */
export function failedUploadReport(error: CatalogIssue): CatalogUploadReport {
  return {
    productRows: 0,
    optionRows: 0,
    stockItems: 0,
    ...emptyMatchCounts(),
    errors: [error],
    errorCount: 1,
    unmatchedSmaregiProducts: 0,
  };
}

export function buildUploadReport(
  rows: CatalogRowCounts,
  counts: MatchCounts,
  issues: IssueCollector,
  unmatchedSmaregiProducts: number,
): CatalogUploadReport {
  return {
    ...rows,
    ...counts,
    errors: issues.list(),
    errorCount: issues.count,
    unmatchedSmaregiProducts,
  };
}
