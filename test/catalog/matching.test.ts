import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CatalogMatcher,
  IssueCollector,
  buildUploadReport,
  describeConflict,
  matchStockItems,
  type ConflictReason,
  type MatchStatus,
  type StockItem,
} from '../../src/domain/catalog';

let nextLine = 2;

function product(customCode: string, jan = '', quantity: number | null = 1): StockItem {
  return {
    source: 'product',
    systemCode: `sys-${customCode}`,
    customCode,
    jan,
    name: customCode,
    quantity,
    line: nextLine++,
  };
}

function option(optionCode: string, jan = '', quantity: number | null = 1, parent = 'PARENT'): StockItem {
  return {
    source: 'option',
    systemCode: 'sys-parent',
    customCode: parent,
    optionCode,
    jan,
    name: optionCode,
    quantity,
    line: nextLine++,
  };
}

type Expected = [MatchStatus, string | null, ...ConflictReason[]];

interface MatchingCase {
  rule: string;
  items: StockItem[];
  /** Smaregi 商品コード → productId */
  smaregi: Record<string, string>;
  /** Per item: status, matched productId, conflict reasons. */
  expected: Expected[];
}

const CASES: MatchingCase[] = [
  {
    rule: '独自商品コード equals a Smaregi code',
    items: [product('ABC')],
    smaregi: { ABC: 'p1' },
    expected: [['matched', 'p1']],
  },
  {
    rule: 'JANコード equals a Smaregi code',
    items: [product('ABC', '4901234567894')],
    smaregi: { '4901234567894': 'p1' },
    expected: [['matched', 'p1']],
  },
  {
    rule: 'JAN and code both point at the same product',
    items: [product('ABC', '49')],
    smaregi: { ABC: 'p1', '49': 'p1' },
    expected: [['matched', 'p1']],
  },
  {
    rule: 'no Smaregi code equals either',
    items: [product('ABC', '49')],
    smaregi: { XYZ: 'p1' },
    expected: [['unmatched', null]],
  },
  {
    rule: 'a trailing space is part of the code',
    items: [product('ABC '), product('DEF')],
    smaregi: { ABC: 'p1', 'DEF ': 'p2' },
    expected: [
      ['unmatched', null],
      ['unmatched', null],
    ],
  },
  {
    rule: 'the same trailing space matches',
    items: [product('ABC ')],
    smaregi: { 'ABC ': 'p1' },
    expected: [['matched', 'p1']],
  },
  {
    rule: 'no case folding',
    items: [product('abc')],
    smaregi: { ABC: 'p1' },
    expected: [['unmatched', null]],
  },
  {
    rule: 'no width folding',
    items: [product('ＡＢＣ')],
    smaregi: { ABC: 'p1' },
    expected: [['unmatched', null]],
  },
  {
    rule: 'leading zeros are kept',
    items: [product('0012')],
    smaregi: { '12': 'p1' },
    expected: [['unmatched', null]],
  },
  {
    rule: 'empty codes never match',
    items: [product('', '')],
    smaregi: { '': 'p1' },
    expected: [['unmatched', null]],
  },
  {
    rule: 'an option matches by オプション独自コード',
    items: [option('SH-BK-M')],
    smaregi: { 'SH-BK-M': 'p1' },
    expected: [['matched', 'p1']],
  },
  {
    rule: 'an option matches by its own JAN',
    items: [option('SH-BK-M', '4901')],
    smaregi: { '4901': 'p1' },
    expected: [['matched', 'p1']],
  },
  {
    rule: "an option never matches by its parent's 独自商品コード",
    items: [option('SH-BK-M', '', 1, 'SH')],
    smaregi: { SH: 'p1' },
    expected: [['unmatched', null]],
  },
  {
    rule: 'stock 0 is managed stock, not unlimited',
    items: [product('ABC', '', 0)],
    smaregi: { ABC: 'p1' },
    expected: [['matched', 'p1']],
  },
  {
    rule: 'unlimited (数量 empty), matched: recorded with its product, never pushed',
    items: [product('CAP', '', null)],
    smaregi: { CAP: 'p1' },
    expected: [['unlimited', 'p1']],
  },
  {
    rule: 'unlimited, unmatched',
    items: [product('CAP', '', null)],
    smaregi: {},
    expected: [['unlimited', null]],
  },
  {
    rule: '(a) JAN and code match two different Smaregi products',
    items: [product('ABC', '49')],
    smaregi: { ABC: 'p1', '49': 'p2' },
    expected: [['conflict', null, 'codes-match-different-products']],
  },
  {
    rule: '(a) also applies to an unlimited item',
    items: [product('ABC', '49', null)],
    smaregi: { ABC: 'p1', '49': 'p2' },
    expected: [['conflict', null, 'codes-match-different-products']],
  },
  {
    rule: '(b) two items match the same Smaregi product: both conflict',
    items: [product('A', '49'), option('B-1', '49')],
    smaregi: { '49': 'p1' },
    expected: [
      ['conflict', 'p1', 'shared-smaregi-product'],
      ['conflict', 'p1', 'shared-smaregi-product'],
    ],
  },
  {
    rule: '(b) through different codes of the same product',
    items: [product('A'), product('B', 'A-JAN')],
    smaregi: { A: 'p1', 'A-JAN': 'p1' },
    expected: [
      ['conflict', 'p1', 'shared-smaregi-product'],
      ['conflict', 'p1', 'shared-smaregi-product'],
    ],
  },
  {
    rule: '(b) three items on one product: all conflict',
    items: [product('A', '49'), product('B', '49'), product('C', '49')],
    smaregi: { '49': 'p1' },
    expected: [
      ['conflict', 'p1', 'shared-smaregi-product'],
      ['conflict', 'p1', 'shared-smaregi-product'],
      ['conflict', 'p1', 'shared-smaregi-product'],
    ],
  },
  {
    rule: '(b) an unlimited item is never pushed, so it does not compete',
    items: [product('A', '49'), product('B', '49', null), product('C', '49', null)],
    smaregi: { '49': 'p1' },
    expected: [
      ['matched', 'p1'],
      ['unlimited', 'p1'],
      ['unlimited', 'p1'],
    ],
  },
  {
    rule: '(b) an item in conflict (a) still counts against each product it matches',
    items: [product('A', 'J2'), product('B', 'J1')],
    smaregi: { A: 'p1', J2: 'p2', J1: 'p1' },
    expected: [
      ['conflict', null, 'codes-match-different-products', 'shared-smaregi-product'],
      ['conflict', 'p1', 'shared-smaregi-product'],
    ],
  },
  {
    rule: '(c) the same 独自商品コード twice: both conflict, even unmatched',
    items: [product('DUP'), product('DUP', '', null)],
    smaregi: {},
    expected: [
      ['conflict', null, 'duplicate-code'],
      ['conflict', null, 'duplicate-code'],
    ],
  },
  {
    rule: '(c) a product code equal to an オプション独自コード',
    items: [option('X-1'), product('X-1')],
    smaregi: { 'X-1': 'p1' },
    expected: [
      ['conflict', 'p1', 'shared-smaregi-product', 'duplicate-code'],
      ['conflict', 'p1', 'shared-smaregi-product', 'duplicate-code'],
    ],
  },
  {
    rule: '(c) options sharing a parent 独自商品コード are not duplicates',
    items: [option('P-1', '', 1, 'P'), option('P-2', '', 1, 'P')],
    smaregi: {},
    expected: [
      ['unmatched', null],
      ['unmatched', null],
    ],
  },
  {
    rule: '(c) empty codes are not duplicates',
    items: [option('', 'J1'), option('', 'J2')],
    smaregi: { J1: 'p1' },
    expected: [
      ['matched', 'p1'],
      ['unmatched', null],
    ],
  },
];

