import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SmaregiCodeTable } from '../../src/domain/catalog';
import { Int32List, StringTable } from '../../src/domain/string-table';

describe('StringTable (compact code set of the catalog import)', () => {
  test('numbers strings in order of first addition and finds them exactly', () => {
    const table = new StringTable();
    assert.equal(table.add('ABC'), 0);
    assert.equal(table.add('ABC '), 1, 'a trailing space is another code');
    assert.equal(table.add('abc'), 2, 'case is kept');
    assert.equal(table.add('ABC'), 0, 'an existing string keeps its number');
    assert.equal(table.indexOf('ABC '), 1);
    assert.equal(table.indexOf('AB'), -1);
    assert.equal(table.size, 3);
  });

  test('non-ASCII, empty and long strings round-trip', () => {
    const table = new StringTable();
    const values = ['', 'ＡＢＣ－１', 'Tシャツ 黒 / L', '𠮷野家', 'x'.repeat(5000), '\u0000'];
    const numbers = values.map((v) => table.add(v));
    assert.deepEqual(numbers, [0, 1, 2, 3, 4, 5]);
    values.forEach((v, i) => {
      assert.equal(table.indexOf(v), i);
      assert.equal(table.at(i), v);
    });
  });

  test('stays exact while it grows past many rehashes', () => {
    const table = new StringTable();
    const count = 50_000;
    for (let i = 0; i < count; i++) assert.equal(table.add(`MS-${i}`), i);
    for (let i = 0; i < count; i += 7) assert.equal(table.indexOf(`MS-${i}`), i);
    assert.equal(table.indexOf(`MS-${count}`), -1);
    assert.equal(table.at(count - 1), `MS-${count - 1}`);
  });
});

describe('Int32List', () => {
  test('grows and keeps its values', () => {
    const list = new Int32List(2);
    for (let i = 0; i < 10; i++) list.push(-i);
    list.set(3, 42);
    assert.equal(list.size, 10);
    assert.deepEqual(Array.from({ length: 10 }, (_, i) => list.get(i)), [0, -1, -2, 42, -4, -5, -6, -7, -8, -9]);
  });
});

describe('SmaregiCodeTable', () => {
  test('answers what a Map of code → productId answers, in the same order', () => {
    const pairs: [string, string][] = [
      ['4900000000016', 'p1'],
      ['MS-0-2', 'p2'],
      ['JAN-SHARED', 'p3'],
      ['CODE-SHARED', 'p3'],
      ['MS-0-2', 'p9'],
    ];
    const map = new Map(pairs);
    const table = SmaregiCodeTable.from(pairs);
    assert.deepEqual([...table.entries()], [...map.entries()]);
    assert.equal(table.size, map.size);
    assert.equal(table.productCount, 4, 'p1, p2, p3, p9');
    assert.equal(table.productOf('JAN-SHARED'), table.productOf('CODE-SHARED'), 'two codes of one product are one product');
    assert.equal(table.productId(table.productOf('MS-0-2')), 'p9', 'a later pair replaces the earlier one');
    assert.equal(table.productOf(''), -1, 'an empty code matches nothing');
    assert.equal(table.productOf('ms-0-2'), -1);
  });
});
