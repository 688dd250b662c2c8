import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ColumnKeys, keyFromRaw, orderByRank, sortKey, type SortKey } from './sort-keys';

/** The reference order: numbers before text, numbers by value, text by code unit; ties by arrival. */
function compare(a: SortKey, b: SortKey): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const value = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom('10', '9', '-1.5', '007', 'a', 'B', 'b', '', 'é', 'Z', '1e3', '0', '-0'),
  fc.string({ maxLength: 3 }),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
);

describe('sort keys', () => {
  it('order rows as a comparator sort on the keys would, equal keys in arrival order, both ways', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 80 }), fc.boolean(), fc.boolean(), (values, desc, subset) => {
        const keys = new ColumnKeys('c');
        for (const v of values) keys.add(sortKey(v));
        const { ranks, distinct } = keys.ranks();
        const ids = subset ? values.map((_, i) => i).filter((i) => i % 3 !== 1) : null;
        const got = [...orderByRank(ids, values.length, ranks, distinct, desc)];
        const want = (ids ?? values.map((_, i) => i)).slice().sort((a, b) => {
          const c = compare(sortKey(values[a]), sortKey(values[b]));
          return (desc ? -c : c) || a - b;
        });
        expect(got).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });

  it('extend as rows arrive: ranks follow the new rows', () => {
    const keys = new ColumnKeys('c');
    keys.add(sortKey('b'));
    expect(keys.ranks().distinct).toBe(1);
    keys.add(sortKey('a'));
    keys.add(sortKey(2));
    expect([...keys.ranks().ranks]).toEqual([2, 1, 0]);
    expect(keys.size).toBe(3);
  });

  it('read from the bytes, equal the keys of the parsed values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 2 }), (v) => {
        const text = JSON.stringify(v);
        fc.pre(!/\d{16}/.test(text)); // integers past 2^53 are text on the raw path by design
        const buf = Buffer.from(` ${text} `);
        expect(keyFromRaw(buf, 1, 1 + Buffer.byteLength(text), 'string')).toEqual(sortKey(JSON.parse(text)));
      }),
      { numRuns: 500 },
    );
    expect(keyFromRaw(Buffer.from('x'), -1, -1, 'string')).toBe('');
    expect(keyFromRaw(Buffer.from('"a\\"B"'), 0, 6, 'string')).toBe('a"b');
    expect(keyFromRaw(Buffer.from('-0'), 0, 2, 'string')).toBe(0);
  });
});