describe('matching rules (DESIGN §1)', () => {
  for (const { rule, items, smaregi, expected } of CASES) {
    test(rule, () => {
      const result = matchStockItems(items, new Map(Object.entries(smaregi)));
      assert.deepEqual(
        result.items.map((item): Expected => [item.status, item.smaregiProductId, ...item.conflictReasons]),
        expected,
      );
      const counted =
        result.counts.matched + result.counts.unmatched + result.counts.conflicts + result.counts.unlimited;
      assert.equal(counted, items.length);
      assert.equal(result.counts.conflicts, expected.filter(([status]) => status === 'conflict').length);
    });
  }

  test('matchedBy says which code matched', () => {
    const { items } = matchStockItems(
      [product('A'), product('B', 'JB'), product('C', 'JC')],
      new Map([
        ['A', 'p1'],
        ['JB', 'p2'],
        ['C', 'p3'],
        ['JC', 'p3'],
      ]),
    );
    assert.deepEqual(
      items.map((item) => item.matchedBy),
      ['code', 'jan', 'jan-and-code'],
    );
  });

  test('a repeated code is a row error naming the first row', () => {
    const first = product('DUP');
    const second = option('DUP');
    const { issues } = matchStockItems([first, second], new Map());
    assert.deepEqual(issues, [
      {
        file: 'optionCsv',
        line: second.line,
        message: `オプション独自コード「DUP」が商品データCSVの${first.line}行目と重複しています。コードを重複しないように修正してください（重複した商品は在庫連携しません）。`,
      },
    ]);
  });

  test('every conflict reason has a merchant-facing explanation', () => {
    for (const reason of [
      'codes-match-different-products',
      'shared-smaregi-product',
      'duplicate-code',
    ] as const) {
      assert.match(describeConflict(reason), /[ぁ-んァ-ン]/);
    }
  });
});

