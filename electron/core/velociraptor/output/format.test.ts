import { describe, expect, it } from 'vitest';
import { parseRows } from '../query/json';
import { RowFormatter, csvCell } from './format';

describe('output formats', () => {
  it('neutralises formula injection in CSV text cells', () => {
    for (const bad of [
      '=HYPERLINK("http://x","y")',
      '+1+1',
      '-2+3',
      '@SUM(A1)',
      '\t=1',
      "=cmd|' /C calc'!A0",
    ]) {
      const cell = csvCell(bad);
      expect(cell.replace(/^"/, '').startsWith("'")).toBe(true);
    }
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,"b"\nc')).toBe('"a,""b""\nc"');
    expect(csvCell(null)).toBe('');
  });

  it('writes CSV with a header per statement and exact big integers', () => {
    const f = new RowFormatter('csv');
    const rows = parseRows('[{"a":18446744073709551615,"b":"=x"}]');
    const text = f.start() + f.rows(rows, ['a', 'b'], 0) + f.rows([{ c: 1 }], ['c'], 1) + f.end();
    expect(text).toBe("a,b\r\n18446744073709551615,'=x\r\n\r\nc\r\n1\r\n");
  });

  it('writes a JSON array and JSON lines that parse back', () => {
    const rows = [{ a: 1 }, { a: 'x' }];
    const j = new RowFormatter('json');
    const json = j.start() + j.rows(rows, ['a'], 0) + j.end();
    expect(JSON.parse(json)).toEqual(rows);
    const e = new RowFormatter('json');
    expect(JSON.parse(e.start() + e.end())).toEqual([]);
    const l = new RowFormatter('jsonl');
    expect(
      l
        .rows(rows, ['a'], 0)
        .trim()
        .split('\n')
        .map((x) => JSON.parse(x) as unknown),
    ).toEqual(rows);
  });
});
