import { describe, expect, it } from 'vitest';
import { ResultSet, ResultStore } from './result-store';

function set(rows: Array<Record<string, unknown>>): ResultSet {
  const s = new ResultSet('id', 'owner');
  s.push(rows, []);
  return s;
}

describe('ResultSet', () => {
  const rows = [
    { Name: 'b', Pid: 10, Obj: { x: 1 } },
    { Name: 'a', Pid: 9 },
    { Name: 'C', Pid: 100, Extra: '<script>' },
  ];

  it('learns columns from rows in arrival order, including late ones', () => {
    expect(set(rows).columns).toEqual(['Name', 'Pid', 'Obj', 'Extra']);
  });

  it('returns the requested window as cell text', () => {
    const w = set(rows).window(1, 5, { sort: null, filter: '' });
    expect(w.matched).toBe(3);
    expect(w.rows).toEqual([
      ['a', '9', '', ''],
      ['C', '100', '', '<script>'],
    ]);
    expect(set(rows).window(0, 1, { sort: null, filter: '' }).rows[0]?.[2]).toBe('{"x":1}');
  });

  it('sorts numbers numerically and text case-insensitively, both directions', () => {
    const s = set(rows);
    expect(s.window(0, 3, { sort: { column: 'Pid', desc: false }, filter: '' }).rows.map((r) => r[1])).toEqual(['9', '10', '100']);
    expect(s.window(0, 3, { sort: { column: 'Name', desc: true }, filter: '' }).rows.map((r) => r[0])).toEqual(['C', 'b', 'a']);
  });

  it('filters over all cells, case-insensitively, and recomputes when rows arrive', () => {
    const s = set(rows);
    expect(s.window(0, 10, { sort: null, filter: 'SCRIPT' }).matched).toBe(1);
    s.push([{ Name: 'script-runner', Pid: 1 }], []);
    expect(s.window(0, 10, { sort: null, filter: 'script' }).matched).toBe(2);
  });

  it('exports the view as neutralised CSV or JSON lines, with the chosen columns', () => {
    const s = set([{ A: '=HYPERLINK("x")', B: 1 }, { A: 'ok', B: 2 }]);
    expect(s.exportText('csv', ['A'], { sort: null, filter: '' }).text).toBe(`A\n"'=HYPERLINK(""x"")"\nok\n`);
    expect(s.exportText('json', undefined, { sort: { column: 'B', desc: true }, filter: '' }).text).toBe('{"A":"ok","B":2}\n{"A":"=HYPERLINK(\\"x\\")","B":1}\n');
  });

  it('pages a million rows without touching the ones not asked for', () => {
    const s = new ResultSet('big', 'o');
    const batch = Array.from({ length: 1000 }, (_, i) => ({ i, v: `row ${i}` }));
    for (let b = 0; b < 1000; b++) s.push(batch, ['i', 'v']);
    const t = performance.now();
    const w = s.window(999_800, 200, { sort: null, filter: '' });
    expect(performance.now() - t).toBeLessThan(50);
    expect(w.matched).toBe(1_000_000);
    expect(w.rows).toHaveLength(200);
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
});
