import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanRows } from '../velociraptor/query/row-scan';
import { cellText } from './cell-text';
import { filterCandidates as candidates, rawNeedle, topLevelValue } from './raw-scan';

type Row = Record<string, unknown>;

/** Every row the bytes cannot rule out, ascending. */
function filterCandidates(...args: Parameters<typeof candidates>): number[] {
  const c = candidates(...args);
  return [...c.sure, ...c.check].sort((a, b) => a - b);
}

function batch(rows: unknown[], text = JSON.stringify(rows)) {
  const buf = Buffer.from(text);
  return { buf, ...scanRows(buf) };
}

/** The exact filter of the result store: a case-insensitive substring of any cell's text. */
function matches(r: unknown, filter: string): boolean {
  if (r === null || typeof r !== 'object') return false;
  for (const k in r as Row)
    if (
      cellText((r as Row)[k])
        .toLowerCase()
        .includes(filter)
    )
      return true;
  return false;
}

const key = fc.oneof(fc.constantFrom('Hostname', 'Pid', 'Name', 'A', 'a"b', 'c\\d', 'é', ''), fc.string());
const row = fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 });

describe('topLevelValue', () => {
  it("finds a row's own key, not one in a nested object or a string, the last of duplicates", () => {
    const text =
      '{"x":{"Hostname":"nested"},"y":"\\"Hostname\\":no", "Hostname" : "a", "Hostname":[2,{"z":"}"}]}';
    const buf = Buffer.from(text);
    const v = topLevelValue(buf, 0, buf.length, Buffer.from('Hostname'), 'Hostname');
    expect(v && JSON.parse(buf.toString('utf8', v[0], v[1]))).toEqual([2, { z: '}' }]);
    expect(topLevelValue(Buffer.from('{}'), 0, 2, Buffer.from('a'), 'a')).toBeNull();
  });
});

describe('filterCandidates', () => {
  const needleOf = (rows: Row[]) =>
    fc.oneof(
      // A piece of some cell's text or key, as a responder would type it.
      fc.constantFrom(
        ...rows.flatMap((r) => Object.entries(r).flatMap(([k, v]) => [k, cellText(v)])).filter(Boolean),
        'host',
      ),
      fc.string({ minLength: 1, maxLength: 4 }),
    );

  it('never misses a row the exact filter keeps, and every row it is sure of does match', () => {
    fc.assert(
      fc.property(
        fc
          .array(row, { minLength: 1, maxLength: 8 })
          .chain((rows) => fc.tuple(fc.constant(rows), needleOf(rows), fc.nat(), fc.nat())),
        ([rows, piece, a, b]) => {
          const text =
            piece.length > 2 ? piece.slice(a % piece.length, (a % piece.length) + 1 + (b % 6)) : piece;
          const needle = rawNeedle(text);
          fc.pre(needle !== null);
          const bt = batch(rows);
          const candidates = new Set(filterCandidates(bt.buf, bt.delims, bt.count, needle));
          rows.forEach((r, k) => {
            if (matches(r, needle)) expect(candidates.has(k)).toBe(true);
          });
        },
      ),
      { numRuns: 600 },
    );
  });

  it('skips matches inside key names, keeps those in values, numbers and nested arrays', () => {
    const rows = [
      { Hostname: 'web-1' },
      { Name: 'the host is here' },
      { Pid: 4042, Host: 'x' },
      { List: [1, 'hosts'] },
      { 'k"host': 'no' },
    ];
    const b = batch(rows);
    expect(filterCandidates(b.buf, b.delims, b.count, 'host')).toEqual([1, 3]);
    expect(filterCandidates(b.buf, b.delims, b.count, '404')).toEqual([2]);
  });

  it('counts rows with \\u escapes of ASCII, \\/ and letters that lower-case to ASCII as candidates', () => {
    const text =
      '[{"a":"\\u0041dmin"},{"a":"x\\/y"},{"a":"KELVIN\u212a"},{"a":"C:\\\\users"},{"a":"İstanbul"}]';
    const b = batch([], text);
    expect(filterCandidates(b.buf, b.delims, b.count, 'admin')).toEqual([0, 4]); // 4: İ lower-cases to i
    expect(filterCandidates(b.buf, b.delims, b.count, 'x/y')).toEqual([1]);
    expect(filterCandidates(b.buf, b.delims, b.count, 'k')).toEqual([2]);
    // An escaped backslash before "users" is no \u escape.
    expect(filterCandidates(b.buf, b.delims, b.count, 'zzz')).toEqual([]);
    expect(filterCandidates(b.buf, b.delims, b.count, 'istanbul')).toEqual([0, 4]); // 0: \u0041 is an a
  });

  it('takes only needles whose JSON text is the needle itself', () => {
    expect(rawNeedle('Host-042')).toBe('host-042');
    for (const n of ['', 'a"b', 'c:\\x', '<script>', 'a&b', "it's", 'é', 'tab\there'])
      expect(rawNeedle(n)).toBeNull();
  });
});
