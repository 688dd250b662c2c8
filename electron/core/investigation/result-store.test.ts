import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../shared/errors';
import { scanRows } from '../velociraptor/query/row-scan';
import type { RawRows } from '../velociraptor/query/stream';
import { ResultSet, ResultStore, type View } from './result-store';

type Row = Record<string, unknown>;

function rawText(text: string): RawRows {
  const bytes = Buffer.from(text);
  return { bytes, ...scanRows(bytes) };
}
const raw = (rows: Row[]): RawRows => rawText(JSON.stringify(rows));

function set(rows: Row[]): ResultSet {
  const s = new ResultSet('id', 'owner');
  s.push(rows, []);
  return s;
}

/** The rows as a raw set, cut into batches of `sizes` (cycled); Columns = the batch's first row's keys, as Velociraptor sends them. */
function rawSet(
  rows: Row[],
  sizes: number[] = [2],
  options?: ConstructorParameters<typeof ResultSet>[2],
): ResultSet {
  const s = new ResultSet('raw', 'owner', options);
  for (let i = 0, b = 0; i < rows.length; b++) {
    const n = Math.max(1, sizes[b % sizes.length] ?? 1);
    const batch = rows.slice(i, i + n);
    s.pushRaw(raw(batch), Object.keys(batch[0] ?? {}));
    i += n;
  }
  return s;
}

/** A window as records by column name: column order may differ between the two paths. */
function records(
  s: ResultSet,
  offset: number,
  limit: number,
  view: View,
): { matched: number; rows: Array<Record<string, string>> } {
  const w = s.window(offset, limit, view);
  const cols = [...s.columns];
  return {
    matched: w.matched,
    rows: w.rows.map((r) =>
      Object.fromEntries(cols.map((c, i) => [c, r[i] ?? ''] as const).filter(([, v]) => v !== '')),
    ),
  };
}

const noView: View = { sort: null, filter: '' };