describe('streaming matcher', () => {
  test('an item handed on before its conflict was known comes back as an update, and counts are final', () => {
    const matcher = new CatalogMatcher(
      new Map([
        ['49', 'p1'],
        ['POS', 'p9'],
      ]),
    );
    const first = product('A', '49');
    const second = product('B', '49');
    assert.equal(matcher.add(first).result.status, 'matched');
    assert.equal(matcher.add(second).result.status, 'conflict');
    assert.equal(matcher.add(product('C')).result.status, 'unmatched');
    const summary = matcher.finish();
    assert.deepEqual(summary.conflictUpdates, [
      {
        key: `productCsv:${first.line}`,
        file: 'productCsv',
        line: first.line,
        status: 'conflict',
        conflictReasons: ['shared-smaregi-product'],
      },
    ]);
    assert.deepEqual(summary.counts, { matched: 0, unmatched: 1, conflicts: 2, unlimited: 0 });
    assert.deepEqual(summary.unmatchedSmaregiProducts, [{ productCode: 'POS', productId: 'p9' }]);
  });

  test('results already handed on keep their own reasons when later items add more', () => {
    const matcher = new CatalogMatcher(new Map([['J', 'p1']]));
    const handedOn = matcher.add(product('A', 'J')).result;
    matcher.add(product('A'));
    matcher.add(product('B', 'J'));
    assert.deepEqual(handedOn.conflictReasons, []);
    // Reasons are listed in the rule order (a), (b), (c), whatever order they were found in.
    assert.deepEqual(matcher.finish().conflictUpdates[0]?.conflictReasons, [
      'shared-smaregi-product',
      'duplicate-code',
    ]);
  });

  test('the upload report has the DESIGN §5 shape', () => {
    const issues = new IssueCollector(1);
    issues.add({ file: 'optionCsv', line: 3, message: 'b' });
    issues.add({ file: 'productCsv', line: 9, message: 'a' });
    const report = buildUploadReport(
      { productRows: 2, optionRows: 3, stockItems: 4 },
      { matched: 1, unmatched: 1, conflicts: 1, unlimited: 1 },
      issues,
      5,
    );
    assert.deepEqual(report, {
      productRows: 2,
      optionRows: 3,
      stockItems: 4,
      matched: 1,
      unmatched: 1,
      conflicts: 1,
      unlimited: 1,
      errors: [{ file: 'optionCsv', line: 3, message: 'b' }],
      errorCount: 2,
      unmatchedSmaregiProducts: 5,
    });
  });
});
