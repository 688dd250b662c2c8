import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanRows } from '../velociraptor/query/row-scan';
import { columnLines } from './column-copy';
import { flatRows } from './raw-scan';
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

  it('integer-only columns (one packed native sort) keep ties in arrival order both ways (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(-0, 2 ** 31, -(2 ** 31), 2 ** 40)),
          {
            maxLength: 60,
          },
        ),
        fc.boolean(),
        (values, desc) => {
          const keys = new ColumnKeys('c');
          for (const v of values) keys.add(sortKey(v));
          const { ranks, distinct } = keys.ranks();
          const got = [...orderByRank(null, values.length, ranks, distinct, desc)];
          const want = values
            .map((_, i) => i)
            .sort((a, b) => {
              const c = compare(sortKey(values[a]), sortKey(values[b]));
              return (desc ? -c : c) || a - b;
            });
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 300 },
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

describe('sort keys read from raw batches (ColumnKeys.addBatch)', () => {
  /** Each row's key as today's parsed path makes it: sortKey of JSON.parse's value. */
  function parsedKeys(rows: unknown[], column: string): ColumnKeys {
    const keys = new ColumnKeys(column);
    for (const r of rows) {
      const v =
        r !== null && typeof r === 'object' && Object.prototype.hasOwnProperty.call(r, column)
          ? (r as Record<string, unknown>)[column]
          : undefined;
      keys.add(sortKey(v));
    }
    return keys;
  }

  function rawKeys(batches: string[], column: string): ColumnKeys {
    const keys = new ColumnKeys(column);
    for (const text of batches) {
      const buf = Buffer.from(text);
      const { count, delims } = scanRows(buf);
      keys.addBatch(buf, delims, count, flatRows(buf, delims, count), 'string');
    }
    return keys;
  }

  // Values that repeat (the raw-value cache), in every form: unicode, escapes, case, numbers as text,
  // long text (past the cache's sampled hash and its length limit), nulls, nested values.
  const long = 'C:\\Program Files\\Vendor\\' + 'x'.repeat(600);
  const pool = fc.array(
    fc.oneof(
      fc.string({ maxLength: 5 }),
      fc.string({ maxLength: 4, unit: 'binary' }),
      fc.constantFrom(
        'WKS-01',
        'wks-01',
        'İ',
        '\u212a',
        'é',
        'E\u0301',
        '😀',
        'a"b',
        'C:\\Users',
        '10',
        '9',
        '-1.5',
      ),
      fc.constantFrom(
        long,
        long.toUpperCase(),
        `${'y'.repeat(40)}a${'y'.repeat(40)}`,
        `${'y'.repeat(40)}b${'y'.repeat(40)}`,
      ),
      fc.integer({ min: -20, max: 20 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constant(null),
      fc.boolean(),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    { minLength: 1, maxLength: 8 },
  );
  const column = fc.constantFrom('Hostname', 'a"b', 'é', 'x');

  it("equal the parsed values' keys: same ranks, same order both ways (property)", () => {
    fc.assert(
      fc.property(
        pool,
        column,
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (values, col, picks, sizes, desc) => {
          const rows = picks.map(([v, other, has]) => {
            const r: Record<string, unknown> = { Pid: other, Other: values[other % values.length] };
            if (has) r[col] = values[v % values.length];
            return r;
          });
          const batches: string[] = [];
          for (let at = 0, k = 0; at < rows.length; k++) {
            const n = sizes[k % sizes.length] as number;
            batches.push(JSON.stringify(rows.slice(at, at + n)));
            at += n;
          }
          const want = parsedKeys(rows, col);
          const got = rawKeys(batches.length ? batches : ['[]'], col);
          expect(got.size).toBe(rows.length);
          const w = want.ranks();
          const g = got.ranks();
          const order = (k: { ranks: Uint32Array; distinct: number }) => [
            ...orderByRank(null, rows.length, k.ranks, k.distinct, desc),
          ];
          expect(order(g)).toEqual(order(w));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('read from column copies (column-copy.ts), equal the keys read from the batch (property)', () => {
    fc.assert(
      fc.property(
        pool,
        fc.array(fc.tuple(fc.dictionary(column, fc.nat(), { maxKeys: 4 }), fc.boolean()), { maxLength: 40 }),
        fc.integer({ min: 1, max: 15 }),
        fc.boolean(),
        (values, specs, size, desc) => {
          // Rows with the columns in varied orders, some missing, some with spaces between tokens.
          const rows = specs.map(([r]) =>
            Object.fromEntries(Object.entries(r).map(([k, v]) => [k, values[v % values.length]])),
          );
          const texts = rows.map((r, i) =>
            specs[i]?.[1] ? JSON.stringify(r, null, 1).replace(/\n/g, ' ') : JSON.stringify(r),
          );
          const batches: string[] = [];
          for (let at = 0; at < texts.length; at += size)
            batches.push(`[${texts.slice(at, at + size).join(',')}]`);
          for (const col of ['Hostname', 'a"b', 'é', 'x']) {
            const fromCopy = new ColumnKeys(col);
            for (const b of batches) {
              const buf = Buffer.from(b);
              const { count, delims } = scanRows(buf);
              const split = columnLines(buf, delims, count);
              expect(split).not.toBeNull();
              const lines = split?.get(col);
              if (lines) fromCopy.addLines(lines, count, 'string');
              else if (lines === null)
                fromCopy.addBatch(buf, delims, count, flatRows(buf, delims, count), 'string'); // long values
              else for (let k = 0; k < count; k++) fromCopy.add(''); // no row of the batch has it
            }
            const want = rawKeys(batches.length ? batches : ['[]'], col);
            expect(fromCopy.size).toBe(rows.length);
            const order = (k: ColumnKeys) => {
              const { ranks, distinct } = k.ranks();
              return [...orderByRank(null, rows.length, ranks, distinct, desc)];
            };
            expect(order(fromCopy)).toEqual(order(want));
            expect(order(fromCopy)).toEqual(order(parsedKeys(rows, col)));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('read nested rows, spaces, escaped keys and duplicates as JSON.parse does', () => {
    const text =
      '[ {"x":{"Hostname":"nested"},"y":"\\"Hostname\\":no", "Hostname" : "B"} , {"Hostname":"c","Hostname":"A"},' +
      ' 7, {"H\\u006fstname":"d"}, {"Hostname":"a\\u0041"}, {"Hostname":"{x}"}, {"Other":1} ]';
    const keys = rawKeys([text], 'Hostname');
    const rows = JSON.parse(text) as unknown[];
    const order = (k: ColumnKeys) => [...orderByRank(null, 7, k.ranks().ranks, k.ranks().distinct, false)];
    expect(order(keys)).toEqual(order(parsedKeys(rows, 'Hostname')));
    // b, a (the last duplicate), '', d, aa, {x}, '': ascending is '' '' a aa b d {x}
    expect(order(keys)).toEqual([2, 6, 1, 4, 0, 3, 5]);
  });
});