describe('ResultSet', () => {
  const rows = [
    { Name: 'b', Pid: 10, Obj: { x: 1 } },
    { Name: 'a', Pid: 9 },
    { Name: 'C', Pid: 100, Extra: '<script>' },
  ];

  for (const [kind, make] of [
    ['parsed', set],
    ['raw', (r: Row[]) => rawSet(r, [1])],
  ] as const) {
    describe(`${kind} rows`, () => {
      it('returns the requested window as cell text, with columns met in later rows', () => {
        const s = make(rows);
        const w = s.window(1, 5, noView);
        expect(w.matched).toBe(3);
        expect(s.columns).toEqual(['Name', 'Pid', 'Obj', 'Extra']);
        expect(w.rows).toEqual([
          ['a', '9', '', ''],
          ['C', '100', '', '<script>'],
        ]);
        expect(make(rows).window(0, 1, noView).rows[0]?.[2]).toBe('{"x":1}');
      });

      it('sorts numbers numerically and text case-insensitively, both directions', () => {
        const s = make(rows);
        s.window(0, 3, noView);
        expect(
          s.window(0, 3, { sort: { column: 'Pid', desc: false }, filter: '' }).rows.map((r) => r[1]),
        ).toEqual(['9', '10', '100']);
        expect(
          s.window(0, 3, { sort: { column: 'Name', desc: true }, filter: '' }).rows.map((r) => r[0]),
        ).toEqual(['C', 'b', 'a']);
      });

      it('filters over all cells, case-insensitively, and extends the view when rows arrive', () => {
        const s = make(rows);
        expect(s.window(0, 10, { sort: null, filter: 'SCRIPT' }).matched).toBe(1);
        if (kind === 'raw') s.pushRaw(raw([{ Name: 'script-runner', Pid: 1 }]), ['Name', 'Pid']);
        else s.push([{ Name: 'script-runner', Pid: 1 }], []);
        expect(s.window(0, 10, { sort: null, filter: 'script' }).matched).toBe(2);
        expect(
          s.window(0, 10, { sort: { column: 'Pid', desc: false }, filter: 'script' }).rows.map((r) => r[0]),
        ).toEqual(['script-runner', 'C']);
      });

      it('exports the view as neutralised CSV or JSON lines, with the chosen columns', () => {
        const s = make([
          { A: '=HYPERLINK("x")', B: 1 },
          { A: 'ok', B: 2 },
        ]);
        expect(s.exportText('csv', ['A'], noView).text).toBe(`A\n"'=HYPERLINK(""x"")"\nok\n`);
        expect(s.exportText('json', undefined, { sort: { column: 'B', desc: true }, filter: '' }).text).toBe(
          '{"A":"ok","B":2}\n{"A":"=HYPERLINK(\\"x\\")","B":1}\n',
        );
      });
    });
  }

  it('pages a million rows without touching the ones not asked for (parsed and raw)', () => {
    const batch = Array.from({ length: 1000 }, (_, i) => ({ i, v: `row ${i}` }));
    const parsed = new ResultSet('big', 'o');
    const bytes = raw(batch);
    const rawBig = new ResultSet('big-raw', 'o');
    for (let b = 0; b < 1000; b++) {
      parsed.push(batch, ['i', 'v']);
      rawBig.pushRaw(bytes, ['i', 'v']);
    }
    for (const s of [parsed, rawBig]) {
      const t = performance.now();
      const w = s.window(999_800, 200, noView);
      expect(performance.now() - t).toBeLessThan(50);
      expect(w.matched).toBe(1_000_000);
      expect(s.size).toBe(1_000_000);
      expect(w.rows).toHaveLength(200);
      expect(w.rows[199]).toEqual(['999', 'row 999']);
    }
  });

  it('windows across chunk boundaries equal the parsed path, for any offset (raw batches of uneven sizes)', () => {
    const data = Array.from({ length: 97 }, (_, i) => ({
      i,
      s: `r${i}`,
      ...(i % 10 === 9 ? { late: i } : {}),
    }));
    const parsed = set(data);
    const r = rawSet(data, [7, 1, 13, 2, 30]);
    for (let offset = 0; offset < 100; offset += 3) {
      for (const limit of [1, 5, 20, 200])
        expect(records(r, offset, limit, noView), `${offset}+${limit}`).toEqual(
          records(parsed, offset, limit, noView),
        );
    }
  });

  it('sort, filter and export equal the parsed path (property)', () => {
    // Raw views read keys and filter candidates from the bytes (raw-scan.ts): values with escapes,
    // unicode, nested objects whose keys are cell text, and numbers in every form JSON allows.
    const cell = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.string({ maxLength: 4, unit: 'binary' }),
      fc.integer({ min: -50, max: 50 }),
      fc.double({ noNaN: true, min: -1e15, max: 1e15 }),
      fc.constantFrom('10', '9', 'A', 'a', '-1.5', 'C:\\Users', 'say "hi"', 'İ', '\u212a', '{"k":1}', ''),
      fc.constant(null),
      fc.boolean(),
      fc.array(fc.integer(), { maxLength: 2 }),
      // Nested values (their big integers are text on the raw path by design: kept out here).
      fc.dictionary(
        fc.string({ maxLength: 3 }),
        fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean(), fc.constant(null)),
        { maxKeys: 2 },
      ),
    );
    const row = fc.record({ k: cell, n: cell, s: cell, x: cell }, { requiredKeys: ['k'] });
    const view = fc.record({
      sort: fc.option(
        fc.record({ column: fc.constantFrom('k', 'n', 's', 'x', 'none'), desc: fc.boolean() }),
        { nil: null },
      ),
      filter: fc.oneof(
        fc.constant(''),
        fc.constantFrom(
          'a',
          '1',
          'null',
          '[',
          ' A ',
          'k',
          'i',
          'users',
          'c:\\',
          '"hi"',
          'true',
          '1,',
          ':1',
          'e-',
        ),
        fc.string({ minLength: 1, maxLength: 3 }),
      ),
    });
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 5 }),
        view,
        fc.boolean(),
        (data, sizes, v, compress) => {
          const parsed = set(data);
          const r = rawSet(data, sizes, { parsedChunks: 2, compress });
          expect(r.size).toBe(parsed.size);
          expect(records(r, 0, 100, v)).toEqual(records(parsed, 0, 100, v));
          const cols = ['x', 'k', 's', 'n', 'none'];
          expect(r.exportText('csv', cols, v)).toEqual(parsed.exportText('csv', cols, v));
          const lines = (t: string) =>
            t
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l) as unknown);
          const pj = parsed.exportText('json', undefined, v);
          const rj = r.exportText('json', undefined, v);
          expect(rj.rows).toBe(pj.rows);
          expect(lines(rj.text)).toEqual(lines(pj.text));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keeps integers beyond 2^53 exact in windows, sorts and exports', () => {
    const s = new ResultSet('big', 'o');
    s.pushRaw(
      rawText(
        '[{"id":18446744073709551615,"n":1},{"id":9007199254740993,"n":2},{"id":-9223372036854775808,"n":3}]',
      ),
      ['id', 'n'],
    );
    expect(s.window(0, 3, noView).rows.map((r) => r[0])).toEqual([
      '18446744073709551615',
      '9007199254740993',
      '-9223372036854775808',
    ]);
    expect(s.window(0, 3, { sort: { column: 'id', desc: true }, filter: '' }).rows.map((r) => r[1])).toEqual([
      '1',
      '2',
      '3',
    ]);
    expect(s.window(1, 1, { sort: null, filter: '9007199254740993' }).matched).toBe(1);
    expect(s.exportText('csv', undefined, noView).text).toBe(
      "id,n\n18446744073709551615,1\n9007199254740993,2\n'-9223372036854775808,3\n",
    );
  });

  it('learns columns a later row carries when its rows are read; CSV pads the rows read before', () => {
    const s = new ResultSet('late', 'o');
    s.pushRaw(raw([{ a: 1 }, { a: 2 }]), ['a']);
    s.pushRaw(raw([{ a: 3 }, { a: 4, c: 'x' }]), ['a']);
    expect(s.columns).toEqual(['a']);
    expect(s.window(0, 1, noView)).toEqual({ matched: 4, rows: [['1']] });
    expect(s.exportText('csv', undefined, noView).text).toBe('a,c\n1,\n2,\n3,\n4,x\n');
    expect(s.columns).toEqual(['a', 'c']);
    const fresh = new ResultSet('late2', 'o');
    fresh.pushRaw(raw([{ a: 3 }, { a: 4, c: 'x' }]), ['a']);
    // A window of a later row: the answer's columns include what that row brought.
    expect(fresh.window(1, 1, noView).rows).toEqual([['4', 'x']]);
    expect(fresh.columns).toEqual(['a', 'c']);
    // An export naming a column no read has met yet reads the rest first.
    const named = new ResultSet('late3', 'o');
    named.pushRaw(raw([{ a: 1 }, { a: 2, z: 'zz' }]), ['a']);
    expect(named.exportText('csv', ['z', 'a'], noView).text).toBe('z,a\n,1\nzz,2\n');
  });

  it('holds at most `parsedChunks` parsed chunks, and builds views without keeping rows', () => {
    const s = new ResultSet('lru', 'o', { parsedChunks: 3 });
    for (let b = 0; b < 20; b++) s.pushRaw(raw(Array.from({ length: 10 }, (_, i) => ({ b, i }))), ['b', 'i']);
    expect(s.viewIndex({ sort: { column: 'i', desc: true }, filter: '' })).toHaveLength(200);
    expect(s.exportText('json', undefined, { sort: null, filter: '1' }).rows).toBe(119); // b in {1, 10..19}: 110, i = 1 elsewhere: 9
    expect(s.parsedChunks).toBe(0);
    expect(s.window(5, 150, { sort: { column: 'i', desc: true }, filter: '' }).rows[0]).toEqual(['5', '9']); // i = 9 first, ties in arrival order
    expect(s.parsedChunks).toBe(3);
    for (let b = 0; b < 20; b++) {
      expect(s.window(b * 10, 10, noView).rows[9]).toEqual([String(b), '9']);
      expect(s.parsedChunks).toBeLessThanOrEqual(3);
    }
    expect(s.parsedChunks).toBe(3);
    // A page of a few rows of a chunk parses those rows only.
    const few = new ResultSet('few', 'o', { parsedChunks: 3 });
    few.pushRaw(raw(Array.from({ length: 100 }, (_, i) => ({ i }))), ['i']);
    expect(few.window(40, 3, noView).rows).toEqual([['40'], ['41'], ['42']]);
    expect(few.parsedChunks).toBe(0);
  });

  it('keeps raw batches compressed unless that saves little, and reads them back the same', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      Pid: i,
      Name: 'svchost.exe',
      CommandLine: 'C:\\Windows\\System32\\svchost.exe -k netsvcs',
      Hash: 'e3b0c44298fc1c149afbf4c8996fb924',
    }));
    const batch = raw(rows);
    const packed = new ResultSet('p', 'o');
    const plain = new ResultSet('q', 'o', { compress: false });
    packed.pushRaw(batch, ['Pid']);
    plain.pushRaw(batch, ['Pid']);
    expect(plain.heldBytes).toBe(batch.bytes.length);
    expect(packed.heldBytes).toBeLessThan(batch.bytes.length / 5);
    for (const view of [
      noView,
      { sort: { column: 'Pid', desc: true }, filter: '' },
      { sort: null, filter: '99' },
    ]) {
      expect(packed.window(3, 300, view)).toEqual(plain.window(3, 300, view));
    }
    expect(packed.exportText('csv', undefined, noView)).toEqual(plain.exportText('csv', undefined, noView));
    // Base64 of random bytes saves ~25%: kept as received.
    const noise = rawText(
      JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ b: randomBytes(300 + i).toString('base64') }))),
    );
    const s = new ResultSet('n', 'o');
    s.pushRaw(noise, ['b']);
    expect(s.heldBytes).toBe(noise.bytes.length);
    expect(s.window(49, 1, noView).rows[0]?.[0]).toHaveLength(Math.ceil((300 + 49) / 3) * 4);
  });

  it('holds a small batch decoded into a larger message buffer as its own copy', () => {
    const text = JSON.stringify([{ a: 1 }, { a: 2 }]);
    const message = Buffer.alloc(64 * 1024, ' ');
    message.write(text, 100);
    const bytes = message.subarray(100, 100 + text.length);
    const { count, delims } = scanRows(bytes);
    for (const compress of [false, true]) {
      const s = new ResultSet('small', 'o', { compress });
      s.pushRaw({ bytes, count, delims }, ['a']);
      // Reusing the message buffer (as the transport may) must not change what the set holds.
      message.fill('x', 100, 100 + text.length);
      expect(s.window(0, 2, noView).rows).toEqual([['1'], ['2']]);
      message.write(text, 100);
    }
  });

  it('a batch that scanned but does not parse fails when read, with the stream error', () => {
    const s = new ResultSet('bad', 'o');
    s.pushRaw(raw([{ a: 1 }]), ['a']);
    s.pushRaw(rawText('[{"a":2},{"a":tru}]'), ['a']);
    expect(s.size).toBe(3);
    expect(s.window(0, 1, noView).rows).toEqual([['1']]);
    let error: unknown;
    try {
      s.window(0, 3, noView);
    } catch (e) {
      error = e;
    }
    expect(isAppError(error, 'INTERNAL') && /not valid JSON/.test(error.message)).toBe(true);
    expect(() => s.exportText('csv', undefined, noView)).toThrow(/not valid JSON/);
  });

  it('sorts a big view by rank: equal keys keep arrival order in both directions', () => {
    const data = Array.from({ length: 5000 }, (_, i) => ({ h: `host-${i % 7}`, i }));
    const s = rawSet(data, [1000]);
    const asc = s
      .window(0, 5000, { sort: { column: 'h', desc: false }, filter: '' })
      .rows.map((r) => Number(r[1]));
    const desc = s
      .window(0, 5000, { sort: { column: 'h', desc: true }, filter: '' })
      .rows.map((r) => Number(r[1]));
    const expected = (d: boolean) =>
      [...data]
        .sort((a, b) => (d ? b.h.localeCompare(a.h) : a.h.localeCompare(b.h)) || a.i - b.i)
        .map((r) => r.i);
    expect(asc).toEqual(expected(false));
    expect(desc).toEqual(expected(true));
  });
});

describe('ResultStore', () => {
  it('drops the oldest set beyond its cap and says what to do when one is gone', () => {
    const store = new ResultStore(2);
    const a = store.create('o');
    store.create('o');
    store.create('o');
    expect(() => store.get(a.id)).toThrow(/Run the cell or open the results again/);
  });

  it('releases every set of an owner and only those', () => {
    const store = new ResultStore();
    const a = store.create('win-a');
    store.create('win-a');
    const b = store.create('win-b');
    expect(store.releaseOwner('win-a')).toBe(2);
    expect(store.count('win-a')).toBe(0);
    expect(store.get(b.id)).toBe(b);
    expect(() => store.get(a.id)).toThrow(/no longer held/);
  });
});
