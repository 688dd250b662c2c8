import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bulkBatch } from '../sim/bulk-rows';
import { scanRows } from '../velociraptor/query/row-scan';
import { columnLines, copyColumns, unpackLines, type ColumnCopy } from './column-copy';
import { flatRows } from './raw-scan';
import { ResultSet, type View } from './result-store';
import { ColumnKeys, orderByRank, sortKey } from './sort-keys';

function copyOf(text: string): ColumnCopy | null {
  const buf = Buffer.from(text);
  const { count, delims } = scanRows(buf);
  return copyColumns(buf, delims, count);
}

function linesOf(copy: ColumnCopy | null, column: string): string | undefined {
  const c = copy?.get(column);
  return c ? unpackLines(c).toString() : undefined;
}

/** Row order by one column's keys, `desc` or not: from ranks, as a view orders them. */
function order(keys: ColumnKeys, n: number, desc: boolean): number[] {
  const { ranks, distinct } = keys.ranks();
  return [...orderByRank(null, n, ranks, distinct, desc)];
}

describe('column copies (copyColumns)', () => {
  it('hold each value as sent, one line per row, empty where a row lacks the column', () => {
    const copy = copyOf(
      '[ {"a" : 1, "b":"x"} , {"b":"y\\"z","c":null},{"a":{"n":[1, "}"]},"a":"last"},{}, {"é":"Zoë 田中","H\\u006fst":-2.5e3}]',
    );
    expect(linesOf(copy, 'a')).toBe('1\n\n"last"\n\n\n');
    expect(linesOf(copy, 'b')).toBe('"x"\n"y\\"z"\n\n\n\n');
    expect(linesOf(copy, 'c')).toBe('\nnull\n\n\n\n');
    expect(linesOf(copy, 'é')).toBe('\n\n\n\n"Zoë 田中"\n');
    expect(linesOf(copy, 'Host')).toBe('\n\n\n\n-2.5e3\n');
    expect([...(copy?.keys() ?? [])]).toEqual(['a', 'b', 'c', 'é', 'Host']);
  });

  it('are not made for rows that are no objects, values spanning lines, or bytes that are not JSON', () => {
    expect(copyOf('[{"a":1},7]')).toBeNull();
    expect(copyOf('[{"a":1},["x"]]')).toBeNull();
    expect(copyOf('[{"a":{\n"b":1}}]')).toBeNull();
    expect(copyOf('[{"a":"line\nbreak"}]')).toBeNull();
    expect(copyOf('[{"a":1}]')).not.toBeNull();
  });

  it('keep short plain lines, compress what compresses, and skip long values that do not', () => {
    // Short ids that compress little (base64): kept plain, as cheap as compressed.
    const pids = JSON.stringify(
      Array.from({ length: 200 }, () => ({ Id: randomBytes(9).toString('base64') })),
    );
    expect(copyOf(pids)?.get('Id')?.packedFrom).toBe(0);
    const hosts = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ Host: `wks-${i % 3}` })));
    expect(copyOf(hosts)?.get('Host')?.packedFrom).toBeGreaterThan(0);
    const blobs = JSON.stringify(
      Array.from({ length: 50 }, () => ({ b: randomBytes(300).toString('base64') })),
    );
    const copy = copyOf(blobs);
    expect(copy?.get('b')).toBeNull(); // not copied: the sort reads the batch
    expect(copy?.has('b')).toBe(true);
  });

  // Values in every form the keys distinguish: mixed types, numbers as text, unicode (non-ASCII, case,
  // combining marks, astral), escapes, long text, nulls, nested values.
  const value = fc.oneof(
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
      '',
    ),
    fc.constant('C:\\Program Files\\' + 'x'.repeat(600)),
    fc.integer({ min: -20, max: 20 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constant(null),
    fc.boolean(),
    fc.jsonValue({ maxDepth: 1 }),
  );
  const column = fc.constantFrom('Hostname', 'a"b', 'é', 'x');

  it("give the keys of the parsed values and of the batch's own bytes (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.dictionary(column, value, { maxKeys: 4 }), fc.boolean()), { maxLength: 40 }),
        fc.integer({ min: 1, max: 15 }),
        fc.boolean(),
        (rowSpecs, size, desc) => {
          // Rows with the columns in varied orders, some missing, some pretty-printed.
          const texts = rowSpecs.map(([r, spaced]) =>
            spaced ? JSON.stringify(r, null, 1).replace(/\n/g, ' ') : JSON.stringify(r),
          );
          const rows = rowSpecs.map(([r]) => r);
          const batches: string[] = [];
          for (let at = 0; at < texts.length; at += size)
            batches.push(`[${texts.slice(at, at + size).join(',')}]`);
          for (const col of ['Hostname', 'a"b', 'é', 'x']) {
            const parsed = new ColumnKeys(col);
            for (const r of rows)
              parsed.add(sortKey(Object.prototype.hasOwnProperty.call(r, col) ? r[col] : undefined));
            const fromBytes = new ColumnKeys(col);
            const fromCopy = new ColumnKeys(col);
            for (const b of batches) {
              const buf = Buffer.from(b);
              const { count, delims } = scanRows(buf);
              fromBytes.addBatch(buf, delims, count, flatRows(buf, delims, count), 'string');
              const split = columnLines(buf, delims, count);
              expect(split).not.toBeNull();
              const lines = split?.get(col);
              if (lines) fromCopy.addLines(lines, count, 'string');
              else if (lines === null)
                fromCopy.addBatch(buf, delims, count, flatRows(buf, delims, count), 'string'); // long values
              else for (let k = 0; k < count; k++) fromCopy.add('');
            }
            expect(fromCopy.size).toBe(rows.length);
            expect(order(fromCopy, rows.length, desc)).toEqual(order(parsed, rows.length, desc));
            expect(order(fromCopy, rows.length, desc)).toEqual(order(fromBytes, rows.length, desc));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('a result set sorted from column copies', () => {
  const views = (col: string): View[] => [
    { sort: { column: col, desc: false }, filter: '' },
    { sort: { column: col, desc: true }, filter: '' },
    { sort: { column: col, desc: true }, filter: 'wks' },
  ];

  it('orders the seeded bulk rows exactly as the path without copies, every column both ways', () => {
    const copied = new ResultSet('c', 'o');
    const plain = new ResultSet('p', 'o', { compress: false });
    // Three batches of the simulator's rows and one that gets no copy (a row that is no object).
    const texts = [0, 1, 2].map((k) => bulkBatch(500, k).json);
    texts.push('[{"Hostname":"ZZZ","Pid":"12"},"a bare string",{"Pid":{"nested":1},"Name":null}]');
    for (const t of texts) {
      const bytes = Buffer.from(t);
      const raw = { bytes, ...scanRows(bytes) };
      copied.pushRaw(raw, ['Hostname']);
      plain.pushRaw(raw, ['Hostname']);
    }
    expect(copied.size).toBe(1503);
    for (const col of [
      'BatchRow',
      'Hostname',
      'Pid',
      'Name',
      'CommandLine',
      'Username',
      'CreateTime',
      'SHA256',
      'None',
    ])
      for (const view of views(col)) expect(copied.viewIndex(view)).toEqual(plain.viewIndex(view));
    expect(copied.window(0, 3, views('Pid')[1] as View)).toEqual(plain.window(0, 3, views('Pid')[1] as View));
  });

  it('extends the sort from the copies of batches that arrive after it', () => {
    const s = new ResultSet('c', 'o');
    const push = (rows: unknown[]): void => {
      const bytes = Buffer.from(JSON.stringify(rows));
      s.pushRaw({ bytes, ...scanRows(bytes) }, ['Name']);
    };
    push([{ Name: 'b' }, { Name: 'É' }, { Other: 1 }]);
    const byName: View = { sort: { column: 'Name', desc: false }, filter: '' };
    expect(s.window(0, 10, byName).rows.map((r) => r[0])).toEqual(['', 'b', 'É']);
    push([{ Name: 'a' }, { Name: 3 }]);
    expect(s.window(0, 10, byName).rows.map((r) => r[0])).toEqual(['3', '', 'a', 'b', 'É']);
  });
});
