import { describe, expect, it } from 'vitest';
import { parseRows } from '../query/json';
import { scanRows } from '../query/row-scan';
import { RowFormatter, csvCell, rawLines } from './format';
import { stripTerminalControls } from './terminal';

const ESC = '\x1b';
/** Clears the screen, sets the window title, rewrites the line and hides text: all a terminal obeys. */
const HOSTILE = `${ESC}[2J${ESC}]0;pwned\x07ok\r${ESC}[8mhidden${ESC}[0m\u009b31mred\x00\x7f`;

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

  it('strips terminal control characters from CSV text, header included, unless asked to keep them', () => {
    const rows = [{ [`col${ESC}[31m`]: HOSTILE, n: 1 }];
    const cols = [`col${ESC}[31m`, 'n'];
    const stripped = new RowFormatter('csv', { stripControls: true }).rows(rows, cols, 0);
    expect(stripped).toBe('col,n\r\nokhiddenred,1\r\n');
    // eslint-disable-next-line no-control-regex
    expect(stripped.replace(/\r\n/g, '')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    const kept = new RowFormatter('csv').rows(rows, cols, 0);
    expect(kept).toContain(`${ESC}[2J`);
    expect(csvCell(HOSTILE, { stripControls: true })).toBe('okhiddenred');
  });

  it('keeps tabs and newlines, removes every other control', () => {
    expect(stripTerminalControls('a\tb\nc')).toBe('a\tb\nc');
    expect(stripTerminalControls(`x${ESC}Py${ESC}\\z`)).toBe('xz');
    expect(stripTerminalControls(`${ESC}(B${ESC}7end${ESC}`)).toBe('end');
  });

  it('opens the JSON array with the first row, so nothing is written before one arrives', () => {
    const j = new RowFormatter('json');
    expect(j.start()).toBe('');
    const text = j.start() + j.rows([{ a: 1 }], ['a'], 0) + j.end();
    expect(text.startsWith('[')).toBe(true);
    expect(JSON.parse(text)).toEqual([{ a: 1 }]);
  });

  it('cuts JSON lines from a batch without parsing it: the server bytes, exactly', () => {
    const batch =
      '[{"b":18446744073709551615,"a":"\\u003cx\\u003e","t":1.50},{"n":[1,{"x":"],"}]},{"s":"a\\"b"}]';
    const bytes = Buffer.from(batch);
    const out = rawLines({ bytes, ...scanRows(bytes) }).toString();
    expect(out).toBe(
      '{"b":18446744073709551615,"a":"\\u003cx\\u003e","t":1.50}\n{"n":[1,{"x":"],"}]}\n{"s":"a\\"b"}\n',
    );
    const spaced = Buffer.from('[ {"a":1} ,\n {"b":2}\n]');
    expect(rawLines({ bytes: spaced, ...scanRows(spaced) }).toString()).toBe('{"a":1}\n{"b":2}\n');
    const empty = Buffer.from('[]');
    expect(rawLines({ bytes: empty, ...scanRows(empty) }).length).toBe(0);
  });
});
