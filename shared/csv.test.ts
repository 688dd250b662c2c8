import { describe, expect, it } from 'vitest';
import { csvField, csvLine, neutraliseCell, quoteField, toCsv } from './csv';

describe('CSV formula neutralisation', () => {
  it('prefixes cells that spreadsheets would evaluate', () => {
    for (const bad of ['=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1'])
      expect(neutraliseCell(bad)).toBe(`'${bad}`);
    for (const ok of ['hello', '1', 'a=b', '', ' =x']) expect(neutraliseCell(ok)).toBe(ok);
  });
  it('quotes separators, quotes and newlines after neutralising', () => {
    expect(csvField("=cmd|' /C calc'!A0")).toBe("'=cmd|' /C calc'!A0");
    expect(csvField('a,"b"\nc')).toBe('"a,""b""\nc"');
    expect(csvLine(['=1', 'x,y'])).toBe(`'=1,"x,y"`);
  });
  it('quotes without neutralising for non-text values', () => {
    expect(quoteField('-5')).toBe('-5');
    expect(quoteField('a,b')).toBe('"a,b"');
  });
});

describe('toCsv', () => {
  const rows = [
    { Name: 'a,b', Size: 5, Meta: { x: 1 }, Gone: null },
    { Name: '=cmd', Size: 12n, Meta: [1, 2], Gone: undefined },
  ];
  it('writes a header from the first row and one line per row; values that are not text as JSON', () => {
    expect(toCsv(rows)).toBe('Name,Size,Meta,Gone\n"a,b",5,"{""x"":1}",\n=cmd,12,"[1,2]",\n');
  });
  it('neutralises formula-like text for spreadsheets when asked, with chosen columns and line ends', () => {
    expect(toCsv(rows, { columns: ['Name'], neutralise: true, newline: '\r\n' })).toBe(
      'Name\r\n"a,b"\r\n\'=cmd\r\n',
    );
  });
  it('writes a one-column table a parameter takes (header Glob)', () => {
    expect(toCsv([{ Glob: 'C:/Users/*/a,b.exe' }])).toBe('Glob\n"C:/Users/*/a,b.exe"\n');
  });
  it('is empty for no rows and no columns, and a header alone for columns without rows', () => {
    expect(toCsv([])).toBe('');
    expect(toCsv([], { columns: ['A', 'B'] })).toBe('A,B\n');
  });
});
